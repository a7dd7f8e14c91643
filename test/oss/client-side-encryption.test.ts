/**
 * Client-side encryption interoperability: objects as oss2's CryptoBucket and the Go SDK's crypto
 * package write them with the KMS provider (AES-256-CTR data, the envelope in
 * x-oss-meta-client-side-encryption-*), the keys sealed by Coffer's own KMS through the real KMS
 * SDK. Neither SDK's client-side encryption can run here, so test/helpers/client-crypto.ts does
 * what their sources do; ali-oss writes and reads the objects. What must hold for the SDK to
 * decrypt what it wrote: the metadata comes back byte for byte (HEAD and GET), ranged reads answer
 * exactly the bytes and Content-Range asked for, with SSE on the server or not, through
 * multipart (parts encrypted at their own counter offsets, the part-size metadata kept) and copy.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { alignedStart, CSE, ctr, openEnvelope, sealEnvelope, type Envelope, type Style } from '../helpers/client-crypto';
import { createKey, kmsClient, type KmsClient } from '../helpers/kms';
import { bytes, crcOf, md5Base64 } from '../helpers/oss-http';
import { startTestServer, type TestServer } from '../helpers/server';

let srv: TestServer;
let kms: KmsClient;
let cmk: string;
const BUCKET = 'cse';
const oss = (): any => srv.client({ bucket: BUCKET });

before(async () => {
  srv = await startTestServer();
  kms = kmsClient(srv);
  cmk = await createKey(kms, { description: 'client-side master key' });
  await srv.client().putBucket(BUCKET);
});
after(async () => { await srv.close(); });

/** Server-side encryption asked for by header, on top of the client's. */
const SSE_CASES: Array<{ name: string; headers: Record<string, string> }> = [
  { name: 'no SSE', headers: {} },
  { name: 'SSE AES256', headers: { 'x-oss-server-side-encryption': 'AES256' } },
  { name: 'SSE SM4', headers: { 'x-oss-server-side-encryption': 'SM4' } },
  { name: 'SSE-KMS', headers: { 'x-oss-server-side-encryption': 'KMS' } },
];
const STYLES: Style[] = ['oss2', 'go'];

/** The client-side metadata of a response, by header name. */
function envelopeHeaders(headers: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => k.startsWith('x-oss-meta-client-side-encryption-')).map(([k, v]) => [k, String(v)]));
}

/**
 * A ranged read as oss2's CryptoBucket.get_object does it: the start rounded down to a block, the
 * counter taken from Content-Range, the extra leading bytes discarded.
 */
async function rangedPlaintext(key: string, env: Pick<Envelope, 'dataKey' | 'iv'>, start: number, end: number, size: number): Promise<Buffer> {
  const from = alignedStart(start);
  const res = await oss().get(key, { headers: { Range: `bytes=${from}-${end}` } });
  assert.equal(res.res.status, 206);
  assert.equal(res.res.headers['content-range'], `bytes ${from}-${end}/${size}`);
  const counterStart = Number(/^bytes (\d+)-/.exec(res.res.headers['content-range'])![1]);
  return ctr(env.dataKey, env.iv, counterStart, Buffer.from(res.content)).subarray(start - from);
}

/** Ranges that start mid-block, cross SSE's 64 KiB packages and multipart parts, and end at the last byte. */
function rangesOf(size: number): Array<[number, number]> {
  return [[0, 0], [17, 100], [15, 16], [65_530, 65_546], [131_071, 131_073], [200_001, 262_150], [size - 1, size - 1], [size - 33, size - 1]]
    .filter(([s, e]) => e < size && s <= e) as Array<[number, number]>;
}

