/**
 * SSE-KMS multipart uploads (AES-256 and SM4 data; ali-oss V1 and V4): every response of the
 * upload reports the encryption and reads across part boundaries return the right bytes.
 * Copies between SSE-KMS and other encryption in both directions, and UploadPartCopy from an
 * SSE-KMS source.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createKey, describeKey, kmsClient, type KmsClient } from '../helpers/kms';
import { bytes } from '../helpers/oss-http';
import { startTestServer, type TestServer } from '../helpers/server';
import { SSE, SSE_KEY_ID, encryptionOf, newBucket, record, type Signing } from '../helpers/sse';
import { kmsHeaders, multipart, sseOf } from './helpers';

let srv: TestServer;
let kms: KmsClient;
let cmk: string;
before(async () => {
  srv = await startTestServer();
  kms = kmsClient(srv);
  cmk = await createKey(kms);
});
after(async () => { await srv.close(); });

const RUNS: Array<{ data?: 'SM4'; signing: Signing; suite: string }> = [
  { signing: 'V1', suite: 'AES256-GCM' },
  { data: 'SM4', signing: 'V4', suite: 'SM4-CTR-HMAC-SM3' },
];

for (const run of RUNS) {
  test(`multipart upload with KMS${run.data ? ' + SM4 data' : ''} (ali-oss ${run.signing}): every response reports it; ranges across parts read back`, async () => {
    const c = await newBucket(srv, `mp-kms-${(run.data ?? 'aes').toLowerCase()}`, run.signing);
    const parts = [bytes(150_000, 11), bytes(102_400, 12), bytes(70_001, 13)];
    const whole = Buffer.concat(parts);
    const { init, uploaded, complete } = await multipart(c, 'mp', parts, kmsHeaders(cmk, run.data));
    const expected = { sse: 'KMS', data: run.data, keyId: cmk };
    for (const [op, res] of [['Initiate', init.res], ...uploaded.map((u, i) => [`UploadPart ${i + 1}`, u.res]), ['Complete', complete.res]]) {
      assert.deepEqual(sseOf(res), expected, op);
    }

    const rec = await record(srv, c.options.bucket, 'mp');
    assert.equal(rec.segments.length, 3);
    const info = encryptionOf(rec)!;
    assert.deepEqual([info.algorithm, info.suite, info.kek.provider === 'kms' && info.kek.keyId], ['KMS', run.suite, cmk]);
    const get = await c.get('mp');
    assert.deepEqual(sseOf(get.res), expected);
    assert.ok(get.content.equals(whole));

    // Parts start at 150000 and 252400; 65536 is the package size inside each part.
    const ranges: Array<[number, number]> = [
      [149_999, 150_000], [149_900, 150_100], [252_399, 252_400], [150_000, 252_399],
      [252_400 - 65_536, 252_400 + 65_536], [100, whole.length - 100], [65_535, whole.length - 1],
    ];
    for (const [s, e] of ranges) {
      const r = await c.get('mp', { headers: { Range: `bytes=${s}-${e}` } });
      assert.equal(r.res.status, 206);
      assert.equal(r.res.headers['content-range'], `bytes ${s}-${e}/${whole.length}`);
      assert.ok(r.content.equals(whole.subarray(s, e + 1)), `bytes=${s}-${e}`);
    }
  });
}

test('CopyObject between KMS and AES256 both ways, and from KMS without SSE headers (not inherited): bytes, ETag and CRC-64 carried over', async () => {
  const c = await newBucket(srv, 'copy-kms');
  const data = bytes(90_000, 21);
  await c.put('kms-src', data, { headers: kmsHeaders(cmk) });
  await c.put('aes-src', data, { headers: { [SSE]: 'AES256' } });
  const source = (await c.head('kms-src')).res.headers;

  const cases: Array<{ target: string; from: string; headers: Record<string, string>; sse: object; algorithm: string | null }> = [
    { target: 'kms-to-aes', from: 'kms-src', headers: { [SSE]: 'AES256' }, sse: { sse: 'AES256', data: undefined, keyId: undefined }, algorithm: 'AES256' },
    { target: 'aes-to-kms', from: 'aes-src', headers: kmsHeaders(cmk, 'SM4'), sse: { sse: 'KMS', data: 'SM4', keyId: cmk }, algorithm: 'KMS' },
    { target: 'kms-to-plain', from: 'kms-src', headers: {}, sse: { sse: undefined, data: undefined, keyId: undefined }, algorithm: null },
  ];
  for (const t of cases) {
    const copied = await c.copy(t.target, t.from, { headers: t.headers });
    assert.deepEqual(sseOf(copied.res), t.sse, t.target);
    assert.equal(encryptionOf(await record(srv, 'copy-kms', t.target))?.algorithm ?? null, t.algorithm, t.target);
    const got = await c.get(t.target);
    assert.deepEqual(sseOf(got.res), t.sse, t.target);
    assert.ok(got.content.equals(data), t.target);
    assert.equal(got.res.headers.etag, source.etag, t.target);
    assert.equal(got.res.headers['x-oss-hash-crc64ecma'], source['x-oss-hash-crc64ecma'], t.target);
  }

  // Into another bucket whose rule is KMS with the managed key: a data key of its own for the new object.
  const ruled = await newBucket(srv, 'copy-kms-rule');
  await ruled.putBucketEncryption('copy-kms-rule', { SSEAlgorithm: 'KMS' });
  const across = await ruled.copy('across', 'kms-src', 'copy-kms');
  assert.equal(across.res.headers[SSE_KEY_ID], (await describeKey(kms, 'alias/acs/oss')).keyId);
  const srcKek = encryptionOf(await record(srv, 'copy-kms', 'kms-src'))!.kek;
  const dstKek = encryptionOf(await record(srv, 'copy-kms-rule', 'across'))!.kek;
  assert.ok(srcKek.provider === 'kms' && dstKek.provider === 'kms' && srcKek.ciphertextBlob !== dstKek.ciphertextBlob);
  assert.ok((await ruled.get('across')).content.equals(data));
});

test('UploadPartCopy from a KMS source, by ranges, into an AES256 upload and into an upload under another CMK', async () => {
  const c = await newBucket(srv, 'upc-kms', 'V4');
  const other = await createKey(kms);
  const data = bytes(250_000, 31);
  await c.put('src', data, { headers: kmsHeaders(cmk, 'SM4') });
  const tail = bytes(1000, 32);
  const source = { sourceKey: 'src', sourceBucketName: 'upc-kms' };

  for (const t of [
    { key: 'to-aes', headers: { [SSE]: 'AES256' }, sse: { sse: 'AES256', data: undefined, keyId: undefined } },
    { key: 'to-other', headers: kmsHeaders(other), sse: { sse: 'KMS', data: undefined, keyId: other } },
  ]) {
    const { uploadId } = await c.initMultipartUpload(t.key, { headers: { ...t.headers } });
    const p1 = await c.uploadPartCopy(t.key, uploadId, 1, '0-102399', source);
    const p2 = await c.uploadPartCopy(t.key, uploadId, 2, '102400-249999', source);
    const p3 = await c.uploadPart(t.key, uploadId, 3, tail, 0, tail.length);
    assert.deepEqual(sseOf(p1.res), t.sse, t.key);
    const done = await c.completeMultipartUpload(t.key, uploadId, [p1, p2, p3].map((p, i) => ({ number: i + 1, etag: p.etag })));
    assert.deepEqual(sseOf(done.res), t.sse, t.key);
    const got = await c.get(t.key);
    assert.ok(got.content.equals(Buffer.concat([data, tail])), t.key);
    const r = await c.get(t.key, { headers: { Range: 'bytes=102395-102405' } });
    assert.ok(r.content.equals(data.subarray(102_395, 102_406)), t.key);
  }
});
