import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Env, expectCode, flipByte, newKeyId } from './helpers';

const env = new Env();
const kms = env.kms;
after(() => env.close());

let aes = '';
let sm4 = '';
before(async () => {
  aes = await newKeyId(kms);
  sm4 = await newKeyId(kms, { KeySpec: 'Aliyun_SM4' });
});

test('Encrypt/Decrypt round trip under AES-256 and SM4 keys, exact strings back', async () => {
  for (const keyId of [aes, sm4]) {
    for (const plaintext of ['hello', 'héllo ☃ 😀', 'aGVsbG8=', 'x'.repeat(8192)]) {
      const enc = await kms.Encrypt({ KeyId: keyId, Plaintext: plaintext });
      const { KeyMetadata } = await kms.DescribeKey({ KeyId: keyId });
      assert.equal(enc.KeyVersionId, KeyMetadata.PrimaryKeyVersion);
      assert.deepEqual(await kms.Decrypt({ CiphertextBlob: enc.CiphertextBlob }), {
        Plaintext: plaintext,
        KeyId: keyId,
        KeyVersionId: enc.KeyVersionId,
      });
    }
  }
});

test('CiphertextBlob layout: version 1, then the key id and version id it needs, salt, ciphertext, tag', async () => {
  const enc = await kms.Encrypt({ KeyId: aes, Plaintext: 'abc' });
  const bytes = Buffer.from(enc.CiphertextBlob, 'base64');
  assert.equal(bytes[0], 1);
  assert.equal(bytes[1], 36);
  assert.equal(bytes.subarray(2, 38).toString(), aes);
  assert.equal(bytes[38], 36);
  assert.equal(bytes.subarray(39, 75).toString(), enc.KeyVersionId);
  assert.equal(bytes.length, 75 + 16 + 3 + 16);
  const again = await kms.Encrypt({ KeyId: aes, Plaintext: 'abc' });
  assert.notEqual(again.CiphertextBlob, enc.CiphertextBlob);
});

test('Encrypt parameter checks', async () => {
  await expectCode(kms.Encrypt({ KeyId: aes }), 'MissingParameter');
  await expectCode(kms.Encrypt({ Plaintext: 'x' }), 'MissingParameter');
  await expectCode(kms.Encrypt({ KeyId: aes, Plaintext: 'é'.repeat(4097) }), 'InvalidParameter');
  await expectCode(kms.Decrypt({}), 'MissingParameter');
});

test('EncryptionContext is bound, order-independent, accepted as object or JSON text, and never optional once used', async () => {
  const enc = await kms.Encrypt({ KeyId: sm4, Plaintext: 'ctx', EncryptionContext: { bucket: 'b', key: 'k/1' } });
  for (const ctx of [{ key: 'k/1', bucket: 'b' }, '{"key":"k/1","bucket":"b"}', '{"bucket":"b","key":"k/1"}']) {
    assert.equal((await kms.Decrypt({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ctx })).Plaintext, 'ctx');
  }
  const wrong: (Record<string, string> | undefined)[] = [undefined, {}, { bucket: 'b' }, { bucket: 'b', key: 'k/2' }, { bucket: 'b', key: 'k/1', extra: '' }];
  for (const ctx of wrong) {
    await expectCode(kms.Decrypt({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ctx }), 'InvalidParameter');
  }
  const plain = await kms.Encrypt({ KeyId: aes, Plaintext: 'no ctx' });
  assert.equal((await kms.Decrypt({ CiphertextBlob: plain.CiphertextBlob, EncryptionContext: {} })).Plaintext, 'no ctx');
  await expectCode(kms.Decrypt({ CiphertextBlob: plain.CiphertextBlob, EncryptionContext: { a: 'b' } }), 'InvalidParameter');
});

test('malformed EncryptionContext values are refused', async () => {
  const bad: unknown[] = ['{"a":1}', '[["a","b"]]', 'not json', '"text"', { a: { b: 'c' } }, { a: 'x'.repeat(8200) }];
  for (const ctx of bad) {
    await expectCode(kms.Encrypt({ KeyId: aes, Plaintext: 'x', EncryptionContext: ctx as Record<string, string> }), 'InvalidParameter');
  }
});

