/**
 * Encrypted round trips: sizes around the 64 KiB package, range reads at package and part
 * boundaries, and multipart uploads (parts that are not package multiples, a re-uploaded part,
 * UploadPartCopy from encrypted sources, ali-oss multipartUpload), for AES256 and SM4.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { crc64 } from '../../src/crypto/crc64';
import { PACKAGE_SIZE } from '../../src/crypto/package-format';
import { bytes, md5Hex } from '../helpers/oss-http';
import { startTestServer, type TestServer } from '../helpers/server';
import { SSE, encryptionOf, newBucket, record, type Signing } from '../helpers/sse';

let srv: TestServer;
before(async () => { srv = await startTestServer(); });
after(async () => { await srv.close(); });

const RUNS: Array<{ algorithm: 'AES256' | 'SM4'; signing: Signing; suite: string }> = [
  { algorithm: 'AES256', signing: 'V1', suite: 'AES256-GCM' },
  { algorithm: 'SM4', signing: 'V4', suite: 'SM4-CTR-HMAC-SM3' },
];

/**
 * Ranges worth reading from an object of `size` whose segments start at `starts`: first and
 * last byte, suffixes, and both sides of every package and segment boundary; all kept in bounds.
 */
function interestingRanges(size: number, starts: number[], extra: Array<[number, number]> = []): Array<[number, number]> {
  const out: Array<[number, number]> = [[0, 0], [size - 1, size - 1], [0, size - 1], [1, size - 2], ...extra];
  for (let i = 0; i < starts.length; i++) {
    const segEnd = i + 1 < starts.length ? starts[i + 1] : size;
    if (starts[i] > 0) out.push([starts[i] - 1, starts[i]], [starts[i] - 2, starts[i] + 1]);
    for (let p = starts[i] + PACKAGE_SIZE; p < segEnd; p += PACKAGE_SIZE) out.push([p - 1, p], [p, p], [p - 1, p - 1], [p - 10, p + PACKAGE_SIZE + 10]);
  }
  return out.filter(([s, e]) => s >= 0 && s <= e && e < size);
}

/** Reads each range (and a few suffix / open-ended forms) and compares with the plaintext. */
async function checkRanges(c: any, key: string, data: Buffer, ranges: Array<[number, number]>): Promise<void> {
  const n = data.length;
  const headers: Array<[string, number, number]> = ranges.map(([s, e]) => [`bytes=${s}-${e}`, s, e]);
  for (const k of [1, 100, PACKAGE_SIZE + 1, n]) if (k <= n) headers.push([`bytes=-${k}`, n - k, n - 1]);
  for (const s of [0, PACKAGE_SIZE, n - 1]) if (s < n) headers.push([`bytes=${s}-`, s, n - 1]);
  for (const [range, s, e] of headers) {
    const got = await c.get(key, { headers: { Range: range } });
    assert.equal(got.res.status, 206, range);
    assert.equal(got.res.headers['content-range'], `bytes ${s}-${e}/${n}`, range);
    assert.ok(got.content.equals(data.subarray(s, e + 1)), `${key} ${range}: wrong bytes`);
  }
}

/** The ETag of a multipart object: MD5 of the parts' binary MD5s, then -N. */
const multipartEtag = (parts: Buffer[]): string =>
  `"${createHash('md5').update(Buffer.concat(parts.map((p) => Buffer.from(md5Hex(p), 'hex')))).digest('hex').toUpperCase()}-${parts.length}"`;

