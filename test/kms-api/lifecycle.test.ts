/**
 * Key states over the wire, on a server whose KMS clock the tests advance: the §4.1 refusals with
 * their Code and HTTP status (and how each client reports them), rotation by the clock, and
 * crypto-shredding once a deletion window has passed.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { createKey, describeKey, Kms, kmsClient, type KmsClient } from '../helpers/kms';
import type { TestServer } from '../helpers/server';
import { DAY, wrapMaterial, type Clock } from '../kms/helpers';
import { assertRpcError, rpcTime } from '../rpc/helpers';
import { startClockedServer } from '../sse-kms/helpers';
import { kmsV1Request, okBody, popCaller, rejectsWith, v3Caller, type Caller, type ClientKind } from './helpers';

let srv: TestServer;
let clock: Clock;
let kms: KmsClient;
let pop: Caller;

before(async () => {
  ({ srv, clock } = await startClockedServer());
  kms = kmsClient(srv);
  pop = popCaller(srv, 'GET');
});
after(() => srv.close());

const MISSING_KEY = '00000000-0000-4000-8000-000000000000';

interface UsedKey { keyId: string; blob: string }

/** One key in each state; those that were usable come with a blob made meanwhile. */
async function keysInEveryState(): Promise<{ enabled: UsedKey; disabled: UsedKey; pendingDeletion: UsedKey; pendingImport: string }> {
  const usable = async () => {
    const keyId = await createKey(kms);
    return { keyId, blob: (await kms.encrypt(new Kms.EncryptRequest({ keyId, plaintext: 'eA==' }))).ciphertextBlob };
  };
  const [enabled, disabled, pendingDeletion] = [await usable(), await usable(), await usable()];
  await kms.disableKey(new Kms.DisableKeyRequest({ keyId: disabled.keyId }));
  await kms.scheduleKeyDeletion(new Kms.ScheduleKeyDeletionRequest({ keyId: pendingDeletion.keyId, pendingWindowInDays: 30 }));
  return { enabled, disabled, pendingDeletion, pendingImport: await createKey(kms, { origin: 'EXTERNAL' }) };
}

test('state refusals: each §4.1 cell answers its Rejected.* code with 409, the not-found codes 404, and nothing changes', async () => {
  const { enabled, disabled: d, pendingDeletion: p, pendingImport: i } = await keysInEveryState();
  const keyIds = [enabled.keyId, d.keyId, p.keyId, i];
  await kms.createAlias(new Kms.CreateAliasRequest({ keyId: enabled.keyId, aliasName: 'alias/states' }));
  const cases: Array<[string, Record<string, string>, string, number]> = [
    ['Encrypt', { KeyId: d.keyId, Plaintext: 'eA==' }, 'Rejected.Disabled', 409],
    ['GenerateDataKey', { KeyId: d.keyId }, 'Rejected.Disabled', 409],
    ['GenerateDataKeyWithoutPlaintext', { KeyId: d.keyId }, 'Rejected.Disabled', 409],
    ['Decrypt', { CiphertextBlob: d.blob }, 'Rejected.Disabled', 409],
    ['ReEncrypt', { CiphertextBlob: d.blob, DestinationKeyId: enabled.keyId }, 'Rejected.Disabled', 409],
    ['ReEncrypt', { CiphertextBlob: enabled.blob, DestinationKeyId: d.keyId }, 'Rejected.Disabled', 409],
    ['CreateKeyVersion', { KeyId: d.keyId }, 'Rejected.Disabled', 409],
    ['UpdateRotationPolicy', { KeyId: d.keyId, EnableAutomaticRotation: 'false' }, 'Rejected.Disabled', 409],
    ['Encrypt', { KeyId: p.keyId, Plaintext: 'eA==' }, 'Rejected.PendingDeletion', 409],
    ['Decrypt', { CiphertextBlob: p.blob }, 'Rejected.PendingDeletion', 409],
    ['UpdateKeyDescription', { KeyId: p.keyId, Description: 'x' }, 'Rejected.PendingDeletion', 409],
    ['TagResource', { KeyId: p.keyId, Tags: '[{"TagKey":"k","TagValue":"v"}]' }, 'Rejected.PendingDeletion', 409],
    ['UntagResource', { KeyId: p.keyId, TagKeys: '["k"]' }, 'Rejected.PendingDeletion', 409],
    ['UpdateAlias', { KeyId: p.keyId, AliasName: 'alias/states' }, 'Rejected.PendingDeletion', 409],
    ['EnableKey', { KeyId: p.keyId }, 'Rejected.StateModifiedFailed', 409],
    ['DisableKey', { KeyId: p.keyId }, 'Rejected.StateModifiedFailed', 409],
    ['ScheduleKeyDeletion', { KeyId: p.keyId, PendingWindowInDays: '7' }, 'Rejected.StateModifiedFailed', 409],
    ['CreateAlias', { KeyId: p.keyId, AliasName: 'alias/states-p' }, 'Rejected.StateModifiedFailed', 409],
    ['Encrypt', { KeyId: i, Plaintext: 'eA==' }, 'Rejected.PendingImport', 409],
    ['GenerateDataKey', { KeyId: i }, 'Rejected.PendingImport', 409],
    ['EnableKey', { KeyId: i }, 'Rejected.StateModifiedFailed', 409],
    ['DisableKey', { KeyId: i }, 'Rejected.StateModifiedFailed', 409],
    ['CancelKeyDeletion', { KeyId: i }, 'Rejected.StateModifiedFailed', 409],
    ['CancelKeyDeletion', { KeyId: enabled.keyId }, 'Rejected.StateModifiedFailed', 409],
    ['CancelKeyDeletion', { KeyId: d.keyId }, 'Rejected.StateModifiedFailed', 409],
    ['DescribeKey', { KeyId: MISSING_KEY }, 'Forbidden.KeyNotFound', 404],
    ['Encrypt', { KeyId: MISSING_KEY, Plaintext: 'eA==' }, 'Forbidden.KeyNotFound', 404],
    ['DescribeKey', { KeyId: 'alias/none' }, 'Forbidden.AliasNotFound', 404],
    ['GenerateDataKey', { KeyId: 'alias/none' }, 'Forbidden.AliasNotFound', 404],
    ['DeleteAlias', { AliasName: 'alias/none' }, 'Forbidden.AliasNotFound', 404],
    ['UpdateAlias', { KeyId: enabled.keyId, AliasName: 'alias/none' }, 'Forbidden.AliasNotFound', 404],
    ['DescribeKeyVersion', { KeyId: enabled.keyId, KeyVersionId: MISSING_KEY }, 'Forbidden.KeyVersionNotFound', 404],
  ];
  const describeAll = async () => Promise.all(keyIds.map((keyId) => describeKey(kms, keyId).then((m) => ({ ...m }))));
  const before = await describeAll();
  for (const [action, params, code, status] of cases) {
    const res = await kmsV1Request(srv, action, params);
    assertRpcError(res, status, code);
    assert.match(res.body.Message, /\S/, `${action}: a message`);
  }
  assert.deepEqual(await describeAll(), before);
  assert.equal((await describeKey(kms, 'alias/states')).keyId, enabled.keyId);

  // What every state allows: reading the key and its versions.
  for (const keyId of keyIds) {
    for (const action of ['DescribeKey', 'ListKeyVersions', 'ListAliasesByKeyId', 'ListResourceTags']) okBody(await kmsV1Request(srv, action, { KeyId: keyId }));
  }
});

