/**
 * How many KMS calls each object operation makes (the issue: "One GenerateDataKey per PUT (and
 * per multipart upload, not per part), at most one Decrypt per GET"), read from
 * coffer_kms_calls_total{via="oss"}. KMS calls are billed in Alibaba Cloud, so the figures are
 * pinned exactly, including today's one Decrypt per UploadPart.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { KMS_CALLS } from '../../src/kms/accounting';
import { createKey, kmsClient } from '../helpers/kms';
import { bytes } from '../helpers/oss-http';
import { startTestServer, type TestServer } from '../helpers/server';
import { newBucket } from '../helpers/sse';
import { kmsHeaders, multipart, ossKmsCalls } from './helpers';

let srv: TestServer;
let c: any;
let cmk: string;
before(async () => {
  srv = await startTestServer({ metricsKeyIds: true });
  c = await newBucket(srv, 'calls');
  cmk = await createKey(kmsClient(srv));
});
after(async () => { await srv.close(); });

const headers = (data?: 'SM4') => kmsHeaders(cmk, data);
const body = bytes(200_000, 4);

/** GenerateDataKey and Decrypt calls on the CMK that `op` made through the object server. */
async function callsOf(op: () => Promise<unknown>): Promise<{ gdk: number; decrypt: number }> {
  const gdk = ossKmsCalls(srv, 'GenerateDataKey', cmk);
  const decrypt = ossKmsCalls(srv, 'Decrypt', cmk);
  await op();
  return { gdk: ossKmsCalls(srv, 'GenerateDataKey', cmk) - gdk, decrypt: ossKmsCalls(srv, 'Decrypt', cmk) - decrypt };
}

test('PUT: one GenerateDataKey and no Decrypt, each time', async () => {
  for (const data of [undefined, 'SM4'] as const) {
    for (let i = 0; i < 3; i++) assert.deepEqual(await callsOf(() => c.put(`put-${i}`, body, { headers: headers(data) })), { gdk: 1, decrypt: 0 });
  }
});

test('GET: one Decrypt, whole or ranged; a 304, HEAD and GetObjectMeta: none', async () => {
  const { etag } = (await c.put('read', body, { headers: headers() })).res.headers;
  assert.deepEqual(await callsOf(() => c.get('read')), { gdk: 0, decrypt: 1 });
  assert.deepEqual(await callsOf(async () => {
    assert.equal((await c.get('read', { headers: { 'If-None-Match': etag } })).res.status, 304);
  }), { gdk: 0, decrypt: 0 });
  for (const range of ['bytes=0-0', 'bytes=65530-131080', 'bytes=-10', 'bytes=150000-']) {
    assert.deepEqual(await callsOf(async () => {
      const got = await c.get('read', { headers: { Range: range } });
      assert.equal(got.res.status, 206, range);
    }), { gdk: 0, decrypt: 1 }, range);
  }
  assert.deepEqual(await callsOf(() => c.head('read')), { gdk: 0, decrypt: 0 });
  assert.deepEqual(await callsOf(() => c.getObjectMeta('read')), { gdk: 0, decrypt: 0 });
});

test('multipart upload of 4 parts: one GenerateDataKey at Initiate; each UploadPart unwraps the object key (one Decrypt per part); Complete: none', async () => {
  const parts = [bytes(102_400, 4), bytes(102_400, 5), bytes(102_400, 6), bytes(10, 7)];
  let uploadId = '';
  assert.deepEqual(await callsOf(async () => { uploadId = (await c.initMultipartUpload('mp', { headers: headers('SM4') })).uploadId; }), { gdk: 1, decrypt: 0 });
  const etags: string[] = [];
  for (const [i, p] of parts.entries()) {
    assert.deepEqual(await callsOf(async () => { etags.push((await c.uploadPart('mp', uploadId, i + 1, p, 0, p.length)).etag); }), { gdk: 0, decrypt: 1 }, `part ${i + 1}`);
  }
  assert.deepEqual(await callsOf(() => c.completeMultipartUpload('mp', uploadId, etags.map((etag, i) => ({ number: i + 1, etag })))), { gdk: 0, decrypt: 0 });
  assert.deepEqual(await callsOf(() => c.get('mp', { headers: { Range: 'bytes=102300-204900' } })), { gdk: 0, decrypt: 1 });
});

test('copies: CopyObject decrypts the source once and makes one data key; a self-copy re-key the same; UploadPartCopy decrypts source and upload key', async () => {
  await c.put('src', body, { headers: headers() });
  assert.deepEqual(await callsOf(() => c.copy('dst', 'src', { headers: headers() })), { gdk: 1, decrypt: 1 });
  assert.deepEqual(await callsOf(() => c.copy('src', 'src', { headers: headers(), meta: { rekeyed: 'yes' } })), { gdk: 1, decrypt: 1 });
  // Into an unencrypted target (no SSE header): only the source is decrypted.
  assert.deepEqual(await callsOf(() => c.copy('plain', 'src')), { gdk: 0, decrypt: 1 });

  const { uploadId } = await c.initMultipartUpload('upc', { headers: headers() });
  assert.deepEqual(await callsOf(() => c.uploadPartCopy('upc', uploadId, 1, '0-102399', { sourceKey: 'src', sourceBucketName: 'calls' })), { gdk: 0, decrypt: 2 });
});

test('append: the first append makes the data key, each later one decrypts it', async () => {
  let position = '0';
  assert.deepEqual(await callsOf(async () => { position = (await c.append('log', body, { headers: headers() })).nextAppendPosition; }), { gdk: 1, decrypt: 0 });
  for (let i = 0; i < 2; i++) {
    assert.deepEqual(await callsOf(async () => { position = (await c.append('log', body, { position })).nextAppendPosition; }), { gdk: 0, decrypt: 1 });
  }
});

test('the object server\'s calls are labelled via="oss", apart from KMS API calls (a 3-part upload: 1 GenerateDataKey, 3 Decrypt)', async () => {
  const other = await createKey(kmsClient(srv));
  const calls = (action: string, via: string) => srv.running.metrics.value(KMS_CALLS, { action, key: other, outcome: 'ok', via });
  assert.equal(calls('CreateKey', 'api'), 1);
  await multipart(c, 'three', [bytes(102_400, 1), bytes(102_400, 2), bytes(5, 3)], kmsHeaders(other));
  assert.deepEqual([calls('GenerateDataKey', 'oss'), calls('Decrypt', 'oss')], [1, 3]);
  assert.deepEqual([calls('GenerateDataKey', 'api'), calls('Decrypt', 'api')], [0, 0]);
});
