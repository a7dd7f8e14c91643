import type { IncomingHttpHeaders } from 'node:http';

/** One (bucket, key) reading of a request. bucket undefined = service level; key undefined = bucket level. */
export interface AuthTarget {
  bucket?: string;
  key?: string;
}

export interface AuthRequest {
  method: string;
  /** Lower-cased names, as Node gives them. */
  headers: IncomingHttpHeaders;
  /** Request path exactly as received, still percent-encoded, without the query. */
  rawPath: string;
  /** Query parameters in received order, decoded ('+' → space, then percent-decoding); no '=' means value ''. */
  query: Array<[string, string]>;
  /**
   * Every reading of the request the router considers possible; usually one. ali-oss with an IP
   * endpoint and sldEnable gives two, and the signature verifies against exactly one.
   * Keys are decoded UTF-8.
   */
  targets: AuthTarget[];
  /** The server's region: a V4 credential scope must name it. Unset, any region is accepted. */
  region?: string;
}

export interface Credential {
  accessKeyId: string;
  secret: string;
}

export type CredentialLookup = (accessKeyId: string) => Promise<Credential | null>;

export type AuthResult =
  | { kind: 'anonymous' }
  | {
      kind: 'signed';
      accessKeyId: string;
      version: 'v1' | 'v2' | 'v4';
      presigned: boolean;
      /** The target whose signature verified. */
      target: AuthTarget;
      /** Region of the V4 credential scope. */
      region?: string;
    };
