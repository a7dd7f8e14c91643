/** Service and bucket operations: ListBuckets, Put/DeleteBucket, GetBucketInfo/Location, Put/GetBucketAcl. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server';
import { CLIENT_KINDS } from '../helpers/oss-clients';
import { assertOssError, http, rejectsWith, signedHttp, xml } from '../helpers/oss-http';

let srv: TestServer;
before(async () => { srv = await startTestServer(); });
after(async () => { await srv.close(); });

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000Z$/;

describe('ListBuckets', () => {
  const names = ['lb-a1', 'lb-a2', 'lb-a3', 'lb-b1'];
  before(async () => {
    const c = srv.client();
    for (const n of names) await c.putBucket(n);
  });

  for (const kind of CLIENT_KINDS) {
    test(`${kind.name}: prefix, max-keys and marker page through the buckets`, async () => {
      const c = kind.make(srv);
      const all = await c.listBuckets({ prefix: 'lb-' });
      assert.deepEqual(all.buckets.map((b: any) => b.name), names);
      assert.equal(all.isTruncated, false);
      assert.equal(all.nextMarker, null);
      assert.ok(all.owner.id, 'Owner/ID');
      assert.equal(all.buckets[0].region, 'oss-cn-hangzhou');
      assert.equal(all.buckets[0].storageClass, 'Standard');

      const first = await c.listBuckets({ prefix: 'lb-a', 'max-keys': 2 });
      assert.deepEqual(first.buckets.map((b: any) => b.name), ['lb-a1', 'lb-a2']);
      assert.equal(first.isTruncated, true);
      assert.equal(first.nextMarker, 'lb-a2');
      const second = await c.listBuckets({ prefix: 'lb-a', 'max-keys': 2, marker: first.nextMarker });
      assert.deepEqual(second.buckets.map((b: any) => b.name), ['lb-a3']);
      assert.equal(second.isTruncated, false);
    });
  }

  test('XML carries Owner and the six Bucket children oss2 requires', async () => {
    const res = await signedHttp(srv, { query: [['prefix', 'lb-b']] });
    assert.equal(res.status, 200);
    const doc = xml(res.text).ListAllMyBucketsResult;
    assert.equal(doc.Prefix, 'lb-b');
    assert.equal(doc.MaxKeys, '100');
    assert.equal(doc.IsTruncated, 'false');
    assert.ok(doc.Owner.ID && doc.Owner.DisplayName);
    const b = doc.Buckets.Bucket;
    assert.equal(b.Name, 'lb-b1');
    assert.equal(b.Location, 'oss-cn-hangzhou');
    assert.match(b.CreationDate, ISO);
    // This server, never Alibaba's endpoint (test/oss/endpoints.test.ts has the cases).
    assert.equal(b.ExtranetEndpoint, srv.host);
    assert.equal(b.IntranetEndpoint, srv.host);
    assert.equal(b.StorageClass, 'Standard');
  });

  test('invalid max-keys → 400 InvalidArgument; anonymous → 403 AccessDenied', async () => {
    for (const v of ['1001', 'abc', '-1']) {
      const err = assertOssError(await signedHttp(srv, { query: [['max-keys', v]] }), 400, 'InvalidArgument');
      assert.equal(err.ArgumentName, 'max-keys');
    }
    assertOssError(await http(srv, { path: '/' }), 403, 'AccessDenied');
  });
});

describe('PutBucket', () => {
  test('creates with x-oss-acl and answers Location; V1 and V4', async () => {
    for (const authorizationV4 of [false, true]) {
      const c = srv.client({ authorizationV4 });
      const name = `pb-acl-${authorizationV4 ? 'v4' : 'v1'}`;
      const r = await c.putBucket(name, { acl: 'public-read' });
      assert.equal(r.res.status, 200);
      assert.equal(r.bucket, name);
      assert.equal((await c.getBucketACL(name)).acl, 'public-read');
    }
    assert.equal((await srv.client().getBucketACL('pb-acl-v1')).acl, 'public-read');
  });

  test('default ACL is private; StorageClass and DataRedundancyType come from the body', async () => {
    const c = srv.client();
    await c.putBucket('pb-conf', { StorageClass: 'IA', DataRedundancyType: 'ZRS' });
    const info = (await c.getBucketInfo('pb-conf')).bucket;
    assert.equal(info.AccessControlList.Grant, 'private');
    assert.equal(info.StorageClass, 'IA');
    assert.equal(info.DataRedundancyType, 'ZRS');
  });

  test('re-creating one\'s own bucket → 200 and changes nothing', async () => {
    const c = srv.client({ bucket: 'pb-again' });
    await c.putBucket('pb-again', { acl: 'public-read' });
    const created = (await c.getBucketInfo('pb-again')).bucket.CreationDate;
    await c.put('keep.txt', Buffer.from('kept'));
    const again = await c.putBucket('pb-again', { acl: 'private' });
    assert.equal(again.res.status, 200);
    const info = (await c.getBucketInfo('pb-again')).bucket;
    assert.equal(info.AccessControlList.Grant, 'public-read');
    assert.equal(info.CreationDate, created);
    assert.equal((await c.get('keep.txt')).content.toString(), 'kept');
  });

  test('bad ACL → 400 InvalidArgument naming x-oss-acl, and no bucket', async () => {
    const c = srv.client();
    await rejectsWith(c.putBucket('pb-badacl', { acl: 'everyone' }), 400, 'InvalidArgument');
    const res = await signedHttp(srv, { method: 'PUT', bucket: 'pb-badacl2', headers: { 'x-oss-acl': 'public' } });
    assert.equal(assertOssError(res, 400, 'InvalidArgument').ArgumentName, 'x-oss-acl');
    await rejectsWith(c.getBucketInfo('pb-badacl'), 404, 'NoSuchBucket');
    await rejectsWith(c.getBucketInfo('pb-badacl2'), 404, 'NoSuchBucket');
  });

  test('bad names → 400 InvalidBucketName, and nothing is created', async () => {
    // ali-oss validates names client-side, so these go out signed by hand.
    const bad = ['ab', 'Upper-case', '-lead', 'trail-', 'under_score', 'dot.name', 'x'.repeat(64)];
    for (const name of bad) {
      assertOssError(await signedHttp(srv, { method: 'PUT', bucket: name }), 400, 'InvalidBucketName');
    }
    const listed = (await srv.client().listBuckets({})).buckets.map((b: any) => b.name);
    for (const name of bad) assert.ok(!listed.includes(name), name);
    // The boundaries are valid.
    for (const name of ['abc', 'a'.repeat(63)]) assert.equal((await signedHttp(srv, { method: 'PUT', bucket: name })).status, 200);
  });

  test('a malformed CreateBucketConfiguration → 400 MalformedXML', async () => {
    const res = await signedHttp(srv, { method: 'PUT', bucket: 'pb-badxml', body: '<CreateBucketConfiguration><StorageClass>' });
    assertOssError(res, 400, 'MalformedXML');
    await rejectsWith(srv.client().getBucketInfo('pb-badxml'), 404, 'NoSuchBucket');
  });
});

describe('DeleteBucket', () => {
  test('empty bucket → 204, then it is gone (V1 and V4)', async () => {
    for (const authorizationV4 of [false, true]) {
      const c = srv.client({ authorizationV4 });
      const name = `db-empty-${authorizationV4 ? 'v4' : 'v1'}`;
      await c.putBucket(name);
      assert.equal((await c.deleteBucket(name)).res.status, 204);
      await rejectsWith(c.getBucketInfo(name), 404, 'NoSuchBucket');
    }
  });

  test('with an object → 409 BucketNotEmpty; bucket and object stay', async () => {
    const c = srv.client({ bucket: 'db-full' });
    await c.putBucket('db-full');
    await c.put('o.txt', Buffer.from('still here'));
    await rejectsWith(c.deleteBucket('db-full'), 409, 'BucketNotEmpty');
    assert.equal((await c.get('o.txt')).content.toString(), 'still here');
    await c.delete('o.txt');
    assert.equal((await c.deleteBucket('db-full')).res.status, 204);
  });

  test('with only an unfinished multipart upload → 409 BucketNotEmpty; after abort → 204', async () => {
    const c = srv.client({ bucket: 'db-upload' });
    await c.putBucket('db-upload');
    const { uploadId } = await c.initMultipartUpload('pending.bin');
    const res = await signedHttp(srv, { method: 'DELETE', bucket: 'db-upload' });
    assertOssError(res, 409, 'BucketNotEmpty');
    assert.equal((await c.listUploads({})).uploads.length, 1);
    await c.abortMultipartUpload('pending.bin', uploadId);
    assert.equal((await c.deleteBucket('db-upload')).res.status, 204);
  });

  test('missing bucket → 404 NoSuchBucket', async () => {
    await rejectsWith(srv.client().deleteBucket('db-never'), 404, 'NoSuchBucket');
    const err = assertOssError(await signedHttp(srv, { method: 'DELETE', bucket: 'db-never' }), 404, 'NoSuchBucket');
    assert.equal(err.BucketName, 'db-never');
  });
});

describe('GetBucketInfo, GetBucketLocation, bucket ACL', () => {
  before(async () => { await srv.client().putBucket('info-b'); });

  for (const kind of CLIENT_KINDS) {
    test(`${kind.name}: GetBucketInfo fields, SSEAlgorithm None when unset`, async () => {
      const b = (await kind.make(srv, { bucket: 'info-b' }).getBucketInfo('info-b')).bucket;
      assert.equal(b.Name, 'info-b');
      assert.equal(b.Location, 'oss-cn-hangzhou');
      assert.match(b.CreationDate, ISO);
      const endpoint = kind.slug.endsWith('sld') ? `localhost:${srv.port}` : srv.host;
      assert.equal(b.ExtranetEndpoint, endpoint);
      assert.equal(b.IntranetEndpoint, endpoint);
      assert.equal(b.StorageClass, 'Standard');
      assert.ok(b.Owner.ID && b.Owner.DisplayName);
      assert.equal(b.AccessControlList.Grant, 'private');
      assert.deepEqual(b.ServerSideEncryptionRule, { SSEAlgorithm: 'None' });
      assert.equal(b.DataRedundancyType, 'LRS');
      assert.ok('Comment' in b);
    });
  }

  test('GetBucketLocation → oss-cn-hangzhou (V1 and V4); missing bucket → 404', async () => {
    for (const authorizationV4 of [false, true]) {
      const c = srv.client({ authorizationV4 });
      assert.equal((await c.getBucketLocation('info-b')).location, 'oss-cn-hangzhou');
      await rejectsWith(c.getBucketLocation('info-none'), 404, 'NoSuchBucket');
    }
    const res = await signedHttp(srv, { bucket: 'info-b', query: [['location', '']] });
    assert.match(res.text, /<LocationConstraint>oss-cn-hangzhou<\/LocationConstraint>/);
  });

  test('Put/GetBucketAcl through every value; Owner present; bad or missing value → 400, ACL unchanged', async () => {
    const c = srv.client({ authorizationV4: true });
    for (const acl of ['public-read-write', 'public-read', 'private']) {
      assert.equal((await c.putBucketACL('info-b', acl)).res.status, 200);
      const got = await c.getBucketACL('info-b');
      assert.equal(got.acl, acl);
      assert.ok(got.owner.id);
      assert.equal((await c.getBucketInfo('info-b')).bucket.AccessControlList.Grant, acl);
    }
    await rejectsWith(c.putBucketACL('info-b', 'default'), 400, 'InvalidArgument');
    const missing = await signedHttp(srv, { method: 'PUT', bucket: 'info-b', query: [['acl', '']] });
    assertOssError(missing, 400, 'InvalidArgument');
    assert.equal((await c.getBucketACL('info-b')).acl, 'private');
    await rejectsWith(c.getBucketACL('info-none'), 404, 'NoSuchBucket');
    // PutBucketAcl on a missing bucket creates it, as in OSS: test/oss/bucket-acl.test.ts.
  });

  test('object operations on a missing bucket → 404 NoSuchBucket', async () => {
    const c = srv.client({ bucket: 'info-none' });
    await rejectsWith(c.put('k', Buffer.from('x')), 404, 'NoSuchBucket');
    await rejectsWith(c.get('k'), 404, 'NoSuchBucket');
    await rejectsWith(c.list({}), 404, 'NoSuchBucket');
    await rejectsWith(c.initMultipartUpload('k'), 404, 'NoSuchBucket');
  });
});
