/**
 * A bucket's default SSE-KMS rule must name a key that can encrypt: one KMS knows (by id, alias
 * or ARN), Enabled and symmetric. Otherwise every later upload would fail, so PutBucketEncryption
 * and PutBucket with SSE headers refuse it for every caller, the root included, with 400
 * InvalidArgument and OSS's EC for a CMK id KMS does not know (0005-00000208), and change
 * nothing. Naming no key (the managed alias/acs/oss, created on first use) needs no check.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createKey, Kms, kmsClient, type KmsClient } from '../helpers/kms';
import { rejectsWith } from '../helpers/oss-http';
import { newRamUser, userOss } from '../helpers/ram';
import { startTestServer, type TestServer } from '../helpers/server';
import { SSE, SSE_KEY_ID } from '../helpers/sse';

let srv: TestServer;
let kms: KmsClient;
let usable: string;
const unusable: Record<string, string> = {};

before(async () => {
  srv = await startTestServer();
  kms = kmsClient(srv);
  usable = await createKey(kms, { description: 'usable' });
  await kms.createAlias(new Kms.CreateAliasRequest({ keyId: usable, aliasName: 'alias/usable' }));
  unusable.Disabled = await createKey(kms);
  await kms.disableKey(new Kms.DisableKeyRequest({ keyId: unusable.Disabled }));
  unusable.PendingDeletion = await createKey(kms);
  await kms.scheduleKeyDeletion(new Kms.ScheduleKeyDeletionRequest({ keyId: unusable.PendingDeletion, pendingWindowInDays: 7 }));
  unusable.PendingImport = await createKey(kms, { origin: 'EXTERNAL' });
});
after(async () => { await srv.close(); });

const arn = (keyId: string): string => `acs:kms:${srv.region}:${srv.running.coffer.accountId}:key/${keyId}`;

/** A refusal of the named key: 400 InvalidArgument naming it, EC 0005-00000208 for one KMS does not know. */
async function refused(call: Promise<unknown>, keyId: string, missing: boolean): Promise<void> {
  const err = await rejectsWith(call, 400, 'InvalidArgument');
  assert.ok(String(err.message).includes(keyId), err.message);
  if (missing) assert.equal(err.ecCode, '0005-00000208');
}

const MISSING = ['nope', 'alias/nope', '00000000-0000-4000-8000-000000000000', 'acs:kms:cn-hangzhou:1:key/nope'];

for (const who of ['the root', 'a RAM user with OSS and KMS full access'] as const) {
  test(`${who}: PutBucketEncryption naming a missing or unusable CMK is refused and the rule in force stays`, async () => {
    const bucket = who === 'the root' ? 'rule-root' : 'rule-user';
    const c = who === 'the root'
      ? srv.client({ bucket })
      : userOss(srv, await newRamUser(srv, 'rule-admin', ['AliyunOSSFullAccess', 'AliyunKMSFullAccess']), bucket);
    await c.putBucket(bucket);
    await c.putBucketEncryption(bucket, { SSEAlgorithm: 'SM4' });
    for (const keyId of MISSING) await refused(c.putBucketEncryption(bucket, { SSEAlgorithm: 'KMS', KMSMasterKeyID: keyId }), keyId, true);
    for (const [state, keyId] of Object.entries(unusable)) {
      const err = await rejectsWith(c.putBucketEncryption(bucket, { SSEAlgorithm: 'KMS', KMSMasterKeyID: keyId }), 400, 'InvalidArgument');
      assert.ok(String(err.message).includes(state), `${state}: ${err.message}`);
    }
    assert.deepEqual((await c.getBucketEncryption(bucket)).encryption, { SSEAlgorithm: 'SM4' });
    assert.equal((await c.put('still-works', Buffer.from('x'))).res.headers[SSE], 'SM4');

    // A usable key, however it is named, is accepted and encrypts.
    for (const keyId of [usable, 'alias/usable', arn(usable)]) {
      await c.putBucketEncryption(bucket, { SSEAlgorithm: 'KMS', KMSMasterKeyID: keyId });
      assert.equal((await c.put('under-cmk', Buffer.from('y'))).res.headers[SSE_KEY_ID], usable);
    }
  });
}

test('PutBucket with SSE-KMS headers naming a missing or disabled CMK is refused and creates no bucket', async () => {
  const c = srv.client();
  await refused(c.putBucket('pb-missing-cmk', { headers: { [SSE]: 'KMS', [SSE_KEY_ID]: 'nope' } }), 'nope', true);
  await rejectsWith(c.getBucketInfo('pb-missing-cmk'), 404, 'NoSuchBucket');
  await refused(c.putBucket('pb-disabled-cmk', { headers: { [SSE]: 'KMS', [SSE_KEY_ID]: unusable.Disabled! } }), unusable.Disabled!, false);
  await rejectsWith(c.getBucketInfo('pb-disabled-cmk'), 404, 'NoSuchBucket');
  await c.putBucket('pb-usable-cmk', { headers: { [SSE]: 'KMS', [SSE_KEY_ID]: usable } });
  assert.deepEqual((await c.getBucketEncryption('pb-usable-cmk')).encryption, { SSEAlgorithm: 'KMS', KMSMasterKeyID: usable });
});

test('the managed key is created on first use: a KMS rule without a key id, or naming alias/acs/oss, is accepted before it exists', async () => {
  const fresh = await startTestServer();
  try {
    const implied = fresh.client({ bucket: 'managed-implied' });
    await implied.putBucket('managed-implied');
    await implied.putBucketEncryption('managed-implied', { SSEAlgorithm: 'KMS' });
    const named = fresh.client({ bucket: 'managed-named' });
    await named.putBucket('managed-named');
    await named.putBucketEncryption('managed-named', { SSEAlgorithm: 'KMS', KMSMasterKeyID: 'alias/acs/oss' });
    const managed = (await implied.put('first', Buffer.from('z'))).res.headers[SSE_KEY_ID];
    assert.ok(managed);
    assert.equal((await named.put('first', Buffer.from('z'))).res.headers[SSE_KEY_ID], managed);
  } finally {
    await fresh.close();
  }
});