describe('PutObject written by the SDKs\' CryptoBucket, read back and decrypted', () => {
  for (const style of STYLES) {
    for (const sse of SSE_CASES) {
      test(`${style} envelope, ${sse.name}: metadata byte for byte, whole and ranged reads decrypt`, async () => {
        const plain = bytes(300_000, style === 'oss2' ? 5 : 6);
        const key = `put-${style}-${sse.name.replace(/\W+/g, '-')}.bin`;
        // oss2 moves the caller's Content-MD5 and Content-Length into the envelope.
        const env = await sealEnvelope(kms, cmk, style, { matDesc: { owner: 'app', purpose: 'test vectors' }, contentMd5: md5Base64(plain), contentLength: plain.length });
        const cipher = ctr(env.dataKey, env.iv, 0, plain);
        assert.ok(!cipher.equals(plain));
        const put = await oss().put(key, cipher, { headers: { ...env.headers, ...sse.headers } });
        assert.equal(put.res.status, 200);
        if (sse.headers['x-oss-server-side-encryption']) assert.equal(put.res.headers['x-oss-server-side-encryption'], sse.headers['x-oss-server-side-encryption']);

        // Go reads the envelope with GetObjectDetailedMeta (HEAD); oss2 from the GET response.
        const head = (await oss().head(key)).res.headers;
        assert.deepEqual(envelopeHeaders(head), env.headers);
        assert.equal(head['content-length'], String(plain.length));
        assert.equal(head['x-oss-hash-crc64ecma'], crcOf(cipher));
        const whole = await oss().get(key);
        assert.deepEqual(envelopeHeaders(whole.res.headers), env.headers);
        const opened = await openEnvelope(kms, whole.res.headers, style);
        assert.ok(opened.dataKey.equals(env.dataKey) && opened.iv.equals(env.iv));
        assert.ok(ctr(opened.dataKey, opened.iv, 0, Buffer.from(whole.content)).equals(plain));
        assert.equal(md5Base64(ctr(opened.dataKey, opened.iv, 0, Buffer.from(whole.content))), whole.res.headers[CSE.unencryptedContentMd5]);

        for (const [start, end] of rangesOf(plain.length)) {
          assert.ok((await rangedPlaintext(key, opened, start, end, plain.length)).equals(plain.subarray(start, end + 1)), `bytes ${start}-${end}`);
        }
      });
    }
  }

  test('the KMS blobs in the headers are canonical base64, as the Go SDK\'s strict decoder needs', async () => {
    const env = await sealEnvelope(kms, cmk, 'go');
    for (const h of [CSE.key, CSE.start]) {
      const text = env.headers[h];
      assert.equal(Buffer.from(text, 'base64').toString('base64'), text);
    }
    const oss2 = await sealEnvelope(kms, cmk, 'oss2');
    // oss2 base64-encodes the blob's text once more.
    assert.equal(Buffer.from(Buffer.from(oss2.headers[CSE.key], 'base64').toString('utf8'), 'base64').toString('base64'), Buffer.from(oss2.headers[CSE.key], 'base64').toString('utf8'));
  });
});

describe('multipart, as CryptoBucket.init_multipart_upload / upload_part do it', () => {
  for (const sse of SSE_CASES) {
    test(`oss2 envelope, ${sse.name}: parts at their counter offsets, data-size and part-size kept, reads across parts decrypt`, async () => {
      const partSize = 128 * 1024;
      const plain = bytes(3 * partSize + 12_345, 7);
      const key = `mp-${sse.name.replace(/\W+/g, '-')}.bin`;
      const env = await sealEnvelope(kms, cmk, 'oss2', { multipart: { dataSize: plain.length, partSize } });
      const init = await oss().initMultipartUpload(key, { headers: { ...env.headers, ...sse.headers } });
      const parts: Array<{ number: number; etag: string }> = [];
      // Uploaded out of order, each with the envelope headers oss2 also sends on upload_part.
      for (const n of [3, 1, 4, 2]) {
        const offset = partSize * (n - 1);
        const chunk = ctr(env.dataKey, env.iv, offset, plain.subarray(offset, Math.min(offset + partSize, plain.length)));
        // A copy: ali-oss adds Content-Length to the headers object it is given.
        const res = await oss().uploadPart(key, init.uploadId, n, chunk, 0, chunk.length, { headers: { ...env.headers } });
        parts.push({ number: n, etag: res.etag });
      }
      parts.sort((a, b) => a.number - b.number);
      await oss().completeMultipartUpload(key, init.uploadId, parts);

      const head = (await oss().head(key)).res.headers;
      assert.deepEqual(envelopeHeaders(head), env.headers);
      assert.equal(head[CSE.dataSize], String(plain.length));
      assert.equal(head[CSE.partSize], String(partSize));
      assert.equal(head['x-oss-object-type'], 'Multipart');
      const opened = await openEnvelope(kms, head, 'oss2');
      assert.ok(ctr(opened.dataKey, opened.iv, 0, Buffer.from((await oss().get(key)).content)).equals(plain));
      for (const [start, end] of [...rangesOf(plain.length), [partSize - 5, partSize + 5], [2 * partSize - 16, 3 * partSize + 16]] as Array<[number, number]>) {
        assert.ok((await rangedPlaintext(key, opened, start, end, plain.length)).equals(plain.subarray(start, end + 1)), `bytes ${start}-${end}`);
      }
    });
  }
});

