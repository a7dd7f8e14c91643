/** Multipart upload: Initiate, UploadPart(Copy), Complete, Abort, ListParts, ListMultipartUploads, and ali-oss multipartUpload. */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestServer, tempDir, type TestServer } from '../helpers/server';
import { CLIENT_KINDS } from '../helpers/oss-clients';
import {
  assertNothingStored, assertOssError, bytes, crcOf, etagOf, md5Base64, md5Hex, rejectsWith, signedHttp, storedFiles, xml,
} from '../helpers/oss-http';

let srv: TestServer;
let c: any;
let scratch: string;
const BUCKET = 'multipart';
const KiB = 1024;

before(async () => {
  srv = await startTestServer();
  scratch = tempDir('coffer-mp-');
  c = srv.client({ bucket: BUCKET });
  await c.putBucket(BUCKET);
});
after(async () => {
  await srv.close();
  rmSync(scratch, { recursive: true, force: true });
});

/** The ETag OSS-compatible servers give a completed upload: MD5 of the binary part MD5s, then "-N". */
const multipartEtag = (parts: Buffer[]): string =>
  `"${md5Hex(Buffer.concat(parts.map((p) => Buffer.from(md5Hex(p), 'hex'))))}-${parts.length}"`;

/** Initiates an upload of `key` and uploads `parts` (numbered from 1); returns the id and part ETags. */
async function startUpload(client: any, key: string, parts: Buffer[]): Promise<{ uploadId: string; etags: string[] }> {
  const { uploadId } = await client.initMultipartUpload(key);
  const etags: string[] = [];
  for (const [i, p] of parts.entries()) etags.push((await client.uploadPart(key, uploadId, i + 1, p, 0, p.length)).etag);
  return { uploadId, etags };
}

/** CompleteMultipartUpload sent by hand (ali-oss sorts and de-duplicates the list itself). */
function completeRaw(key: string, uploadId: string, parts: Array<[number, string]>, headers: Record<string, string> = {}) {
  const body = `<CompleteMultipartUpload>${parts.map(([n, e]) => `<Part><PartNumber>${n}</PartNumber><ETag>${e}</ETag></Part>`).join('')}</CompleteMultipartUpload>`;
  return signedHttp(srv, { method: 'POST', bucket: BUCKET, key, query: [['uploadId', uploadId]], body, headers });
}

const partsOf = async (key: string, uploadId: string): Promise<any[]> => [(await c.listParts(key, uploadId)).parts].flat();

