/**
 * Bucket lifecycle through the S3 dialect with @aws-sdk/client-s3: Put/Get/DeleteBucketLifecycle-
 * Configuration on the same rules as OSS (Filter Prefix/Tag/And, Expiration Days/Date/
 * ExpiredObjectDeleteMarker, transitions with S3's class names, noncurrent versions,
 * AbortIncompleteMultipartUpload), NoSuchLifecycleConfiguration, refusals, and the job acting on
 * S3 writes (a day is one second here).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateBucketCommand, DeleteBucketLifecycleCommand, GetBucketLifecycleConfigurationCommand, HeadObjectCommand, PutBucketLifecycleConfigurationCommand,
  PutObjectCommand, type LifecycleRule, type S3Client,
} from '@aws-sdk/client-s3';
import { s3Client, s3Rejects } from '../helpers/s3';
import { startTestServer, type TestServer } from '../helpers/server';

let srv: TestServer;
let c: S3Client;
before(async () => {
  srv = await startTestServer({ dayMs: 1000, lifecycleIntervalMs: 100 });
  c = s3Client(srv);
});
after(async () => { await srv.close(); });

const put = (Bucket: string, Rules: LifecycleRule[]) => c.send(new PutBucketLifecycleConfigurationCommand({ Bucket, LifecycleConfiguration: { Rules } }));
const get = async (Bucket: string): Promise<LifecycleRule[]> => (await c.send(new GetBucketLifecycleConfigurationCommand({ Bucket }))).Rules ?? [];

describe('S3 bucket lifecycle', () => {
  it('round trip: what the SDK reads back is what it sent; none → NoSuchLifecycleConfiguration', async () => {
    await c.send(new CreateBucketCommand({ Bucket: 's3-lc' }));
    await s3Rejects(get('s3-lc'), 'NoSuchLifecycleConfiguration', 404);
    const rules: LifecycleRule[] = [
      { ID: 'logs', Status: 'Enabled', Filter: { Prefix: 'logs/' }, Expiration: { Days: 30 }, Transitions: [{ Days: 10, StorageClass: 'STANDARD_IA' }, { Days: 20, StorageClass: 'GLACIER' }] },
      { ID: 'tagged', Status: 'Disabled', Filter: { Tag: { Key: 'k', Value: 'v' } }, Expiration: { Date: new Date('2030-01-01T00:00:00Z') } },
      { ID: 'and', Status: 'Enabled', Filter: { And: { Prefix: 'and/', Tags: [{ Key: 'a', Value: '1' }, { Key: 'b', Value: '2' }] } }, Transitions: [{ Days: 5, StorageClass: 'DEEP_ARCHIVE' }] },
      { ID: 'versions', Status: 'Enabled', Filter: { Prefix: 'v/' }, NoncurrentVersionExpiration: { NoncurrentDays: 9 }, NoncurrentVersionTransitions: [{ NoncurrentDays: 3, StorageClass: 'GLACIER' }] },
      { ID: 'markers', Status: 'Enabled', Filter: { Prefix: 'dm/' }, Expiration: { ExpiredObjectDeleteMarker: true } },
      { ID: 'uploads', Status: 'Enabled', Filter: { Prefix: 'mp/' }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 2 } },
    ];
    await put('s3-lc', rules);
    assert.deepEqual(await get('s3-lc'), rules);
    // The OSS dialect reads the same rules under its own names.
    const oss = await srv.client({ bucket: 's3-lc' }).getBucketLifecycle('s3-lc');
    assert.deepEqual(oss.rules[0].transition, [{ days: '10', storageClass: 'IA' }, { days: '20', storageClass: 'Archive' }]);
    assert.deepEqual(oss.rules[5].abortMultipartUpload, { days: '2' });
    await c.send(new DeleteBucketLifecycleCommand({ Bucket: 's3-lc' }));
    await s3Rejects(get('s3-lc'), 'NoSuchLifecycleConfiguration', 404);
  });

  it('refusals: OSS\'s checks, S3 classes Coffer lacks, and filters it does not implement', async () => {
    await c.send(new CreateBucketCommand({ Bucket: 's3-lc-bad' }));
    await s3Rejects(put('s3-lc-bad', [{ Status: 'Enabled', Filter: { Prefix: 'a/' }, Expiration: { Days: 0 } }]), 'InvalidArgument', 400);
    await s3Rejects(put('s3-lc-bad', [{ Status: 'Enabled', Filter: { Prefix: 'a/' }, Transitions: [{ Days: 1, StorageClass: 'ONEZONE_IA' }] }]), 'InvalidStorageClass', 400);
    await s3Rejects(put('s3-lc-bad', [{ Status: 'Enabled', Filter: { Prefix: 'a/' }, Expiration: { Date: new Date('2030-01-01T12:00:00Z') } }]), 'InvalidArgument', 400);
    await s3Rejects(put('s3-lc-bad', [
      { ID: 'x', Status: 'Enabled', Filter: { Prefix: 'a/' }, Expiration: { Days: 1 } },
      { ID: 'y', Status: 'Enabled', Filter: { Prefix: 'a/b' }, Expiration: { Days: 2 } },
    ]), 'InvalidArgument', 400);
    await s3Rejects(put('s3-lc-bad', [{ Status: 'Enabled', Filter: { ObjectSizeGreaterThan: 10 }, Expiration: { Days: 1 } }]), 'NotImplemented', 501);
    await s3Rejects(get('s3-lc-bad'), 'NoSuchLifecycleConfiguration', 404);
  });

  it('the job expires and transitions what S3 clients wrote', async () => {
    await c.send(new CreateBucketCommand({ Bucket: 's3-lc-job' }));
    await c.send(new PutObjectCommand({ Bucket: 's3-lc-job', Key: 'tmp/a', Body: 'a', ServerSideEncryption: 'AES256' }));
    await c.send(new PutObjectCommand({ Bucket: 's3-lc-job', Key: 'cold/a', Body: 'b' }));
    await put('s3-lc-job', [
      { Status: 'Enabled', Filter: { Prefix: 'tmp/' }, Expiration: { Days: 1 } },
      { Status: 'Enabled', Filter: { Prefix: 'cold/' }, Transitions: [{ Days: 1, StorageClass: 'GLACIER' }] },
    ]);
    const end = Date.now() + 15_000;
    for (;;) {
      const gone = await c.send(new HeadObjectCommand({ Bucket: 's3-lc-job', Key: 'tmp/a' })).then(() => false, () => true);
      const cold = (await c.send(new HeadObjectCommand({ Bucket: 's3-lc-job', Key: 'cold/a' }))).StorageClass;
      if (gone && cold === 'GLACIER') break;
      assert.ok(Date.now() < end, 'timed out waiting for the lifecycle job');
      await sleep(100);
    }
  });
});
