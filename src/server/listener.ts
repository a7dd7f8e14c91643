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
      server.close(() => resolve());
      // Idle keep-alive sockets would hold close() open; busy ones close after their response.
      server.closeIdleConnections();
    }),
  };
}
