/**
 * Every KMS action through the real @alicloud/kms20160120 1.2.0 client (V1 signed, params in the
 * query of a POST, EncryptionContext flattened), asserting the fields and types the client maps:
 * KeyMetadata all strings, numbers as numbers, lists wrapped. ReEncrypt, which 1.2.0 lacks, is
 * sent through openapi-client as kms20160120 ≥ 2 sends it.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { createKey, describeKey, Kms, kmsClient, type KmsClient } from '../helpers/kms';
import type { TestServer } from '../helpers/server';
import { DAY, wrapMaterial, type Clock } from '../kms/helpers';
import { rpcTime } from '../rpc/helpers';
import { startClockedServer } from '../sse-kms/helpers';
import { rejectsWith, UUID, v3Caller } from './helpers';

let srv: TestServer;
let clock: Clock;
let kms: KmsClient;
let account: string;

before(async () => {
  ({ srv, clock } = await startClockedServer());
  kms = kmsClient(srv);
  account = srv.running.coffer.accountId;
});
after(() => srv.close());

const keyArn = (keyId: string): string => `acs:kms:${srv.region}:${account}:key/${keyId}`;
const base64Bytes = (text: string): number => Buffer.from(text, 'base64').length;

async function encrypt(keyId: string, plaintext: string, encryptionContext?: Record<string, string>): Promise<Kms.EncryptResponse> {
  return kms.encrypt(new Kms.EncryptRequest({ keyId, plaintext, encryptionContext }));
}

async function decrypt(ciphertextBlob: string, encryptionContext?: Record<string, string>): Promise<Kms.DecryptResponse> {
  return kms.decrypt(new Kms.DecryptRequest({ ciphertextBlob, encryptionContext }));
}

test('CreateKey: Aliyun_AES_256 by default and Aliyun_SM4, with every KeyMetadata field a string', async () => {
  const aes = (await kms.createKey(new Kms.CreateKeyRequest({ description: 'orders' }))).keyMetadata;
  const sm4 = (await kms.createKey(new Kms.CreateKeyRequest({ keySpec: 'Aliyun_SM4' }))).keyMetadata;
  const now = rpcTime(new Date(clock.t));
  for (const [meta, keySpec, description] of [[aes, 'Aliyun_AES_256', 'orders'], [sm4, 'Aliyun_SM4', '']] as const) {
    assert.match(meta.keyId, UUID);
    assert.match(meta.primaryKeyVersion, UUID);
    assert.deepEqual({ ...meta }, {
      keyId: meta.keyId, arn: keyArn(meta.keyId), keyState: 'Enabled', keySpec, keyUsage: 'ENCRYPT/DECRYPT',
      origin: 'Aliyun_KMS', protectionLevel: 'SOFTWARE', description, creator: account, creationDate: now,
      deleteDate: '', materialExpireTime: '', primaryKeyVersion: meta.primaryKeyVersion, lastRotationDate: now,
      automaticRotation: 'Disabled', rotationInterval: '', nextRotationDate: '',
    });
  }
  assert.deepEqual({ ...(await describeKey(kms, sm4.keyId)) }, { ...sm4 });
});

test('CreateKey with a rotation policy: AutomaticRotation Enabled, the interval in seconds, the next rotation date', async () => {
  const meta = (await kms.createKey(new Kms.CreateKeyRequest({ enableAutomaticRotation: true, rotationInterval: '30d' }))).keyMetadata;
  assert.equal(meta.automaticRotation, 'Enabled');
  assert.equal(meta.rotationInterval, '2592000s');
  assert.equal(meta.nextRotationDate, rpcTime(new Date(clock.t + 30 * DAY)));
});

test('CreateKey with Origin EXTERNAL: PendingImport until material is imported', async () => {
  const meta = (await kms.createKey(new Kms.CreateKeyRequest({ origin: 'EXTERNAL' }))).keyMetadata;
  assert.equal(meta.keyState, 'PendingImport');
  assert.equal(meta.origin, 'EXTERNAL');
  assert.equal(meta.materialExpireTime, '');
});

test('CreateKey refuses an unknown or asymmetric KeySpec with InvalidParameter (400) and creates nothing', async () => {
  const count = async (): Promise<number> => (await kms.listKeys(new Kms.ListKeysRequest({}))).totalCount;
  const before = await count();
  for (const keySpec of ['RSA_2048', 'AES_256', 'aliyun_aes_256']) {
    await rejectsWith(kms.createKey(new Kms.CreateKeyRequest({ keySpec })), 'kms', 'InvalidParameter', 400, /KeySpec/);
  }
  assert.equal(await count(), before);
});

test('DescribeKey and UpdateKeyDescription take the key id, an alias or the key ARN alike', async () => {
  const keyId = await createKey(kms, { description: 'before' });
  await kms.createAlias(new Kms.CreateAliasRequest({ keyId, aliasName: 'alias/describe-me' }));
  await kms.updateKeyDescription(new Kms.UpdateKeyDescriptionRequest({ keyId: 'alias/describe-me', description: 'after: ünïcödé & more' }));
  const byId = { ...(await describeKey(kms, keyId)) };
  assert.equal(byId.description, 'after: ünïcödé & more');
  for (const form of ['alias/describe-me', keyArn(keyId)]) assert.deepEqual({ ...(await describeKey(kms, form)) }, byId);
});

test('ListKeys pages by PageNumber and PageSize: numbers as numbers, pages disjoint and complete, past the end empty', async () => {
  for (let i = 0; i < 3; i++) await createKey(kms);
  const all = await kms.listKeys(new Kms.ListKeysRequest({ pageSize: 100 }));
  const ids = all.keys.key.map((k) => k.keyId);
  assert.equal(all.totalCount, ids.length);
  assert.ok(ids.length >= 3);
  for (const k of all.keys.key) assert.equal(k.keyArn, keyArn(k.keyId));

  const paged: string[] = [];
  for (let pageNumber = 1; pageNumber <= Math.ceil(ids.length / 2); pageNumber++) {
    const page = await kms.listKeys(new Kms.ListKeysRequest({ pageNumber, pageSize: 2 }));
    assert.deepEqual([page.totalCount, page.pageNumber, page.pageSize], [ids.length, pageNumber, 2]);
    assert.ok(page.keys.key.length >= 1 && page.keys.key.length <= 2);
    paged.push(...page.keys.key.map((k) => k.keyId));
  }
  assert.deepEqual(paged, ids);

  const past = await kms.listKeys(new Kms.ListKeysRequest({ pageNumber: 1000, pageSize: 2 }));
  assert.deepEqual(past.keys.key, []);
  assert.equal(past.totalCount, ids.length);
  const defaults = await kms.listKeys(new Kms.ListKeysRequest({}));
  assert.deepEqual([defaults.pageNumber, defaults.pageSize, defaults.keys.key.length], [1, 10, Math.min(10, ids.length)]);
});

test('DisableKey and EnableKey switch KeyState; a disabled key refuses Encrypt with Rejected.Disabled (409)', async () => {
  const keyId = await createKey(kms);
  await kms.disableKey(new Kms.DisableKeyRequest({ keyId }));
  assert.equal((await describeKey(kms, keyId)).keyState, 'Disabled');
  await rejectsWith(encrypt(keyId, 'aGk='), 'kms', 'Rejected.Disabled', 409);
  await kms.enableKey(new Kms.EnableKeyRequest({ keyId }));
  assert.equal((await describeKey(kms, keyId)).keyState, 'Enabled');
  assert.equal((await encrypt(keyId, 'aGk=')).keyId, keyId);
});

test('ScheduleKeyDeletion sets PendingDeletion and a DeleteDate PendingWindowInDays ahead; CancelKeyDeletion restores Enabled', async () => {
  const keyId = await createKey(kms);
  await kms.scheduleKeyDeletion(new Kms.ScheduleKeyDeletionRequest({ keyId, pendingWindowInDays: 9 }));
  const pending = await describeKey(kms, keyId);
  assert.equal(pending.keyState, 'PendingDeletion');
  assert.equal(pending.deleteDate, rpcTime(new Date(clock.t + 9 * DAY)));
  await kms.cancelKeyDeletion(new Kms.CancelKeyDeletionRequest({ keyId }));
  const restored = await describeKey(kms, keyId);
  assert.deepEqual([restored.keyState, restored.deleteDate], ['Enabled', '']);
});

test('aliases: CreateAlias, ListAliases, ListAliasesByKeyId (paged), UpdateAlias retargets, DeleteAlias leaves the key', async () => {
  const a = await createKey(kms);
  const b = await createKey(kms);
  for (const aliasName of ['alias/team-a/one', 'alias/team-a/two']) await kms.createAlias(new Kms.CreateAliasRequest({ keyId: a, aliasName }));
  const entry = (keyId: string, aliasName: string) => ({ keyId, aliasName, aliasArn: `acs:kms:${srv.region}:${account}:${aliasName}` });

  const byKey = await kms.listAliasesByKeyId(new Kms.ListAliasesByKeyIdRequest({ keyId: a }));
  assert.deepEqual([byKey.totalCount, byKey.pageNumber, byKey.pageSize], [2, 1, 10]);
  assert.deepEqual(byKey.aliases.alias.map((x) => ({ ...x })), [entry(a, 'alias/team-a/one'), entry(a, 'alias/team-a/two')]);
  const second = await kms.listAliasesByKeyId(new Kms.ListAliasesByKeyIdRequest({ keyId: a, pageNumber: 2, pageSize: 1 }));
  assert.deepEqual(second.aliases.alias.map((x) => ({ ...x })), [entry(a, 'alias/team-a/two')]);
  assert.deepEqual((await kms.listAliasesByKeyId(new Kms.ListAliasesByKeyIdRequest({ keyId: b }))).aliases.alias, []);

  const listed = await kms.listAliases(new Kms.ListAliasesRequest({ pageSize: 100 }));
  assert.equal(listed.totalCount, listed.aliases.alias.length);
  assert.deepEqual(listed.aliases.alias.filter((x) => x.aliasName.startsWith('alias/team-a/')).map((x) => ({ ...x })),
    [entry(a, 'alias/team-a/one'), entry(a, 'alias/team-a/two')]);

  await kms.updateAlias(new Kms.UpdateAliasRequest({ aliasName: 'alias/team-a/two', keyId: b }));
  assert.equal((await describeKey(kms, 'alias/team-a/two')).keyId, b);
  assert.deepEqual((await kms.listAliasesByKeyId(new Kms.ListAliasesByKeyIdRequest({ keyId: b }))).aliases.alias.map((x) => x.aliasName), ['alias/team-a/two']);

  await kms.deleteAlias(new Kms.DeleteAliasRequest({ aliasName: 'alias/team-a/one' }));
  await rejectsWith(describeKey(kms, 'alias/team-a/one'), 'kms', 'Forbidden.AliasNotFound', 404, /alias\/team-a\/one/);
  assert.equal((await describeKey(kms, a)).keyState, 'Enabled');
  assert.equal((await kms.listAliasesByKeyId(new Kms.ListAliasesByKeyIdRequest({ keyId: a }))).totalCount, 0);
});

test('Encrypt and Decrypt with a flattened EncryptionContext: the real KeyId and the primary version come back', async () => {
  const keyId = await createKey(kms);
  await kms.createAlias(new Kms.CreateAliasRequest({ keyId, aliasName: 'alias/crypto' }));
  const plaintext = randomBytes(300).toString('base64');
  const context = { bucket: 'b 1', object: 'a/b+c&d=e' };
  const sealed = await encrypt('alias/crypto', plaintext, context);
  assert.equal(sealed.keyId, keyId);
  assert.equal(sealed.keyVersionId, (await describeKey(kms, keyId)).primaryKeyVersion);
  assert.ok(base64Bytes(sealed.ciphertextBlob) > 300);
  const opened = await decrypt(sealed.ciphertextBlob, context);
  assert.deepEqual([opened.plaintext, opened.keyId, opened.keyVersionId], [plaintext, keyId, sealed.keyVersionId]);
});

test('GenerateDataKey: 32 bytes by default, NumberOfBytes or KeySpec AES_128 choose the size; Decrypt returns the same Plaintext', async () => {
  const keyId = await createKey(kms, { keySpec: 'Aliyun_SM4' });
  const cases: Array<[Record<string, unknown>, number]> = [[{}, 32], [{ numberOfBytes: 1024 }, 1024], [{ keySpec: 'AES_128' }, 16], [{ keySpec: 'AES_128', numberOfBytes: 20 }, 20]];
  for (const [options, size] of cases) {
    const dk = await kms.generateDataKey(new Kms.GenerateDataKeyRequest({ keyId, encryptionContext: { purpose: 'dk' }, ...options }));
    assert.equal(base64Bytes(dk.plaintext), size, JSON.stringify(options));
    assert.equal(dk.keyId, keyId);
    assert.match(dk.keyVersionId, UUID);
    assert.equal((await decrypt(dk.ciphertextBlob, { purpose: 'dk' })).plaintext, dk.plaintext);
  }
});

test('GenerateDataKeyWithoutPlaintext: only the blob, which Decrypt opens into a 32-byte data key', async () => {
  const keyId = await createKey(kms);
  const dk = await kms.generateDataKeyWithoutPlaintext(new Kms.GenerateDataKeyWithoutPlaintextRequest({ keyId }));
  assert.deepEqual(Object.keys(dk).sort(), ['ciphertextBlob', 'keyId', 'keyVersionId', 'requestId']);
  assert.equal(dk.keyId, keyId);
  assert.equal(base64Bytes((await decrypt(dk.ciphertextBlob)).plaintext), 32);
});

test('ReEncrypt (absent from kms 1.2.0, sent as kms20160120 ≥ 2 does): the blob moves to the destination key', async () => {
  const source = await createKey(kms);
  const destination = await createKey(kms, { keySpec: 'Aliyun_SM4' });
  await kms.createAlias(new Kms.CreateAliasRequest({ keyId: destination, aliasName: 'alias/reencrypt-to' }));
  const sealed = await encrypt(source, 'c2VjcmV0', { from: '1' });
  const moved = await v3Caller(srv).call('ReEncrypt', {
    CiphertextBlob: sealed.ciphertextBlob, DestinationKeyId: 'alias/reencrypt-to',
    SourceEncryptionContext: '{"from":"1"}', DestinationEncryptionContext: '{"to":"2"}',
  });
  assert.equal(moved.KeyId, destination);
  assert.equal(moved.KeyVersionId, (await describeKey(kms, destination)).primaryKeyVersion);
  const opened = await decrypt(moved.CiphertextBlob, { to: '2' });
  assert.deepEqual([opened.plaintext, opened.keyId], ['c2VjcmV0', destination]);
});

test('BYOK: GetParametersForImport, ImportKeyMaterial (OAEP SHA-256), DeleteKeyMaterial, re-import of the same material (OAEP SHA-1)', async () => {
  const keyId = await createKey(kms, { origin: 'EXTERNAL' });
  const material = randomBytes(32);
  const getParameters = (wrappingAlgorithm: string) =>
    kms.getParametersForImport(new Kms.GetParametersForImportRequest({ keyId, wrappingAlgorithm, wrappingKeySpec: 'RSA_2048' }));
  const importWith = async (wrappingAlgorithm: 'RSAES_OAEP_SHA_256' | 'RSAES_OAEP_SHA_1', key: Buffer, keyMaterialExpireUnix: number) => {
    const p = await getParameters(wrappingAlgorithm);
    await kms.importKeyMaterial(new Kms.ImportKeyMaterialRequest({
      keyId, importToken: p.importToken, encryptedKeyMaterial: wrapMaterial(p.publicKey, key, wrappingAlgorithm), keyMaterialExpireUnix,
    }));
  };

  const params = await getParameters('RSAES_OAEP_SHA_256');
  assert.equal(params.keyId, keyId);
  assert.ok(params.publicKey.startsWith('MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A'), 'base64 DER SubjectPublicKeyInfo of RSA-2048');
  assert.equal(params.tokenExpireTime, rpcTime(new Date(clock.t + DAY)));
  assert.ok(params.importToken.length > 0);

  const expireUnix = Math.floor(clock.t / 1000) + 3600;
  await importWith('RSAES_OAEP_SHA_256', material, expireUnix);
  const imported = await describeKey(kms, keyId);
  assert.deepEqual([imported.keyState, imported.materialExpireTime], ['Enabled', rpcTime(new Date(expireUnix * 1000))]);
  const sealed = await encrypt(keyId, 'Ynlvaw==');

  await kms.deleteKeyMaterial(new Kms.DeleteKeyMaterialRequest({ keyId }));
  const deleted = await describeKey(kms, keyId);
  assert.deepEqual([deleted.keyState, deleted.materialExpireTime], ['PendingImport', '']);
  await rejectsWith(decrypt(sealed.ciphertextBlob), 'kms', 'Rejected.PendingImport', 409);

  await rejectsWith(importWith('RSAES_OAEP_SHA_1', randomBytes(32), 0), 'kms', 'InvalidKeyMaterial', 400);
  await importWith('RSAES_OAEP_SHA_1', material, 0);
  const reimported = await describeKey(kms, keyId);
  assert.deepEqual([reimported.keyState, reimported.materialExpireTime], ['Enabled', '']);
  assert.equal((await decrypt(sealed.ciphertextBlob)).plaintext, 'Ynlvaw==');
});

test('BYOK for an Aliyun_SM4 key takes exactly 16 bytes of material', async () => {
  const keyId = await createKey(kms, { origin: 'EXTERNAL', keySpec: 'Aliyun_SM4' });
  const importBytes = async (size: number) => {
    const p = await kms.getParametersForImport(new Kms.GetParametersForImportRequest({ keyId, wrappingAlgorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_2048' }));
    return kms.importKeyMaterial(new Kms.ImportKeyMaterialRequest({
      keyId, importToken: p.importToken, encryptedKeyMaterial: wrapMaterial(p.publicKey, randomBytes(size), 'RSAES_OAEP_SHA_256'),
    }));
  };
  await rejectsWith(importBytes(32), 'kms', 'InvalidKeyMaterial', 400);
  await importBytes(16);
  const sealed = await encrypt(keyId, 'c200');
  assert.equal((await decrypt(sealed.ciphertextBlob)).plaintext, 'c200');
});

test('CreateKeyVersion, ListKeyVersions, DescribeKeyVersion: a new primary version; older blobs still decrypt', async () => {
  const keyId = await createKey(kms);
  const first = (await describeKey(kms, keyId)).primaryKeyVersion;
  const firstDate = rpcTime(new Date(clock.t));
  const old = await encrypt(keyId, 'b2xk');
  clock.advance(DAY);
  const created = (await kms.createKeyVersion(new Kms.CreateKeyVersionRequest({ keyId }))).keyVersion;
  assert.match(created.keyVersionId, UUID);
  assert.deepEqual({ ...created }, { keyId, keyVersionId: created.keyVersionId, creationDate: rpcTime(new Date(clock.t)) });
  const meta = await describeKey(kms, keyId);
  assert.deepEqual([meta.primaryKeyVersion, meta.lastRotationDate], [created.keyVersionId, rpcTime(new Date(clock.t))]);

  const listed = await kms.listKeyVersions(new Kms.ListKeyVersionsRequest({ keyId }));
  assert.deepEqual([listed.totalCount, listed.pageNumber, listed.pageSize], [2, 1, 10]);
  assert.deepEqual(listed.keyVersions.keyVersion.map((v) => ({ ...v })), [
    { keyId, keyVersionId: first, creationDate: firstDate }, { ...created },
  ]);
  const page2 = await kms.listKeyVersions(new Kms.ListKeyVersionsRequest({ keyId, pageNumber: 2, pageSize: 1 }));
  assert.deepEqual(page2.keyVersions.keyVersion.map((v) => v.keyVersionId), [created.keyVersionId]);
  const described = await kms.describeKeyVersion(new Kms.DescribeKeyVersionRequest({ keyId, keyVersionId: first }));
  assert.deepEqual({ ...described.keyVersion }, { keyId, keyVersionId: first, creationDate: firstDate });

  assert.equal((await encrypt(keyId, 'bmV3')).keyVersionId, created.keyVersionId);
  const opened = await decrypt(old.ciphertextBlob);
  assert.deepEqual([opened.plaintext, opened.keyVersionId], ['b2xk', first]);
});

test('UpdateRotationPolicy: enabling sets the interval and the next rotation date, disabling clears them', async () => {
  const keyId = await createKey(kms);
  await kms.updateRotationPolicy(new Kms.UpdateRotationPolicyRequest({ keyId, enableAutomaticRotation: true, rotationInterval: '604800s' }));
  const on = await describeKey(kms, keyId);
  assert.deepEqual([on.automaticRotation, on.rotationInterval, on.nextRotationDate], ['Enabled', '604800s', rpcTime(new Date(clock.t + 7 * DAY))]);
  await kms.updateRotationPolicy(new Kms.UpdateRotationPolicyRequest({ keyId, enableAutomaticRotation: false }));
  const off = await describeKey(kms, keyId);
  assert.deepEqual([off.automaticRotation, off.rotationInterval, off.nextRotationDate], ['Disabled', '', '']);
});

test('DescribeRegions: the server region, wrapped as Regions.Region', async () => {
  const r = await kms.describeRegions(new Kms.DescribeRegionsRequest({}));
  assert.deepEqual(r.regions.region.map((x) => ({ ...x })), [{ regionId: srv.region }]);
});

test('TagResource, ListResourceTags, UntagResource: tags as JSON text, listed sorted and wrapped', async () => {
  const keyId = await createKey(kms);
  await kms.tagResource(new Kms.TagResourceRequest({
    keyId, tags: JSON.stringify([{ TagKey: 'team', TagValue: 'payments' }, { TagKey: 'env', TagValue: 'prod' }]),
  }));
  const tagged = await kms.listResourceTags(new Kms.ListResourceTagsRequest({ keyId }));
  assert.deepEqual(tagged.tags.tag.map((t) => ({ ...t })), [
    { keyId, tagKey: 'env', tagValue: 'prod' }, { keyId, tagKey: 'team', tagValue: 'payments' },
  ]);
  await kms.untagResource(new Kms.UntagResourceRequest({ keyId, tagKeys: '["env"]' }));
  const left = await kms.listResourceTags(new Kms.ListResourceTagsRequest({ keyId }));
  assert.deepEqual(left.tags.tag.map((t) => [t.tagKey, t.tagValue]), [['team', 'payments']]);
});
