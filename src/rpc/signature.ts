/**
 * The two signatures Alibaba RPC-style clients send (reference kms-api.md §1.3, §1.4): pure
 * functions from a request's parts to the string to sign and the expected signature.
 */
import { createHash, createHmac } from 'node:crypto';

export type Pair = readonly [name: string, value: string];

/** POP percent-encoding: RFC 3986 unreserved characters stay, everything else is %XX upper-case. */
export function popEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Sorted by name in code-unit order, as every client sorts before signing. */
function sortedByName(pairs: Iterable<Pair>): Pair[] {
  return [...pairs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** V1: METHOD & %2F & enc(canonical params), over the decoded params without `Signature`. */
export function v1StringToSign(method: string, params: Iterable<Pair>): string {
  const canonical = sortedByName([...params].filter(([name]) => name !== 'Signature'))
    .map(([name, value]) => `${popEncode(name)}=${popEncode(value)}`)
    .join('&');
  return `${method}&${popEncode('/')}&${popEncode(canonical)}`;
}

/** V1: base64 HMAC-SHA1 keyed with the secret followed by "&". */
export function v1Signature(secret: string, stringToSign: string): string {
  return createHmac('sha1', `${secret}&`).update(stringToSign, 'utf8').digest('base64');
}

export const V3_ALGORITHM = 'ACS3-HMAC-SHA256';

export const sha256Hex = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

export interface V3Parts {
  method: string;
  path: string;
  /** Decoded URL-query params (the form body is covered by the payload hash instead). */
  query: Iterable<Pair>;
  /** Lower-case header names; a header sent several times has several values. */
  headers: Readonly<Record<string, readonly string[] | undefined>>;
  /** Lower-case, sorted, as listed in the Authorization header. */
  signedHeaders: readonly string[];
  /** The x-acs-content-sha256 value. */
  hashedPayload: string;
}

export function v3CanonicalRequest(p: V3Parts): string {
  const query = sortedByName(p.query).map(([name, value]) => `${popEncode(name)}=${popEncode(value)}`).join('&');
  const headers = p.signedHeaders
    .map((name) => `${name}:${(p.headers[name] ?? []).map((v) => v.trim()).sort().join(',')}\n`)
    .join('');
  return [p.method, p.path, query, headers, p.signedHeaders.join(';'), p.hashedPayload].join('\n');
}

export function v3StringToSign(canonicalRequest: string): string {
  return `${V3_ALGORITHM}\n${sha256Hex(canonicalRequest)}`;
}

/** V3: lower-hex HMAC-SHA256 keyed with the bare secret. */
export function v3Signature(secret: string, stringToSign: string): string {
  return createHmac('sha256', secret).update(stringToSign, 'utf8').digest('hex');
}
