/**
 * The key-state table of reference §4.1, cell by cell: for every action and each of the four
 * states, the action either succeeds or fails with exactly the documented Rejected.* code.
 * The expectations are written out here independently of src/kms/states.ts.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { KeyState } from '../../src/kms/types';
import { Env, expectCode, importMaterial, newKeyId, wrapMaterial } from './helpers';

const env = new Env();
const kms = env.kms;
after(() => env.close());

const STATES: readonly KeyState[] = ['Enabled', 'Disabled', 'PendingDeletion', 'PendingImport'];
type Row = Readonly<Record<KeyState, string | null>>;
const ok = null;
const SMF = 'Rejected.StateModifiedFailed';

interface Fixture {
  keyId: string;
  alias: string;
  blob: string;
}

let serial = 0;
const uniqueAlias = (): string => `alias/state-${++serial}`;

/** Moves an Enabled key (or, for PendingImport, an imported EXTERNAL key) into `state`. */
async function enter(keyId: string, state: KeyState): Promise<void> {
  if (state === 'Disabled') await kms.DisableKey({ KeyId: keyId });
  if (state === 'PendingDeletion') await kms.ScheduleKeyDeletion({ KeyId: keyId, PendingWindowInDays: 30 });
  if (state === 'PendingImport') await kms.DeleteKeyMaterial({ KeyId: keyId });
}

/** A key in `state` with an alias and a ciphertext made while it was usable. */
async function fixture(state: KeyState): Promise<Fixture> {
  const keyId = await newKeyId(kms, state === 'PendingImport' ? { Origin: 'EXTERNAL' } : {});
  if (state === 'PendingImport') await importMaterial(kms, keyId, randomBytes(32));
  const alias = uniqueAlias();
  await kms.CreateAlias({ AliasName: alias, KeyId: keyId });
  const blob = (await kms.Encrypt({ KeyId: keyId, Plaintext: 'p' })).CiphertextBlob;
  await enter(keyId, state);
  return { keyId, alias, blob };
}

/** A key in `state` made for one state-changing call: cheap, no material import. */
async function freshKey(state: KeyState): Promise<string> {
  if (state === 'PendingImport') return newKeyId(kms, { Origin: 'EXTERNAL' });
  const keyId = await newKeyId(kms);
  await enter(keyId, state);
  return keyId;
}

const shared = new Map<KeyState, Fixture>();
let otherKeyId = '';
before(async () => {
  for (const state of STATES) shared.set(state, await fixture(state));
  otherKeyId = await newKeyId(kms);
});

const USABLE: Row = { Enabled: ok, Disabled: 'Rejected.Disabled', PendingDeletion: 'Rejected.PendingDeletion', PendingImport: 'Rejected.PendingImport' };
const ALWAYS: Row = { Enabled: ok, Disabled: ok, PendingDeletion: ok, PendingImport: ok };
const EDIT: Row = { ...ALWAYS, PendingDeletion: 'Rejected.PendingDeletion' };

/** Rows whose allowed outcome leaves the key in its state: run against the shared fixtures. */
const SHARED_ROWS: [string, Row, (f: Fixture) => Promise<unknown>][] = [
  ['GenerateDataKey', USABLE, (f) => kms.GenerateDataKey({ KeyId: f.keyId })],
  ['GenerateDataKeyWithoutPlaintext', USABLE, (f) => kms.GenerateDataKeyWithoutPlaintext({ KeyId: f.keyId })],
  ['Encrypt', USABLE, (f) => kms.Encrypt({ KeyId: f.keyId, Plaintext: 'p' })],
  ['Decrypt', USABLE, (f) => kms.Decrypt({ CiphertextBlob: f.blob })],
  ['DescribeKey', ALWAYS, (f) => kms.DescribeKey({ KeyId: f.keyId })],
  ['ListAliasesByKeyId', ALWAYS, (f) => kms.ListAliasesByKeyId({ KeyId: f.keyId })],
  ['ListResourceTags', ALWAYS, (f) => kms.ListResourceTags({ KeyId: f.keyId })],
  ['ListKeyVersions', ALWAYS, (f) => kms.ListKeyVersions({ KeyId: f.keyId })],
  ['DescribeKeyVersion', ALWAYS, async (f) => {
    const { KeyMetadata } = await kms.DescribeKey({ KeyId: f.keyId });
    return kms.DescribeKeyVersion({ KeyId: f.keyId, KeyVersionId: KeyMetadata.PrimaryKeyVersion });
  }],
  ['UpdateKeyDescription', EDIT, (f) => kms.UpdateKeyDescription({ KeyId: f.keyId, Description: 'd' })],
  ['TagResource', EDIT, (f) => kms.TagResource({ KeyId: f.keyId, Tags: [{ TagKey: 'k', TagValue: 'v' }] })],
  ['UntagResource', EDIT, (f) => kms.UntagResource({ KeyId: f.keyId, TagKeys: ['k'] })],
  ['CreateAlias', { ...ALWAYS, PendingDeletion: SMF }, (f) => kms.CreateAlias({ AliasName: uniqueAlias(), KeyId: f.keyId })],
  ['UpdateAlias (judged by the target key)', EDIT, async (f) => {
    const alias = uniqueAlias();
    await kms.CreateAlias({ AliasName: alias, KeyId: otherKeyId });
    return kms.UpdateAlias({ AliasName: alias, KeyId: f.keyId });
  }],
  ['CreateKeyVersion', USABLE, (f) => kms.CreateKeyVersion({ KeyId: f.keyId })],
  ['UpdateRotationPolicy', USABLE, (f) => kms.UpdateRotationPolicy({ KeyId: f.keyId, EnableAutomaticRotation: false })],
  ['ListKeys', ALWAYS, async (f) => {
    const listed = await kms.ListKeys({ PageSize: 100 });
    assert.ok(listed.Keys.Key.some((k) => k.KeyId === f.keyId));
  }],
  ['ListAliases', ALWAYS, async (f) => {
    const listed = await kms.ListAliases({ PageSize: 100 });
    assert.ok(listed.Aliases.Alias.some((a) => a.AliasName === f.alias && a.KeyId === f.keyId));
  }],
  ['DeleteAlias', ALWAYS, (f) => kms.DeleteAlias({ AliasName: f.alias })],
];

