import assert from 'node:assert/strict';
import { createPublicKey, randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import type { WrappingAlgorithm } from '../../src/kms/types';
import { ACCOUNT, DAY, Env, expectCode, importMaterial, newKeyId, REGION, wrapMaterial } from './helpers';

const env = new Env();
const kms = env.kms;
after(() => env.close());

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const unix = (ms: number) => Math.floor(ms / 1000);
const params = (KeyId: string, WrappingAlgorithm: WrappingAlgorithm = 'RSAES_OAEP_SHA_256') =>
  kms.GetParametersForImport({ KeyId, WrappingAlgorithm, WrappingKeySpec: 'RSA_2048' });

test('BYOK with each wrapping algorithm; one material in two keys still binds ciphertexts to their key', async () => {
  const shared = randomBytes(32);
  const cases: [WrappingAlgorithm, 'Aliyun_AES_256' | 'Aliyun_SM4', Buffer][] = [
    ['RSAES_OAEP_SHA_256', 'Aliyun_AES_256', shared],
    ['RSAES_OAEP_SHA_1', 'Aliyun_AES_256', shared],
    ['RSAES_PKCS1_V1_5', 'Aliyun_SM4', randomBytes(16)],
  ];
  const keys: string[] = [];
  for (const [algorithm, spec, material] of cases) {
    const keyId = await newKeyId(kms, { Origin: 'EXTERNAL', KeySpec: spec });
    keys.push(keyId);
    const alias = `alias/byok-${algorithm}`;
    await kms.CreateAlias({ AliasName: alias, KeyId: keyId });
    const before = (await kms.DescribeKey({ KeyId: keyId })).KeyMetadata;
    assert.deepEqual([before.KeyState, before.Origin, before.MaterialExpireTime], ['PendingImport', 'EXTERNAL', '']);
    await expectCode(kms.GenerateDataKey({ KeyId: keyId }), 'Rejected.PendingImport');

    const p = await kms.GetParametersForImport({ KeyId: alias, WrappingAlgorithm: algorithm, WrappingKeySpec: 'RSA_2048' });
    assert.equal(p.KeyId, keyId);
    assert.equal(p.TokenExpireTime, iso(env.clock.t + DAY));
    assert.ok(p.PublicKey.startsWith('MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A'));
    const publicKey = createPublicKey({ key: Buffer.from(p.PublicKey, 'base64'), format: 'der', type: 'spki' });
    assert.equal(publicKey.asymmetricKeyDetails?.modulusLength, 2048);

    await kms.ImportKeyMaterial({
      KeyId: `acs:kms:${REGION}:${ACCOUNT}:key/${keyId}`,
      EncryptedKeyMaterial: wrapMaterial(p.PublicKey, material, algorithm),
      ImportToken: p.ImportToken,
    });
    assert.equal((await kms.DescribeKey({ KeyId: keyId })).KeyMetadata.KeyState, 'Enabled');
    const enc = await kms.Encrypt({ KeyId: alias, Plaintext: algorithm, EncryptionContext: { k: 'v' } });
    assert.equal((await kms.Decrypt({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: { k: 'v' } })).Plaintext, algorithm);
  }

  // keys[0] and keys[1] hold the same material; a blob re-labelled to the other key fails (the header is authenticated).
  const blob = Buffer.from((await kms.Encrypt({ KeyId: keys[0], Plaintext: 'bound' })).CiphertextBlob, 'base64');
  const relabelled = Buffer.from(blob);
  relabelled.write(keys[1]!, 2, 'latin1');
  relabelled.write((await kms.DescribeKey({ KeyId: keys[1] })).KeyMetadata.PrimaryKeyVersion, 39, 'latin1');
  await expectCode(kms.Decrypt({ CiphertextBlob: relabelled.toString('base64') }), 'InvalidParameter');
  assert.equal((await kms.Decrypt({ CiphertextBlob: blob.toString('base64') })).Plaintext, 'bound');
});

test('ImportKeyMaterial refusals: expiry in the past, wrong length, bad, foreign, used and expired tokens, other material', async () => {
  const a = await newKeyId(kms, { Origin: 'EXTERNAL' });
  const b = await newKeyId(kms, { Origin: 'EXTERNAL' });
  const material = randomBytes(32);
  const pa = await params(a);
  const importA = (wrapped: string, token = pa.ImportToken, expireUnix?: number) =>
    kms.ImportKeyMaterial({ KeyId: a, EncryptedKeyMaterial: wrapped, ImportToken: token, KeyMaterialExpireUnix: expireUnix });

  await expectCode(importA(wrapMaterial(pa.PublicKey, material, 'RSAES_OAEP_SHA_256'), pa.ImportToken, unix(env.clock.t)), 'InvalidParameter');
  await expectCode(importA(wrapMaterial(pa.PublicKey, randomBytes(16), 'RSAES_OAEP_SHA_256')), 'InvalidKeyMaterial');
  await expectCode(importA(wrapMaterial(pa.PublicKey, randomBytes(33), 'RSAES_OAEP_SHA_256')), 'InvalidKeyMaterial');
  await expectCode(importA(wrapMaterial(pa.PublicKey, material, 'RSAES_OAEP_SHA_256'), 'bm90IGEgdG9rZW4='), 'InvalidImportToken');
  const forged = Buffer.from(pa.ImportToken, 'base64');
  forged[forged.length - 1]! ^= 1;
  await expectCode(importA(wrapMaterial(pa.PublicKey, material, 'RSAES_OAEP_SHA_256'), forged.toString('base64')), 'InvalidImportToken');
  await expectCode(kms.ImportKeyMaterial({ KeyId: a, ImportToken: pa.ImportToken }), 'MissingParameter');

  const pb = await params(b);
  await expectCode(importA(wrapMaterial(pb.PublicKey, material, 'RSAES_OAEP_SHA_256'), pb.ImportToken), 'InvalidImportToken');

  // Two failed unwraps so far: the token still works, once.
  await importA(wrapMaterial(pa.PublicKey, material, 'RSAES_OAEP_SHA_256'));
  assert.equal((await kms.DescribeKey({ KeyId: a })).KeyMetadata.KeyState, 'Enabled');
  await expectCode(importA(wrapMaterial(pa.PublicKey, material, 'RSAES_OAEP_SHA_256')), 'InvalidImportToken');

  // Re-import: other material refused (token kept), the same material accepted, with a new expiry.
  const again = await params(a);
  await expectCode(importA(wrapMaterial(again.PublicKey, randomBytes(32), 'RSAES_OAEP_SHA_256'), again.ImportToken), 'InvalidKeyMaterial');
  const expireAt = env.clock.t + 30 * DAY;
  await importA(wrapMaterial(again.PublicKey, material, 'RSAES_OAEP_SHA_256'), again.ImportToken, unix(expireAt));
  assert.equal((await kms.DescribeKey({ KeyId: a })).KeyMetadata.MaterialExpireTime, iso(expireAt));

  // pb expires after 24 h; the sweep removes its document, and it still reads as expired.
  env.clock.advance(DAY);
  const wrappedForB = wrapMaterial(pb.PublicKey, material, 'RSAES_OAEP_SHA_256');
  await expectCode(kms.ImportKeyMaterial({ KeyId: b, EncryptedKeyMaterial: wrappedForB, ImportToken: pb.ImportToken }), 'ExpiredImportToken');
  assert.equal(await env.meta.countDocs('kms.import-token'), 1);
  await kms.purgeExpiredKeys();
  assert.equal(await env.meta.countDocs('kms.import-token'), 0);
  await expectCode(kms.ImportKeyMaterial({ KeyId: b, EncryptedKeyMaterial: wrappedForB, ImportToken: pb.ImportToken }), 'ExpiredImportToken');
});

test('a token is revoked after three failed unwraps, even for a correct wrap afterwards', async () => {
  const keyId = await newKeyId(kms, { Origin: 'EXTERNAL', KeySpec: 'Aliyun_SM4' });
  const p = await params(keyId, 'RSAES_PKCS1_V1_5');
  const attempt = (material: Buffer) =>
    kms.ImportKeyMaterial({ KeyId: keyId, EncryptedKeyMaterial: wrapMaterial(p.PublicKey, material, 'RSAES_PKCS1_V1_5'), ImportToken: p.ImportToken });
  for (const size of [15, 17, 32]) await expectCode(attempt(randomBytes(size)), 'InvalidKeyMaterial');
  await expectCode(attempt(randomBytes(16)), 'InvalidImportToken');
  assert.equal((await kms.DescribeKey({ KeyId: keyId })).KeyMetadata.KeyState, 'PendingImport');
});

test('material expiry and DeleteKeyMaterial make the key PendingImport until the same material returns', async () => {
  const keyId = await newKeyId(kms, { Origin: 'EXTERNAL' });
  const material = randomBytes(32);
  await importMaterial(kms, keyId, material, { algorithm: 'RSAES_OAEP_SHA_1', expireUnix: unix(env.clock.t) + 3600 });
  const blob = (await kms.Encrypt({ KeyId: keyId, Plaintext: 'byok' })).CiphertextBlob;
  await expectCode(kms.CreateKeyVersion({ KeyId: keyId }), 'Rejected.UnsupportedOperation');
  await expectCode(kms.UpdateRotationPolicy({ KeyId: keyId, EnableAutomaticRotation: true, RotationInterval: '7d' }), 'Rejected.UnsupportedOperation');

  env.clock.advance(3600 * 1000);
  await expectCode(kms.Decrypt({ CiphertextBlob: blob }), 'Rejected.PendingImport');
  const expired = (await kms.DescribeKey({ KeyId: keyId })).KeyMetadata;
  assert.deepEqual([expired.KeyState, expired.MaterialExpireTime], ['PendingImport', '']);
  await expectCode(kms.EnableKey({ KeyId: keyId }), 'Rejected.StateModifiedFailed');

  await importMaterial(kms, keyId, material);
  assert.equal((await kms.Decrypt({ CiphertextBlob: blob })).Plaintext, 'byok');

  await kms.DeleteKeyMaterial({ KeyId: keyId });
  assert.equal((await kms.DescribeKey({ KeyId: keyId })).KeyMetadata.KeyState, 'PendingImport');
  await expectCode(kms.Decrypt({ CiphertextBlob: blob }), 'Rejected.PendingImport');
  await expectCode(kms.GenerateDataKey({ KeyId: keyId }), 'Rejected.PendingImport');
  await importMaterial(kms, keyId, material, { algorithm: 'RSAES_PKCS1_V1_5' });
  assert.equal((await kms.Decrypt({ CiphertextBlob: blob })).Plaintext, 'byok');

  // Under PendingDeletion, DeleteKeyMaterial keeps state and DeleteDate; cancelling then yields PendingImport.
  await kms.ScheduleKeyDeletion({ KeyId: keyId, PendingWindowInDays: 7 });
  await kms.DeleteKeyMaterial({ KeyId: keyId });
  const pending = (await kms.DescribeKey({ KeyId: keyId })).KeyMetadata;
  assert.deepEqual([pending.KeyState, pending.DeleteDate], ['PendingDeletion', iso(env.clock.t + 7 * DAY)]);
  await kms.CancelKeyDeletion({ KeyId: keyId });
  assert.equal((await kms.DescribeKey({ KeyId: keyId })).KeyMetadata.KeyState, 'PendingImport');
});

test('import APIs refuse non-EXTERNAL keys and bad wrapping parameters', async () => {
  const keyId = await newKeyId(kms);
  await expectCode(params(keyId), 'Unsupported.Origin');
  await expectCode(kms.ImportKeyMaterial({ KeyId: keyId, EncryptedKeyMaterial: 'AAAA', ImportToken: 'AAAA' }), 'Unsupported.Origin');
  await expectCode(kms.DeleteKeyMaterial({ KeyId: keyId }), 'Unsupported.Origin');
  const external = await newKeyId(kms, { Origin: 'EXTERNAL' });
  await expectCode(kms.GetParametersForImport({ KeyId: external, WrappingAlgorithm: 'RSAES_OAEP_SHA_512', WrappingKeySpec: 'RSA_2048' }), 'InvalidParameter');
  await expectCode(kms.GetParametersForImport({ KeyId: external, WrappingAlgorithm: 'RSAES_OAEP_SHA_1', WrappingKeySpec: 'RSA_3072' }), 'InvalidParameter');
  await expectCode(kms.GetParametersForImport({ KeyId: external, WrappingKeySpec: 'RSA_2048' }), 'MissingParameter');
  await expectCode(kms.GetParametersForImport({ KeyId: external, WrappingAlgorithm: 'RSAES_OAEP_SHA_1' }), 'MissingParameter');
});
