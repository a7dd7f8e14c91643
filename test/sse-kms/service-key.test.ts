/**
 * The managed key behind alias/acs/oss belongs to the object service: no caller, the account
 * root included, may disable it, schedule its deletion, drop its material, move or delete its
 * alias, point other aliases at it, tag it or change its rotation (each would let one user make
 * every managed SSE-KMS object unreadable, or change what policies see). Each action is tried
 * through @alicloud/kms20160120, by key id, alias and ARN; afterwards the key is unchanged and
 * the objects under it still read and write.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { KIND, type KeyRecord } from '../../src/kms/records';
import { bodyOf, createKey, describeKey, Kms, kmsClient, kmsRejects, type KmsClient } from '../helpers/kms';
import { newRamUser } from '../helpers/ram';
import { startTestServer, type TestServer } from '../helpers/server';
import { SSE, SSE_KEY_ID } from '../helpers/sse';

/** What real KMS documents for an operation a key does not support (see src/kms/service-keys.ts). */
const REFUSED = 'Rejected.UnsupportedOperation';
const MANAGED_ALIAS = 'alias/acs/oss';

let srv: TestServer;
let root: KmsClient;
let oss: any;
let managed: string;
let other: string;
const BODY = Buffer.from('written under the managed key before anyone tried to break it\n');

before(async () => {
  srv = await startTestServer();
  root = kmsClient(srv);
  oss = srv.client({ bucket: 'service-key' });
  await oss.putBucket('service-key');
  // The first SSE-KMS upload without a key id creates the managed key.
  await oss.put('before', BODY, { headers: { [SSE]: 'KMS' } });
  managed = (await describeKey(root, MANAGED_ALIAS)).keyId;
  other = await createKey(root, { description: 'a key of the user' });
  await root.createAlias(new Kms.CreateAliasRequest({ keyId: other, aliasName: 'alias/users-own' }));
});
after(async () => { await srv.close(); });

const arn = (keyId: string): string => `acs:kms:${srv.region}:${srv.running.coffer.accountId}:key/${keyId}`;

/** Every action that would change the managed key, as one call with the key named by `keyId`. */
const MUTATIONS: ReadonlyArray<{ name: string; call(kms: KmsClient, keyId: string): Promise<unknown> }> = [
  { name: 'DisableKey', call: (k, keyId) => k.disableKey(new Kms.DisableKeyRequest({ keyId })) },
  { name: 'ScheduleKeyDeletion', call: (k, keyId) => k.scheduleKeyDeletion(new Kms.ScheduleKeyDeletionRequest({ keyId, pendingWindowInDays: 7 })) },
  { name: 'DeleteKeyMaterial', call: (k, keyId) => k.deleteKeyMaterial(new Kms.DeleteKeyMaterialRequest({ keyId })) },
  { name: 'UpdateKeyDescription', call: (k, keyId) => k.updateKeyDescription(new Kms.UpdateKeyDescriptionRequest({ keyId, description: 'mine now' })) },
  { name: 'TagResource', call: (k, keyId) => k.tagResource(new Kms.TagResourceRequest({ keyId, tags: JSON.stringify([{ TagKey: 'team', TagValue: 'x' }]) })) },
  { name: 'UntagResource', call: (k, keyId) => k.untagResource(new Kms.UntagResourceRequest({ keyId, tagKeys: JSON.stringify(['team']) })) },
  { name: 'UpdateRotationPolicy', call: (k, keyId) => k.updateRotationPolicy(new Kms.UpdateRotationPolicyRequest({ keyId, enableAutomaticRotation: true, rotationInterval: '7d' })) },
  { name: 'CreateKeyVersion', call: (k, keyId) => k.createKeyVersion(new Kms.CreateKeyVersionRequest({ keyId })) },
  { name: 'CreateAlias of a new alias for it', call: (k, keyId) => k.createAlias(new Kms.CreateAliasRequest({ keyId, aliasName: 'alias/grab' })) },
  { name: 'UpdateAlias of a user alias onto it', call: (k, keyId) => k.updateAlias(new Kms.UpdateAliasRequest({ keyId, aliasName: 'alias/users-own' })) },
];

