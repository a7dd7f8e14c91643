/** The ali-oss configurations the OSS API tests run their main flows with. */
import type { TestServer } from './server';

export interface ClientKind {
  name: string;
  /** A lower-case slug, usable in bucket names. */
  slug: string;
  make(srv: TestServer, options?: Record<string, unknown>): any;
}

/** ali-oss on a hostname endpoint with sldEnable: clean path style, Host = localhost:PORT. */
export function localhostClient(srv: TestServer, options: Record<string, unknown> = {}): any {
  return srv.client({ endpoint: `http://localhost:${srv.port}`, sldEnable: true, ...options });
}

export const CLIENT_KINDS: ClientKind[] = [
  { name: 'V1, IP endpoint', slug: 'v1ip', make: (srv, o) => srv.client(o) },
  { name: 'V4, IP endpoint', slug: 'v4ip', make: (srv, o) => srv.client({ authorizationV4: true, ...o }) },
  { name: 'V1, localhost sldEnable', slug: 'v1sld', make: (srv, o) => localhostClient(srv, o) },
  { name: 'V4, localhost sldEnable', slug: 'v4sld', make: (srv, o) => localhostClient(srv, { authorizationV4: true, ...o }) },
];
