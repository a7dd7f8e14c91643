/** An HTTP or HTTPS listener that can drain: stop accepting, finish in-flight requests, then close. */
import { promises as fs } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

const IDLE_TIMEOUT_MS = 120_000;

export interface TlsFiles { cert: string; key: string }

export interface Listener {
  url: string;
  server: http.Server;
  drain(): Promise<void>;
}

export async function listen(
  handler: http.RequestListener,
  host: string,
  port: number,
  tls?: TlsFiles,
): Promise<Listener> {
  // No overall request deadline (a large upload may take long), but a connection that sends
  // nothing for IDLE_TIMEOUT_MS is dropped, so a stalled client cannot hold it forever.
  const options = { requestTimeout: 0, headersTimeout: 60_000, keepAliveTimeout: 5_000 };
  const server: http.Server = tls
    ? https.createServer({ ...options, cert: await fs.readFile(tls.cert), key: await fs.readFile(tls.key) }, handler)
    : http.createServer(options, handler);
  server.setTimeout(IDLE_TIMEOUT_MS);
  // While draining, a keep-alive connection must close once its response is done; left idle it
  // would hold close() (and the process exit) open for keepAliveTimeout, or carry new requests.
  let draining = false;
  const inFlight = new Set<http.ServerResponse>();
  server.on('request', (_req: http.IncomingMessage, res: http.ServerResponse) => {
    inFlight.add(res);
    res.once('close', () => {
      inFlight.delete(res);
      if (draining) setImmediate(() => server.closeIdleConnections());
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `${tls ? 'https' : 'http'}://${shownHost}:${addr.port}`,
    server,
    drain: () => new Promise<void>((resolve) => {
      draining = true;
      server.close(() => resolve());
      // Busy connections close after their response (told so, where headers are still unsent);
      // idle ones now.
      for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
      server.closeIdleConnections();
    }),
  };
}
