/**
 * Multi-object operations decide access exactly as the single-object ones: for every bucket ACL ×
 * object ACL, an anonymous DeleteMultipleObjects is allowed exactly when DeleteObject is, and a
 * refused batch deletes nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server';
import { assertOssError, http, md5Base64, pathStyle, rejectsWith } from '../helpers/oss-http';

let srv: TestServer;

before(async () => { srv = await startTestServer(); });
after(async () => { await srv.close(); });

const BUCKET_ACLS = ['private', 'public-read', 'public-read-write'] as const;
const OBJECT_ACLS = ['default', 'private', 'public-read', 'public-read-write'] as const;

function anonymousDeleteMulti(bucket: string, keys: string[]) {
  const body = `<?xml version="1.0" encoding="UTF-8"?><Delete><Quiet>false</Quiet>${keys.map((k) => `<Object><Key>${k}</Key></Object>`).join('')}</Delete>`;
  return http(srv, { method: 'POST', path: pathStyle(bucket, undefined, [['delete', '']]), body, headers: { 'content-md5': md5Base64(body) } });
}

async function exists(c: any, key: string): Promise<boolean> {
  try {
    await c.head(key);
    return true;
  } catch (e: any) {
    if (e.status === 404) return false;
    throw e;
  }
}

describe('DeleteMultipleObjects decides like DeleteObject', () => {
  for (const bucketAcl of BUCKET_ACLS) {
    test(`bucket ${bucketAcl}: anonymous batch delete allowed exactly where DeleteObject is`, async () => {
      const bucket = `batch-${bucketAcl}`;
      const c = srv.client({ bucket });
      await c.putBucket(bucket);
      await c.putBucketACL(bucket, bucketAcl);
      for (const acl of OBJECT_ACLS) {
        for (const via of ['single', 'batch']) {
          await c.put(`${via}-${acl}.txt`, Buffer.from(acl), { headers: { 'x-oss-object-acl': acl } });
        }
      }
      for (const acl of OBJECT_ACLS) {
        const single = await http(srv, { method: 'DELETE', path: pathStyle(bucket, `single-${acl}.txt`) });
        const batch = await anonymousDeleteMulti(bucket, [`batch-${acl}.txt`]);
        const allowed = single.status === 204;
        if (!allowed) assertOssError(single, 403, 'AccessDenied');
        assert.equal(batch.status === 200, allowed, `object ${acl}: DeleteObject ${single.status}, DeleteMultipleObjects ${batch.status} ${batch.text}`);
        if (!allowed) assertOssError(batch, 403, 'AccessDenied');
        assert.equal(await exists(c, `single-${acl}.txt`), !allowed);
        assert.equal(await exists(c, `batch-${acl}.txt`), !allowed);
      }
    });
  }

  test('one refused key refuses the whole batch: the allowed keys in it stay too', async () => {
    const bucket = 'batch-mixed';
    const c = srv.client({ bucket });
    await c.putBucket(bucket);
    await c.putBucketACL(bucket, 'public-read-write');
    await c.put('open.txt', Buffer.from('open'));
    await c.put('mine.txt', Buffer.from('mine'), { headers: { 'x-oss-object-acl': 'private' } });
    assertOssError(await anonymousDeleteMulti(bucket, ['open.txt', 'mine.txt']), 403, 'AccessDenied');
    assert.equal((await c.get('open.txt')).content.toString(), 'open');
    assert.equal((await c.get('mine.txt')).content.toString(), 'mine');
    // The same caller's single DeleteObject agrees, and the signed owner still deletes both at once.
    assertOssError(await http(srv, { method: 'DELETE', path: pathStyle(bucket, 'mine.txt') }), 403, 'AccessDenied');
    assert.deepEqual((await c.deleteMulti(['open.txt', 'mine.txt'])).deleted.map((d: any) => d.Key), ['open.txt', 'mine.txt']);
    await rejectsWith(c.head('mine.txt'), 404, 'NoSuchKey');
  });
});
