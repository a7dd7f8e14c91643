/**
 * Raw HTTP/1.1 over a socket, for the fuzzers: header values and request targets go out as the
 * bytes given (latin1), which Node's own client refuses to send, and the answer is read however
 * malformed the request was. One connection per request.
 */
import net from 'node:net';

export interface RawAnswer { status: number; headers: Record<string, string>; body: string; ms: number }

export function rawRequest(
  url: string,
  req: { method: string; target: string; headers: Array<[string, string]>; body?: Buffer },
): Promise<RawAnswer> {
  const u = new URL(url);
  const body = req.body ?? Buffer.alloc(0);
  const head = [`${req.method} ${req.target} HTTP/1.1`, `Host: ${u.host}`, ...req.headers.map(([k, v]) => `${k}: ${v}`),
    `Content-Length: ${body.length}`, 'Connection: close', '', ''].join('\r\n');
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(u.port), u.hostname);
    const chunks: Buffer[] = [];
    socket.setTimeout(10_000, () => socket.destroy(new Error(`no answer in 10 s to ${req.method} ${req.target}`)));
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      if (!m) {
        reject(new Error(`no HTTP answer to ${req.method} ${JSON.stringify(req.target)}: ${JSON.stringify(text.slice(0, 200))}`));
        return;
      }
      const split = text.indexOf('\r\n\r\n');
      const headers: Record<string, string> = {};
      for (const line of text.slice(0, split).split('\r\n').slice(1)) {
        const i = line.indexOf(':');
        headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
      }
      resolve({ status: Number(m[1]), headers, body: Buffer.from(text.slice(split + 4), 'latin1').toString('utf8'), ms: performance.now() - started });
    });
    socket.write(Buffer.concat([Buffer.from(head, 'latin1'), body]));
  });
}
