import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import type { KeyRecord } from '../../src/kms/records';
import { ACCOUNT, DAY, Env, expectCode, newKeyId, REGION } from './helpers';

const env = new Env();
const kms = env.kms;
after(() => env.close());

/** ensureServiceKey from a separate process over the same store file, as another server worker would. */
async function ensureServiceKeyInChild(e: Env): Promise<string> {
  const dist = path.resolve(__dirname, '../../src');
  const script = `
    const { KmsService } = require(${JSON.stringify(path.join(dist, 'kms/service'))});
    const { SqliteMetadataStore } = require(${JSON.stringify(path.join(dist, 'store/sqlite/metadata-store'))});
    const meta = SqliteMetadataStore.open(process.argv[1]);
    const kms = new KmsService({ meta, rootKey: Buffer.from(process.argv[2], 'hex'), region: 'r', accountId: 'a' });
    Promise.all([kms.ensureServiceKey(), kms.ensureServiceKey()])
      .then((ids) => { process.stdout.write(JSON.stringify(ids)); return meta.close(); });`;
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', script, e.file, e.rootKey.toString('hex')]);
  const ids = JSON.parse(stdout) as string[];
  assert.equal(ids[0], ids[1]);
  return ids[0]!;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

test('CreateKey with defaults: an Enabled Aliyun_AES_256 key and its KeyMetadata', async () => {
  const { KeyMetadata: m } = await kms.CreateKey();
  assert.match(m.KeyId, UUID);
  assert.match(m.PrimaryKeyVersion, UUID);
  assert.deepEqual(m, {
    KeyId: m.KeyId,
    Arn: `acs:kms:${REGION}:${ACCOUNT}:key/${m.KeyId}`,
    KeyState: 'Enabled',
    KeySpec: 'Aliyun_AES_256',
    KeyUsage: 'ENCRYPT/DECRYPT',
    Origin: 'Aliyun_KMS',
    ProtectionLevel: 'SOFTWARE',
    Description: '',
    Creator: ACCOUNT,
    CreationDate: iso(env.clock.t),
    DeleteDate: '',
    MaterialExpireTime: '',
    PrimaryKeyVersion: m.PrimaryKeyVersion,
    LastRotationDate: iso(env.clock.t),
    AutomaticRotation: 'Disabled',
    RotationInterval: '',
    NextRotationDate: '',
  });
  assert.deepEqual((await kms.DescribeKey({ KeyId: m.KeyId })).KeyMetadata, m);
});

test('CreateKey with SM4, description, tags and automatic rotation', async () => {
  const { KeyMetadata: m } = await kms.CreateKey({
    KeySpec: 'Aliyun_SM4',
    Description: 'orders',
    EnableAutomaticRotation: true,
    RotationInterval: '7d',
    Tags: '[{"TagKey":"team","TagValue":"billing"}]',
  });
  assert.equal(m.KeySpec, 'Aliyun_SM4');
  assert.equal(m.Description, 'orders');
  assert.equal(m.AutomaticRotation, 'Enabled');
  assert.equal(m.RotationInterval, '604800s');
  assert.equal(m.NextRotationDate, iso(env.clock.t + 7 * DAY));
  const tags = await kms.ListResourceTags({ KeyId: m.KeyId });
  assert.deepEqual(tags.Tags.Tag, [{ KeyId: m.KeyId, TagKey: 'team', TagValue: 'billing' }]);
});

test('CreateKey refuses asymmetric and unknown specs and invalid options, creating nothing', async () => {
  const before = await env.meta.countDocs('kms.key');
  for (const spec of ['RSA_2048', 'RSA_3072', 'EC_P256', 'EC_P256K', 'EC_SM2']) {
    await assert.rejects(kms.CreateKey({ KeySpec: spec }), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'InvalidParameter');
      assert.match(err.message, /asymmetric/);
      return true;
    });
  }
  await expectCode(kms.CreateKey({ KeySpec: 'Aliyun_AES_512' }), 'InvalidParameter');
  await expectCode(kms.CreateKey({ Origin: 'external' }), 'InvalidParameter');
  await expectCode(kms.CreateKey({ KeyUsage: 'SIGN/VERIFY' }), 'InvalidParameter');
  await expectCode(kms.CreateKey({ ProtectionLevel: 'HSM' }), 'Unsupported.ProtectionLevel');
  await expectCode(kms.CreateKey({ Description: 'x'.repeat(8193) }), 'InvalidParameter');
  await expectCode(kms.CreateKey({ EnableAutomaticRotation: true }), 'MissingParameter');
  await expectCode(kms.CreateKey({ Origin: 'EXTERNAL', EnableAutomaticRotation: true, RotationInterval: '30d' }), 'InvalidParameter');
  for (const interval of ['6d', '366d', '604799s', '1y', '30 d', '-7d']) {
    await expectCode(kms.CreateKey({ EnableAutomaticRotation: true, RotationInterval: interval }), 'InvalidParameter');
  }
  await expectCode(kms.CreateKey({ Tags: '[{"TagKey":"acs:x","TagValue":"v"}]' }), 'InvalidParameter');
  assert.equal(await env.meta.countDocs('kms.key'), before);
});