for (const run of RUNS) {
  describe(`${run.algorithm} (ali-oss ${run.signing})`, () => {
    let c: any;
    before(async () => { c = await newBucket(srv, `rt-${run.algorithm.toLowerCase()}`, run.signing); });

    for (const size of [0, 1, PACKAGE_SIZE - 1, PACKAGE_SIZE, PACKAGE_SIZE + 1, 300 * 1024 + 7]) {
      test(`${size} bytes: same bytes, ETag, CRC-64 and length back; ranges match the plaintext`, async () => {
        const data = bytes(size, size + 1);
        const key = `size-${size}`;
        const put = await c.put(key, data, { headers: { [SSE]: run.algorithm } });
        assert.equal(put.res.headers[SSE], run.algorithm);
        const head = (await c.head(key)).res.headers;
        assert.equal(head.etag, `"${md5Hex(data)}"`);
        assert.equal(head['x-oss-hash-crc64ecma'], crc64(data).toString());
        assert.equal(head['content-length'], String(size));
        const got = await c.get(key);
        assert.equal(got.res.status, 200);
        assert.ok(got.content.equals(data));
        assert.equal(encryptionOf(await record(srv, c.options.bucket, key))?.suite, run.suite);
        if (size === 0) {
          // Nothing to range over: OSS ignores the unsatisfiable range and answers 200 with the (empty) object.
          const ranged = await c.get(key, { headers: { Range: 'bytes=0-0' } });
          assert.equal(ranged.res.status, 200);
          assert.equal(ranged.content.length, 0);
        } else {
          await checkRanges(c, key, data, interestingRanges(size, [0], [[1000, 200_000], [131_071, 196_608]]));
        }
      });
    }

    test('multipart: 100 KiB parts and a short last one, part 2 uploaded twice; ranges across parts and packages', async () => {
      const key = 'multipart';
      const parts = [bytes(102_400, 31), bytes(102_400, 32), bytes(102_400, 33), bytes(10_001, 34)];
      const whole = Buffer.concat(parts);
      const init = await c.initMultipartUpload(key, { headers: { [SSE]: run.algorithm } });
      assert.equal(init.res.headers[SSE], run.algorithm);

      const stale = bytes(102_400, 99);
      const first = await c.uploadPart(key, init.uploadId, 2, stale, 0, stale.length);
      const staleSalt = (await srv.running.coffer.meta.getPart(init.uploadId, 2))!.segment.salt;
      const etags: string[] = [];
      for (const [i, p] of parts.entries()) {
        const up = await c.uploadPart(key, init.uploadId, i + 1, p, 0, p.length);
        assert.equal(up.res.headers[SSE], run.algorithm);
        assert.equal(up.etag, `"${md5Hex(p)}"`);
        assert.equal(up.res.headers['x-oss-hash-crc64ecma'], crc64(p).toString());
        etags.push(up.etag);
      }
      assert.notEqual(etags[1], first.etag);
      // Same object key, same part number, other bytes: a fresh salt, so no (key, nonce) pair repeats.
      const freshSalt = (await srv.running.coffer.meta.getPart(init.uploadId, 2))!.segment.salt;
      assert.ok(staleSalt && freshSalt);
      assert.notEqual(freshSalt, staleSalt);

      const done = await c.completeMultipartUpload(key, init.uploadId, etags.map((etag, i) => ({ number: i + 1, etag })));
      assert.equal(done.res.headers[SSE], run.algorithm);
      assert.equal(done.etag, multipartEtag(parts));
      assert.equal(done.res.headers['x-oss-hash-crc64ecma'], crc64(whole).toString());

      const head = (await c.head(key)).res.headers;
      assert.equal(head.etag, multipartEtag(parts));
      assert.equal(head['x-oss-hash-crc64ecma'], crc64(whole).toString());
      assert.equal(head['content-length'], String(whole.length));
      assert.equal(head['x-oss-object-type'], 'Multipart');
      assert.equal(head[SSE], run.algorithm);
      assert.ok((await c.get(key)).content.equals(whole));

      const rec = await record(srv, c.options.bucket, key);
      assert.equal(encryptionOf(rec)?.suite, run.suite);
      assert.deepEqual(rec.segments.map((s) => s.size), parts.map((p) => p.length));
      assert.equal(rec.segments[1].salt, freshSalt);
      assert.equal(new Set(rec.segments.map((s) => s.salt)).size, parts.length);

      const starts = [0, 102_400, 204_800, 307_200];
      await checkRanges(c, key, whole, interestingRanges(whole.length, starts, [[60_000, 280_000], [100_000, 310_000]]));
    });

    test('UploadPartCopy from encrypted sources (a range, a whole object, the other algorithm) into an encrypted upload', async () => {
      const other = run.algorithm === 'AES256' ? 'SM4' : 'AES256';
      const a = bytes(200_000, 41);
      const b = bytes(50_000, 42);
      await c.put('upc-a', a, { headers: { [SSE]: other } });
      await c.put('upc-b', b, { headers: { [SSE]: run.algorithm } });
      const key = 'upc-target';
      const init = await c.initMultipartUpload(key, { headers: { [SSE]: run.algorithm } });
      const source = (sourceKey: string) => ({ sourceKey, sourceBucketName: c.options.bucket });
      const p1 = await c.uploadPartCopy(key, init.uploadId, 1, '0-102399', source('upc-a'));
      assert.equal(p1.res.headers[SSE], run.algorithm);
      assert.equal(p1.etag, `"${md5Hex(a.subarray(0, 102_400))}"`);
      const p2 = await c.uploadPartCopy(key, init.uploadId, 2, '', source('upc-a'));
      const p3 = await c.uploadPartCopy(key, init.uploadId, 3, '', source('upc-b'));
      assert.equal(p3.etag, `"${md5Hex(b)}"`);
      const done = await c.completeMultipartUpload(key, init.uploadId, [p1, p2, p3].map((p, i) => ({ number: i + 1, etag: p.etag })));
      assert.equal(done.res.headers[SSE], run.algorithm);

      const whole = Buffer.concat([a.subarray(0, 102_400), a, b]);
      const head = (await c.head(key)).res.headers;
      assert.equal(head['x-oss-hash-crc64ecma'], crc64(whole).toString());
      assert.equal(head.etag, multipartEtag([a.subarray(0, 102_400), a, b]));
      assert.ok((await c.get(key)).content.equals(whole));
      await checkRanges(c, key, whole, interestingRanges(whole.length, [0, 102_400, 302_400]));
    });

    test(`ali-oss multipartUpload with headers {${SSE}: ${run.algorithm}}`, async () => {
      const data = bytes(250 * 1024, 51);
      const result = await c.multipartUpload('mpu', data, { partSize: 100 * 1024, headers: { [SSE]: run.algorithm } });
      assert.equal(result.res.headers[SSE], run.algorithm);
      const head = (await c.head('mpu')).res.headers;
      assert.equal(head[SSE], run.algorithm);
      assert.match(head.etag, /^"[0-9A-F]{32}-3"$/);
      assert.equal(head['x-oss-hash-crc64ecma'], crc64(data).toString());
      assert.ok((await c.get('mpu')).content.equals(data));
      assert.equal(encryptionOf(await record(srv, c.options.bucket, 'mpu'))?.suite, run.suite);
    });
  });
}
