/**
 * PutBucketAcl as OSS does it: on a bucket that does not exist it creates the bucket with that ACL
 * (ali-oss's own suite, test/node/bucket.test.js "should create and set acl when bucket not
 * exists"), and the answer carries `Location: /<bucket>`, which ali-oss turns into `result.bucket`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server';
import { assertOssError, http, rejectsWith, signedHttp } from '../helpers/oss-http';
import { newRamUser, ossArn, statement, userOss } from '../helpers/ram';

let srv: TestServer;
before(async () => { srv = await startTestServer(); });
after(async () => { await srv.close(); });

const exists = async (name: string): Promise<boolean> => (await srv.running.coffer.meta.getBucket(name)) !== null;

describe('PutBucketAcl', () => {
  for (const authorizationV4 of [false, true]) {
    test(`ali-oss putBucketACL on a new name creates the bucket with that ACL${authorizationV4 ? ' (V4)' : ''}`, async () => {
      const c = srv.client({ authorizationV4 });
      const name = `acl-new-${authorizationV4 ? 'v4' : 'v1'}`;
      const put = await c.putBucketACL(name, 'public-read');
      assert.equal(put.res.status, 200);
      assert.equal(put.bucket, name);
      assert.equal(put.res.headers.location, `/${name}`);
      assert.equal((await c.getBucketACL(name)).acl, 'public-read');
      const info = (await c.getBucketInfo(name)).bucket;
      assert.equal(info.StorageClass, 'Standard');
      assert.equal(info.AccessControlList.Grant, 'public-read');
      await c.deleteBucket(name);
      assert.equal(await exists(name), false);
    });
  }

  test('on an existing bucket: changes only the ACL and answers its Location', async () => {
    const c = srv.client({ bucket: 'acl-existing' });
    await c.putBucket('acl-existing', { StorageClass: 'IA' });
    await c.put('kept.txt', Buffer.from('kept'));
    const put = await c.putBucketACL('acl-existing', 'public-read-write');
    assert.equal(put.res.status, 200);
    assert.equal(put.bucket, 'acl-existing');
    const info = (await c.getBucketInfo('acl-existing')).bucket;
    assert.equal(info.AccessControlList.Grant, 'public-read-write');
    assert.equal(info.StorageClass, 'IA');
    assert.equal((await c.get('kept.txt')).content.toString(), 'kept');
  });

  test('a missing or invalid x-oss-acl → 400 InvalidArgument, and no bucket is created', async () => {
    const missing = assertOssError(await signedHttp(srv, { method: 'PUT', bucket: 'acl-none', query: [['acl', '']] }), 400, 'InvalidArgument');
    assert.equal(missing.ArgumentName, 'x-oss-acl');
    const invalid = assertOssError(await signedHttp(srv, { method: 'PUT', bucket: 'acl-bad', query: [['acl', '']], headers: { 'x-oss-acl': 'everyone' } }), 400, 'InvalidArgument');
    assert.equal(invalid.ArgumentName, 'x-oss-acl');
    assert.equal(await exists('acl-none'), false);
    assert.equal(await exists('acl-bad'), false);
  });

  test('an invalid bucket name → 400 InvalidBucketName; anonymous → 403 AccessDenied; neither creates anything', async () => {
    assertOssError(await signedHttp(srv, { method: 'PUT', bucket: 'Bad_Name', query: [['acl', '']], headers: { 'x-oss-acl': 'private' } }), 400, 'InvalidBucketName');
    assertOssError(await http(srv, { method: 'PUT', path: '/acl-anon/?acl', headers: { 'x-oss-acl': 'public-read-write' } }), 403, 'AccessDenied');
    assert.equal(await exists('acl-anon'), false);
  });

  test('creating needs oss:PutBucket as well: a RAM user allowed only oss:PutBucketAcl is refused and nothing is created', async () => {
    const aclOnly = await newRamUser(srv, 'acl-only', [{ name: 'acl-only', document: statement('Allow', 'oss:PutBucketAcl', '*') }]);
    await rejectsWith(userOss(srv, aclOnly).putBucketACL('acl-by-user', 'private'), 403, 'AccessDenied');
    assert.equal(await exists('acl-by-user'), false);
    const both = await newRamUser(srv, 'acl-and-create', [{
      name: 'acl-and-create', document: statement('Allow', ['oss:PutBucketAcl', 'oss:PutBucket'], ossArn(srv, 'acl-by-user')),
    }]);
    const put = await userOss(srv, both).putBucketACL('acl-by-user', 'public-read');
    assert.equal(put.bucket, 'acl-by-user');
    assert.equal((await srv.client().getBucketACL('acl-by-user')).acl, 'public-read');
  });
});
