/**
 * Seed 004, "Required permissions", with @alicloud/ram20150501, ali-oss and @alicloud/kms20160120:
 * each of the seed's three RAM policies, next to the OSS permissions the seed names, allows what
 * the seed says it is for and no more; without its KMS part the same request fails with 403
 * AccessDenied "This request is forbidden by kms", nothing is written and no KMS call is made.
 * The managed key alias/acs/oss needs no KMS permission: the seed asks for them only "if you use
 * a specified CMK".
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { bodyOf, createKey, Kms, kmsClient, kmsRejects } from '../helpers/kms';
import { localhostClient } from '../helpers/oss-clients';
import { assertNothingStored, bytes, fetchUrl, rejectsWith, storedFiles, xml } from '../helpers/oss-http';
import { forbiddenByKms, newRamUser, ossArn, userOss, type Credentials } from '../helpers/ram';
import { seedPolicies } from '../helpers/seed-policies';
import { startTestServer, type TestServer } from '../helpers/server';
import { SSE, SSE_KEY_ID } from '../helpers/sse';
import { kmsHeaders, multipart, ossKmsCalls } from '../sse-kms/helpers';

let srv: TestServer;
let seed: ReturnType<typeof seedPolicies>;
let cmk: string;
let otherKey: string;
const body = bytes(150_000, 4);

before(async () => {
  srv = await startTestServer({ metricsKeyIds: true });
  seed = seedPolicies(srv.running.coffer.accountId);
  cmk = await createKey(kmsClient(srv));
  otherKey = await createKey(kmsClient(srv));
});
after(async () => { await srv.close(); });

/** A custom policy allowing OSS `actions` on the bucket's (or objects') resources. */
const oss = (name: string, actions: string[], resources: string[]): { name: string; document: object } => ({
  name,
  document: { Version: '1', Statement: [{ Effect: 'Allow', Action: actions, Resource: resources.map((r) => ossArn(srv, r)) }] },
});
const seedPolicy = (name: string, document: object): { name: string; document: object } => ({ name, document });

/** A bucket the root makes, with an optional default rule. */
async function rootBucket(name: string, rule?: Record<string, string>): Promise<any> {
  const c = srv.client({ bucket: name });
  await c.putBucket(name);
  if (rule) await c.putBucketEncryption(name, rule);
  return c;
}

describe('configure server-side encryption for a bucket', () => {
  test('PutBucketEncryption/GetBucketEncryption plus the seed\'s kms:List*/DescribeKey policy: a rule naming a CMK is set and read, and no more is allowed', async () => {
    await rootBucket('seed-configure');
    const user = await newRamUser(srv, 'configurer', [
      oss('configure-oss', ['oss:PutBucketEncryption', 'oss:GetBucketEncryption'], ['seed-configure']),
      seedPolicy('seed-configure-kms', seed.configure),
    ]);
    const c = userOss(srv, user, 'seed-configure');
    const rule = { SSEAlgorithm: 'KMS', KMSMasterKeyID: cmk };
    assert.equal((await c.putBucketEncryption('seed-configure', rule)).status, 200);
    assert.deepEqual((await c.getBucketEncryption('seed-configure')).encryption, rule);

    await rejectsWith(c.put('x', body), 403, 'AccessDenied');
    await rejectsWith(c.deleteBucketEncryption('seed-configure'), 403, 'AccessDenied');
    const kms = kmsClient(srv, user);
    assert.equal(bodyOf(await kms.describeKey(new Kms.DescribeKeyRequest({ keyId: cmk }))).keyMetadata.keyId, cmk);
    assert.ok(bodyOf(await kms.listKeys(new Kms.ListKeysRequest({}))).totalCount >= 2);
    await kmsRejects(kms.generateDataKey(new Kms.GenerateDataKeyRequest({ keyId: cmk })), 'Forbidden.NoPermission');
    await kmsRejects(kms.encrypt(new Kms.EncryptRequest({ keyId: cmk, plaintext: 'eA==' })), 'Forbidden.NoPermission');
  });

  test('the seed\'s policy narrowed to the one CMK, as the seed suggests, is enough for that CMK and no other; DescribeKey without kms:List* is not', async () => {
    await rootBucket('seed-configure-narrow');
    const keyOnly = (actions: string[]): object => ({ Version: '1', Statement: [{ Effect: 'Allow', Action: actions, Resource: `acs:kms:*:${srv.running.coffer.accountId}:key/${cmk}` }] });
    const bucketOss = oss('configure-oss-narrow', ['oss:PutBucketEncryption'], ['seed-configure-narrow']);
    const narrow = await newRamUser(srv, 'configurer-narrow', [bucketOss, seedPolicy('seed-configure-one-key', keyOnly(['kms:List*', 'kms:DescribeKey']))]);
    const c = userOss(srv, narrow, 'seed-configure-narrow');
    await c.putBucketEncryption('seed-configure-narrow', { SSEAlgorithm: 'KMS', KMSMasterKeyID: cmk });
    await forbiddenByKms(c.putBucketEncryption('seed-configure-narrow', { SSEAlgorithm: 'KMS', KMSMasterKeyID: otherKey }));
    const describeOnly = await newRamUser(srv, 'configurer-describe-only', [
      { ...bucketOss, name: 'configure-oss-describe' }, seedPolicy('describe-one-key', keyOnly(['kms:DescribeKey'])),
    ]);
    await forbiddenByKms(userOss(srv, describeOnly, 'seed-configure-narrow').putBucketEncryption('seed-configure-narrow', { SSEAlgorithm: 'KMS', KMSMasterKeyID: cmk }));
  });

  test('without the KMS part a rule naming a CMK is forbidden by kms and the bucket keeps its rule; AES256 and the managed key need none', async () => {
    await rootBucket('seed-configure-2');
    const user = await newRamUser(srv, 'configurer-oss-only', [
      oss('configure-oss-2', ['oss:PutBucketEncryption', 'oss:GetBucketEncryption'], ['seed-configure-2']),
    ]);
    const c = userOss(srv, user, 'seed-configure-2');
    await forbiddenByKms(c.putBucketEncryption('seed-configure-2', { SSEAlgorithm: 'KMS', KMSMasterKeyID: cmk }));
    await rejectsWith(c.getBucketEncryption('seed-configure-2'), 404, 'NoSuchServerSideEncryptionRule');
    // PutBucket with the SSE headers sets a default rule too, and is judged alike.
    const creator = await newRamUser(srv, 'bucket-creator', [oss('create-buckets', ['oss:PutBucket'], ['seed-created-*'])]);
    await forbiddenByKms(userOss(srv, creator).putBucket('seed-created-1', { headers: kmsHeaders(cmk) }));
    await rejectsWith(srv.client().getBucketInfo('seed-created-1'), 404, 'NoSuchBucket');

    await c.putBucketEncryption('seed-configure-2', { SSEAlgorithm: 'AES256' });
    assert.deepEqual((await c.getBucketEncryption('seed-configure-2')).encryption, { SSEAlgorithm: 'AES256' });
    await c.putBucketEncryption('seed-configure-2', { SSEAlgorithm: 'KMS' });
    assert.deepEqual((await c.getBucketEncryption('seed-configure-2')).encryption, { SSEAlgorithm: 'KMS' });
  });
});

