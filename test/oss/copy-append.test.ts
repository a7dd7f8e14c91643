/** CopyObject (incl. ali-oss putMeta, a self-copy with REPLACE) and AppendObject. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server';
import { CLIENT_KINDS } from '../helpers/oss-clients';
import {
  assertNothingStored, assertOssError, bytes, crcOf, etagOf, rejectsWith, signedHttp, storedFiles, xml,
} from '../helpers/oss-http';

let srv: TestServer;
let c: any;
const BUCKET = 'copies';

before(async () => {
  srv = await startTestServer();
  c = srv.client({ bucket: BUCKET });
  await c.putBucket(BUCKET);
  await c.putBucket('copies-other');
});
after(async () => { await srv.close(); });

describe('CopyObject', () => {
  const data = bytes(150 * 1024, 3);
  const SRC = 'src dir/source+1 é.txt';
  before(async () => {
    await c.put(SRC, data, { meta: { origin: 'src' }, headers: { 'Cache-Control': 'max-age=60' } });
  });

  for (const kind of CLIENT_KINDS) {
    test(`${kind.name}: COPY keeps data, ETag, CRC, type and metadata (not the destination's guessed type)`, async () => {
      const k = kind.make(srv, { bucket: BUCKET });
      const dst = `copy-${kind.slug}/dst.json`;
      const r = await k.copy(dst, SRC);
      assert.equal(r.res.status, 200);
      assert.equal(r.res.headers.etag, etagOf(data));
      assert.equal(r.data.etag, etagOf(data));
      assert.match(r.data.lastModified, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000Z$/);
      assert.equal(r.res.headers['x-oss-hash-crc64ecma'], crcOf(data));
      const got = await k.get(dst);
      assert.deepEqual(got.content, data);
      // ali-oss sends Content-Type application/json (from dst.json); COPY ignores it.
      assert.equal(got.res.headers['content-type'], 'text/plain');
      assert.equal(got.res.headers['cache-control'], 'max-age=60');
      assert.equal(got.res.headers['x-oss-meta-origin'], 'src');
      assert.equal(got.res.headers['x-oss-object-type'], 'Normal');
    });
  }

  test('REPLACE takes metadata and Content-Type from the request', async () => {
    const r = await c.copy('replaced.json', SRC, { meta: { fresh: 'yes' } });
    assert.equal(r.res.headers.etag, etagOf(data));
    const head = await c.head('replaced.json');
    assert.deepEqual(head.meta, { fresh: 'yes' });
    assert.equal(head.res.headers['content-type'], 'application/json');
    assert.equal(head.res.headers['cache-control'], undefined);
    assert.deepEqual((await c.get('replaced.json')).content, data);
  });

  test('putMeta (self-copy with REPLACE) keeps data and ETag, replaces metadata', async () => {
    await c.put('self.txt', Buffer.from('self data'), { meta: { a: '1', b: '2' } });
    const before = (await c.head('self.txt')).res.headers;
    const r = await c.putMeta('self.txt', { c: '3' });
    assert.equal(r.res.status, 200);
    const head = await c.head('self.txt');
    assert.deepEqual(head.meta, { c: '3' });
    assert.equal(head.res.headers.etag, before.etag);
    assert.equal(head.res.headers['x-oss-hash-crc64ecma'], before['x-oss-hash-crc64ecma']);
    assert.equal((await c.get('self.txt')).content.toString(), 'self data');
  });

  test('copy across buckets (V1 and V4)', async () => {
    for (const authorizationV4 of [false, true]) {
      const k = srv.client({ bucket: 'copies-other', authorizationV4 });
      const dst = `from-other-${authorizationV4}.txt`;
      await k.copy(dst, SRC, BUCKET);
      assert.deepEqual((await k.get(dst)).content, data);
    }
  });

  test('the destination gets a default ACL, not the source\'s', async () => {
    await c.put('acl-src.txt', Buffer.from('a'), { headers: { 'x-oss-object-acl': 'public-read' } });
    await c.copy('acl-dst.txt', 'acl-src.txt');
    assert.equal((await c.getACL('acl-dst.txt')).acl, 'default');
  });

  test('missing source → 404 NoSuchKey, missing source bucket → 404 NoSuchBucket; no destination appears', async () => {
    const before = storedFiles(srv);
    await rejectsWith(c.copy('ghost.txt', 'no-such-source.txt'), 404, 'NoSuchKey');
    await rejectsWith(c.copy('ghost.txt', 'k.txt', 'no-such-bucket'), 404, 'NoSuchBucket');
    await rejectsWith(c.head('ghost.txt'), 404, 'NoSuchKey');
    assertNothingStored(srv, before);
  });

  test('copy-source conditions: if-match / if-unmodified-since fail → 412, if-none-match / if-modified-since → 304; target unchanged', async () => {
    await c.put('cond-dst.txt', Buffer.from('previous'));
    const srcHead = (await c.head(SRC)).res.headers;
    const modified = Date.parse(srcHead['last-modified']);
    const past = new Date(modified - 3600_000).toUTCString();
    const copyWith = (headers: Record<string, string>) => c.copy('cond-dst.txt', SRC, { headers });

    await rejectsWith(copyWith({ 'x-oss-copy-source-if-match': '"0123456789ABCDEF0123456789ABCDEF"' }), 412, 'PreconditionFailed');
    await rejectsWith(copyWith({ 'x-oss-copy-source-if-unmodified-since': past }), 412, 'PreconditionFailed');
    assert.equal((await copyWith({ 'x-oss-copy-source-if-none-match': srcHead.etag })).res.status, 304);
    assert.equal((await copyWith({ 'x-oss-copy-source-if-modified-since': srcHead['last-modified'] })).res.status, 304);
    assert.equal((await c.get('cond-dst.txt')).content.toString(), 'previous');

    assert.equal((await copyWith({ 'x-oss-copy-source-if-match': srcHead.etag })).res.status, 200);
    assert.deepEqual((await c.get('cond-dst.txt')).content, data);
  });

  test('bad x-oss-metadata-directive or copy source → 400 InvalidArgument; forbid-overwrite → 409', async () => {
    await c.put('guard.txt', Buffer.from('guard'));
    const copySource = `/${BUCKET}/${encodeURIComponent(SRC)}`;
    const put = (headers: Record<string, string>) => signedHttp(srv, { method: 'PUT', bucket: BUCKET, key: 'guard.txt', headers });
    assertOssError(await put({ 'x-oss-copy-source': copySource, 'x-oss-metadata-directive': 'MERGE' }), 400, 'InvalidArgument');
    assertOssError(await put({ 'x-oss-copy-source': `/${BUCKET}` }), 400, 'InvalidArgument');
    assertOssError(await put({ 'x-oss-copy-source': copySource, 'x-oss-forbid-overwrite': 'true' }), 409, 'FileAlreadyExists');
    assert.equal((await c.get('guard.txt')).content.toString(), 'guard');
  });

  test('source key in x-oss-copy-source is percent-decoded (oss2 sends "/" as %2F); the XML body carries ETag', async () => {
    const res = await signedHttp(srv, {
      method: 'PUT', bucket: BUCKET, key: 'decoded.txt', headers: { 'x-oss-copy-source': `/${BUCKET}/${encodeURIComponent(SRC)}` },
    });
    assert.equal(res.status, 200);
    assert.equal(xml(res.text).CopyObjectResult.ETag, etagOf(data));
    assert.equal(res.headers.etag, etagOf(data));
  });

  test('a multipart source keeps its multipart ETag', async () => {
    const part1 = bytes(100 * 1024, 11);
    const part2 = Buffer.from('tail');
    const { uploadId } = await c.initMultipartUpload('mp-src.bin');
    const p1 = await c.uploadPart('mp-src.bin', uploadId, 1, part1, 0, part1.length);
    const p2 = await c.uploadPart('mp-src.bin', uploadId, 2, part2, 0, part2.length);
    const done = await c.completeMultipartUpload('mp-src.bin', uploadId, [{ number: 1, etag: p1.etag }, { number: 2, etag: p2.etag }]);
    const r = await c.copy('mp-copy.bin', 'mp-src.bin');
    assert.equal(r.res.headers.etag, done.etag);
    assert.deepEqual((await c.get('mp-copy.bin')).content, Buffer.concat([part1, part2]));
  });
});

describe('AppendObject', () => {
  for (const kind of CLIENT_KINDS) {
    test(`${kind.name}: positions advance, CRC is the whole object's, type Appendable`, async () => {
      const k = kind.make(srv, { bucket: BUCKET });
      const key = `append-${kind.slug}/log é.txt`;
      const first = await k.append(key, Buffer.from('abc'));
      assert.equal(first.res.status, 200);
      assert.equal(first.nextAppendPosition, '3');
      assert.equal(first.res.headers['x-oss-hash-crc64ecma'], crcOf('abc'));
      const second = await k.append(key, Buffer.from('defgh'), { position: first.nextAppendPosition });
      assert.equal(second.nextAppendPosition, '8');
      assert.equal(second.res.headers['x-oss-hash-crc64ecma'], crcOf('abcdefgh'));
      assert.notEqual(second.res.headers.etag, first.res.headers.etag);

      const got = await k.get(key);
      assert.equal(got.content.toString(), 'abcdefgh');
      assert.equal(got.res.headers['x-oss-object-type'], 'Appendable');
      assert.equal(got.res.headers['x-oss-next-append-position'], '8');
      assert.equal(got.res.headers['x-oss-hash-crc64ecma'], crcOf('abcdefgh'));
      const ranged = await k.get(key, { headers: { Range: 'bytes=2-4' } });
      assert.equal(ranged.content.toString(), 'cde');
    });
  }

  test('first-append metadata sticks; a larger body spans packages', async () => {
    const big = bytes(70 * 1024, 5);
    await c.append('sticky.bin', Buffer.from('x'), { meta: { first: '1' }, mime: 'text/csv' });
    await c.append('sticky.bin', big, { position: 1, meta: { second: '2' } });
    const got = await c.get('sticky.bin');
    assert.deepEqual(got.content, Buffer.concat([Buffer.from('x'), big]));
    assert.equal(got.res.headers['x-oss-meta-first'], '1');
    assert.equal(got.res.headers['x-oss-meta-second'], undefined);
    assert.equal(got.res.headers['content-type'], 'text/csv');
  });

  test('wrong position → 409 PositionNotEqualToLength with x-oss-next-append-position; content unchanged', async () => {
    await c.append('pos.txt', Buffer.from('12345'));
    await rejectsWith(c.append('pos.txt', Buffer.from('x'), { position: 3 }), 409, 'PositionNotEqualToLength');
    for (const position of ['0', '9']) {
      const res = await signedHttp(srv, {
        method: 'POST', bucket: BUCKET, key: 'pos.txt', query: [['append', ''], ['position', position]], body: 'x',
      });
      assertOssError(res, 409, 'PositionNotEqualToLength');
      assert.equal(res.headers['x-oss-next-append-position'], '5');
    }
    // A new key's length is 0.
    const fresh = await signedHttp(srv, { method: 'POST', bucket: BUCKET, key: 'pos-new.txt', query: [['append', ''], ['position', '4']], body: 'x' });
    assertOssError(fresh, 409, 'PositionNotEqualToLength');
    assert.equal(fresh.headers['x-oss-next-append-position'], '0');
    await rejectsWith(c.head('pos-new.txt'), 404, 'NoSuchKey');
    const got = await c.get('pos.txt');
    assert.equal(got.content.toString(), '12345');
    assert.equal(got.res.headers['x-oss-next-append-position'], '5');
  });

  test('appending to a Normal or Multipart object → 409 ObjectNotAppendable; object unchanged', async () => {
    await c.put('normal.txt', Buffer.from('normal'));
    await rejectsWith(c.append('normal.txt', Buffer.from('x'), { position: 6 }), 409, 'ObjectNotAppendable');
    await rejectsWith(c.append('normal.txt', Buffer.from('x'), { position: 0 }), 409, 'ObjectNotAppendable');
    const got = await c.get('normal.txt');
    assert.equal(got.content.toString(), 'normal');
    assert.equal(got.res.headers['x-oss-object-type'], 'Normal');
    const { uploadId } = await c.initMultipartUpload('multi.txt');
    const p = await c.uploadPart('multi.txt', uploadId, 1, Buffer.from('mp'), 0, 2);
    await c.completeMultipartUpload('multi.txt', uploadId, [{ number: 1, etag: p.etag }]);
    await rejectsWith(c.append('multi.txt', Buffer.from('x'), { position: 2 }), 409, 'ObjectNotAppendable');
  });

  test('non-numeric position → 400 InvalidArgument; a PUT turns an appendable object Normal', async () => {
    const res = await signedHttp(srv, { method: 'POST', bucket: BUCKET, key: 'badpos.txt', query: [['append', ''], ['position', 'abc']], body: 'x' });
    assertOssError(res, 400, 'InvalidArgument');
    await rejectsWith(c.head('badpos.txt'), 404, 'NoSuchKey');
    await c.append('turned.txt', Buffer.from('app'));
    await c.put('turned.txt', Buffer.from('put'));
    const got = await c.get('turned.txt');
    assert.equal(got.res.headers['x-oss-object-type'], 'Normal');
    assert.equal(got.res.headers.etag, etagOf('put'));
  });
});
