/**
 * Anonymous requests cannot use SSE-KMS (seed 004: the request must not be anonymous, else it
 * fails): an SSE-KMS object in a public-read bucket is not served to an unsigned GET or HEAD, and
 * an unsigned write into a public-read-write bucket whose rule is KMS is refused with nothing
 * written. The same requests on SSE-OSS succeed, so the refusal is about KMS, not the ACL.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createKey, kmsClient, type KmsClient } from '../helpers/kms';
import { assertNothingStored, assertOssError, bytes, fetchUrl, http, pathStyle, rejectsWith, storedFiles } from '../helpers/oss-http';
import { localhostClient } from '../helpers/oss-clients';
import { startTestServer, type TestServer } from '../helpers/server';
import { SSE, newBucket } from '../helpers/sse';
import { kmsHeaders, ossKmsCalls } from './helpers';

let srv: TestServer;
let kms: KmsClient;
before(async () => {
  srv = await startTestServer({ metricsKeyIds: true });
  kms = kmsClient(srv);
});
after(async () => { await srv.close(); });

const anon = (method: string, bucket: string, key: string, init: { query?: Array<[string, string]>; body?: string; headers?: Record<string, string> } = {}) =>
  http(srv, { method, path: pathStyle(bucket, key, init.query), body: init.body, headers: init.headers });

/** The refusal names SSE-KMS: it is not the ACL's AccessDenied. */
function assertKmsRefusal(res: Awaited<ReturnType<typeof http>>, head = false): void {
  assert.match(assertOssError(res, 403, 'AccessDenied', head).Message, /SSE-KMS/);
}

test('public-read bucket: unsigned GET, ranged GET and HEAD of KMS objects → 403 before any KMS call; signed and presigned reads and an AES256 neighbour are served', async () => {
  const b = 'anon-read';
  const c = await newBucket(srv, b, 'V1', { 'x-oss-acl': 'public-read' });
  const cmk = await createKey(kms);
  const data = bytes(3000, 41);
  await c.put('cmk.txt', data, { headers: kmsHeaders(cmk) });
  await c.put('managed.txt', data, { headers: { [SSE]: 'KMS' } });
  await c.put('aes.txt', data, { headers: { [SSE]: 'AES256' } });

  const decrypts = ossKmsCalls(srv, 'Decrypt', cmk);
  for (const key of ['cmk.txt', 'managed.txt']) {
    assertKmsRefusal(await anon('GET', b, key));
    assertKmsRefusal(await anon('GET', b, key, { headers: { range: 'bytes=0-9' } }));
    assertKmsRefusal(await anon('HEAD', b, key), true);
  }
  assert.equal(ossKmsCalls(srv, 'Decrypt', cmk), decrypts);

  const open = await anon('GET', b, 'aes.txt');
  assert.equal(open.status, 200);
  assert.ok(open.body.equals(data));
  assert.ok((await c.get('cmk.txt')).content.equals(data));
  // ali-oss presigns only for a hostname endpoint.
  const presigned = await fetchUrl(srv, localhostClient(srv, { bucket: b }).signatureUrl('cmk.txt'));
  assert.equal(presigned.status, 200);
  assert.ok(presigned.body.equals(data));
});

test('public-read-write bucket whose rule is KMS: unsigned PUT, append and Initiate → 403, nothing written, no KMS call; under an AES256 rule the PUT succeeds unless it asks for KMS', async () => {
  const b = 'anon-write';
  const c = await newBucket(srv, b, 'V1', { 'x-oss-acl': 'public-read-write' });
  const cmk = await createKey(kms);
  const before = storedFiles(srv);
  for (const rule of [{ SSEAlgorithm: 'KMS', KMSMasterKeyID: cmk }, { SSEAlgorithm: 'KMS' }]) {
    await c.putBucketEncryption(b, rule);
    assertKmsRefusal(await anon('PUT', b, 'anon.txt', { body: 'by anyone' }));
    assertKmsRefusal(await anon('POST', b, 'anon.log', { query: [['append', ''], ['position', '0']], body: 'by anyone' }));
    assertKmsRefusal(await anon('POST', b, 'anon.bin', { query: [['uploads', '']] }));
  }
  assertNothingStored(srv, before);
  assert.equal(ossKmsCalls(srv, 'GenerateDataKey', cmk), 0);
  for (const key of ['anon.txt', 'anon.log']) await rejectsWith(c.head(key), 404, 'NoSuchKey');
  assert.deepEqual((await c.listUploads({})).uploads, []);

  await c.putBucketEncryption(b, { SSEAlgorithm: 'AES256' });
  assertKmsRefusal(await anon('PUT', b, 'anon.txt', { body: 'by anyone', headers: { [SSE]: 'KMS' } }));
  assert.equal((await anon('PUT', b, 'anon.txt', { body: 'by anyone' })).status, 200);
  assert.equal((await c.head('anon.txt')).res.headers[SSE], 'AES256');
});
