/**
 * Plain-HTTP access to a test server, for what the SDK hides: raw status/headers/XML, requests
 * signed by hand the way oss2 sends them (path style, `Date` header), presigned and anonymous
 * requests, and checks of the OSS error shape.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import path from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import {
  SUB_RESOURCES, signV1, signV4, uriEncode, v1CanonicalResource, v1StringToSign, v4CanonicalQuery, v4CanonicalRequest,
  v4CanonicalUri, v4StringToSign,
} from '../../src/auth';
import { crc64 } from '../../src/crypto/crc64';
import { ACCESS_KEY_ID, ACCESS_KEY_SECRET, type TestServer } from './server';

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

export interface HttpRequest {
  method?: string;
  /** Request target as sent on the wire (already percent-encoded, query included). */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/** One HTTP request to the server's OSS listener; Host defaults to the listener's address. */
export function http(srv: TestServer, req: HttpRequest): Promise<HttpResponse> {
  const body = req.body === undefined ? undefined : Buffer.from(req.body);
  const headers: Record<string, string> = { host: srv.host, ...req.headers };
  if (body) headers['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    // A connection of its own: a request that declares more body than it sends must not poison the next one.
    const r = request({ host: '127.0.0.1', port: srv.port, method: req.method ?? 'GET', path: req.path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const all = Buffer.concat(chunks);
        resolve({ status: res.statusCode!, headers: res.headers, body: all, text: all.toString('utf8') });
      });
      res.on('error', reject);
    });
    r.on('error', reject);
    r.end(body);
  });
}

/** Path-style target as oss2 builds it for IP endpoints: every reserved byte of the key encoded, '/' as %2F. */
export function pathStyle(bucket?: string, key?: string, query: Array<[string, string]> = []): string {
  let p = bucket === undefined ? '/' : `/${bucket}/${key === undefined ? '' : encodeURIComponent(key)}`;
  if (query.length) p += `?${query.map(([k, v]) => (v === '' ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)).join('&')}`;
  return p;
}

export interface SignedRequest {
  method?: string;
  bucket?: string;
  key?: string;
  query?: Array<[string, string]>;
  headers?: Record<string, string>;
  body?: string | Buffer;
  accessKeyId?: string;
  secret?: string;
  /** Signing time; a V1 `Date` header (as oss2 and Go send) carries it. */
  date?: Date;
  /** Virtual-hosted style instead: Host <bucket>.oss-<region>.aliyuncs.com and path /<key> (as ali-oss sends to an IP). */
  virtualHost?: boolean;
}

/** A V1-signed request, by default path style as oss2 builds it (Date header, key with %2F). */
export function signedHttp(srv: TestServer, r: SignedRequest): Promise<HttpResponse> {
  const method = r.method ?? 'GET';
  const query = r.query ?? [];
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers ?? {})) headers[k.toLowerCase()] = v;
  headers.date ??= (r.date ?? new Date()).toUTCString();
  const date = headers['x-oss-date'] ?? headers.date;
  const resource = v1CanonicalResource({ bucket: r.bucket, key: r.key }, query);
  const signature = signV1(r.secret ?? ACCESS_KEY_SECRET, v1StringToSign(method, headers, date, resource));
  headers.authorization = `OSS ${r.accessKeyId ?? ACCESS_KEY_ID}:${signature}`;
  let target = pathStyle(r.bucket, r.key, query);
  if (r.virtualHost) {
    headers.host = `${r.bucket}.oss-${srv.region}.aliyuncs.com`;
    target = target.slice(`/${r.bucket}`.length).replace(/%2F/g, '/');
  }
  return http(srv, { method, path: target, headers, body: r.body });
}

/**
 * A V4 presigned URL (path style on the listener's address) signed at `date`; ali-oss's
 * signatureUrlV4 always signs "now", which an expiry test cannot use.
 */
export function presignV4(srv: TestServer, r: { method: string; bucket: string; key: string; date: Date; expires: number }): string {
  const iso = r.date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const scope = { day: iso.slice(0, 8), region: srv.region, product: 'oss' };
  const query: Array<[string, string]> = [
    ['x-oss-credential', `${ACCESS_KEY_ID}/${scope.day}/${scope.region}/oss/aliyun_v4_request`],
    ['x-oss-date', iso],
    ['x-oss-expires', String(r.expires)],
    ['x-oss-signature-version', 'OSS4-HMAC-SHA256'],
  ];
  const target = { bucket: r.bucket, key: r.key };
  const canonical = v4CanonicalRequest(r.method, v4CanonicalUri(target), v4CanonicalQuery(query, (n) => SUB_RESOURCES.has(n)), {}, []);
  const signature = signV4(ACCESS_KEY_SECRET, scope, v4StringToSign(iso, scope, canonical));
  const qs = [...query, ['x-oss-signature', signature]].map(([k, v]) => `${k}=${uriEncode(v)}`).join('&');
  return `${srv.url}/${r.bucket}/${uriEncode(r.key, true)}?${qs}`;
}