test('DescribeKey of an unknown or missing KeyId', async () => {
  await expectCode(kms.DescribeKey({ KeyId: '00000000-0000-4000-8000-000000000000' }), 'Forbidden.KeyNotFound');
  await expectCode(kms.DescribeKey({}), 'MissingParameter');
});

test('ListKeys pages through all keys in id order', async () => {
  const local = new Env();
  try {
    const ids = [await newKeyId(local.kms), await newKeyId(local.kms), await newKeyId(local.kms)].sort();
    const first = await local.kms.ListKeys({ PageSize: 2 });
    const second = await local.kms.ListKeys({ PageNumber: 2, PageSize: 2 });
    assert.equal(first.TotalCount, 3);
    assert.deepEqual([first.PageNumber, first.PageSize, second.PageNumber], [1, 2, 2]);
    assert.deepEqual([...first.Keys.Key, ...second.Keys.Key].map((k) => k.KeyId), ids);
    assert.equal(first.Keys.Key[0]!.KeyArn, `acs:kms:${REGION}:${ACCOUNT}:key/${ids[0]}`);
    assert.deepEqual((await local.kms.ListKeys({ PageNumber: 3, PageSize: 2 })).Keys.Key, []);
    assert.equal((await local.kms.ListKeys()).PageSize, 10);
    await expectCode(local.kms.ListKeys({ PageSize: 101 }), 'InvalidParameter');
    await expectCode(local.kms.ListKeys({ PageNumber: 0 }), 'InvalidParameter');
  } finally {
    await local.close();
  }
});

test('UpdateKeyDescription', async () => {
  const keyId = await newKeyId(kms, { Description: 'old' });
  await kms.UpdateKeyDescription({ KeyId: keyId, Description: 'new' });
  assert.equal((await kms.DescribeKey({ KeyId: keyId })).KeyMetadata.Description, 'new');
  await expectCode(kms.UpdateKeyDescription({ KeyId: keyId }), 'MissingParameter');
});

test('DisableKey takes effect at once, also for another process whose material cache is warm', async () => {
  const keyId = await newKeyId(kms);
  const other = env.peer();
  const blob = (await other.Encrypt({ KeyId: keyId, Plaintext: 'warm' })).CiphertextBlob;
  await kms.DisableKey({ KeyId: keyId });
  assert.equal((await kms.DescribeKey({ KeyId: keyId })).KeyMetadata.KeyState, 'Disabled');
  await expectCode(other.Encrypt({ KeyId: keyId, Plaintext: 'x' }), 'Rejected.Disabled');
  await expectCode(other.Decrypt({ CiphertextBlob: blob }), 'Rejected.Disabled');
  await kms.EnableKey({ KeyId: keyId });
  assert.equal((await other.Decrypt({ CiphertextBlob: blob })).Plaintext, 'warm');
});

