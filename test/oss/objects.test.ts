/** Object operations: PutObject, GetObject, HeadObject, GetObjectMeta, DeleteObject, DeleteMultipleObjects, object ACL. */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server';
import { CLIENT_KINDS } from '../helpers/oss-clients';
import {
  assertNothingStored, assertOssError, bytes, crcOf, etagOf, http, md5Base64, rejectsWith, signedHttp, storedFiles, xml,
} from '../helpers/oss-http';

let srv: TestServer;
let c: any;
const BUCKET = 'objects';

before(async () => {
  srv = await startTestServer();
  c = srv.client({ bucket: BUCKET });
  await c.putBucket(BUCKET);
});
after(async () => { await srv.close(); });

const HELLO_ETAG = '"5D41402ABC4B2A76B9719D911017C592"';
const HELLO_CRC = '11177612005948864433';

describe('main object flow', () => {
  for (const kind of CLIENT_KINDS) {
    test(`${kind.name}: put, get, head, getObjectMeta, delete on a key with '/', space, '+' and unicode`, async () => {
      const bucket = `flow-${kind.slug}`;
      const k = kind.make(srv, { bucket });
      await k.putBucket(bucket);
      const key = 'dir/a b+c é.txt';
      const put = await k.put(key, Buffer.from('hello'), { meta: { color: 'blue' } });
      assert.equal(put.res.status, 200);
      assert.equal(put.res.headers.etag, HELLO_ETAG);
      assert.equal(put.res.headers['x-oss-hash-crc64ecma'], HELLO_CRC);

      const got = await k.get(key);
      assert.equal(got.res.status, 200);
      assert.equal(got.content.toString(), 'hello');
      assert.equal(got.res.headers['content-type'], 'text/plain');
      assert.equal(got.res.headers['x-oss-meta-color'], 'blue');

      const head = await k.head(key);
      assert.equal(head.status, 200);
      assert.deepEqual(head.meta, { color: 'blue' });
      assert.equal(head.res.headers['content-length'], '5');
      assert.equal(head.res.headers.etag, HELLO_ETAG);
      assert.equal(head.res.headers['x-oss-object-type'], 'Normal');
      assert.equal(head.res.headers['x-oss-hash-crc64ecma'], HELLO_CRC);

      const meta = await k.getObjectMeta(key);
      assert.equal(meta.status, 200);
      assert.equal(meta.res.headers.etag, HELLO_ETAG);
      assert.equal(meta.res.headers['content-length'], '5');

      assert.deepEqual((await k.list({ prefix: 'dir/' })).objects.map((o: any) => o.name), [key]);
      assert.equal((await k.delete(key)).res.status, 204);
      await rejectsWith(k.get(key), 404, 'NoSuchKey');
      await rejectsWith(k.head(key), 404, 'NoSuchKey');
    });
  }
});