/** A request to a full URL (e.g. a presigned one) against the listener, keeping the URL's Host. */
export function fetchUrl(srv: TestServer, url: string, init: Omit<HttpRequest, 'path'> = {}): Promise<HttpResponse> {
  const u = new URL(url);
  return http(srv, { ...init, path: `${u.pathname}${u.search}`, headers: { host: u.host, ...init.headers } });
}

const parser = new XMLParser({ ignoreAttributes: true, parseTagValue: false, htmlEntities: true, ignoreDeclaration: true });

/** Parses an XML response body into plain objects (text values stay strings). */
export function xml(text: string): any {
  return parser.parse(text);
}

/**
 * Asserts an OSS error response: status, Code, and the fields every error carries (Message,
 * RequestId equal to the x-oss-request-id header, HostId); on HEAD the XML comes base64 in
 * x-oss-err and the body is empty. Returns the Error element's fields.
 */
export function assertOssError(res: HttpResponse, status: number, code: string, head = false): Record<string, string> {
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status}: ${res.text || res.headers['x-oss-err']}`);
  const requestId = res.headers['x-oss-request-id'];
  assert.match(String(requestId), /^[0-9A-F]{24}$/);
  let body: string;
  if (head) {
    assert.equal(res.body.length, 0);
    assert.ok(res.headers['x-oss-err'], 'HEAD error without x-oss-err');
    body = Buffer.from(String(res.headers['x-oss-err']), 'base64').toString('utf8');
  } else {
    assert.equal(res.headers['content-type'], 'application/xml');
    body = res.text;
  }
  const err = xml(body).Error as Record<string, string>;
  assert.equal(err.Code, code);
  assert.ok(err.Message, 'error without Message');
  assert.equal(err.RequestId, requestId);
  assert.ok(err.HostId, 'error without HostId');
  return err;
}

/** Awaits an ali-oss call that must fail, and checks the error the SDK built from the response (code, request id, host id). */
export async function rejectsWith(call: Promise<unknown>, status: number, code: string): Promise<any> {
  const err: any = await call.then(
    () => assert.fail(`expected ${status} ${code}`),
    (e: unknown) => e,
  );
  assert.equal(err.status, status, `expected ${status} ${code}, got ${err.status} ${err.code}: ${err.message}`);
  assert.equal(err.code, code);
  assert.match(String(err.requestId), /^[0-9A-F]{24}$/);
  // ali-oss marks errors it made up for a body-less answer (HEAD) with host ''; the others came from our XML.
  if (err.host === undefined) assert.ok(err.hostId, 'error XML without HostId');
  return err;
}

export const md5Hex = (data: Buffer | string): string => createHash('md5').update(data).digest('hex').toUpperCase();
export const md5Base64 = (data: Buffer | string): string => createHash('md5').update(data).digest('base64');
/** The ETag header OSS gives a Normal object. */
export const etagOf = (data: Buffer | string): string => `"${md5Hex(data)}"`;
export const crcOf = (data: Buffer | string): string => crc64(Buffer.from(data)).toString();

/** Deterministic, non-repeating-looking bytes (so that misplaced ranges change the content). */
export function bytes(size: number, seed = 1): Buffer {
  const out = Buffer.alloc(size);
  let x = seed * 2654435761 >>> 0;
  for (let i = 0; i < size; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** Blob files in the data directory. */
export function storedFiles(srv: TestServer): { blobs: Set<string> } {
  const blobRoot = path.join(srv.dataDir, 'blobs');
  const blobs = new Set<string>();
  for (const dir of readdirSync(blobRoot)) for (const name of readdirSync(path.join(blobRoot, dir))) blobs.add(name);
  return { blobs };
}

/** A rejected write leaves no new blob (older blobs may be swept meanwhile). */
export function assertNothingStored(srv: TestServer, before: { blobs: Set<string> }): void {
  const now = storedFiles(srv);
  assert.deepEqual([...now.blobs].filter((b) => !before.blobs.has(b)), []);
}
