/**
 * V4-signed requests built by hand, signed with ali-oss's own V4 signer (lib/common/signUtils), so
 * the server's canonicalization is checked against an independent implementation: header
 * signatures with any region, date, payload hash or AdditionalHeaders, and presigned URLs with
 * any x-oss-date.
 */
import { http, pathStyle, type HttpResponse } from '../helpers/oss-http';
import { ACCESS_KEY_ID, ACCESS_KEY_SECRET, type TestServer } from '../helpers/server';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const signUtils = require('ali-oss/lib/common/signUtils');

/** YYYYMMDDTHHMMSSZ */
export const v4Date = (d: Date): string => d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');

export interface V4Request {
  method?: string;
  bucket: string;
  key?: string;
  query?: Array<[string, string]>;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** The credential scope's region; the server's by default. */
  region?: string;
  date?: Date;
  additionalHeaders?: string[];
  /** Rewrites the Authorization value before it is sent (e.g. into oss2's layout). */
  authorization?: (value: string) => string;
  /** Header values sent in place of the signed ones (a tampered request). */
  tamper?: Record<string, string>;
}

/** A path-style request with an `Authorization: OSS4-HMAC-SHA256 …` header. */
export function v4Http(srv: TestServer, r: V4Request): Promise<HttpResponse> {
  const method = r.method ?? 'GET';
  const headers: Record<string, string> = { host: srv.host, 'x-oss-content-sha256': 'UNSIGNED-PAYLOAD' };
  for (const [k, v] of Object.entries(r.headers ?? {})) headers[k.toLowerCase()] = v;
  headers['x-oss-date'] = v4Date(r.date ?? new Date());
  const queries = Object.fromEntries((r.query ?? []).map(([k, v]) => [k, v === '' ? null : v]));
  const value: string = signUtils.authorizationV4(
    ACCESS_KEY_ID, ACCESS_KEY_SECRET, r.region ?? srv.region, method, { headers, queries }, r.bucket, r.key, r.additionalHeaders,
  );
  headers.authorization = r.authorization ? r.authorization(value) : value;
  Object.assign(headers, r.tamper);
  return http(srv, { method, path: pathStyle(r.bucket, r.key, r.query), headers, body: r.body });
}

export interface V4Presign {
  method?: string;
  bucket: string;
  key: string;
  date: Date;
  expires: number;
  region?: string;
  /** Headers the URL is signed for (and must be sent with), e.g. with additionalHeaders. */
  headers?: Record<string, string>;
  additionalHeaders?: string[];
}

/** A V4 presigned path-style URL (path and query only) signed at any date. */
export function v4PresignedPath(srv: TestServer, p: V4Presign): string {
  const region = p.region ?? srv.region;
  const date = v4Date(p.date);
  const additional: string[] = signUtils.fixAdditionalHeaders(p.additionalHeaders);
  const queries: Record<string, string> = {
    'x-oss-credential': `${ACCESS_KEY_ID}/${date.slice(0, 8)}/${region}/oss/aliyun_v4_request`,
    'x-oss-date': date,
    'x-oss-expires': String(p.expires),
    'x-oss-signature-version': 'OSS4-HMAC-SHA256',
  };
  if (additional.length) queries['x-oss-additional-headers'] = additional.join(';');
  const headers = Object.fromEntries(Object.entries(p.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const canonical = signUtils.getCanonicalRequest(p.method ?? 'GET', { headers, queries }, p.bucket, p.key, additional);
  const stringToSign = signUtils.getStringToSign(region, date, canonical);
  queries['x-oss-signature'] = signUtils.getSignatureV4(ACCESS_KEY_SECRET, date.slice(0, 8), region, stringToSign);
  const qs = Object.entries(queries).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
  return `${pathStyle(p.bucket, p.key)}?${qs}`;
}
