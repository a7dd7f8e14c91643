/**
 * UploadPartCopy's x-oss-copy-source-range in every form a client sends: `bytes=first-last`,
 * `bytes=first-` (oss2's upload_part_copy sends it for the last part, byte_range=(start, None), and
 * its functional test passes against OSS), and `bytes=-n`, the last n bytes, read with the same
 * grammar as the Range header. Anything else is refused with 400 InvalidArgument naming the
 * header, and stores nothing: copying the whole source because of a typo would be worse.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server';
import { assertNothingStored, assertOssError, bytes, crcOf, etagOf, signedHttp, storedFiles, xml } from '../helpers/oss-http';

const KiB = 1024;
const BUCKET = 'range-copy';
const SIZE = 250 * KiB;
const source = bytes(SIZE, 7);

let srv: TestServer;
let c: any;
before(async () => {
  srv = await startTestServer();
  c = srv.client({ bucket: BUCKET });
  await c.putBucket(BUCKET);
  await c.put('src.bin', source);
  await c.put('src-aes.bin', source, { headers: { 'x-oss-server-side-encryption': 'AES256' } });
});
after(async () => { await srv.close(); });

const src = (key = 'src.bin') => ({ sourceKey: key, sourceBucketName: BUCKET });

/** UploadPartCopy signed by hand as oss2 sends it (path style, Date header), with a raw range header. */
function partCopy(key: string, uploadId: string, partNumber: number, range: string, sourceKey = 'src.bin') {
  return signedHttp(srv, {
    method: 'PUT', bucket: BUCKET, key,
    query: [['partNumber', String(partNumber)], ['uploadId', uploadId]],
    headers: { 'x-oss-copy-source': `/${BUCKET}/${encodeURIComponent(sourceKey)}`, 'x-oss-copy-source-range': range },
  });
}

describe('x-oss-copy-source-range forms', () => {
  for (const sourceKey of ['src.bin', 'src-aes.bin']) {
    test(`first-last, first- and -n copy the bytes they name (${sourceKey}); the parts build the object`, async () => {
      const key = `built-${sourceKey}`;
      const { uploadId } = await c.initMultipartUpload(key);
      // ali-oss puts its range string after "bytes=" as given.
      const p1 = await c.uploadPartCopy(key, uploadId, 1, `0-${100 * KiB - 1}`, src(sourceKey));
      assert.equal(p1.etag, etagOf(source.subarray(0, 100 * KiB)));
      const p2 = await c.uploadPartCopy(key, uploadId, 2, `${100 * KiB}-`, src(sourceKey));
      assert.equal(p2.etag, etagOf(source.subarray(100 * KiB)));
      assert.equal(p2.res.headers['x-oss-hash-crc64ecma'], crcOf(source.subarray(100 * KiB)));
      // The same open-ended form as oss2 sends it for its last part.
      const raw = await partCopy(key, uploadId, 3, `bytes=${150 * KiB}-`, sourceKey);
      assert.equal(raw.status, 200, raw.text);
      assert.equal(raw.headers.etag, etagOf(source.subarray(150 * KiB)));
      assert.equal(xml(raw.text).CopyPartResult.ETag, etagOf(source.subarray(150 * KiB)));
      const p4 = await c.uploadPartCopy(key, uploadId, 4, '-777', src(sourceKey));
      assert.equal(p4.etag, etagOf(source.subarray(SIZE - 777)));
      const parts = [p1.etag, p2.etag, raw.headers.etag, p4.etag].map((etag, i) => ({ number: i + 1, etag }));
      await c.completeMultipartUpload(key, uploadId, parts);
      const expected = Buffer.concat([source.subarray(0, 100 * KiB), source.subarray(100 * KiB), source.subarray(150 * KiB), source.subarray(SIZE - 777)]);
      assert.deepEqual((await c.get(key)).content, expected);
    });
  }

  test('-n longer than the source copies all of it; first- at the last byte copies one byte', async () => {
    const { uploadId } = await c.initMultipartUpload('edges.bin');
    const all = await c.uploadPartCopy('edges.bin', uploadId, 1, `-${SIZE + 5}`, src());
    assert.equal(all.etag, etagOf(source));
    const last = await c.uploadPartCopy('edges.bin', uploadId, 2, `${SIZE - 1}-`, src());
    assert.equal(last.etag, etagOf(source.subarray(SIZE - 1)));
    const exact = await c.uploadPartCopy('edges.bin', uploadId, 3, `${SIZE - 1}-${SIZE - 1}`, src());
    assert.equal(exact.etag, last.etag);
    await c.abortMultipartUpload('edges.bin', uploadId);
  });

  test('malformed or unsatisfiable ranges → 400 InvalidArgument naming the header; no part, no blob', async () => {
    const { uploadId } = await c.initMultipartUpload('refused.bin');
    const before = storedFiles(srv);
    const refused = [
      'bytes=5', '0-9', 'bytes=a-b', 'bytes=9-5', 'bytes=0-1,5-9', 'bytes=-0', 'bytes=-', 'items=0-9', 'bytes= 0-9x',
      `bytes=${SIZE}-`, `bytes=${SIZE}-${SIZE + 9}`, `bytes=0-${SIZE}`, 'bytes=99999999999999999999-',
    ];
    for (const range of refused) {
      const err = assertOssError(await partCopy('refused.bin', uploadId, 1, range), 400, 'InvalidArgument');
      assert.equal(err.ArgumentName, 'x-oss-copy-source-range', range);
      assert.equal(err.ArgumentValue, range);
    }
    assert.deepEqual((await c.listParts('refused.bin', uploadId)).parts ?? [], []);
    assertNothingStored(srv, before);
    await c.abortMultipartUpload('refused.bin', uploadId);
  });
});
