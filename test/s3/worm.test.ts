/**
 * WORM retention seen through the S3 dialect (@aws-sdk/client-s3): a bucket locked through OSS
 * keeps its objects from S3 deletes and overwrites too (DeleteObjects reports the kept key as an
 * Error), while S3 Object Lock itself stays unimplemented.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CreateBucketCommand, DeleteObjectCommand, DeleteObjectsCommand, PutObjectCommand, PutObjectLockConfigurationCommand } from '@aws-sdk/client-s3';
import { s3Client, s3Rejects } from '../helpers/s3';
import { startTestServer, type TestServer } from '../helpers/server';

let srv: TestServer;
const BUCKET = 's3-worm';

before(async () => {
  srv = await startTestServer({ dayMs: 60_000 });
  await s3Client(srv).send(new CreateBucketCommand({ Bucket: BUCKET }));
});
after(async () => { await srv.close(); });

test('retained objects refuse S3 deletes and overwrites; other keys go; Object Lock is NotImplemented', async () => {
  const s3 = s3Client(srv);
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'kept.txt', Body: 'k' }));
  const oss = srv.client({ bucket: BUCKET });
  const { wormId } = await oss.initiateBucketWorm(BUCKET, 1);
  await oss.completeBucketWorm(BUCKET, wormId);

  await s3Rejects(s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'kept.txt' })), 'AccessDenied', 403);
  await s3Rejects(s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'kept.txt', Body: 'x' })), 'AccessDenied', 403);
  const r = await s3.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: [{ Key: 'kept.txt' }, { Key: 'absent.txt' }] } }));
  assert.deepEqual(r.Deleted?.map((d) => d.Key), ['absent.txt']);
  assert.deepEqual(r.Errors?.map((e) => [e.Key, e.Code]), [['kept.txt', 'AccessDenied']]);
  await s3Rejects(s3.send(new PutObjectLockConfigurationCommand({ Bucket: BUCKET, ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled' } })), 'NotImplemented', 501);
});
