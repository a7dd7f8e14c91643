import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KeyRecord } from '../../src/kms/records';
import { DAY, Env, expectCode, newKeyId } from './helpers';

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

async function withEnv(fn: (env: Env) => Promise<void>): Promise<void> {
  const env = new Env();
  try {
    await fn(env);
  } finally {
    await env.close();
  }
}

test('CreateKeyVersion (manual rotation): new primary version, old ciphertexts still decrypt', () =>
  withEnv(async ({ kms, clock }) => {
    const keyId = await newKeyId(kms, { KeySpec: 'Aliyun_SM4' });
    const first = (await kms.DescribeKey({ KeyId: keyId })).KeyMetadata.PrimaryKeyVersion;
    const old = await kms.Encrypt({ KeyId: keyId, Plaintext: 'v1' });
    clock.advance(DAY);
    const { KeyVersion } = await kms.CreateKeyVersion({ KeyId: keyId });
    assert.deepEqual(KeyVersion, { KeyId: keyId, KeyVersionId: KeyVersion.KeyVersionId, CreationDate: iso(clock.t) });
    assert.notEqual(KeyVersion.KeyVersionId, first);

    const m = (await kms.DescribeKey({ KeyId: keyId })).KeyMetadata;
    assert.equal(m.PrimaryKeyVersion, KeyVersion.KeyVersionId);
    assert.equal(m.LastRotationDate, iso(clock.t));
    const fresh = await kms.Encrypt({ KeyId: keyId, Plaintext: 'v2' });
    assert.equal(fresh.KeyVersionId, KeyVersion.KeyVersionId);
    assert.deepEqual(await kms.Decrypt({ CiphertextBlob: old.CiphertextBlob }), { Plaintext: 'v1', KeyId: keyId, KeyVersionId: first });
    assert.equal((await kms.Decrypt({ CiphertextBlob: fresh.CiphertextBlob })).Plaintext, 'v2');

    const listed = await kms.ListKeyVersions({ KeyId: keyId });
    assert.equal(listed.TotalCount, 2);
    assert.deepEqual(listed.KeyVersions.KeyVersion.map((v) => v.KeyVersionId), [first, KeyVersion.KeyVersionId]);
    assert.deepEqual((await kms.ListKeyVersions({ KeyId: keyId, PageNumber: 2, PageSize: 1 })).KeyVersions.KeyVersion, [KeyVersion]);
    assert.deepEqual((await kms.DescribeKeyVersion({ KeyId: keyId, KeyVersionId: KeyVersion.KeyVersionId })).KeyVersion, KeyVersion);
    await expectCode(kms.DescribeKeyVersion({ KeyId: keyId, KeyVersionId: 'nope' }), 'Forbidden.KeyVersionNotFound');
    await expectCode(kms.DescribeKeyVersion({ KeyId: keyId }), 'MissingParameter');
  }));

test('automatic rotation happens lazily on use once the interval has passed; every version keeps decrypting', () =>
  withEnv(async ({ kms, clock }) => {
    const keyId = await newKeyId(kms, { EnableAutomaticRotation: true, RotationInterval: '604800s' });
    const created = clock.t;
    const v1 = await kms.Encrypt({ KeyId: keyId, Plaintext: 'one' });
    clock.advance(7 * DAY - 1);
    assert.equal((await kms.Encrypt({ KeyId: keyId, Plaintext: 'x' })).KeyVersionId, v1.KeyVersionId);

    clock.advance(1);
    const v2 = await kms.Encrypt({ KeyId: keyId, Plaintext: 'two' });
    assert.notEqual(v2.KeyVersionId, v1.KeyVersionId);
    const m = (await kms.DescribeKey({ KeyId: keyId })).KeyMetadata;
    assert.deepEqual([m.PrimaryKeyVersion, m.LastRotationDate, m.NextRotationDate], [v2.KeyVersionId, iso(created + 7 * DAY), iso(created + 14 * DAY)]);

    // Many intervals idle: one rotation on next use, not one per missed interval.
    clock.advance(30 * DAY);
    const v3 = await kms.GenerateDataKey({ KeyId: keyId });
    assert.equal((await kms.ListKeyVersions({ KeyId: keyId })).TotalCount, 3);
    for (const [blob, text] of [[v1.CiphertextBlob, 'one'], [v2.CiphertextBlob, 'two']] as const) {
      assert.equal((await kms.Decrypt({ CiphertextBlob: blob })).Plaintext, text);
    }
    assert.equal((await kms.Decrypt({ CiphertextBlob: v3.CiphertextBlob })).Plaintext, v3.Plaintext);
  }));

