/**
 * Object-level SSE headers (reference §6.1–§6.2): what each write accepts or refuses, what every
 * response about an encrypted object reports, and how copy, append and multipart carry (or do
 * not carry) encryption. Also anonymous reads of encrypted objects.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  assertNothingStored, assertOssError, bytes, http, rejectsWith, signedHttp, storedFiles,
} from '../helpers/oss-http';
import { startTestServer, type TestServer } from '../helpers/server';
import { SIGNINGS, SSE, SSE_DATA, SSE_KEY_ID, encryptionOf, newBucket, record } from '../helpers/sse';

let srv: TestServer;
before(async () => { srv = await startTestServer(); });
after(async () => { await srv.close(); });

const SUITE = { AES256: 'AES256-GCM', SM4: 'SM4-CTR-HMAC-SM3' } as const;
const ALGORITHMS = ['AES256', 'SM4'] as const;

/** The three SSE response headers. */
const sseOf = (headers: Record<string, string>): Record<string, string | undefined> => ({
  [SSE]: headers[SSE], [SSE_DATA]: headers[SSE_DATA], [SSE_KEY_ID]: headers[SSE_KEY_ID],
});
const only = (algorithm?: string): Record<string, string | undefined> => ({ [SSE]: algorithm, [SSE_DATA]: undefined, [SSE_KEY_ID]: undefined });

/** Asserts the object reads back as `data` and that HEAD and GET report `algorithm` (or nothing). */
async function assertStored(c: any, key: string, data: Buffer, algorithm?: 'AES256' | 'SM4'): Promise<void> {
  const head = await c.head(key);
  assert.deepEqual(sseOf(head.res.headers), only(algorithm));
  const got = await c.get(key);
  assert.deepEqual(sseOf(got.res.headers), only(algorithm));
  assert.deepEqual(got.content, data);
  const info = encryptionOf(await record(srv, c.options.bucket, key));
  assert.equal(info?.suite, algorithm ? SUITE[algorithm] : undefined);
  assert.equal(info?.algorithm, algorithm);
}