describe('multipart flow', () => {
  for (const kind of CLIENT_KINDS) {
    test(`${kind.name}: initiate, upload parts, list parts, complete`, async () => {
      const k = kind.make(srv, { bucket: BUCKET });
      const key = `flow-${kind.slug}/big é+1.bin`;
      const parts = [bytes(100 * KiB, 1), bytes(1000, 2)];
      const init = await k.initMultipartUpload(key, { meta: { kind: kind.slug }, mime: 'application/x-thing' });
      assert.equal(init.name, key);
      assert.equal(init.bucket, BUCKET);
      assert.match(init.uploadId, /^[0-9A-F]{32}$/);

      const uploaded = [];
      for (const [i, p] of parts.entries()) {
        const r = await k.uploadPart(key, init.uploadId, i + 1, p, 0, p.length);
        assert.equal(r.etag, etagOf(p));
        assert.equal(r.res.headers['x-oss-hash-crc64ecma'], crcOf(p));
        uploaded.push({ number: i + 1, etag: r.etag });
      }
      const listed = await k.listParts(key, init.uploadId);
      assert.equal(listed.uploadId, init.uploadId);
      assert.deepEqual(listed.parts.map((p: any) => [p.PartNumber, p.ETag, p.Size]), [['1', etagOf(parts[0]), String(100 * KiB)], ['2', etagOf(parts[1]), '1000']]);

      const done = await k.completeMultipartUpload(key, init.uploadId, uploaded);
      const whole = Buffer.concat(parts);
      assert.equal(done.res.status, 200);
      assert.equal(done.etag, multipartEtag(parts));
      assert.equal(done.res.headers['x-oss-hash-crc64ecma'], crcOf(whole));

      const got = await k.get(key);
      assert.deepEqual(got.content, whole);
      assert.equal(got.res.headers['x-oss-object-type'], 'Multipart');
      assert.equal(got.res.headers['x-oss-meta-kind'], kind.slug);
      assert.equal(got.res.headers['content-type'], 'application/x-thing');
      assert.equal(got.res.headers['x-oss-hash-crc64ecma'], crcOf(whole));
      // A range across the part boundary.
      const ranged = await k.get(key, { headers: { Range: `bytes=${100 * KiB - 10}-${100 * KiB + 9}` } });
      assert.deepEqual(ranged.content, whole.subarray(100 * KiB - 10, 100 * KiB + 10));
      assert.ok(!(await k.listUploads({ prefix: `flow-${kind.slug}/` })).uploads.length);
    });
  }

  test('ali-oss multipartUpload of a 300 KB file with 100 KiB parts', async () => {
    const data = bytes(300_000, 9);
    const file = path.join(scratch, 'upload.bin');
    writeFileSync(file, data);
    const progress: number[] = [];
    for (const authorizationV4 of [false, true]) {
      const key = `managed-${authorizationV4}.bin`;
      const r = await srv.client({ bucket: BUCKET, authorizationV4 }).multipartUpload(key, file, {
        partSize: 100 * KiB,
        progress: (p: number) => { progress.push(p); },
      });
      assert.equal(r.res.status, 200);
      const parts = [0, 1, 2].map((i) => data.subarray(i * 100 * KiB, Math.min(data.length, (i + 1) * 100 * KiB)));
      assert.equal(r.etag, multipartEtag(parts));
      const head = await c.head(key);
      assert.equal(head.res.headers['x-oss-hash-crc64ecma'], crcOf(data));
      assert.equal(head.res.headers['content-length'], String(data.length));
      assert.deepEqual((await c.get(key)).content, data);
    }
    assert.equal(progress[progress.length - 1], 1);
  });

  test('x-oss-complete-all: yes completes every uploaded part (as oss2 does with parts=None); with a body → 400', async () => {
    const parts = [bytes(100 * KiB, 4), bytes(10, 5)];
    const { uploadId } = await startUpload(c, 'all.bin', parts);
    const withBody = await completeRaw('all.bin', uploadId, [[1, etagOf(parts[0])]], { 'x-oss-complete-all': 'yes' });
    assertOssError(withBody, 400, 'InvalidArgument');
    const res = await signedHttp(srv, { method: 'POST', bucket: BUCKET, key: 'all.bin', query: [['uploadId', uploadId]], headers: { 'x-oss-complete-all': 'yes' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.etag, multipartEtag(parts));
    assert.equal(xml(res.text).CompleteMultipartUploadResult.ETag, multipartEtag(parts));
    assert.deepEqual((await c.get('all.bin')).content, Buffer.concat(parts));
  });

  test('ETags written with character references (&#34;, as Go\'s encoding/xml does) match', async () => {
    const part = Buffer.from('only part');
    const { uploadId, etags } = await startUpload(c, 'escaped.bin', [part]);
    const res = await completeRaw('escaped.bin', uploadId, [[1, etags[0].replace(/"/g, '&#34;')]]);
    assert.equal(res.status, 200, res.text);
    assert.equal((await c.get('escaped.bin')).content.toString(), 'only part');
  });
});

describe('CompleteMultipartUpload errors leave the upload open and no object', () => {
  const big = [bytes(100 * KiB, 21), bytes(100 * KiB, 22), bytes(500, 23)];
  let uploadId: string;
  let etags: string[];
  before(async () => { ({ uploadId, etags } = await startUpload(c, 'bad-complete.bin', big)); });

  const cases: Array<[string, () => Array<[number, string]>, string]> = [
    ['parts out of order → 400 InvalidPartOrder', () => [[2, etags[1]], [1, etags[0]], [3, etags[2]]], 'InvalidPartOrder'],
    ['a repeated part number → 400 InvalidPartOrder', () => [[1, etags[0]], [1, etags[0]], [3, etags[2]]], 'InvalidPartOrder'],
    ['a wrong ETag → 400 InvalidPart', () => [[1, etags[0]], [2, etagOf('not it')], [3, etags[2]]], 'InvalidPart'],
    ['a part never uploaded → 400 InvalidPart', () => [[1, etags[0]], [4, etags[2]]], 'InvalidPart'],
    ['an empty part list → 400 InvalidPart', () => [], 'InvalidPart'],
  ];
  for (const [name, parts, code] of cases) {
    test(name, async () => {
      assertOssError(await completeRaw('bad-complete.bin', uploadId, parts()), 400, code);
      await rejectsWith(c.head('bad-complete.bin'), 404, 'NoSuchKey');
      assert.equal((await partsOf('bad-complete.bin', uploadId)).length, 3);
    });
  }

  test('a too-small part that is not the last → 400 EntityTooSmall', async () => {
    const small = [Buffer.from('tiny part one'), Buffer.from('tiny part two')];
    const up = await startUpload(c, 'too-small.bin', small);
    const err = assertOssError(await completeRaw('too-small.bin', up.uploadId, [[1, up.etags[0]], [2, up.etags[1]]]), 400, 'EntityTooSmall');
    assert.equal(err.PartNumber, '1');
    await rejectsWith(c.head('too-small.bin'), 404, 'NoSuchKey');
    // Completing with the small part last is fine.
    await c.completeMultipartUpload('too-small.bin', up.uploadId, [{ number: 1, etag: up.etags[0] }]);
    assert.equal((await c.get('too-small.bin')).content.toString(), 'tiny part one');
  });

  test('x-oss-forbid-overwrite on an existing key → 409 FileAlreadyExists; the old object stays', async () => {
    await c.put('bad-complete.bin', Buffer.from('already here'));
    const res = await completeRaw('bad-complete.bin', uploadId, [[1, etags[0]], [3, etags[2]]], { 'x-oss-forbid-overwrite': 'true' });
    assertOssError(res, 409, 'FileAlreadyExists');
    assert.equal((await c.get('bad-complete.bin')).content.toString(), 'already here');
    assert.equal((await partsOf('bad-complete.bin', uploadId)).length, 3);
  });

  test('after all that, the correct list completes (a subset of parts is allowed)', async () => {
    const done = await c.completeMultipartUpload('bad-complete.bin', uploadId, [{ number: 1, etag: etags[0] }, { number: 3, etag: etags[2] }]);
    assert.equal(done.etag, multipartEtag([big[0], big[2]]));
    assert.deepEqual((await c.get('bad-complete.bin')).content, Buffer.concat([big[0], big[2]]));
    // Completed: the upload is gone.
    await rejectsWith(c.listParts('bad-complete.bin', uploadId), 404, 'NoSuchUpload');
    await rejectsWith(c.completeMultipartUpload('bad-complete.bin', uploadId, [{ number: 1, etag: etags[0] }]), 404, 'NoSuchUpload');
  });
});

describe('UploadPart', () => {
  test('unknown upload id → 404 NoSuchUpload for UploadPart, Complete, Abort, ListParts; also another key\'s id', async () => {
    const unknown = '0123456789ABCDEF0123456789ABCDEF';
    const before = storedFiles(srv);
    await rejectsWith(c.uploadPart('nu.bin', unknown, 1, Buffer.from('x'), 0, 1), 404, 'NoSuchUpload');
    await rejectsWith(c.completeMultipartUpload('nu.bin', unknown, [{ number: 1, etag: etagOf('x') }]), 404, 'NoSuchUpload');
    await rejectsWith(c.abortMultipartUpload('nu.bin', unknown), 404, 'NoSuchUpload');
    await rejectsWith(c.listParts('nu.bin', unknown), 404, 'NoSuchUpload');
    assertNothingStored(srv, before);
    const { uploadId } = await c.initMultipartUpload('owner.bin');
    await rejectsWith(c.uploadPart('other.bin', uploadId, 1, Buffer.from('x'), 0, 1), 404, 'NoSuchUpload');
    await rejectsWith(c.abortMultipartUpload('other.bin', uploadId), 404, 'NoSuchUpload');
    await c.abortMultipartUpload('owner.bin', uploadId);
  });

  test('part number 0, 10001 or not a number → 400 InvalidArgument; 1 and 10000 are fine', async () => {
    const { uploadId } = await c.initMultipartUpload('numbers.bin');
    await rejectsWith(c.uploadPart('numbers.bin', uploadId, 0, Buffer.from('x'), 0, 1), 400, 'InvalidArgument');
    await rejectsWith(c.uploadPart('numbers.bin', uploadId, 10001, Buffer.from('x'), 0, 1), 400, 'InvalidArgument');
    const res = await signedHttp(srv, { method: 'PUT', bucket: BUCKET, key: 'numbers.bin', query: [['partNumber', 'one'], ['uploadId', uploadId]], body: 'x' });
    assert.equal(assertOssError(res, 400, 'InvalidArgument').ArgumentName, 'partNumber');
    assert.deepEqual(await partsOf('numbers.bin', uploadId), []);
    await c.uploadPart('numbers.bin', uploadId, 1, Buffer.from('first'), 0, 5);
    await c.uploadPart('numbers.bin', uploadId, 10000, Buffer.from('last'), 0, 4);
    assert.deepEqual((await partsOf('numbers.bin', uploadId)).map((p) => p.PartNumber), ['1', '10000']);
    await c.abortMultipartUpload('numbers.bin', uploadId);
  });

  test('re-uploading a part number replaces it; the old ETag no longer completes', async () => {
    const { uploadId } = await c.initMultipartUpload('replace.bin');
    const old = await c.uploadPart('replace.bin', uploadId, 1, Buffer.from('old bytes'), 0, 9);
    const fresh = await c.uploadPart('replace.bin', uploadId, 1, Buffer.from('new'), 0, 3);
    const parts = await partsOf('replace.bin', uploadId);
    assert.deepEqual(parts.map((p) => [p.PartNumber, p.ETag, p.Size]), [['1', etagOf('new'), '3']]);
    assertOssError(await completeRaw('replace.bin', uploadId, [[1, old.etag]]), 400, 'InvalidPart');
    await c.completeMultipartUpload('replace.bin', uploadId, [{ number: 1, etag: fresh.etag }]);
    assert.equal((await c.get('replace.bin')).content.toString(), 'new');
  });

  test('Content-MD5 mismatch → 400 InvalidDigest and no part recorded', async () => {
    const { uploadId } = await c.initMultipartUpload('digest.bin');
    const before = storedFiles(srv);
    const res = await signedHttp(srv, {
      method: 'PUT', bucket: BUCKET, key: 'digest.bin', query: [['partNumber', '1'], ['uploadId', uploadId]],
      body: 'part', headers: { 'content-md5': md5Base64('other') },
    });
    assertOssError(res, 400, 'InvalidDigest');
    assert.deepEqual(await partsOf('digest.bin', uploadId), []);
    assertNothingStored(srv, before);
    await c.abortMultipartUpload('digest.bin', uploadId);
  });

  test('ListParts pages with max-parts and part-number-marker; NextPartNumberMarker always present', async () => {
    const { uploadId } = await startUpload(c, 'paged-parts.bin', [1, 2, 3].map((i) => Buffer.from(`part ${i}`)));
    const first = await c.listParts('paged-parts.bin', uploadId, { 'max-parts': 2 });
    assert.equal(first.isTruncated, 'true');
    assert.equal(first.nextPartNumberMarker, '2');
    assert.deepEqual(first.parts.map((p: any) => p.PartNumber), ['1', '2']);
    const second = await c.listParts('paged-parts.bin', uploadId, { 'max-parts': 2, 'part-number-marker': first.nextPartNumberMarker });
    assert.equal(second.isTruncated, 'false');
    assert.deepEqual([second.parts].flat().map((p: any) => p.PartNumber), ['3']);
    assert.equal(second.nextPartNumberMarker, '3');
    await c.abortMultipartUpload('paged-parts.bin', uploadId);
  });
});

describe('UploadPartCopy', () => {
  const source = bytes(250 * KiB, 31);
  before(async () => { await c.put('copy-source.bin', source); });

  for (const authorizationV4 of [false, true]) {
    test(`ranged part copies build the object (${authorizationV4 ? 'V4' : 'V1'})`, async () => {
      const k = srv.client({ bucket: BUCKET, authorizationV4 });
      const key = `part-copy-${authorizationV4}.bin`;
      const { uploadId } = await k.initMultipartUpload(key);
      const src = { sourceKey: 'copy-source.bin', sourceBucketName: BUCKET };
      const p1 = await k.uploadPartCopy(key, uploadId, 1, `0-${100 * KiB - 1}`, src);
      assert.equal(p1.etag, etagOf(source.subarray(0, 100 * KiB)));
      assert.equal(p1.res.headers['x-oss-hash-crc64ecma'], crcOf(source.subarray(0, 100 * KiB)));
      // Without a range the whole source is copied.
      const p2 = await k.uploadPartCopy(key, uploadId, 2, '', src);
      assert.equal(p2.etag, etagOf(source));
      const p3 = await k.uploadPartCopy(key, uploadId, 3, `${200 * KiB}-${250 * KiB - 1}`, src);
      const done = await k.completeMultipartUpload(key, uploadId, [
        { number: 1, etag: p1.etag }, { number: 2, etag: p2.etag }, { number: 3, etag: p3.etag },
      ]);
      const expected = Buffer.concat([source.subarray(0, 100 * KiB), source, source.subarray(200 * KiB)]);
      assert.equal(done.res.headers['x-oss-hash-crc64ecma'], crcOf(expected));
      assert.deepEqual((await k.get(key)).content, expected);
    });
  }

  test('a range outside the source → 400 InvalidArgument; a missing source → 404 NoSuchKey; nothing recorded', async () => {
    const { uploadId } = await c.initMultipartUpload('part-copy-bad.bin');
    const src = { sourceKey: 'copy-source.bin', sourceBucketName: BUCKET };
    await rejectsWith(c.uploadPartCopy('part-copy-bad.bin', uploadId, 1, `0-${250 * KiB}`, src), 400, 'InvalidArgument');
    await rejectsWith(c.uploadPartCopy('part-copy-bad.bin', uploadId, 1, '0-9', { ...src, sourceKey: 'nope.bin' }), 404, 'NoSuchKey');
    assert.deepEqual(await partsOf('part-copy-bad.bin', uploadId), []);
    await c.abortMultipartUpload('part-copy-bad.bin', uploadId);
  });
});

describe('ListMultipartUploads, AbortMultipartUpload', () => {
  test('paging with max-uploads, key-marker and upload-id-marker visits every upload once', async () => {
    const ids: Array<[string, string]> = [];
    for (const key of ['up/a', 'up/b', 'up/b', 'up/c', 'up/d/e']) ids.push([key, (await c.initMultipartUpload(key)).uploadId]);
    const expected = [...ids].sort(([ka, ia], [kb, ib]) => (ka === kb ? (ia < ib ? -1 : 1) : ka < kb ? -1 : 1));

    const seen: Array<[string, string]> = [];
    const query: Record<string, string> = { prefix: 'up/', 'max-uploads': '2' };
    for (let pages = 1; ; pages++) {
      const r = await c.listUploads(query);
      seen.push(...r.uploads.map((u: any) => [u.name, u.uploadId] as [string, string]));
      for (const u of r.uploads) assert.match(u.initiated, /\.000Z$/);
      if (!r.isTruncated) {
        assert.equal(pages, 3);
        break;
      }
      query['key-marker'] = r.nextKeyMarker;
      query['upload-id-marker'] = r.nextUploadIdMarker;
    }
    assert.deepEqual(seen, expected);

    const grouped = await signedHttp(srv, { bucket: BUCKET, query: [['uploads', ''], ['prefix', 'up/'], ['delimiter', '/']] });
    const doc = xml(grouped.text).ListMultipartUploadsResult;
    assert.deepEqual(doc.Upload.map((u: any) => u.Key), ['up/a', 'up/b', 'up/b', 'up/c']);
    assert.equal(doc.CommonPrefixes.Prefix, 'up/d/');
    assert.equal(doc.NextKeyMarker, '');
    assert.equal(doc.NextUploadIdMarker, '');

    for (const [key, id] of ids) assert.equal((await c.abortMultipartUpload(key, id)).res.status, 204);
    assert.deepEqual((await c.listUploads({ prefix: 'up/' })).uploads, []);
  });

  test('abort removes the upload and its parts; a second abort → 404 NoSuchUpload', async () => {
    const { uploadId } = await startUpload(c, 'aborted.bin', [Buffer.from('gone')]);
    assert.equal((await c.abortMultipartUpload('aborted.bin', uploadId)).res.status, 204);
    await rejectsWith(c.abortMultipartUpload('aborted.bin', uploadId), 404, 'NoSuchUpload');
    await rejectsWith(c.listParts('aborted.bin', uploadId), 404, 'NoSuchUpload');
    await rejectsWith(c.uploadPart('aborted.bin', uploadId, 2, Buffer.from('x'), 0, 1), 404, 'NoSuchUpload');
    await rejectsWith(c.head('aborted.bin'), 404, 'NoSuchKey');
  });
});