test('a tampered or truncated CiphertextBlob never decrypts', async () => {
  for (const keyId of [aes, sm4]) {
    const blob = (await kms.Encrypt({ KeyId: keyId, Plaintext: 'integrity', EncryptionContext: { a: 'b' } })).CiphertextBlob;
    const decrypt = (b: string) => kms.Decrypt({ CiphertextBlob: b, EncryptionContext: { a: 'b' } });
    await expectCode(decrypt(flipByte(blob, 0)), 'InvalidParameter'); // format byte
    await expectCode(decrypt(flipByte(blob, 5)), 'Forbidden.KeyNotFound'); // names another key
    await expectCode(decrypt(flipByte(blob, 45)), 'Forbidden.KeyVersionNotFound'); // names another version
    await expectCode(decrypt(flipByte(blob, 80)), 'InvalidParameter'); // salt
    await expectCode(decrypt(flipByte(blob, 93)), 'InvalidParameter'); // ciphertext
    await expectCode(decrypt(flipByte(blob, -1)), 'InvalidParameter'); // tag
    const bytes = Buffer.from(blob, 'base64');
    await expectCode(decrypt(bytes.subarray(0, bytes.length - 1).toString('base64')), 'InvalidParameter');
    await expectCode(decrypt(bytes.subarray(0, 60).toString('base64')), 'InvalidParameter');
    await expectCode(decrypt('bm90IGEgYmxvYg=='), 'InvalidParameter');
    assert.equal((await decrypt(blob)).Plaintext, 'integrity');
  }
});

test('GenerateDataKey: sizes, base64 plaintext, and Decrypt returns the same Plaintext', async () => {
  const cases: [Parameters<typeof kms.GenerateDataKey>[0], number][] = [
    [{}, 32],
    [{ KeySpec: 'AES_256' }, 32],
    [{ KeySpec: 'AES_128' }, 16],
    [{ KeySpec: 'AES_128', NumberOfBytes: 1 }, 1],
    [{ NumberOfBytes: 1024 }, 1024],
  ];
  for (const [req, size] of cases) {
    const dk = await kms.GenerateDataKey({ ...req, KeyId: sm4, EncryptionContext: { o: '1' } });
    assert.equal(Buffer.from(dk.Plaintext, 'base64').length, size);
    assert.equal(dk.KeyId, sm4);
    const back = await kms.Decrypt({ CiphertextBlob: dk.CiphertextBlob, EncryptionContext: '{"o":"1"}' });
    assert.deepEqual(back, { Plaintext: dk.Plaintext, KeyId: sm4, KeyVersionId: dk.KeyVersionId });
  }
  for (const req of [{ NumberOfBytes: 0 }, { NumberOfBytes: 1025 }, { NumberOfBytes: 1.5 }, { KeySpec: 'AES_512' }]) {
    await expectCode(kms.GenerateDataKey({ ...req, KeyId: aes }), 'InvalidParameter');
  }
});

test('GenerateDataKeyWithoutPlaintext returns only the blob, which decrypts to a fresh key', async () => {
  const dk = await kms.GenerateDataKeyWithoutPlaintext({ KeyId: aes, KeySpec: 'AES_128' });
  assert.deepEqual(Object.keys(dk).sort(), ['CiphertextBlob', 'KeyId', 'KeyVersionId']);
  assert.equal(Buffer.from((await kms.Decrypt({ CiphertextBlob: dk.CiphertextBlob })).Plaintext, 'base64').length, 16);
});

test('ReEncrypt moves a ciphertext to another key and context without exposing it', async () => {
  const source = await kms.Encrypt({ KeyId: aes, Plaintext: 'moving', EncryptionContext: { from: 'a' } });
  const moved = await kms.ReEncrypt({
    CiphertextBlob: source.CiphertextBlob,
    SourceEncryptionContext: '{"from":"a"}',
    DestinationKeyId: sm4,
    DestinationEncryptionContext: { to: 'b' },
  });
  assert.equal(moved.KeyId, sm4);
  assert.equal((await kms.Decrypt({ CiphertextBlob: moved.CiphertextBlob, EncryptionContext: { to: 'b' } })).Plaintext, 'moving');
  await expectCode(kms.Decrypt({ CiphertextBlob: moved.CiphertextBlob, EncryptionContext: { from: 'a' } }), 'InvalidParameter');
  await expectCode(kms.ReEncrypt({ CiphertextBlob: source.CiphertextBlob, DestinationKeyId: sm4 }), 'InvalidParameter');
  await expectCode(kms.ReEncrypt({ CiphertextBlob: source.CiphertextBlob, SourceEncryptionContext: { from: 'a' } }), 'MissingParameter');
  await kms.DisableKey({ KeyId: sm4 });
  try {
    await expectCode(kms.ReEncrypt({ CiphertextBlob: source.CiphertextBlob, SourceEncryptionContext: { from: 'a' }, DestinationKeyId: sm4 }), 'Rejected.Disabled');
  } finally {
    await kms.EnableKey({ KeyId: sm4 });
  }
});