for (const signing of SIGNINGS) {
  describe(`SSE headers with ali-oss ${signing}`, () => {
    let c: any;
    const body = bytes(70_000, 7);
    before(async () => { c = await newBucket(srv, `hdr-${signing.toLowerCase()}`, signing); });

    test('PutObject without SSE headers: no SSE response headers, stored in the clear', async () => {
      const put = await c.put('plain', body);
      assert.deepEqual(sseOf(put.res.headers), only());
      await assertStored(c, 'plain', body);
    });

    for (const algorithm of ALGORITHMS) {
      test(`PutObject ${algorithm}: Put, HEAD and GET report ${algorithm} and no key id`, async () => {
        const put = await c.put(`obj-${algorithm}`, body, { headers: { [SSE]: algorithm } });
        assert.deepEqual(sseOf(put.res.headers), only(algorithm));
        await assertStored(c, `obj-${algorithm}`, body, algorithm);
      });

      test(`PutObject ${algorithm} + ${SSE_DATA}: SM4: the data header is ignored`, async () => {
        const put = await c.put(`data-${algorithm}`, body, { headers: { [SSE]: algorithm, [SSE_DATA]: 'SM4' } });
        assert.deepEqual(sseOf(put.res.headers), only(algorithm));
        await assertStored(c, `data-${algorithm}`, body, algorithm);
      });
    }

    test(`PutObject with only ${SSE_DATA}: not encrypted`, async () => {
      const put = await c.put('data-only', body, { headers: { [SSE_DATA]: 'SM4' } });
      assert.deepEqual(sseOf(put.res.headers), only());
      await assertStored(c, 'data-only', body);
    });

    test('AppendObject: the first append decides; later SSE headers change nothing', async () => {
      const a1 = await c.append('app-aes', Buffer.from('one,'), { headers: { [SSE]: 'AES256' } });
      assert.deepEqual(sseOf(a1.res.headers), only('AES256'));
      const a2 = await c.append('app-aes', Buffer.from('two,'), { position: a1.nextAppendPosition, headers: { [SSE]: 'SM4' } });
      assert.deepEqual(sseOf(a2.res.headers), only('AES256'));
      const a3 = await c.append('app-aes', Buffer.from('three'), { position: a2.nextAppendPosition });
      assert.deepEqual(sseOf(a3.res.headers), only('AES256'));
      await assertStored(c, 'app-aes', Buffer.from('one,two,three'), 'AES256');
      // Every append is its own segment under the same object key, each with its own salt.
      const salts = (await record(srv, c.options.bucket, 'app-aes')).segments.map((s) => s.salt);
      assert.equal(new Set(salts).size, 3);

      const p1 = await c.append('app-plain', Buffer.from('one,'));
      const p2 = await c.append('app-plain', Buffer.from('two'), { position: p1.nextAppendPosition, headers: { [SSE]: 'AES256' } });
      assert.deepEqual(sseOf(p2.res.headers), only());
      await assertStored(c, 'app-plain', Buffer.from('one,two'));
    });

    test('multipart: Initiate, UploadPart and Complete echo the algorithm; SSE headers on UploadPart/Complete → 400', async () => {
      const bucket = c.options.bucket;
      const key = 'mp-sm4';
      const init = await c.initMultipartUpload(key, { headers: { [SSE]: 'SM4' } });
      assert.deepEqual(sseOf(init.res.headers), only('SM4'));
      const part = await c.uploadPart(key, init.uploadId, 1, body, 0, body.length);
      assert.deepEqual(sseOf(part.res.headers), only('SM4'));

      // ali-oss strips these headers, so they go out as plain signed HTTP.
      const stored = storedFiles(srv);
      for (const [name, value] of [[SSE, 'SM4'], [SSE, 'AES256'], [SSE_DATA, 'SM4'], [SSE_KEY_ID, 'k1']]) {
        const res = await signedHttp(srv, {
          method: 'PUT', bucket, key, query: [['partNumber', '2'], ['uploadId', init.uploadId]], headers: { [name]: value }, body: 'x',
        });
        const err = assertOssError(res, 400, 'InvalidArgument');
        assert.equal(err.ArgumentName, name);
      }
      assertNothingStored(srv, stored);
      assert.deepEqual((await srv.running.coffer.meta.listParts(init.uploadId, { limit: 10 })).map((p) => p.partNumber), [1]);

      const completeXml = `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${part.etag}</ETag></Part></CompleteMultipartUpload>`;
      const refused = await signedHttp(srv, {
        method: 'POST', bucket, key, query: [['uploadId', init.uploadId]], headers: { [SSE]: 'SM4' }, body: completeXml,
      });
      assertOssError(refused, 400, 'InvalidArgument');
      await rejectsWith(c.head(key), 404, 'NoSuchKey');

      const done = await c.completeMultipartUpload(key, init.uploadId, [{ number: 1, etag: part.etag }]);
      assert.deepEqual(sseOf(done.res.headers), only('SM4'));
      await assertStored(c, key, body, 'SM4');
    });

    test('CopyObject does not inherit encryption: no header → plaintext; a header encrypts the copy', async () => {
      await c.put('copy-src', body, { headers: { [SSE]: 'AES256' } });
      const plain = await c.copy('copy-plain', 'copy-src');
      assert.deepEqual(sseOf(plain.res.headers), only());
      await assertStored(c, 'copy-plain', body);
      for (const algorithm of ALGORITHMS) {
        const copied = await c.copy(`copy-${algorithm}`, 'copy-src', { headers: { [SSE]: algorithm } });
        assert.deepEqual(sseOf(copied.res.headers), only(algorithm));
        await assertStored(c, `copy-${algorithm}`, body, algorithm);
      }
    });
  });
}