describe('upload an object to a bucket with an encryption method', () => {
  let up: Credentials;
  before(async () => {
    await rootBucket('seed-upload', { SSEAlgorithm: 'KMS', KMSMasterKeyID: cmk });
    up = await newRamUser(srv, 'uploader', [oss('upload-oss', ['oss:PutObject'], ['seed-upload/*']), seedPolicy('seed-upload-kms', seed.upload)]);
  });

  test('oss:PutObject plus the seed\'s upload policy: PUT under the bucket\'s CMK, PUT naming it, multipart; reading back is not allowed', async () => {
    const c = userOss(srv, up, 'seed-upload');
    assert.equal((await c.put('by-default', body)).res.headers[SSE_KEY_ID], cmk);
    assert.equal((await c.put('by-header', body, { headers: kmsHeaders(cmk) })).res.headers[SSE_KEY_ID], cmk);
    await multipart(c, 'by-multipart', [bytes(200_000, 1), bytes(1000, 2)], kmsHeaders(cmk));
    const root = srv.client({ bucket: 'seed-upload' });
    for (const key of ['by-default', 'by-header']) assert.ok((await root.get(key)).content.equals(body), key);
    assert.equal((await root.head('by-multipart')).res.headers[SSE_KEY_ID], cmk);

    const denied = await rejectsWith(c.get('by-default'), 403, 'AccessDenied');
    assert.match(denied.message, /no RAM policy allows oss:GetObject/);
  });

  test('without the KMS part PUT, PUT naming the CMK and multipart initiate are forbidden by kms: nothing is stored, no KMS call made', async () => {
    const user = await newRamUser(srv, 'uploader-oss-only', [oss('upload-oss-only', ['oss:PutObject'], ['seed-upload/*'])]);
    const c = userOss(srv, user, 'seed-upload');
    const before = storedFiles(srv);
    const calls = ossKmsCalls(srv, 'GenerateDataKey', cmk);
    await forbiddenByKms(c.put('refused-1', body));
    await forbiddenByKms(c.put('refused-2', body, { headers: kmsHeaders(cmk) }));
    await forbiddenByKms(c.initMultipartUpload('refused-3'));
    assertNothingStored(srv, before);
    assert.equal(ossKmsCalls(srv, 'GenerateDataKey', cmk), calls);
    for (const key of ['refused-1', 'refused-2', 'refused-3']) assert.equal(await srv.running.coffer.meta.getObject('seed-upload', key), null);
    assert.deepEqual(await srv.running.coffer.meta.listUploads('seed-upload', { limit: 10 }), []);
  });

  test('every KMS permission of the upload policy counts: without GenerateDataKey or DescribeKey a PUT is refused; without Decrypt an upload part is', async () => {
    const without = (action: string): object => ({
      Version: '1',
      Statement: [{ Effect: 'Allow', Action: ['kms:List*', 'kms:DescribeKey', 'kms:GenerateDataKey', 'kms:Decrypt'].filter((a) => a !== action), Resource: `acs:kms:*:${srv.running.coffer.accountId}:*` }],
    });
    for (const action of ['kms:GenerateDataKey', 'kms:DescribeKey', 'kms:Decrypt']) {
      const name = `uploader-no-${action.slice(4).toLowerCase()}`;
      const user = await newRamUser(srv, name, [oss(`${name}-oss`, ['oss:PutObject'], ['seed-upload/*']), seedPolicy(`${name}-kms`, without(action))]);
      const c = userOss(srv, user, 'seed-upload');
      if (action === 'kms:Decrypt') {
        await c.put(`${name}-put`, body);
        const init = await c.initMultipartUpload(`${name}-mp`);
        const before = storedFiles(srv);
        await forbiddenByKms(c.uploadPart(`${name}-mp`, init.uploadId, 1, body, 0, body.length));
        assertNothingStored(srv, before);
      } else {
        await forbiddenByKms(c.put(`${name}-put`, body));
      }
    }
  });

  test('the managed key alias/acs/oss needs no KMS permission: only a named CMK does', async () => {
    await rootBucket('seed-managed');
    const user = await newRamUser(srv, 'managed-user', [oss('managed-oss', ['oss:PutObject', 'oss:GetObject'], ['seed-managed/*'])]);
    const c = userOss(srv, user, 'seed-managed');
    const put = await c.put('managed', body, { headers: { [SSE]: 'KMS' } });
    assert.equal(put.res.headers[SSE], 'KMS');
    assert.ok((await c.get('managed')).content.equals(body));
    await forbiddenByKms(c.put('named', body, { headers: kmsHeaders(cmk) }));
  });
});