describe('PutObject', () => {
  test('ETag is the quoted upper-case MD5, CRC-64 decimal, Content-MD5 echoed', async () => {
    const r = await c.put('hello.txt', Buffer.from('hello'));
    assert.equal(r.res.headers.etag, HELLO_ETAG);
    assert.equal(r.res.headers['x-oss-hash-crc64ecma'], HELLO_CRC);
    assert.equal(r.res.headers['content-md5'], md5Base64('hello'));
    assert.match(r.res.headers['x-oss-request-id'], /^[0-9A-F]{24}$/);
  });

  test('an empty object has the MD5 of nothing and CRC 0', async () => {
    const r = await c.put('empty', Buffer.alloc(0));
    assert.equal(r.res.headers.etag, '"D41D8CD98F00B204E9800998ECF8427E"');
    assert.equal(r.res.headers['x-oss-hash-crc64ecma'], '0');
    const got = await c.get('empty');
    assert.equal(got.content.length, 0);
    assert.equal(got.res.headers['content-length'], '0');
  });

  test('Content-MD5 mismatch → 400 InvalidDigest; the old object and the store are untouched', async () => {
    await c.put('digest.txt', Buffer.from('old content'));
    const before = storedFiles(srv);
    await rejectsWith(
      c.put('digest.txt', Buffer.from('new content'), { headers: { 'Content-MD5': md5Base64('something else') } }),
      400, 'InvalidDigest',
    );
    assert.equal((await c.get('digest.txt')).content.toString(), 'old content');
    await rejectsWith(c.put('digest-new.txt', Buffer.from('x'), { headers: { 'Content-MD5': md5Base64('y') } }), 400, 'InvalidDigest');
    await rejectsWith(c.head('digest-new.txt'), 404, 'NoSuchKey');
    assertNothingStored(srv, before);
  });

  test('chunked body (putStream without length) is stored whole', async () => {
    const data = bytes(200 * 1024 + 17);
    const chunks = [data.subarray(0, 70_000), data.subarray(70_000, 150_000), data.subarray(150_000)];
    const r = await c.putStream('stream.bin', Readable.from(chunks));
    assert.equal(r.res.status, 200);
    assert.equal(r.res.headers.etag, etagOf(data));
    assert.equal(r.res.headers['x-oss-hash-crc64ecma'], crcOf(data));
    assert.deepEqual((await c.get('stream.bin')).content, data);
    assert.equal((await c.head('stream.bin')).res.headers['content-length'], String(data.length));
  });

  test('user metadata (lower-cased names), standard headers and Content-Type are stored and returned', async () => {
    await c.put('meta.dat', Buffer.from('m'), {
      mime: 'image/png',
      meta: { Color: 'blue', 'Multi-Word': 'a b' },
      headers: {
        'Cache-Control': 'no-cache', 'Content-Disposition': 'attachment; filename="m.png"', 'Content-Language': 'en',
        'Content-Encoding': 'identity', Expires: 'Wed, 21 Oct 2015 07:28:00 GMT',
      },
    });
    const head = await c.head('meta.dat');
    assert.deepEqual(head.meta, { color: 'blue', 'multi-word': 'a b' });
    const h = (await c.get('meta.dat')).res.headers;
    assert.equal(h['content-type'], 'image/png');
    assert.equal(h['cache-control'], 'no-cache');
    assert.equal(h['content-disposition'], 'attachment; filename="m.png"');
    assert.equal(h['content-language'], 'en');
    assert.equal(h['content-encoding'], 'identity');
    assert.equal(h.expires, 'Wed, 21 Oct 2015 07:28:00 GMT');
    assert.equal(h['x-oss-meta-multi-word'], 'a b');
  });

  test('without Content-Type the stored type is application/octet-stream', async () => {
    const res = await signedHttp(srv, { method: 'PUT', bucket: BUCKET, key: 'untyped', body: 'u' });
    assert.equal(res.status, 200);
    assert.equal((await c.head('untyped')).res.headers['content-type'], 'application/octet-stream');
  });

  test('x-oss-forbid-overwrite: true → 409 FileAlreadyExists on an existing key; allowed on a new one', async () => {
    await c.put('forbid.txt', Buffer.from('first'));
    const headers = { 'x-oss-forbid-overwrite': 'true' };
    await rejectsWith(c.put('forbid.txt', Buffer.from('second'), { headers }), 409, 'FileAlreadyExists');
    assert.equal((await c.get('forbid.txt')).content.toString(), 'first');
    await c.put('forbid-new.txt', Buffer.from('ok'), { headers });
    assert.equal((await c.get('forbid-new.txt')).content.toString(), 'ok');
    // 'false' means overwriting is allowed.
    await c.put('forbid.txt', Buffer.from('third'), { headers: { 'x-oss-forbid-overwrite': 'false' } });
    assert.equal((await c.get('forbid.txt')).content.toString(), 'third');
  });

  test('invalid keys → 400 InvalidObjectName (ali-oss strips a leading "/", so sent by hand)', async () => {
    const before = storedFiles(srv);
    for (const key of ['/lead', '\\back', 'k'.repeat(1024), 'é'.repeat(512)]) {
      const res = await signedHttp(srv, { method: 'PUT', bucket: BUCKET, key, body: 'x' });
      assertOssError(res, 400, 'InvalidObjectName');
    }
    // Virtual-hosted style too (Host names the bucket, path "//lead").
    const res = await signedHttp(srv, { method: 'PUT', bucket: BUCKET, key: '/lead', body: 'x', virtualHost: true });
    assertOssError(res, 400, 'InvalidObjectName');
    assertNothingStored(srv, before);
    const names = (await c.list({ 'max-keys': 1000 })).objects.map((o: any) => o.name);
    assert.ok(!names.some((n: string) => n.startsWith('/') || n.startsWith('\\') || n.length >= 512), names.join());
    // 1023 bytes is the longest valid key.
    const longest = 'k'.repeat(1023);
    assert.equal((await signedHttp(srv, { method: 'PUT', bucket: BUCKET, key: longest, body: 'x' })).status, 200);
    assert.equal((await c.get(longest)).content.toString(), 'x');
  });

  test('bad x-oss-object-acl, storage class or oversized metadata → 400 InvalidArgument; nothing changes', async () => {
    await c.put('guarded.txt', Buffer.from('guarded'));
    const cases: Array<Record<string, string>> = [
      { 'x-oss-object-acl': 'everyone' },
      { 'x-oss-storage-class': 'Glacier' },
      { 'x-oss-meta-big': 'v'.repeat(8200) },
    ];
    for (const headers of cases) {
      await rejectsWith(c.put('guarded.txt', Buffer.from('replaced'), { headers }), 400, 'InvalidArgument');
    }
    assert.equal((await c.get('guarded.txt')).content.toString(), 'guarded');
    assert.equal((await c.getACL('guarded.txt')).acl, 'default');
  });
});

