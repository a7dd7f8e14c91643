/**
 * The essential KMS flows through the generic clients — openapi-client (V3 ACS3-HMAC-SHA256, as
 * kms20160120 ≥ 2 sends it), pop-core GET and pop-core POST (form body) — next to kms 1.2.0:
 * the raw JSON types the strict clients rely on, KeyId forms (alias, key ARN, alias ARN) wherever
 * a KeyId is taken, and EncryptionContext flattened vs as JSON text.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { createKey, Kms, kmsClient } from '../helpers/kms';
import { startTestServer, type TestServer } from '../helpers/server';
import { wrapMaterial } from '../kms/helpers';
import { REQUEST_ID } from '../rpc/helpers';
import { GENERIC_CLIENTS, genericCallers, popCaller, rejectsWith, v3Caller } from './helpers';

let srv: TestServer;
let account: string;

before(async () => {
  srv = await startTestServer();
  account = srv.running.coffer.accountId;
});
after(() => srv.close());

const keyArn = (keyId: string): string => `acs:kms:${srv.region}:${account}:key/${keyId}`;
const aliasArn = (aliasName: string): string => `acs:kms:${srv.region}:${account}:${aliasName}`;
const base64Bytes = (text: string): number => Buffer.from(text, 'base64').length;

// One test per generic client: these calls are what an application does with the KMS.
for (const { name, make } of GENERIC_CLIENTS) {
  test(`${name}: key lifecycle, aliases, envelope crypto and refusals`, async () => {
    const caller = make(srv);
    // The server is shared: each client's alias is its own.
    const alias = `alias/flow-${name.replace(/[^A-Za-z0-9]+/g, '-')}`;
    const created = await caller.call('CreateKey', { KeySpec: 'Aliyun_AES_256', Description: `via ${name}` });
    assert.match(created.RequestId, REQUEST_ID);
    const meta = created.KeyMetadata;
    assert.deepEqual([meta.KeyState, meta.Description, meta.Arn], ['Enabled', `via ${name}`, keyArn(meta.KeyId)]);
    const keyId: string = meta.KeyId;
    await caller.call('CreateAlias', { KeyId: keyId, AliasName: alias });
    for (const form of [alias, keyArn(keyId)]) assert.deepEqual((await caller.call('DescribeKey', { KeyId: form })).KeyMetadata, meta);

    const plaintext = randomBytes(64).toString('base64');
    const sealed = await caller.call('Encrypt', { KeyId: alias, Plaintext: plaintext, EncryptionContext: '{"tenant":"t 1","path":"a/b+c"}' });
    assert.deepEqual([sealed.KeyId, sealed.KeyVersionId], [keyId, meta.PrimaryKeyVersion]);
    const opened = await caller.call('Decrypt', { CiphertextBlob: sealed.CiphertextBlob, EncryptionContext: '{"path":"a/b+c","tenant":"t 1"}' });
    assert.deepEqual([opened.Plaintext, opened.KeyId, opened.KeyVersionId], [plaintext, keyId, meta.PrimaryKeyVersion]);

    const dk = await caller.call('GenerateDataKey', { KeyId: keyArn(keyId), NumberOfBytes: '16' });
    assert.equal(base64Bytes(dk.Plaintext), 16);
    assert.equal((await caller.call('Decrypt', { CiphertextBlob: dk.CiphertextBlob })).Plaintext, dk.Plaintext);

    const other = (await caller.call('CreateKey', { KeySpec: 'Aliyun_SM4' })).KeyMetadata.KeyId;
    const moved = await caller.call('ReEncrypt', { CiphertextBlob: dk.CiphertextBlob, DestinationKeyId: other, DestinationEncryptionContext: '{"k":"v"}' });
    assert.equal(moved.KeyId, other);
    assert.equal((await caller.call('Decrypt', { CiphertextBlob: moved.CiphertextBlob, EncryptionContext: '{"k":"v"}' })).Plaintext, dk.Plaintext);

    const page = await caller.call('ListKeys', { PageNumber: '1', PageSize: '1' });
    assert.deepEqual([typeof page.TotalCount, page.PageNumber, page.PageSize, page.Keys.Key.length], ['number', 1, 1, 1]);

    await caller.call('DisableKey', { KeyId: alias });
    await rejectsWith(caller.call('Encrypt', { KeyId: keyId, Plaintext: 'eA==' }), caller.kind, 'Rejected.Disabled', 409);
    await rejectsWith(caller.call('Decrypt', { CiphertextBlob: dk.CiphertextBlob }), caller.kind, 'Rejected.Disabled', 409);
    await caller.call('EnableKey', { KeyId: alias });
    await caller.call('ScheduleKeyDeletion', { KeyId: keyId, PendingWindowInDays: '7' });
    assert.equal((await caller.call('DescribeKey', { KeyId: keyId })).KeyMetadata.KeyState, 'PendingDeletion');
    await caller.call('CancelKeyDeletion', { KeyId: keyId });
    assert.equal((await caller.call('DescribeKey', { KeyId: keyId })).KeyMetadata.KeyState, 'Enabled');

    await rejectsWith(caller.call('DescribeKey', { KeyId: '00000000-0000-4000-8000-000000000000' }), caller.kind, 'Forbidden.KeyNotFound', 404);
    await rejectsWith(caller.call('DescribeKey', { KeyId: `${alias}-missing` }), caller.kind, 'Forbidden.AliasNotFound', 404);
  });
}

test('raw JSON: numbers are JSON numbers, lists are wrapped (empty ones too), KeyMetadata fields are strings, no Code on success', async () => {
  const v3 = v3Caller(srv);
  const created = await v3.call('CreateKey', { EnableAutomaticRotation: 'true', RotationInterval: '365d' });
  assert.equal('Code' in created, false);
  for (const [field, value] of Object.entries(created.KeyMetadata)) assert.equal(typeof value, 'string', field);
  const keyId: string = created.KeyMetadata.KeyId;
  const lists: Array<[string, Record<string, string>, string, string]> = [
    ['ListKeys', {}, 'Keys', 'Key'],
    ['ListAliases', {}, 'Aliases', 'Alias'],
    ['ListAliasesByKeyId', { KeyId: keyId }, 'Aliases', 'Alias'],
    ['ListKeyVersions', { KeyId: keyId }, 'KeyVersions', 'KeyVersion'],
  ];
  for (const [action, params, wrapper, item] of lists) {
    const body = await v3.call(action, params);
    for (const n of ['TotalCount', 'PageNumber', 'PageSize']) assert.equal(typeof body[n], 'number', `${action}.${n}`);
    assert.ok(Array.isArray(body[wrapper][item]), `${action}: ${wrapper}.${item} is an array`);
  }
  assert.deepEqual(await v3.call('ListAliasesByKeyId', { KeyId: keyId }).then((b) => b.Aliases), { Alias: [] });
  assert.deepEqual(await v3.call('ListResourceTags', { KeyId: keyId }).then((b) => b.Tags), { Tag: [] });
  assert.deepEqual(await v3.call('DescribeRegions').then((b) => b.Regions), { Region: [{ RegionId: srv.region }] });
});

test('every action taking a KeyId accepts an alias, the key ARN and the alias ARN, and answers with the real key id', async () => {
  const pop = popCaller(srv, 'GET');
  const keyId = (await pop.call('CreateKey')).KeyMetadata.KeyId as string;
  await pop.call('CreateAlias', { KeyId: keyId, AliasName: 'alias/forms' });
  const firstVersion = (await pop.call('DescribeKey', { KeyId: keyId })).KeyMetadata.PrimaryKeyVersion;
  const blob = (await pop.call('Encrypt', { KeyId: keyId, Plaintext: 'eA==' })).CiphertextBlob;
  const state = async (): Promise<Record<string, string>> => (await pop.call('DescribeKey', { KeyId: keyId })).KeyMetadata;

  for (const [i, form] of ['alias/forms', keyArn(keyId), aliasArn('alias/forms')].entries()) {
    const answers: Array<[string, Record<string, string>, (b: Record<string, any>) => string]> = [
      ['DescribeKey', { KeyId: form }, (b) => b.KeyMetadata.KeyId],
      ['Encrypt', { KeyId: form, Plaintext: 'eA==' }, (b) => b.KeyId],
      ['GenerateDataKey', { KeyId: form }, (b) => b.KeyId],
      ['GenerateDataKeyWithoutPlaintext', { KeyId: form }, (b) => b.KeyId],
      ['ReEncrypt', { CiphertextBlob: blob, DestinationKeyId: form }, (b) => b.KeyId],
      ['ListAliasesByKeyId', { KeyId: form }, (b) => b.Aliases.Alias[0].KeyId],
      ['ListKeyVersions', { KeyId: form }, (b) => b.KeyVersions.KeyVersion[0].KeyId],
      ['DescribeKeyVersion', { KeyId: form, KeyVersionId: firstVersion }, (b) => b.KeyVersion.KeyId],
      ['CreateKeyVersion', { KeyId: form }, (b) => b.KeyVersion.KeyId],
    ];
    for (const [action, params, keyOf] of answers) assert.equal(keyOf(await pop.call(action, params)), keyId, `${action} with ${form}`);

    await pop.call('UpdateKeyDescription', { KeyId: form, Description: form });
    assert.equal((await state()).Description, form);
    await pop.call('DisableKey', { KeyId: form });
    assert.equal((await state()).KeyState, 'Disabled');
    await pop.call('EnableKey', { KeyId: form });
    await pop.call('ScheduleKeyDeletion', { KeyId: form, PendingWindowInDays: '30' });
    assert.equal((await state()).KeyState, 'PendingDeletion');
    await pop.call('CancelKeyDeletion', { KeyId: form });
    assert.equal((await state()).KeyState, 'Enabled');
    await pop.call('UpdateRotationPolicy', { KeyId: form, EnableAutomaticRotation: 'true', RotationInterval: `${10 + i}d` });
    assert.equal((await state()).RotationInterval, `${(10 + i) * 86_400}s`);
    await pop.call('TagResource', { KeyId: form, Tags: `[{"TagKey":"form","TagValue":"${i}"},{"TagKey":"gone","TagValue":""}]` });
    await pop.call('UntagResource', { KeyId: form, TagKeys: '["gone"]' });
    assert.deepEqual((await pop.call('ListResourceTags', { KeyId: form })).Tags.Tag, [{ KeyId: keyId, TagKey: 'form', TagValue: String(i) }]);
    await pop.call('CreateAlias', { KeyId: form, AliasName: `alias/forms-${i}` });
    await pop.call('UpdateAlias', { KeyId: form, AliasName: `alias/forms-${i}` });
    assert.equal((await pop.call('DescribeKey', { KeyId: `alias/forms-${i}` })).KeyMetadata.KeyId, keyId);
  }
  // An ARN of another region or account names no key here.
  for (const foreign of [`acs:kms:cn-beijing:${account}:key/${keyId}`, `acs:kms:${srv.region}:1${account}:key/${keyId}`]) {
    await rejectsWith(pop.call('DescribeKey', { KeyId: foreign }), 'pop', 'Forbidden.KeyNotFound', 404);
  }
});

test('BYOK actions accept an alias and ARNs for the KeyId too', async () => {
  const v3 = v3Caller(srv);
  const keyId = (await v3.call('CreateKey', { Origin: 'EXTERNAL' })).KeyMetadata.KeyId as string;
  await v3.call('CreateAlias', { KeyId: keyId, AliasName: 'alias/byok-forms' });
  const params = await v3.call('GetParametersForImport', { KeyId: 'alias/byok-forms', WrappingAlgorithm: 'RSAES_OAEP_SHA_1', WrappingKeySpec: 'RSA_2048' });
  assert.equal(params.KeyId, keyId);
  await v3.call('ImportKeyMaterial', {
    KeyId: keyArn(keyId), ImportToken: params.ImportToken,
    EncryptedKeyMaterial: wrapMaterial(params.PublicKey, randomBytes(32), 'RSAES_OAEP_SHA_1'),
  });
  assert.equal((await v3.call('DescribeKey', { KeyId: keyId })).KeyMetadata.KeyState, 'Enabled');
  await v3.call('DeleteKeyMaterial', { KeyId: aliasArn('alias/byok-forms') });
  assert.equal((await v3.call('DescribeKey', { KeyId: keyId })).KeyMetadata.KeyState, 'PendingImport');
});

test('EncryptionContext flattened (kms 1.2.0) and as JSON text (openapi, pop-core) is one context; any mismatch is InvalidParameter (400)', async () => {
  const kms = kmsClient(srv);
  const keyId = await createKey(kms);
  // Characters that URL and signature encoding treat specially, in keys and values.
  const context = { 'object key': "a/b+c&d=e!'()*~ü", bucket: 'b1' };
  const json = '{"bucket":"b1","object key":"a/b+c&d=e!\'()*~ü"}';
  const plaintext = randomBytes(32).toString('base64');
  const fromKms = await kms.encrypt(new Kms.EncryptRequest({ keyId, plaintext, encryptionContext: context }));
  // kms 1.2.0 sends a string EncryptionContext as it is: callers may pass JSON text there too.
  const asText = { encryptionContext: json as unknown as Record<string, string> };
  assert.equal((await kms.decrypt(new Kms.DecryptRequest({ ciphertextBlob: fromKms.ciphertextBlob, ...asText }))).plaintext, plaintext);

  const wrong = ['{"bucket":"b1"}', '{"bucket":"b2","object key":"a/b+c&d=e!\'()*~ü"}', `{"bucket":"b1","object key":"a/b+c&d=e!'()*~ü","x":""}`];
  for (const caller of genericCallers(srv)) {
    assert.equal((await caller.call('Decrypt', { CiphertextBlob: fromKms.ciphertextBlob, EncryptionContext: json })).Plaintext, plaintext, caller.name);
    const fromCaller = await caller.call('Encrypt', { KeyId: keyId, Plaintext: plaintext, EncryptionContext: json });
    const opened = await kms.decrypt(new Kms.DecryptRequest({ ciphertextBlob: fromCaller.CiphertextBlob, encryptionContext: context }));
    assert.equal(opened.plaintext, plaintext, caller.name);
    for (const EncryptionContext of wrong) {
      await rejectsWith(caller.call('Decrypt', { CiphertextBlob: fromKms.ciphertextBlob, EncryptionContext }), caller.kind, 'InvalidParameter', 400, /CiphertextBlob/);
    }
    await rejectsWith(caller.call('Decrypt', { CiphertextBlob: fromCaller.CiphertextBlob }), caller.kind, 'InvalidParameter', 400, /EncryptionContext/);
  }
  await rejectsWith(kms.decrypt(new Kms.DecryptRequest({ ciphertextBlob: fromKms.ciphertextBlob, encryptionContext: { bucket: 'b1' } })), 'kms', 'InvalidParameter', 400);
  await rejectsWith(kms.decrypt(new Kms.DecryptRequest({ ciphertextBlob: fromKms.ciphertextBlob })), 'kms', 'InvalidParameter', 400);
});
