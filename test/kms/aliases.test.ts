import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { ACCOUNT, Env, expectCode, newKeyId, REGION } from './helpers';

const env = new Env();
const kms = env.kms;
after(() => env.close());

const keyArn = (keyId: string) => `acs:kms:${REGION}:${ACCOUNT}:key/${keyId}`;
const aliasArn = (name: string) => `acs:kms:${REGION}:${ACCOUNT}:${name}`;

test('CreateAlias, ListAliases, ListAliasesByKeyId, UpdateAlias, DeleteAlias', async () => {
  const local = new Env();
  try {
    const a = await newKeyId(local.kms);
    const b = await newKeyId(local.kms);
    await local.kms.CreateAlias({ AliasName: 'alias/one', KeyId: a });
    await local.kms.CreateAlias({ AliasName: 'alias/two/nested_x-y', KeyId: a });
    assert.deepEqual(await local.kms.ListAliases(), {
      Aliases: {
        Alias: [
          { KeyId: a, AliasName: 'alias/one', AliasArn: aliasArn('alias/one') },
          { KeyId: a, AliasName: 'alias/two/nested_x-y', AliasArn: aliasArn('alias/two/nested_x-y') },
        ],
      },
      TotalCount: 2,
      PageNumber: 1,
      PageSize: 10,
    });
    const page2 = await local.kms.ListAliasesByKeyId({ KeyId: a, PageNumber: 2, PageSize: 1 });
    assert.deepEqual(page2.Aliases.Alias.map((x) => x.AliasName), ['alias/two/nested_x-y']);
    assert.equal(page2.TotalCount, 2);

    await local.kms.UpdateAlias({ AliasName: 'alias/one', KeyId: b });
    assert.deepEqual((await local.kms.ListAliasesByKeyId({ KeyId: a })).Aliases.Alias.map((x) => x.AliasName), ['alias/two/nested_x-y']);
    assert.deepEqual((await local.kms.ListAliasesByKeyId({ KeyId: b })).Aliases.Alias.map((x) => x.AliasName), ['alias/one']);
    assert.equal((await local.kms.Encrypt({ KeyId: 'alias/one', Plaintext: 'x' })).KeyId, b);

    await local.kms.DeleteAlias({ AliasName: 'alias/one' });
    await expectCode(local.kms.DescribeKey({ KeyId: 'alias/one' }), 'Forbidden.AliasNotFound');
    assert.equal((await local.kms.DescribeKey({ KeyId: b })).KeyMetadata.KeyState, 'Enabled');
    assert.deepEqual((await local.kms.ListAliasesByKeyId({ KeyId: b })).Aliases.Alias, []);
    assert.equal((await local.kms.ListAliases()).TotalCount, 1);
  } finally {
    await local.close();
  }
});

test('alias names: prefix, charset, length, uniqueness', async () => {
  const keyId = await newKeyId(kms);
  const max = `alias/${'a'.repeat(255)}`;
  await kms.CreateAlias({ AliasName: max, KeyId: keyId });
  for (const bad of ['noprefix', 'alias/', 'alias/has space', 'alias/ünï', 'alias/a.b', `alias/${'a'.repeat(256)}`, 'Alias/x']) {
    await expectCode(kms.CreateAlias({ AliasName: bad, KeyId: keyId }), 'InvalidParameter');
  }
  await expectCode(kms.CreateAlias({ KeyId: keyId }), 'MissingParameter');
  await expectCode(kms.CreateAlias({ AliasName: max, KeyId: await newKeyId(kms) }), 'AliasAlreadyExists');
  await expectCode(kms.CreateAlias({ AliasName: 'alias/orphan', KeyId: '00000000-0000-4000-8000-000000000000' }), 'Forbidden.KeyNotFound');
  await expectCode(kms.UpdateAlias({ AliasName: 'alias/never-made', KeyId: keyId }), 'Forbidden.AliasNotFound');
  await expectCode(kms.DeleteAlias({ AliasName: 'alias/never-made' }), 'Forbidden.AliasNotFound');
});

