/** Shared pieces of the server-side encryption tests: header names, clients per bucket, stored records and keys, cut-off reads. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { asObjectEncryption, type ObjectEncryption } from '../../src/core/encryption';
import type { ObjectRecord } from '../../src/store/types';
import { ACCESS_KEY_ID, type TestServer } from './server';

export const SSE = 'x-oss-server-side-encryption';
export const SSE_DATA = 'x-oss-server-side-data-encryption';
export const SSE_KEY_ID = 'x-oss-server-side-encryption-key-id';

export type Signing = 'V1' | 'V4';
export const SIGNINGS: Signing[] = ['V1', 'V4'];

/** An ali-oss client bound to a bucket, with V1 or V4 signatures. */
export function bucketClient(srv: TestServer, bucket: string, signing: Signing = 'V1'): any {
  return srv.client({ bucket, authorizationV4: signing === 'V4' });
}

/** Creates the bucket (with optional PutBucket headers) and returns a client bound to it. */
export async function newBucket(srv: TestServer, bucket: string, signing: Signing = 'V1', headers?: Record<string, string>): Promise<any> {
  const c = bucketClient(srv, bucket, signing);
  await c.putBucket(bucket, headers ? { headers } : {});
  return c;
}

/** A text nobody else writes, repeated to `size` bytes, for scanning the disk. */
export function marker(size: number): { token: Buffer; data: Buffer } {
  const token = Buffer.from(`COFFER-MARKER-${randomBytes(12).toString('hex')}|`);
  const data = Buffer.alloc(size);
  for (let off = 0; off < size; off += token.length) token.copy(data, off);
  return { token, data };
}

export async function record(srv: TestServer, bucket: string, key: string): Promise<ObjectRecord> {
  const r = await srv.running.coffer.meta.getObject(bucket, key);
  assert.ok(r, `no metadata for ${bucket}/${key}`);
  return r;
}

/** The object's encryption as stored (algorithm, suite, kek, wrapped key), or null. */
export const encryptionOf = (r: ObjectRecord): ObjectEncryption | null => asObjectEncryption(r.encryption);

/** The stat fields the seeds compare before and after an object's encryption changes (ossutil stat). */
export async function stat(c: any, key: string): Promise<Record<string, string | undefined>> {
  const h = (await c.head(key)).res.headers;
  return {
    etag: h.etag,
    crc64: h['x-oss-hash-crc64ecma'],
    length: h['content-length'],
    md5: h['content-md5'],
    type: h['content-type'],
    objectType: h['x-oss-object-type'],
    sse: h[SSE],
    keyId: h[SSE_KEY_ID],
  };
}

/** The forms a secret could leak in: raw, hex (both cases), base64, base64url. */
export const encodings = (secret: Buffer): Buffer[] => [
  secret,
  ...(['hex', 'base64', 'base64url'] as const).map((e) => Buffer.from(secret.toString(e))),
  Buffer.from(secret.toString('hex').toUpperCase()),
];

/** Unseals the stored object key, as the server does to read it. */
export async function plaintextObjectKey(srv: TestServer, r: ObjectRecord): Promise<Buffer> {
  const caller = { principal: { kind: 'root' as const, accountId: srv.running.coffer.accountId, accessKeyId: ACCESS_KEY_ID }, permissions: null, sourceIp: '127.0.0.1', secure: false };
  const info = encryptionOf(r);
  assert.ok(info, `${r.bucket}/${r.key} is not encrypted`);
  return srv.running.coffer.encryption.objectKey(info, { bucket: r.bucket, key: r.key, caller });
}

/** Polls for up to 15 s until check() holds: for work the server finishes just after answering, such as removing replaced blobs. */
export async function eventually(check: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 15_000; Date.now() < deadline && !check(); ) await new Promise((r) => setTimeout(r, 20));
}

export interface CutResponse {
  /** 0 when the connection was cut before any response. */
  status: number;
  contentLength: number;
  /** The bytes that arrived, also when the server cut the connection mid-body. */
  received: Buffer;
  /** The whole message arrived. */
  complete: boolean;
}

/**
 * GETs a URL (e.g. presigned) on the server without treating a connection cut mid-body as an
 * error: the caller sees what arrived before the cut and whether the response was complete.
 */
export function getAllowingCut(srv: TestServer, url: string, headers: Record<string, string> = {}): Promise<CutResponse> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port: srv.port, path: u.pathname + u.search, headers: { host: u.host, ...headers }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      // A cut mid-body errors the response; 'close' then reports what arrived.
      res.on('error', () => undefined);
      res.on('close', () => resolve({
        status: res.statusCode!,
        contentLength: Number(res.headers['content-length']),
        received: Buffer.concat(chunks),
        complete: res.complete,
      }));
    });
    req.on('error', () => resolve({ status: 0, contentLength: NaN, received: Buffer.alloc(0), complete: false }));
    req.end();
  });
}