test('ScheduleKeyDeletion validates the window, sets DeleteDate; CancelKeyDeletion restores Enabled', async () => {
  const keyId = await newKeyId(kms);
  for (const days of [6, 367, 7.5]) {
    await expectCode(kms.ScheduleKeyDeletion({ KeyId: keyId, PendingWindowInDays: days }), 'InvalidParameter');
  }
  await expectCode(kms.ScheduleKeyDeletion({ KeyId: keyId }), 'MissingParameter');
  await kms.ScheduleKeyDeletion({ KeyId: keyId, PendingWindowInDays: 366 });
  const scheduled = (await kms.DescribeKey({ KeyId: keyId })).KeyMetadata;
  assert.equal(scheduled.KeyState, 'PendingDeletion');
  assert.equal(scheduled.DeleteDate, iso(env.clock.t + 366 * DAY));
  await kms.CancelKeyDeletion({ KeyId: keyId });
  const cancelled = (await kms.DescribeKey({ KeyId: keyId })).KeyMetadata;
  assert.deepEqual([cancelled.KeyState, cancelled.DeleteDate], ['Enabled', '']);
});

test('after the deletion window the key is destroyed: ciphertexts are unrecoverable, even via a recreated alias', async () => {
  const local = new Env();
  try {
    const keyId = await newKeyId(local.kms);
    await local.kms.CreateAlias({ AliasName: 'alias/shred-me', KeyId: keyId });
    await local.kms.CreateKeyVersion({ KeyId: keyId });
    const blob = (await local.kms.Encrypt({ KeyId: 'alias/shred-me', Plaintext: 'secret' })).CiphertextBlob;
    const dataKey = await local.kms.GenerateDataKey({ KeyId: keyId });
    await local.kms.ScheduleKeyDeletion({ KeyId: keyId, PendingWindowInDays: 7 });
    await expectCode(local.kms.Decrypt({ CiphertextBlob: blob }), 'Rejected.PendingDeletion');

    local.clock.advance(7 * DAY - 1);
    assert.equal(await local.kms.purgeExpiredKeys(), 0);
    assert.equal((await local.kms.DescribeKey({ KeyId: keyId })).KeyMetadata.KeyState, 'PendingDeletion');

    local.clock.advance(1);
    assert.equal(await local.kms.purgeExpiredKeys(), 1);
    // Nothing of the key is left in the store: record, both versions' sealed material, alias.
    assert.equal(await local.meta.getDoc('kms.key', keyId), null);
    assert.equal(await local.meta.countDocs('kms.key-version'), 0);
    assert.equal(await local.meta.countDocs('kms.alias'), 0);
    await expectCode(local.kms.DescribeKey({ KeyId: keyId }), 'Forbidden.KeyNotFound');
    await expectCode(local.kms.DescribeKey({ KeyId: 'alias/shred-me' }), 'Forbidden.AliasNotFound');
    await expectCode(local.kms.Decrypt({ CiphertextBlob: blob }), 'Forbidden.KeyNotFound');

    const successor = await newKeyId(local.kms);
    await local.kms.CreateAlias({ AliasName: 'alias/shred-me', KeyId: successor });
    await expectCode(local.kms.Decrypt({ CiphertextBlob: blob }), 'Forbidden.KeyNotFound');
    await expectCode(local.kms.Decrypt({ CiphertextBlob: dataKey.CiphertextBlob }), 'Forbidden.KeyNotFound');
  } finally {
    await local.close();
  }
});