/** The managed key as it must stay: Enabled, one version, no tags, its one alias, no rotation, its description. */
async function assertUntouched(): Promise<void> {
  const m = await describeKey(root, MANAGED_ALIAS);
  assert.equal(m.keyId, managed, 'alias/acs/oss still names the managed key');
  assert.deepEqual([m.keyState, m.deleteDate, m.automaticRotation, m.description],
    ['Enabled', '', 'Disabled', 'Managed by Coffer for alias/acs/oss']);
  const versions = bodyOf(await root.listKeyVersions(new Kms.ListKeyVersionsRequest({ keyId: managed })));
  assert.equal(versions.totalCount, 1);
  assert.deepEqual(bodyOf(await root.listResourceTags(new Kms.ListResourceTagsRequest({ keyId: managed }))).tags.tag, []);
  const aliases = bodyOf(await root.listAliasesByKeyId(new Kms.ListAliasesByKeyIdRequest({ keyId: managed })));
  assert.deepEqual(aliases.aliases.alias.map((a) => a.aliasName), [MANAGED_ALIAS]);
  assert.equal((await describeKey(root, 'alias/users-own')).keyId, other);
  // The key still works: the old object reads, a new one is written under it.
  assert.deepEqual((await oss.get('before')).content, BODY);
  const put = await oss.put(`after-${Math.random()}`, BODY, { headers: { [SSE]: 'KMS' } });
  assert.equal(put.res.headers[SSE_KEY_ID], managed);
}

for (const who of ['the account root', 'a RAM user with AliyunKMSFullAccess'] as const) {
  test(`${who} is refused every change to the managed key, named by id, alias or ARN, with ${REFUSED}`, async () => {
    const kms = who === 'the account root' ? root : kmsClient(srv, await newRamUser(srv, 'kms-full', ['AliyunKMSFullAccess']));
    for (const m of MUTATIONS) {
      for (const keyId of [managed, MANAGED_ALIAS, arn(managed)]) {
        await kmsRejects(m.call(kms, keyId).catch((err) => {
          // Name the action in a failure: kmsRejects reports only the code.
          err.message = `${m.name} on ${keyId}: ${err.message}`;
          throw err;
        }), REFUSED);
      }
    }
    // Its alias can be neither moved nor deleted.
    await kmsRejects(kms.updateAlias(new Kms.UpdateAliasRequest({ aliasName: MANAGED_ALIAS, keyId: other })), REFUSED);
    await kmsRejects(kms.deleteAlias(new Kms.DeleteAliasRequest({ aliasName: MANAGED_ALIAS })), REFUSED);
    // Nor created again for another key: the name is taken, and the namespace is the service's.
    await assert.rejects(kms.createAlias(new Kms.CreateAliasRequest({ aliasName: MANAGED_ALIAS, keyId: other })));
    await assertUntouched();
  });
}

test('the refusals leave other keys alone: the same calls on a user key succeed', async () => {
  const own = await createKey(root, { description: 'control' });
  await root.updateKeyDescription(new Kms.UpdateKeyDescriptionRequest({ keyId: own, description: 'changed' }));
  await root.tagResource(new Kms.TagResourceRequest({ keyId: own, tags: JSON.stringify([{ TagKey: 'team', TagValue: 'x' }]) }));
  await root.createAlias(new Kms.CreateAliasRequest({ keyId: own, aliasName: 'alias/control' }));
  await root.disableKey(new Kms.DisableKeyRequest({ keyId: own }));
  await root.scheduleKeyDeletion(new Kms.ScheduleKeyDeletionRequest({ keyId: own, pendingWindowInDays: 7 }));
  assert.equal((await describeKey(root, own)).keyState, 'PendingDeletion');
});

test('a managed key disabled or scheduled for deletion before these refusals existed can be restored', async () => {
  // As a store written by an older release could hold it.
  const meta = srv.running.coffer.meta;
  await meta.transaction(async (tx) => {
    const rec = (await tx.getDoc<KeyRecord>(KIND.key, managed))!;
    await tx.putDoc(KIND.key, managed, { ...rec, state: 'PendingDeletion', deleteAt: Date.now() + 7 * 86_400_000 });
  });
  await root.cancelKeyDeletion(new Kms.CancelKeyDeletionRequest({ keyId: managed }));
  await meta.transaction(async (tx) => {
    const rec = (await tx.getDoc<KeyRecord>(KIND.key, managed))!;
    await tx.putDoc(KIND.key, managed, { ...rec, state: 'Disabled' });
  });
  await root.enableKey(new Kms.EnableKeyRequest({ keyId: managed }));
  await assertUntouched();
});