describe('download an object from a bucket with an encryption method', () => {
  before(async () => {
    const root = await rootBucket('seed-download', { SSEAlgorithm: 'KMS', KMSMasterKeyID: cmk });
    await root.put('secret', body);
  });

  test('oss:GetObject plus the seed\'s kms:Decrypt policy: the object reads back (whole and ranged); writing is not allowed', async () => {
    const user = await newRamUser(srv, 'downloader', [oss('download-oss', ['oss:GetObject'], ['seed-download/*']), seedPolicy('seed-download-kms', seed.download)]);
    const c = userOss(srv, user, 'seed-download');
    assert.ok((await c.get('secret')).content.equals(body));
    assert.ok((await c.get('secret', { headers: { Range: 'bytes=100-199' } })).content.equals(body.subarray(100, 200)));
    await rejectsWith(c.put('new', body), 403, 'AccessDenied');
    await kmsRejects(kmsClient(srv, user).generateDataKey(new Kms.GenerateDataKeyRequest({ keyId: cmk })), 'Forbidden.NoPermission');
  });

  test('without kms:Decrypt a GET (ranged, or by presigned URL) is forbidden by kms and no Decrypt reaches the KMS; HEAD still answers', async () => {
    const user = await newRamUser(srv, 'downloader-oss-only', [oss('download-oss-only', ['oss:GetObject'], ['seed-download/*'])]);
    const c = userOss(srv, user, 'seed-download');
    const calls = ossKmsCalls(srv, 'Decrypt', cmk);
    await forbiddenByKms(c.get('secret'));
    await forbiddenByKms(c.get('secret', { headers: { Range: 'bytes=0-9' } }));
    // ali-oss presigns only for a host name endpoint.
    const presigned = await fetchUrl(srv, localhostClient(srv, { ...user, bucket: 'seed-download' }).signatureUrl('secret', { expires: 600 }));
    assert.equal(presigned.status, 403);
    assert.equal(xml(presigned.text).Error.Message, 'This request is forbidden by kms');
    assert.equal((await c.head('secret')).res.headers[SSE_KEY_ID], cmk);
    assert.equal(ossKmsCalls(srv, 'Decrypt', cmk), calls);
  });

  test('kms:Decrypt on another key does not reach this CMK', async () => {
    const keyArn = `acs:kms:${srv.region}:${srv.running.coffer.accountId}:key/${otherKey}`;
    const user = await newRamUser(srv, 'downloader-other-key', [
      oss('download-oss-other', ['oss:GetObject'], ['seed-download/*']),
      seedPolicy('decrypt-other-key', { Version: '1', Statement: [{ Effect: 'Allow', Action: 'kms:Decrypt', Resource: keyArn }] }),
    ]);
    await forbiddenByKms(userOss(srv, user, 'seed-download').get('secret'));
  });
});