test('rotateDueKeys rotates due Enabled keys only; a Disabled key shows Suspended and is left alone', () =>
  withEnv(async ({ kms, clock, meta }) => {
    const due = await newKeyId(kms, { EnableAutomaticRotation: true, RotationInterval: '7d' });
    const notDue = await newKeyId(kms, { EnableAutomaticRotation: true, RotationInterval: '30d' });
    const disabled = await newKeyId(kms, { EnableAutomaticRotation: true, RotationInterval: '7d' });
    await newKeyId(kms);
    await kms.DisableKey({ KeyId: disabled });
    const primary = async (keyId: string) => (await meta.getDoc<KeyRecord>('kms.key', keyId))!.primaryVersionId;
    const before = [await primary(due), await primary(notDue), await primary(disabled)];

    clock.advance(8 * DAY);
    assert.equal(await kms.rotateDueKeys(), 1);
    // Read the stored records directly: any KMS call would itself rotate a due key.
    assert.notEqual(await primary(due), before[0]);
    assert.equal(await primary(notDue), before[1]);
    assert.equal(await primary(disabled), before[2]);
    assert.equal(await kms.rotateDueKeys(), 0);
    assert.equal((await kms.DescribeKey({ KeyId: disabled })).KeyMetadata.AutomaticRotation, 'Suspended');

    await kms.EnableKey({ KeyId: disabled });
    assert.notEqual((await kms.Encrypt({ KeyId: disabled, Plaintext: 'x' })).KeyVersionId, before[2]);
  }));

test('UpdateRotationPolicy enables, changes and disables automatic rotation', () =>
  withEnv(async ({ kms, clock }) => {
    const keyId = await newKeyId(kms);
    await kms.UpdateRotationPolicy({ KeyId: keyId, EnableAutomaticRotation: true, RotationInterval: '8760h' });
    let m = (await kms.DescribeKey({ KeyId: keyId })).KeyMetadata;
    assert.deepEqual([m.AutomaticRotation, m.RotationInterval, m.NextRotationDate], ['Enabled', '31536000s', iso(clock.t + 365 * DAY)]);
    await kms.UpdateRotationPolicy({ KeyId: keyId, EnableAutomaticRotation: true, RotationInterval: '10080m' });
    assert.equal((await kms.DescribeKey({ KeyId: keyId })).KeyMetadata.RotationInterval, '604800s');
    await kms.UpdateRotationPolicy({ KeyId: keyId, EnableAutomaticRotation: false });
    m = (await kms.DescribeKey({ KeyId: keyId })).KeyMetadata;
    assert.deepEqual([m.AutomaticRotation, m.RotationInterval, m.NextRotationDate], ['Disabled', '', '']);

    await expectCode(kms.UpdateRotationPolicy({ KeyId: keyId }), 'MissingParameter');
    await expectCode(kms.UpdateRotationPolicy({ KeyId: keyId, EnableAutomaticRotation: true }), 'MissingParameter');
    await expectCode(kms.UpdateRotationPolicy({ KeyId: keyId, EnableAutomaticRotation: true, RotationInterval: '6d' }), 'InvalidParameter');
    await expectCode(kms.UpdateRotationPolicy({ KeyId: keyId, EnableAutomaticRotation: 'true' as unknown as boolean }), 'InvalidParameter');
  }));