test('each client reports a refusal its own way: kms 1.2.0 <Code>Error, openapi-client <Code> and statusCode, pop-core <Code>', async () => {
  const { disabled: d, pendingDeletion: p, pendingImport: i } = await keysInEveryState();
  const v3 = v3Caller(srv);
  const refusals: Array<[string, number, () => Promise<unknown>, string, Record<string, string>]> = [
    ['Rejected.Disabled', 409, () => kms.decrypt(new Kms.DecryptRequest({ ciphertextBlob: d.blob })), 'Decrypt', { CiphertextBlob: d.blob }],
    ['Rejected.PendingDeletion', 409, () => kms.generateDataKey(new Kms.GenerateDataKeyRequest({ keyId: p.keyId })), 'GenerateDataKey', { KeyId: p.keyId }],
    ['Rejected.PendingImport', 409, () => kms.encrypt(new Kms.EncryptRequest({ keyId: i, plaintext: 'eA==' })), 'Encrypt', { KeyId: i, Plaintext: 'eA==' }],
    ['Rejected.StateModifiedFailed', 409, () => kms.enableKey(new Kms.EnableKeyRequest({ keyId: p.keyId })), 'EnableKey', { KeyId: p.keyId }],
    ['Forbidden.KeyNotFound', 404, () => describeKey(kms, MISSING_KEY), 'DescribeKey', { KeyId: MISSING_KEY }],
    ['Forbidden.AliasNotFound', 404, () => kms.deleteAlias(new Kms.DeleteAliasRequest({ aliasName: 'alias/none' })), 'DeleteAlias', { AliasName: 'alias/none' }],
  ];
  for (const [code, status, viaKms, action, params] of refusals) {
    await rejectsWith(viaKms(), 'kms', code, status);
    for (const [kind, caller] of [['openapi', v3], ['pop', pop]] as Array<[ClientKind, Caller]>) {
      await rejectsWith(caller.call(action, params), kind, code, status);
    }
  }
});