describe('refused SSE headers change nothing', () => {
  let c: any;
  const original = Buffer.from('the original object');
  before(async () => {
    c = await newBucket(srv, 'hdr-refused');
    await c.put('victim', original, { headers: { [SSE]: 'SM4' } });
    await c.put('src', Buffer.from('copy source'));
  });

  const REFUSED: Array<{ name: string; headers: Record<string, string>; status: number; code: string }> = [
    { name: 'unknown algorithm', headers: { [SSE]: 'invalid' }, status: 400, code: 'InvalidEncryptionAlgorithmError' },
    { name: 'AES128', headers: { [SSE]: 'AES128' }, status: 400, code: 'InvalidEncryptionAlgorithmError' },
    { name: 'key id with AES256', headers: { [SSE]: 'AES256', [SSE_KEY_ID]: 'key-1' }, status: 400, code: 'InvalidArgument' },
    { name: 'key id with SM4', headers: { [SSE]: 'SM4', [SSE_KEY_ID]: 'key-1' }, status: 400, code: 'InvalidArgument' },
    { name: 'key id without SSE header', headers: { [SSE_KEY_ID]: 'key-1' }, status: 400, code: 'InvalidArgument' },
    { name: 'KMS data encryption other than SM4', headers: { [SSE]: 'KMS', [SSE_DATA]: 'AES256' }, status: 400, code: 'InvalidArgument' },
    // The KMS refuses a CMK that does not exist before any byte is stored.
    { name: 'KMS with an unknown key id', headers: { [SSE]: 'KMS', [SSE_KEY_ID]: 'key-1' }, status: 403, code: 'AccessDenied' },
  ];

  /** The victim is still the SM4 original, and no blob or temp file appeared. */
  async function assertUntouched(stored: ReturnType<typeof storedFiles>): Promise<void> {
    assertNothingStored(srv, stored);
    const got = await c.get('victim');
    assert.deepEqual(got.content, original);
    assert.equal(got.res.headers[SSE], 'SM4');
  }

  for (const r of REFUSED) {
    test(`${r.name} → ${r.status} ${r.code} on PutObject, CopyObject, AppendObject and InitiateMultipartUpload`, async () => {
      const stored = storedFiles(srv);
      // ali-oss adds to the headers object it is given, so every call gets its own.
      await rejectsWith(c.put('victim', Buffer.from('replacement'), { headers: { ...r.headers } }), r.status, r.code);
      await rejectsWith(c.copy('victim', 'src', { headers: { ...r.headers } }), r.status, r.code);
      await rejectsWith(c.append('fresh-append', Buffer.from('data'), { headers: { ...r.headers } }), r.status, r.code);
      await rejectsWith(c.initMultipartUpload('victim', { headers: { ...r.headers } }), r.status, r.code);
      await assertUntouched(stored);
      await rejectsWith(c.head('fresh-append'), 404, 'NoSuchKey');
      assert.deepEqual((await c.listUploads({})).uploads, []);
    });
  }
});

describe('copy between buckets follows the target bucket', () => {
  let plainBucket: any;
  let sm4Bucket: any;
  const data = bytes(100_000, 11);
  before(async () => {
    plainBucket = await newBucket(srv, 'xb-plain');
    sm4Bucket = await newBucket(srv, 'xb-sm4', 'V4', { [SSE]: 'SM4' });
    await plainBucket.put('aes-src', data, { headers: { [SSE]: 'AES256' } });
    await sm4Bucket.put('sm4-src', data);
  });

  test('into a bucket whose default is SM4: re-encrypted with SM4, unless the request names AES256', async () => {
    const byRule = await sm4Bucket.copy('from-aes', 'aes-src', 'xb-plain');
    assert.deepEqual(sseOf(byRule.res.headers), only('SM4'));
    await assertStored(sm4Bucket, 'from-aes', data, 'SM4');
    const byHeader = await sm4Bucket.copy('from-aes-kept', 'aes-src', 'xb-plain', { headers: { [SSE]: 'AES256' } });
    assert.deepEqual(sseOf(byHeader.res.headers), only('AES256'));
    await assertStored(sm4Bucket, 'from-aes-kept', data, 'AES256');
  });

  test('into a bucket without a default: the copy of an SM4 object is plaintext', async () => {
    await assertStored(sm4Bucket, 'sm4-src', data, 'SM4');
    const copied = await plainBucket.copy('from-sm4', 'sm4-src', 'xb-sm4');
    assert.deepEqual(sseOf(copied.res.headers), only());
    await assertStored(plainBucket, 'from-sm4', data);
  });
});

describe('anonymous reads of SSE-OSS objects', () => {
  const data = bytes(150_000, 13);
  before(async () => {
    const pub = await newBucket(srv, 'anon-public');
    await pub.putBucketACL('anon-public', 'public-read');
    const priv = await newBucket(srv, 'anon-private');
    for (const algorithm of ALGORITHMS) {
      await pub.put(algorithm, data, { headers: { [SSE]: algorithm } });
      await priv.put(algorithm, data, { headers: { [SSE]: algorithm } });
    }
  });

  for (const algorithm of ALGORITHMS) {
    test(`public-read bucket: an unsigned GET returns the ${algorithm} object's plaintext, whole and by range`, async () => {
      const whole = await http(srv, { path: `/anon-public/${algorithm}` });
      assert.equal(whole.status, 200);
      assert.equal(whole.headers[SSE], algorithm);
      assert.deepEqual(whole.body, data);
      const part = await http(srv, { path: `/anon-public/${algorithm}`, headers: { range: 'bytes=65000-140000' } });
      assert.equal(part.status, 206);
      assert.deepEqual(part.body, data.subarray(65000, 140001));
    });

    test(`private bucket: an unsigned GET or HEAD of the ${algorithm} object → 403 AccessDenied`, async () => {
      assertOssError(await http(srv, { path: `/anon-private/${algorithm}` }), 403, 'AccessDenied');
      assertOssError(await http(srv, { method: 'HEAD', path: `/anon-private/${algorithm}` }), 403, 'AccessDenied', true);
    });
  }
});