test('an expired PendingDeletion key is destroyed when next touched, and ListKeys no longer shows it', async () => {
  const local = new Env();
  try {
    const touched = await newKeyId(local.kms);
    const listedOnly = await newKeyId(local.kms);
    const kept = await newKeyId(local.kms);
    const blob = (await local.kms.Encrypt({ KeyId: touched, Plaintext: 'x' })).CiphertextBlob;
    for (const keyId of [touched, listedOnly]) await local.kms.ScheduleKeyDeletion({ KeyId: keyId, PendingWindowInDays: 7 });
    local.clock.advance(8 * DAY);

    await expectCode(local.kms.Decrypt({ CiphertextBlob: blob }), 'Forbidden.KeyNotFound');
    assert.equal(await local.meta.getDoc('kms.key', touched), null);
    assert.notEqual(await local.meta.getDoc('kms.key', listedOnly), null);

    const listed = await local.kms.ListKeys();
    assert.deepEqual(listed.Keys.Key.map((k) => k.KeyId), [kept]);
    assert.equal(listed.TotalCount, 1);
    await expectCode(local.kms.CancelKeyDeletion({ KeyId: listedOnly }), 'Forbidden.KeyNotFound');
  } finally {
    await local.close();
  }
});

test('ensureServiceKey creates alias/acs/oss once under concurrent first use, across processes', async () => {
  const local = new Env();
  try {
    const ids = await Promise.all([
      ensureServiceKeyInChild(local),
      ...Array.from({ length: 4 }, () => local.kms.ensureServiceKey()),
    ]);
    assert.equal(new Set(ids).size, 1);
    assert.equal(await local.meta.countDocs('kms.key'), 1);
    const aliases = await local.kms.ListAliases();
    assert.deepEqual(aliases.Aliases.Alias.map((a) => [a.AliasName, a.KeyId]), [['alias/acs/oss', ids[0]]]);
    const m = (await local.kms.DescribeKey({ KeyId: 'alias/acs/oss' })).KeyMetadata;
    assert.deepEqual([m.KeySpec, m.Origin, m.KeyState], ['Aliyun_AES_256', 'Aliyun_KMS', 'Enabled']);
    const dataKey = await local.kms.GenerateDataKey({ KeyId: 'alias/acs/oss' });
    assert.equal(dataKey.KeyId, ids[0]);

    // Users cannot take over the reserved namespace; the service cannot leave it; the service's
    // alias stays where it is (test/sse-kms/service-key.test.ts tries every change over the wire).
    await expectCode(local.kms.CreateAlias({ AliasName: 'alias/acs/ecs', KeyId: ids[0] }), 'InvalidParameter');
    await expectCode(local.kms.UpdateAlias({ AliasName: 'alias/acs/oss', KeyId: await newKeyId(local.kms) }), 'Rejected.UnsupportedOperation');
    await expectCode(local.kms.DeleteAlias({ AliasName: 'alias/acs/oss' }), 'Rejected.UnsupportedOperation');
    await expectCode(local.kms.ScheduleKeyDeletion({ KeyId: ids[0]!, PendingWindowInDays: 7 }), 'Rejected.UnsupportedOperation');
    await expectCode(local.kms.ensureServiceKey('alias/mine'), 'InvalidParameter');

    // Once the managed key has been deleted (scheduled by a release that still allowed it), the
    // next use makes a new one.
    await local.meta.transaction(async (tx) => {
      const rec = (await tx.getDoc<KeyRecord>('kms.key', ids[0]!))!;
      await tx.putDoc('kms.key', ids[0]!, { ...rec, state: 'PendingDeletion', deleteAt: local.clock.t + 7 * DAY });
    });
    local.clock.advance(7 * DAY);
    const next = await local.kms.ensureServiceKey();
    assert.notEqual(next, ids[0]);
    assert.equal((await local.kms.DescribeKey({ KeyId: 'alias/acs/oss' })).KeyMetadata.KeyId, next);
  } finally {
    await local.close();
  }
});

test('DescribeRegions answers the configured region', async () => {
  assert.deepEqual(await kms.DescribeRegions(), { Regions: { Region: [{ RegionId: REGION }] } });
});