test('every KeyId parameter accepts the key id, an alias, the key ARN and the alias ARN, and answers the real id', async () => {
  const keyId = await newKeyId(kms);
  const other = await newKeyId(kms);
  await kms.CreateAlias({ AliasName: 'alias/everywhere', KeyId: keyId });
  const forms = [keyId, 'alias/everywhere', keyArn(keyId), aliasArn('alias/everywhere')];
  const blob = (await kms.Encrypt({ KeyId: other, Plaintext: 'x' })).CiphertextBlob;
  const version = (await kms.DescribeKey({ KeyId: keyId })).KeyMetadata.PrimaryKeyVersion;
  for (const KeyId of forms) {
    assert.equal((await kms.DescribeKey({ KeyId })).KeyMetadata.KeyId, keyId);
    assert.equal((await kms.Encrypt({ KeyId, Plaintext: 'x' })).KeyId, keyId);
    assert.equal((await kms.GenerateDataKey({ KeyId })).KeyId, keyId);
    assert.equal((await kms.GenerateDataKeyWithoutPlaintext({ KeyId })).KeyId, keyId);
    assert.equal((await kms.ReEncrypt({ CiphertextBlob: blob, DestinationKeyId: KeyId })).KeyId, keyId);
    assert.equal((await kms.ListAliasesByKeyId({ KeyId })).Aliases.Alias[0]!.KeyId, keyId);
    assert.equal((await kms.DescribeKeyVersion({ KeyId, KeyVersionId: version })).KeyVersion.KeyId, keyId);
    assert.equal((await kms.ListKeyVersions({ KeyId })).KeyVersions.KeyVersion[0]!.KeyId, keyId);
    assert.equal((await kms.ListResourceTags({ KeyId })).Tags.Tag.length, 0);
    await kms.UpdateKeyDescription({ KeyId, Description: KeyId });
    assert.equal((await kms.DescribeKey({ KeyId: keyId })).KeyMetadata.Description, KeyId);
    await kms.DisableKey({ KeyId });
    await kms.EnableKey({ KeyId });
    await kms.UpdateRotationPolicy({ KeyId, EnableAutomaticRotation: false });
    await kms.TagResource({ KeyId, Tags: [{ TagKey: 'via', TagValue: KeyId }] });
    await kms.UntagResource({ KeyId, TagKeys: ['via'] });
    const alias = `alias/via-${forms.indexOf(KeyId)}`;
    await kms.CreateAlias({ AliasName: alias, KeyId: other });
    await kms.UpdateAlias({ AliasName: alias, KeyId });
    assert.equal((await kms.DescribeKey({ KeyId: alias })).KeyMetadata.KeyId, keyId);
  }
  const versions = await kms.ListKeyVersions({ KeyId: keyArn(keyId) });
  assert.equal(versions.TotalCount, 1);
  assert.equal((await kms.CreateKeyVersion({ KeyId: aliasArn('alias/everywhere') })).KeyVersion.KeyId, keyId);
  await kms.ScheduleKeyDeletion({ KeyId: keyArn(keyId), PendingWindowInDays: 7 });
  await kms.CancelKeyDeletion({ KeyId: 'alias/everywhere' });
  assert.equal((await kms.DescribeKey({ KeyId: keyId })).KeyMetadata.KeyState, 'Enabled');
});

test('ARNs of another region or account, or of no key, are not found', async () => {
  const keyId = await newKeyId(kms);
  await expectCode(kms.DescribeKey({ KeyId: `acs:kms:elsewhere:${ACCOUNT}:key/${keyId}` }), 'Forbidden.KeyNotFound');
  await expectCode(kms.DescribeKey({ KeyId: `acs:kms:${REGION}:999:key/${keyId}` }), 'Forbidden.KeyNotFound');
  await expectCode(kms.DescribeKey({ KeyId: `acs:kms:${REGION}:${ACCOUNT}:secret/${keyId}` }), 'Forbidden.KeyNotFound');
  await expectCode(kms.DescribeKey({ KeyId: aliasArn('alias/nope') }), 'Forbidden.AliasNotFound');
});