describe('GetObject', () => {
  const data = bytes(1000, 7);
  before(async () => { await c.put('range.bin', data); });

  const get = (headers: Record<string, string>, key = 'range.bin') => c.get(key, { headers });

  test('Range a-b, a-, -n → 206 with Content-Range; CRC stays the whole object\'s', async () => {
    const cases: Array<[string, number, number]> = [['bytes=10-19', 10, 19], ['bytes=990-', 990, 999], ['bytes=-5', 995, 999], ['bytes=0-0', 0, 0]];
    for (const [range, start, end] of cases) {
      const r = await get({ Range: range });
      assert.equal(r.res.status, 206, range);
      assert.equal(r.res.headers['content-range'], `bytes ${start}-${end}/1000`);
      assert.equal(r.res.headers['content-length'], String(end - start + 1));
      assert.deepEqual(r.content, data.subarray(start, end + 1));
      assert.equal(r.res.headers['x-oss-hash-crc64ecma'], crcOf(data));
    }
    // Of several ranges only the first counts.
    const multi = await get({ Range: 'bytes=0-1,5-6' });
    assert.equal(multi.res.status, 206);
    assert.deepEqual(multi.content, data.subarray(0, 2));
  });

  test('out-of-range or invalid Range → 200 with the whole object', async () => {
    for (const range of ['bytes=2000-3000', 'bytes=990-2000', 'bytes=20-10', 'bytes=abc', 'items=0-1']) {
      const r = await get({ Range: range });
      assert.equal(r.res.status, 200, range);
      assert.equal(r.res.headers['content-range'], undefined);
      assert.deepEqual(r.content, data);
    }
  });

  test('x-oss-range-behavior: standard clamps the end, or → 416 InvalidRange', async () => {
    const standard = { 'x-oss-range-behavior': 'standard' };
    const clamped = await get({ ...standard, Range: 'bytes=990-2000' });
    assert.equal(clamped.res.status, 206);
    assert.equal(clamped.res.headers['content-range'], 'bytes 990-999/1000');
    assert.deepEqual(clamped.content, data.subarray(990));
    await rejectsWith(get({ ...standard, Range: 'bytes=1000-1001' }), 416, 'InvalidRange');
    const raw = await signedHttp(srv, { bucket: BUCKET, key: 'range.bin', headers: { ...standard, range: 'bytes=5000-' } });
    assertOssError(raw, 416, 'InvalidRange');
  });

  test('If-Match / If-None-Match / If-Modified-Since / If-Unmodified-Since → 200 / 304 / 412', async () => {
    const head = await c.head('range.bin');
    const etag = head.res.headers.etag;
    const modified = Date.parse(head.res.headers['last-modified']);
    const past = new Date(modified - 3600_000).toUTCString();
    const future = new Date(modified + 3600_000).toUTCString();
    const status = async (headers: Record<string, string>) => (await get(headers)).res.status;

    assert.equal(await status({ 'If-Match': etag }), 200);
    assert.equal(await status({ 'If-Match': etag.replace(/"/g, '') }), 200, 'unquoted, as oss2 sends it');
    await rejectsWith(get({ 'If-Match': '"0123456789ABCDEF0123456789ABCDEF"' }), 412, 'PreconditionFailed');
    const notModified = await get({ 'If-None-Match': etag });
    assert.equal(notModified.res.status, 304);
    assert.equal(notModified.content.length, 0);
    assert.equal(await status({ 'If-None-Match': '"0123456789ABCDEF0123456789ABCDEF"' }), 200);
    assert.equal(await status({ 'If-Modified-Since': past }), 200);
    assert.equal(await status({ 'If-Modified-Since': head.res.headers['last-modified'] }), 304);
    assert.equal(await status({ 'If-Unmodified-Since': future }), 200);
    await rejectsWith(get({ 'If-Unmodified-Since': past }), 412, 'PreconditionFailed');
    // HEAD evaluates the same conditions.
    assert.equal((await c.head('range.bin', { headers: { 'If-None-Match': etag } })).status, 304);
    const failed = await signedHttp(srv, { method: 'HEAD', bucket: BUCKET, key: 'range.bin', headers: { 'if-match': '"00"' } });
    assertOssError(failed, 412, 'PreconditionFailed', true);
  });

  test('response-* query parameters override the response headers', async () => {
    for (const kind of CLIENT_KINDS) {
      const r = await kind.make(srv, { bucket: BUCKET }).get('range.bin', {
        subres: {
          'response-content-type': 'application/x-test',
          'response-content-disposition': 'attachment; filename="a b.bin"',
          'response-cache-control': 'no-store',
          'response-content-language': 'fr',
          'response-expires': 'Thu, 01 Dec 1994 16:00:00 GMT',
          'response-content-encoding': 'identity',
        },
      });
      const h = r.res.headers;
      assert.equal(h['content-type'], 'application/x-test', kind.name);
      assert.equal(h['content-disposition'], 'attachment; filename="a b.bin"');
      assert.equal(h['cache-control'], 'no-store');
      assert.equal(h['content-language'], 'fr');
      assert.equal(h.expires, 'Thu, 01 Dec 1994 16:00:00 GMT');
      assert.equal(h['content-encoding'], 'identity');
      assert.deepEqual(r.content, data);
    }
  });

  test('missing key → 404 NoSuchKey naming the key', async () => {
    await rejectsWith(c.get('nope/missing.txt'), 404, 'NoSuchKey');
    const res = await signedHttp(srv, { bucket: BUCKET, key: 'nope/missing.txt' });
    assert.equal(assertOssError(res, 404, 'NoSuchKey').Key, 'nope/missing.txt');
  });
});

describe('HeadObject, GetObjectMeta', () => {
  test('HEAD reports type, storage class, CRC, MD5, length, Last-Modified', async () => {
    await c.put('head.txt', Buffer.from('hello'));
    const h = (await c.head('head.txt')).res.headers;
    assert.equal(h['x-oss-object-type'], 'Normal');
    assert.equal(h['x-oss-storage-class'], 'Standard');
    assert.equal(h['x-oss-hash-crc64ecma'], HELLO_CRC);
    assert.equal(h['content-md5'], md5Base64('hello'));
    assert.equal(h['content-length'], '5');
    assert.equal(h['accept-ranges'], 'bytes');
    assert.ok(Math.abs(Date.parse(h['last-modified']) - Date.now()) < 60_000);
  });

  test('HEAD errors carry the XML base64 in x-oss-err: NoSuchKey (with Key), NoSuchBucket', async () => {
    const missing = await signedHttp(srv, { method: 'HEAD', bucket: BUCKET, key: 'no such.txt' });
    assert.equal(assertOssError(missing, 404, 'NoSuchKey', true).Key, 'no such.txt');
    const noBucket = await signedHttp(srv, { method: 'HEAD', bucket: 'no-such-bucket', key: 'k' });
    assertOssError(noBucket, 404, 'NoSuchBucket', true);
  });

  test('GetObjectMeta: ETag, length, Last-Modified, CRC; missing → 404', async () => {
    await c.put('objmeta.bin', bytes(321));
    for (const kind of CLIENT_KINDS) {
      const r = await kind.make(srv, { bucket: BUCKET }).getObjectMeta('objmeta.bin');
      assert.equal(r.status, 200);
      assert.equal(r.res.headers.etag, etagOf(bytes(321)));
      assert.equal(r.res.headers['content-length'], '321');
      assert.ok(r.res.headers['last-modified']);
      assert.equal(r.res.headers['x-oss-hash-crc64ecma'], crcOf(bytes(321)));
    }
    await rejectsWith(c.getObjectMeta('objmeta-missing'), 404, 'NoSuchKey');
    const raw = await signedHttp(srv, { method: 'HEAD', bucket: BUCKET, key: 'objmeta-missing', query: [['objectMeta', '']] });
    assertOssError(raw, 404, 'NoSuchKey', true);
  });
});

describe('DeleteObject, DeleteMultipleObjects', () => {
  test('DeleteObject → 204, also for a missing key; missing bucket → 404', async () => {
    await c.put('del.txt', Buffer.from('d'));
    assert.equal((await c.delete('del.txt')).res.status, 204);
    await rejectsWith(c.get('del.txt'), 404, 'NoSuchKey');
    assert.equal((await c.delete('del.txt')).res.status, 204);
    await rejectsWith(srv.client({ bucket: 'no-such-bucket' }).delete('k'), 404, 'NoSuchBucket');
  });

  for (const quiet of [false, true]) {
    test(`deleteMulti (quiet: ${quiet}) removes the keys, reports them unless quiet`, async () => {
      const keys = [`dm-${quiet}/a.txt`, `dm-${quiet}/b & <c>.txt`, `dm-${quiet}/é.txt`];
      for (const k of keys) await c.put(k, Buffer.from(k));
      await c.put(`dm-${quiet}/keep.txt`, Buffer.from('keep'));
      const r = await c.deleteMulti([...keys, `dm-${quiet}/never-existed`], { quiet });
      assert.equal(r.res.status, 200);
      assert.deepEqual(r.deleted.map((d: any) => d.Key), quiet ? [] : [...keys, `dm-${quiet}/never-existed`]);
      assert.deepEqual((await c.list({ prefix: `dm-${quiet}/` })).objects.map((o: any) => o.name), [`dm-${quiet}/keep.txt`]);
    });
  }

  test('encoding-type=url encodes the reported keys', async () => {
    await c.put('dm-enc/a b+c.txt', Buffer.from('x'));
    const body = '<?xml version="1.0" encoding="UTF-8"?><Delete><Quiet>false</Quiet><Object><Key>dm-enc/a b+c.txt</Key></Object></Delete>';
    const res = await signedHttp(srv, {
      method: 'POST', bucket: BUCKET, query: [['delete', ''], ['encoding-type', 'url']], body, headers: { 'content-md5': md5Base64(body) },
    });
    assert.equal(res.status, 200);
    const doc = xml(res.text).DeleteResult;
    assert.equal(doc.EncodingType, 'url');
    assert.equal(doc.Deleted.Key, 'dm-enc%2Fa%20b%2Bc.txt');
    await rejectsWith(c.head('dm-enc/a b+c.txt'), 404, 'NoSuchKey');
  });

  test('keys written with character references (as Go\'s encoding/xml escapes quotes) are decoded', async () => {
    const key = 'dm-ref/it\'s "q"\t.txt';
    await c.put(key, Buffer.from('x'));
    const body = '<Delete><Quiet>true</Quiet><Object><Key>dm-ref/it&#39;s &#34;q&#34;&#x9;.txt</Key></Object></Delete>';
    const res = await signedHttp(srv, { method: 'POST', bucket: BUCKET, query: [['delete', '']], body, headers: { 'content-md5': md5Base64(body) } });
    assert.equal(res.status, 200);
    await rejectsWith(c.head(key), 404, 'NoSuchKey');
  });

  test('without Content-MD5, or with a wrong one → 400, nothing deleted', async () => {
    await c.put('dm-md5/x.txt', Buffer.from('x'));
    const body = '<Delete><Object><Key>dm-md5/x.txt</Key></Object></Delete>';
    const request = (headers: Record<string, string>) => signedHttp(srv, { method: 'POST', bucket: BUCKET, query: [['delete', '']], body, headers });
    const missing = assertOssError(await request({}), 400, 'InvalidDigest');
    assert.equal(missing.EC, '0016-00000606');
    assertOssError(await request({ 'content-md5': md5Base64('other') }), 400, 'InvalidDigest');
    assert.equal((await c.get('dm-md5/x.txt')).content.toString(), 'x');
  });
});

describe('Put/GetObjectAcl', () => {
  test('new objects report default; every value round-trips; data and ETag unaffected', async () => {
    for (const authorizationV4 of [false, true]) {
      const k = srv.client({ bucket: BUCKET, authorizationV4 });
      const key = `acl-${authorizationV4}.txt`;
      await k.put(key, Buffer.from('acl'), { headers: { 'x-oss-object-acl': 'public-read' } });
      assert.equal((await k.getACL(key)).acl, 'public-read');
      for (const acl of ['private', 'public-read-write', 'default']) {
        assert.equal((await k.putACL(key, acl)).res.status, 200);
        const got = await k.getACL(key);
        assert.equal(got.acl, acl);
        assert.ok(got.owner.id);
      }
      assert.equal((await k.get(key)).res.headers.etag, etagOf('acl'));
    }
    await c.put('acl-new.txt', Buffer.from('n'));
    assert.equal((await c.getACL('acl-new.txt')).acl, 'default');
  });

  test('missing key → 404 NoSuchKey; bad value → 400 InvalidArgument and the ACL stays', async () => {
    await rejectsWith(c.getACL('acl-missing.txt'), 404, 'NoSuchKey');
    await rejectsWith(c.putACL('acl-missing.txt', 'private'), 404, 'NoSuchKey');
    await rejectsWith(c.head('acl-missing.txt'), 404, 'NoSuchKey');
    await c.put('acl-bad.txt', Buffer.from('b'));
    await c.putACL('acl-bad.txt', 'private');
    await rejectsWith(c.putACL('acl-bad.txt', 'world'), 400, 'InvalidArgument');
    const res = await signedHttp(srv, { method: 'PUT', bucket: BUCKET, key: 'acl-bad.txt', query: [['acl', '']] });
    assertOssError(res, 400, 'InvalidArgument');
    assert.equal((await c.getACL('acl-bad.txt')).acl, 'private');
  });
});

test('plain GET of an object returns the bytes and standard headers (no SDK involved)', async () => {
  await c.put('plain.txt', Buffer.from('plain body'));
  const res = await signedHttp(srv, { bucket: BUCKET, key: 'plain.txt' });
  assert.equal(res.status, 200);
  assert.equal(res.text, 'plain body');
  assert.equal(res.headers.etag, etagOf('plain body'));
  assert.equal(res.headers.server, 'AliyunOSS');
  assert.ok(res.headers.date);
  // Anonymous on a private bucket.
  assertOssError(await http(srv, { path: `/${BUCKET}/plain.txt` }), 403, 'AccessDenied');
});
