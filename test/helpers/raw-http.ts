/**
 * Plain HTTP to a test server, for what an SDK hides: unsigned requests, presigned URLs sent byte
 * for byte, and bodies cut short by a reset connection.
 */
import { request, type IncomingHttpHeaders } from 'node:http';

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The whole message arrived (false when the server cut the connection mid-body). */
  complete: boolean;
}

export interface RawRequest {
  method?: string;
  /** Request target, e.g. /bucket/key?query. */
  path: string;
  /** Host header; defaults to the address connected to (so the server reads path style). */
  host?: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
}

export function rawRequest(port: number, r: RawRequest): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port,
      method: r.method ?? 'GET',
      path: r.path,
      headers: { host: r.host ?? `127.0.0.1:${port}`, ...r.headers },
      agent: false,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      // A reset mid-body surfaces as an error on the response; 'close' reports what arrived.
      res.on('error', () => undefined);
      res.on('close', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks), complete: res.complete }));
    });
    req.on('error', reject);
    req.end(r.body);
  });
}

/** Sends a presigned URL (from an ali-oss client on a path-style endpoint) to the server as is. */
export function rawPresigned(port: number, url: string, r: Omit<RawRequest, 'path' | 'host'> = {}): Promise<RawResponse> {
  const u = new URL(url);
  return rawRequest(port, { ...r, path: u.pathname + u.search, host: u.host });
}