describe('CopyObject keeps the envelope', () => {
  test('a copy (metadata COPY), a copy that adds SSE, and a copy onto itself that changes SSE: same metadata, same ciphertext, decrypts', async () => {
    const plain = bytes(150_000, 8);
    const env = await sealEnvelope(kms, cmk, 'go', { matDesc: { k: 'v' } });
    const cipher = ctr(env.dataKey, env.iv, 0, plain);
    await oss().put('copy-src.bin', cipher, { headers: env.headers });
    const targets: Array<[string, Record<string, string>]> = [
      ['copy-plain.bin', {}],
      ['copy-aes.bin', { 'x-oss-server-side-encryption': 'AES256' }],
      ['copy-kms.bin', { 'x-oss-server-side-encryption': 'KMS' }],
    ];
    for (const [target, headers] of targets) {
      await oss().copy(target, 'copy-src.bin', { headers });
      const got = await oss().get(target);
      assert.deepEqual(envelopeHeaders(got.res.headers), env.headers, target);
      assert.ok(Buffer.from(got.content).equals(cipher), target);
      const opened = await openEnvelope(kms, got.res.headers, 'go');
      assert.ok(ctr(opened.dataKey, opened.iv, 0, Buffer.from(got.content)).equals(plain), target);
      assert.ok((await rangedPlaintext(target, opened, 70_001, 140_000, plain.length)).equals(plain.subarray(70_001, 140_001)), target);
    }
    // Encrypting in place on the server (oss2's update_object_meta) keeps the client envelope.
    await oss().copy('copy-src.bin', 'copy-src.bin', { headers: { 'x-oss-server-side-encryption': 'SM4' } });
    const head = (await oss().head('copy-src.bin')).res.headers;
    assert.equal(head['x-oss-server-side-encryption'], 'SM4');
    assert.deepEqual(envelopeHeaders(head), env.headers);
    const opened = await openEnvelope(kms, head, 'go');
    assert.ok(ctr(opened.dataKey, opened.iv, 0, Buffer.from((await oss().get('copy-src.bin')).content)).equals(plain));
  });

  test('REPLACE takes the request\'s metadata: without the envelope the object is plain ciphertext (as in OSS)', async () => {
    const env = await sealEnvelope(kms, cmk, 'oss2');
    await oss().put('replace-src.bin', ctr(env.dataKey, env.iv, 0, bytes(1000, 9)), { headers: env.headers });
    await oss().copy('replace-dst.bin', 'replace-src.bin', { meta: { other: 'x' } });
    const head = (await oss().head('replace-dst.bin')).res.headers;
    assert.deepEqual(envelopeHeaders(head), {});
    assert.equal(head['x-oss-meta-other'], 'x');
    // The data itself is untouched: still the client's ciphertext.
    assert.ok(Buffer.from((await oss().get('replace-dst.bin')).content).equals(Buffer.from((await oss().get('replace-src.bin')).content)));
  });
});