test('rotation by UpdateRotationPolicy and the clock: a new primary version for new blobs; older blobs still decrypt', async () => {
  const keyId = await createKey(kms);
  const first = await describeKey(kms, keyId);
  const old = await kms.generateDataKey(new Kms.GenerateDataKeyRequest({ keyId, encryptionContext: { v: '1' } }));
  assert.equal(old.keyVersionId, first.primaryKeyVersion);
  await kms.updateRotationPolicy(new Kms.UpdateRotationPolicyRequest({ keyId, enableAutomaticRotation: true, rotationInterval: '7d' }));

  clock.advance(7 * DAY - 1000);
  assert.equal((await describeKey(kms, keyId)).primaryKeyVersion, first.primaryKeyVersion, 'not due yet');
  clock.advance(1000);
  const rotated = await describeKey(kms, keyId);
  assert.notEqual(rotated.primaryKeyVersion, first.primaryKeyVersion);
  assert.deepEqual([rotated.lastRotationDate, rotated.nextRotationDate], [rpcTime(new Date(clock.t)), rpcTime(new Date(clock.t + 7 * DAY))]);

  const fresh = await kms.encrypt(new Kms.EncryptRequest({ keyId, plaintext: 'bmV3' }));
  assert.equal(fresh.keyVersionId, rotated.primaryKeyVersion);
  const opened = await kms.decrypt(new Kms.DecryptRequest({ ciphertextBlob: old.ciphertextBlob, encryptionContext: { v: '1' } }));
  assert.deepEqual([opened.plaintext, opened.keyVersionId], [old.plaintext, first.primaryKeyVersion]);
  const versions = await kms.listKeyVersions(new Kms.ListKeyVersionsRequest({ keyId }));
  assert.deepEqual(versions.keyVersions.keyVersion.map((v) => v.keyVersionId), [first.primaryKeyVersion, rotated.primaryKeyVersion]);
});

test('crypto-shredding: once the deletion window has passed, the key, its aliases and every blob under it are gone', async () => {
  const keyId = await createKey(kms);
  await kms.createAlias(new Kms.CreateAliasRequest({ keyId, aliasName: 'alias/shred-me' }));
  const dk = await kms.generateDataKey(new Kms.GenerateDataKeyRequest({ keyId: 'alias/shred-me' }));
  await kms.scheduleKeyDeletion(new Kms.ScheduleKeyDeletionRequest({ keyId, pendingWindowInDays: 7 }));
  const deleteAt = clock.t + 7 * DAY;
  assert.equal((await describeKey(kms, keyId)).deleteDate, rpcTime(new Date(deleteAt)));

  clock.advance(7 * DAY - 1000);
  await rejectsWith(kms.decrypt(new Kms.DecryptRequest({ ciphertextBlob: dk.ciphertextBlob })), 'kms', 'Rejected.PendingDeletion', 409);
  assert.equal((await describeKey(kms, 'alias/shred-me')).keyState, 'PendingDeletion');

  clock.advance(1000);
  await rejectsWith(describeKey(kms, keyId), 'kms', 'Forbidden.KeyNotFound', 404);
  await rejectsWith(kms.decrypt(new Kms.DecryptRequest({ ciphertextBlob: dk.ciphertextBlob })), 'kms', 'Forbidden.KeyNotFound', 404);
  await rejectsWith(pop.call('Decrypt', { CiphertextBlob: dk.ciphertextBlob }), 'pop', 'Forbidden.KeyNotFound', 404);
  await rejectsWith(kms.cancelKeyDeletion(new Kms.CancelKeyDeletionRequest({ keyId })), 'kms', 'Forbidden.KeyNotFound', 404);
  await rejectsWith(describeKey(kms, 'alias/shred-me'), 'kms', 'Forbidden.AliasNotFound', 404);
  const keys = await kms.listKeys(new Kms.ListKeysRequest({ pageSize: 100 }));
  assert.ok(!keys.keys.key.some((k) => k.keyId === keyId));
  const aliases = await kms.listAliases(new Kms.ListAliasesRequest({ pageSize: 100 }));
  assert.ok(!aliases.aliases.alias.some((a) => a.aliasName === 'alias/shred-me'));
});

test('imported material expires by the clock: PendingImport and refusals until the same material is imported again', async () => {
  const keyId = await createKey(kms, { origin: 'EXTERNAL' });
  const material = randomBytes(32);
  const importMaterial = async (keyMaterialExpireUnix: number) => {
    const p = await kms.getParametersForImport(new Kms.GetParametersForImportRequest({ keyId, wrappingAlgorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_2048' }));
    await kms.importKeyMaterial(new Kms.ImportKeyMaterialRequest({
      keyId, importToken: p.importToken, encryptedKeyMaterial: wrapMaterial(p.publicKey, material, 'RSAES_OAEP_SHA_256'), keyMaterialExpireUnix,
    }));
  };
  await importMaterial(Math.floor(clock.t / 1000) + 3600);
  const sealed = await kms.encrypt(new Kms.EncryptRequest({ keyId, plaintext: 'dGlkZQ==' }));
  clock.advance(3600 * 1000);
  const expired = await describeKey(kms, keyId);
  assert.deepEqual([expired.keyState, expired.materialExpireTime], ['PendingImport', '']);
  await rejectsWith(kms.decrypt(new Kms.DecryptRequest({ ciphertextBlob: sealed.ciphertextBlob })), 'kms', 'Rejected.PendingImport', 409);
  await importMaterial(0);
  assert.equal((await kms.decrypt(new Kms.DecryptRequest({ ciphertextBlob: sealed.ciphertextBlob }))).plaintext, 'dGlkZQ==');
});
