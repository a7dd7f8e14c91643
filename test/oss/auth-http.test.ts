/**
 * Authentication and access over the wire: presigned URLs (V1, V4), signature and time errors,
 * anonymous access under bucket and object ACLs, and path-style requests as oss2 signs them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ACCESS_KEY_ID, startTestServer, type TestServer } from '../helpers/server';
import { localhostClient } from '../helpers/oss-clients';
import {
  assertNothingStored, assertOssError, fetchUrl, http, pathStyle, presignV4, rejectsWith, signedHttp, storedFiles, xml,
} from '../helpers/oss-http';

let srv: TestServer;
let c: any;
const BUCKET = 'auth';
const KEY = 'dir/a b+c é.txt';

before(async () => {
  srv = await startTestServer();
  c = srv.client({ bucket: BUCKET });
  await c.putBucket(BUCKET);
  await c.put(KEY, Buffer.from('original'));
});
after(async () => { await srv.close(); });

describe('presigned URLs', () => {
  test('V1 GET (signatureUrl) works, with response-* overrides signed in', async () => {
    const k = localhostClient(srv, { bucket: BUCKET });
    const plain = await fetchUrl(srv, k.signatureUrl(KEY, { expires: 600 }));
    assert.equal(plain.status, 200);
    assert.equal(plain.text, 'original');
    const url = k.signatureUrl(KEY, { response: { 'content-disposition': 'attachment; filename="x y.txt"', 'content-type': 'application/x-dl' } });
    const res = await fetchUrl(srv, url);
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-disposition'], 'attachment; filename="x y.txt"');
    assert.equal(res.headers['content-type'], 'application/x-dl');
  });

  test('V1 PUT works with the signed Content-Type, and is refused with another', async () => {
    const k = localhostClient(srv, { bucket: BUCKET });
    const url = k.signatureUrl('presigned/put.txt', { method: 'PUT', 'Content-Type': 'text/plain' });
    const before = storedFiles(srv);
    const wrong = await fetchUrl(srv, url, { method: 'PUT', headers: { 'content-type': 'image/png' }, body: 'evil' });
    assertOssError(wrong, 403, 'SignatureDoesNotMatch');
    assertNothingStored(srv, before);
    await rejectsWith(c.head('presigned/put.txt'), 404, 'NoSuchKey');
    const ok = await fetchUrl(srv, url, { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: 'via url' });
    assert.equal(ok.status, 200);
    assert.equal((await c.get('presigned/put.txt')).content.toString(), 'via url');
  });

  test('V4 GET and PUT (signatureUrlV4) work', async () => {
    const k = localhostClient(srv, { bucket: BUCKET, authorizationV4: true });
    const get = await fetchUrl(srv, await k.signatureUrlV4('GET', 600, { headers: {} }, KEY));
    assert.equal(get.status, 200);
    assert.equal(get.text, 'original');
    const putUrl = await k.signatureUrlV4('PUT', 600, { headers: { 'Content-Type': 'text/plain' } }, 'presigned/v4.txt');
    const put = await fetchUrl(srv, putUrl, { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: 'v4 body' });
    assert.equal(put.status, 200);
    assert.equal((await c.get('presigned/v4.txt')).content.toString(), 'v4 body');
  });

  test('expired V1 URL → 403 AccessDenied "Request has expired."', async () => {
    const url = localhostClient(srv, { bucket: BUCKET }).signatureUrl(KEY, { expires: -60 });
    const err = assertOssError(await fetchUrl(srv, url), 403, 'AccessDenied');
    assert.equal(err.Message, 'Request has expired.');
  });

  test('expired V4 URL → 403 AccessDenied; the same URL signed now works', async () => {
    const fresh = presignV4(srv, { method: 'GET', bucket: BUCKET, key: KEY, date: new Date(), expires: 60 });
    assert.equal((await fetchUrl(srv, fresh)).text, 'original');
    const stale = presignV4(srv, { method: 'GET', bucket: BUCKET, key: KEY, date: new Date(Date.now() - 10 * 60_000), expires: 60 });
    const err = assertOssError(await fetchUrl(srv, stale), 403, 'AccessDenied');
    assert.equal(err.Message, 'Request has expired.');
    const putStale = presignV4(srv, { method: 'PUT', bucket: BUCKET, key: 'presigned/stale.txt', date: new Date(Date.now() - 10 * 60_000), expires: 1 });
    assertOssError(await fetchUrl(srv, putStale, { method: 'PUT', body: 'late' }), 403, 'AccessDenied');
    await rejectsWith(c.head('presigned/stale.txt'), 404, 'NoSuchKey');
  });

  test('a URL used for another key or method → 403 SignatureDoesNotMatch', async () => {
    const k = localhostClient(srv, { bucket: BUCKET });
    const url = k.signatureUrl(KEY);
    const otherKey = url.replace(encodeURIComponent('é'), 'e');
    assert.notEqual(otherKey, url);
    assertOssError(await fetchUrl(srv, otherKey), 403, 'SignatureDoesNotMatch');
    assertOssError(await fetchUrl(srv, url, { method: 'DELETE' }), 403, 'SignatureDoesNotMatch');
    assert.equal((await c.get(KEY)).content.toString(), 'original');
  });
});

describe('signature errors', () => {
  for (const authorizationV4 of [false, true]) {
    const v = authorizationV4 ? 'V4' : 'V1';
    test(`${v}: wrong secret → 403 SignatureDoesNotMatch and nothing is written`, async () => {
      const bad = srv.client({ bucket: BUCKET, authorizationV4, accessKeySecret: 'not-the-secret' });
      const before = storedFiles(srv);
      await rejectsWith(bad.put(KEY, Buffer.from('overwritten')), 403, 'SignatureDoesNotMatch');
      await rejectsWith(bad.get(KEY), 403, 'SignatureDoesNotMatch');
      await rejectsWith(bad.listBuckets({}), 403, 'SignatureDoesNotMatch');
      assertNothingStored(srv, before);
      assert.equal((await c.get(KEY)).content.toString(), 'original');
    });

    test(`${v}: unknown AccessKeyId → 403 InvalidAccessKeyId`, async () => {
      const stranger = srv.client({ bucket: BUCKET, authorizationV4, accessKeyId: 'LTAIunknownkey000001' });
      await rejectsWith(stranger.get(KEY), 403, 'InvalidAccessKeyId');
      await rejectsWith(stranger.put('stranger.txt', Buffer.from('x')), 403, 'InvalidAccessKeyId');
      await rejectsWith(c.head('stranger.txt'), 404, 'NoSuchKey');
    });

    test(`${v}: clock 20 minutes off → 403 RequestTimeTooSkewed`, async () => {
      for (const skew of [20 * 60_000, -20 * 60_000]) {
        const skewed = srv.client({ bucket: BUCKET, authorizationV4, amendTimeSkewed: skew });
        await rejectsWith(skewed.put(KEY, Buffer.from('skewed')), 403, 'RequestTimeTooSkewed');
      }
      assert.equal((await c.get(KEY)).content.toString(), 'original');
      // 14 minutes is within the 15-minute window.
      assert.equal((await srv.client({ bucket: BUCKET, authorizationV4, amendTimeSkewed: -14 * 60_000 }).get(KEY)).res.status, 200);
    });
  }

  test('the SignatureDoesNotMatch body carries the StringToSign the server computed', async () => {
    const date = new Date();
    const err = assertOssError(await signedHttp(srv, { bucket: BUCKET, key: KEY, secret: 'wrong', date }), 403, 'SignatureDoesNotMatch');
    assert.equal(err.OSSAccessKeyId, ACCESS_KEY_ID);
    assert.equal(err.StringToSign, `GET\n\n\n${date.toUTCString()}\n/${BUCKET}/${KEY}`);
    assert.ok(err.SignatureProvided);
  });

  test('RequestTimeTooSkewed reports the server time; unknown key reports itself', async () => {
    const err = assertOssError(await signedHttp(srv, { bucket: BUCKET, key: KEY, date: new Date(Date.now() - 3600_000) }), 403, 'RequestTimeTooSkewed');
    assert.match(err.ServerTime, /\.000Z$/);
    assert.ok(Math.abs(Date.parse(err.ServerTime) - Date.now()) < 60_000);
    const unknown = assertOssError(await signedHttp(srv, { bucket: BUCKET, key: KEY, accessKeyId: 'LTAInobody' }), 403, 'InvalidAccessKeyId');
    assert.equal(unknown.OSSAccessKeyId, 'LTAInobody');
  });

  test('malformed Authorization → 400 InvalidArgument', async () => {
    for (const authorization of ['Basic dXNlcjpwYXNz', 'OSS4-HMAC-SHA256 nonsense', 'OSS4-HMAC-SHA256 Credential=AK/20250101/cn-hangzhou/oss/aliyun_v4_request']) {
      const res = await http(srv, { path: pathStyle(BUCKET, KEY), headers: { authorization, date: new Date().toUTCString() } });
      assertOssError(res, 400, 'InvalidArgument');
    }
    const bothKinds = await http(srv, {
      path: `${pathStyle(BUCKET, KEY)}?OSSAccessKeyId=${ACCESS_KEY_ID}&Expires=9999999999&Signature=abc`,
      headers: { authorization: `OSS ${ACCESS_KEY_ID}:abc` },
    });
    assertOssError(bothKinds, 400, 'InvalidArgument');
  });
});

describe('anonymous access by ACL', () => {
  const buckets = { private: 'anon-private', 'public-read': 'anon-read', 'public-read-write': 'anon-write' } as const;
  before(async () => {
    for (const [acl, bucket] of Object.entries(buckets)) {
      const k = srv.client({ bucket });
      await k.putBucket(bucket, { acl });
      await k.put('o.txt', Buffer.from(`in ${bucket}`));
    }
  });

  const anon = (method: string, bucket: string, key?: string, body?: string) => http(srv, { method, path: pathStyle(bucket, key), body });
  const content = async (bucket: string, key: string) => (await srv.client({ bucket }).get(key)).content.toString();

  test('private bucket: GET, HEAD, list, PUT, DELETE → 403 AccessDenied; nothing changes', async () => {
    const b = buckets.private;
    assertOssError(await anon('GET', b, 'o.txt'), 403, 'AccessDenied');
    assertOssError(await anon('HEAD', b, 'o.txt'), 403, 'AccessDenied', true);
    assertOssError(await anon('GET', b), 403, 'AccessDenied');
    assertOssError(await anon('PUT', b, 'o.txt', 'anon'), 403, 'AccessDenied');
    assertOssError(await anon('DELETE', b, 'o.txt'), 403, 'AccessDenied');
    // A missing key is not revealed as such.
    assertOssError(await anon('GET', b, 'missing.txt'), 403, 'AccessDenied');
    assert.equal(await content(b, 'o.txt'), `in ${b}`);
  });

  test('public-read bucket: GET, HEAD and list work; PUT, DELETE, multipart → 403', async () => {
    const b = buckets['public-read'];
    const get = await anon('GET', b, 'o.txt');
    assert.equal(get.status, 200);
    assert.equal(get.text, `in ${b}`);
    assert.equal((await anon('HEAD', b, 'o.txt')).status, 200);
    assertOssError(await anon('GET', b, 'missing.txt'), 404, 'NoSuchKey');
    const list = xml((await anon('GET', b)).text).ListBucketResult;
    assert.equal(list.Contents.Key, 'o.txt');
    const before = storedFiles(srv);
    assertOssError(await anon('PUT', b, 'o.txt', 'anon'), 403, 'AccessDenied');
    assertOssError(await anon('PUT', b, 'new.txt', 'anon'), 403, 'AccessDenied');
    assertOssError(await anon('DELETE', b, 'o.txt'), 403, 'AccessDenied');
    assertOssError(await http(srv, { method: 'POST', path: `${pathStyle(b, 'mp.bin')}?uploads` }), 403, 'AccessDenied');
    assertNothingStored(srv, before);
    assert.equal(await content(b, 'o.txt'), `in ${b}`);
    await rejectsWith(srv.client({ bucket: b }).head('new.txt'), 404, 'NoSuchKey');
  });

  test('public-read-write bucket: PUT, GET, DELETE work; bucket administration stays forbidden', async () => {
    const b = buckets['public-read-write'];
    assert.equal((await anon('PUT', b, 'anon.txt', 'by anyone')).status, 200);
    assert.equal((await anon('GET', b, 'anon.txt')).text, 'by anyone');
    assert.equal(await content(b, 'anon.txt'), 'by anyone');
    assert.equal((await anon('DELETE', b, 'anon.txt')).status, 204);
    await rejectsWith(srv.client({ bucket: b }).head('anon.txt'), 404, 'NoSuchKey');
    assertOssError(await http(srv, { path: `${pathStyle(b)}?acl` }), 403, 'AccessDenied');
    assertOssError(await http(srv, { method: 'PUT', path: `${pathStyle(b)}?acl`, headers: { 'x-oss-acl': 'private' } }), 403, 'AccessDenied');
    assertOssError(await anon('DELETE', b), 403, 'AccessDenied');
    assertOssError(await anon('PUT', 'anon-new-bucket'), 403, 'AccessDenied');
    assert.equal((await srv.client().getBucketACL(b)).acl, 'public-read-write');
  });

  test('an object ACL overrides the bucket ACL; "default" follows the bucket', async () => {
    const priv = srv.client({ bucket: buckets.private });
    await priv.put('shared.txt', Buffer.from('shared'), { headers: { 'x-oss-object-acl': 'public-read' } });
    assert.equal((await anon('GET', buckets.private, 'shared.txt')).text, 'shared');
    assertOssError(await anon('PUT', buckets.private, 'shared.txt', 'anon'), 403, 'AccessDenied');
    assertOssError(await anon('DELETE', buckets.private, 'shared.txt'), 403, 'AccessDenied');

    const pub = srv.client({ bucket: buckets['public-read'] });
    await pub.put('secret.txt', Buffer.from('secret'), { headers: { 'x-oss-object-acl': 'private' } });
    assertOssError(await anon('GET', buckets['public-read'], 'secret.txt'), 403, 'AccessDenied');
    await pub.putACL('secret.txt', 'default');
    assert.equal((await anon('GET', buckets['public-read'], 'secret.txt')).text, 'secret');

    const rw = srv.client({ bucket: buckets['public-read-write'] });
    await rw.put('locked.txt', Buffer.from('locked'), { headers: { 'x-oss-object-acl': 'private' } });
    assertOssError(await anon('DELETE', buckets['public-read-write'], 'locked.txt'), 403, 'AccessDenied');
    assert.equal(await content(buckets['public-read-write'], 'locked.txt'), 'locked');
    await priv.put('open.txt', Buffer.from('open'), { headers: { 'x-oss-object-acl': 'public-read-write' } });
    assert.equal((await anon('DELETE', buckets.private, 'open.txt')).status, 204);
    await rejectsWith(priv.head('open.txt'), 404, 'NoSuchKey');
  });

  test('writes respect the object ACL too: PUT, append, copy and Complete onto a private object in a public-read-write bucket → 403', async () => {
    const b = buckets['public-read-write'];
    const owner = srv.client({ bucket: b });
    await owner.put('mine.txt', Buffer.from('mine'), { headers: { 'x-oss-object-acl': 'private' } });
    await owner.append('mine.log', Buffer.from('log'), { headers: { 'x-oss-object-acl': 'private' } });
    const before = storedFiles(srv);
    assertOssError(await anon('PUT', b, 'mine.txt', 'taken'), 403, 'AccessDenied');
    assertOssError(await http(srv, { method: 'POST', path: `${pathStyle(b, 'mine.log')}?append&position=3`, body: 'more' }), 403, 'AccessDenied');
    const copy = await http(srv, { method: 'PUT', path: pathStyle(b, 'mine.txt'), headers: { 'x-oss-copy-source': `/${b}/o.txt` } });
    assertOssError(copy, 403, 'AccessDenied');
    assertNothingStored(srv, before);
    // Multipart: the upload itself is allowed by the bucket ACL; completing onto the private object is not.
    const init = await http(srv, { method: 'POST', path: `${pathStyle(b, 'mine.txt')}?uploads` });
    const uploadId = xml(init.text).InitiateMultipartUploadResult.UploadId;
    const part = await http(srv, { method: 'PUT', path: `${pathStyle(b, 'mine.txt')}?partNumber=1&uploadId=${uploadId}`, body: 'mp' });
    const body = `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${part.headers.etag}</ETag></Part></CompleteMultipartUpload>`;
    assertOssError(await http(srv, { method: 'POST', path: `${pathStyle(b, 'mine.txt')}?uploadId=${uploadId}`, body }), 403, 'AccessDenied');
    assert.equal(await content(b, 'mine.txt'), 'mine');
    assert.equal(await content(b, 'mine.log'), 'log');

    // And the other way round: a public-read-write object in a private bucket is anyone's to replace.
    const priv = srv.client({ bucket: buckets.private });
    await priv.put('wiki.txt', Buffer.from('v1'), { headers: { 'x-oss-object-acl': 'public-read-write' } });
    assert.equal((await anon('PUT', buckets.private, 'wiki.txt', 'v2')).status, 200);
    assert.equal(await content(buckets.private, 'wiki.txt'), 'v2');
  });

  test('query "+" decodes as a space (Python requests encodes spaces that way)', async () => {
    await srv.client({ bucket: buckets['public-read'] }).put('with space.txt', Buffer.from('s'));
    const list = xml((await http(srv, { path: `${pathStyle(buckets['public-read'])}?prefix=with+sp` })).text).ListBucketResult;
    assert.equal(list.Prefix, 'with sp');
    assert.equal(list.Contents.Key, 'with space.txt');
  });

  test('anonymous ListBuckets → 403 AccessDenied', async () => {
    assertOssError(await http(srv, { path: '/' }), 403, 'AccessDenied');
  });
});

describe('path-style requests as oss2 sends them', () => {
  const key = 'py/sub dir/a+b é.txt';

  test('PUT, GET, HEAD, DELETE on /<bucket>/<key with %2F>, signed with a Date header', async () => {
    const put = await signedHttp(srv, { method: 'PUT', bucket: BUCKET, key, body: 'from python', headers: { 'content-type': 'text/plain' } });
    assert.equal(put.status, 200);
    assert.ok(pathStyle(BUCKET, key).includes('%2F'));
    assert.equal((await c.get(key)).content.toString(), 'from python');
    const get = await signedHttp(srv, { bucket: BUCKET, key });
    assert.equal(get.text, 'from python');
    assert.equal(get.headers['content-type'], 'text/plain');
    assert.equal((await signedHttp(srv, { method: 'HEAD', bucket: BUCKET, key })).headers['content-length'], '11');
    assert.deepEqual((await c.list({ prefix: 'py/' })).objects.map((o: any) => o.name), [key]);
    assert.equal((await signedHttp(srv, { method: 'DELETE', bucket: BUCKET, key })).status, 204);
    await rejectsWith(c.head(key), 404, 'NoSuchKey');
  });

  test('x-oss-date instead of Date, and bucket sub-resources on /<bucket>/', async () => {
    const res = await signedHttp(srv, { bucket: BUCKET, key: KEY, headers: { 'x-oss-date': new Date().toUTCString() } });
    assert.equal(res.text, 'original');
    const acl = xml((await signedHttp(srv, { bucket: BUCKET, query: [['acl', '']] })).text).AccessControlPolicy;
    assert.equal(acl.AccessControlList.Grant, 'private');
    const info = xml((await signedHttp(srv, { bucket: BUCKET, query: [['bucketInfo', '']] })).text).BucketInfo;
    assert.equal(info.Bucket.Name, BUCKET);
  });

  test('ali-oss with sldEnable on the IP endpoint (bucket in Host and path) resolves to the right key', async () => {
    const k = srv.client({ bucket: BUCKET, sldEnable: true });
    await k.put('sld/ip.txt', Buffer.from('ambiguous'));
    assert.equal((await c.get('sld/ip.txt')).content.toString(), 'ambiguous');
    assert.equal((await k.get('sld/ip.txt')).content.toString(), 'ambiguous');
  });
});