/** Rows whose allowed outcome changes the state: each cell gets its own key. */
const FRESH_ROWS: [string, Row, (keyId: string) => Promise<unknown>][] = [
  ['EnableKey', { ...ALWAYS, PendingDeletion: SMF, PendingImport: SMF }, (k) => kms.EnableKey({ KeyId: k })],
  ['DisableKey', { ...ALWAYS, PendingDeletion: SMF, PendingImport: SMF }, (k) => kms.DisableKey({ KeyId: k })],
  ['ScheduleKeyDeletion', { ...ALWAYS, PendingDeletion: SMF }, (k) => kms.ScheduleKeyDeletion({ KeyId: k, PendingWindowInDays: 7 })],
  ['CancelKeyDeletion', { Enabled: SMF, Disabled: SMF, PendingDeletion: ok, PendingImport: SMF }, (k) => kms.CancelKeyDeletion({ KeyId: k })],
];

async function expectOutcome(call: Promise<unknown>, expected: string | null): Promise<void> {
  if (expected === null) await call;
  else await expectCode(call, expected);
}

for (const [action, row, call] of SHARED_ROWS) {
  test(`§4.1 ${action}`, async () => {
    for (const state of STATES) {
      const f = shared.get(state)!;
      await expectOutcome(call(f), row[state]);
      assert.equal((await kms.DescribeKey({ KeyId: f.keyId })).KeyMetadata.KeyState, state, `${action} changed the ${state} key's state`);
    }
  });
}

for (const [action, row, call] of FRESH_ROWS) {
  test(`§4.1 ${action}`, async () => {
    for (const state of STATES) await expectOutcome(call(await freshKey(state)), row[state]);
  });
}

test('§4.1 CancelKeyDeletion returns the key to Enabled', async () => {
  const keyId = await freshKey('PendingDeletion');
  await kms.CancelKeyDeletion({ KeyId: keyId });
  assert.equal((await kms.DescribeKey({ KeyId: keyId })).KeyMetadata.KeyState, 'Enabled');
});

/**
 * GetParametersForImport, ImportKeyMaterial and DeleteKeyMaterial need EXTERNAL keys. For each
 * state: GetParametersForImport (allowed everywhere), then ImportKeyMaterial of the key's own
 * material with that token, then (except PendingImport, which the import just left)
 * DeleteKeyMaterial.
 */
test('§4.1 GetParametersForImport, ImportKeyMaterial, DeleteKeyMaterial', async () => {
  const importRow: Row = { ...ALWAYS, PendingDeletion: SMF };
  for (const state of STATES) {
    const keyId = await newKeyId(kms, { Origin: 'EXTERNAL' });
    const material = randomBytes(32);
    if (state !== 'PendingImport') {
      await importMaterial(kms, keyId, material);
      await enter(keyId, state);
    }
    const params = await kms.GetParametersForImport({ KeyId: keyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_1', WrappingKeySpec: 'RSA_2048' });
    await expectOutcome(
      kms.ImportKeyMaterial({
        KeyId: keyId,
        EncryptedKeyMaterial: wrapMaterial(params.PublicKey, material, 'RSAES_OAEP_SHA_1'),
        ImportToken: params.ImportToken,
      }),
      importRow[state],
    );
    if (state !== 'PendingImport') await kms.DeleteKeyMaterial({ KeyId: keyId });
  }
  await kms.DeleteKeyMaterial({ KeyId: await freshKey('PendingImport') });
});
