import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Env, expectCode, importMaterial, newKeyId } from './helpers';

/** Every byte the store has on disk: the database file and its write-ahead log. */
function storeBytes(env: Env): Buffer {
  const files = [env.file, `${env.file}-wal`].filter((f) => existsSync(f));
  return Buffer.concat(files.map((f) => readFileSync(f)));
}

function assertAbsent(haystack: Buffer, secret: Buffer, what: string): void {
  for (const encoding of ['hex', 'base64'] as const) {
    assert.equal(haystack.includes(Buffer.from(secret.toString(encoding))), false, `${what} found as ${encoding}`);
  }
  assert.equal(haystack.includes(secret), false, `${what} found as raw bytes`);
}

test('keys survive a restart, a wrong root key unseals nothing, and no secret is on disk in the clear', async () => {
  const env = new Env();
  try {
    const material = randomBytes(32);
    // A control: the description is stored in the clear, so the scan must find it.
    const marker = randomBytes(16).toString('hex');
    const generated = await newKeyId(env.kms, { KeySpec: 'Aliyun_SM4', Description: marker });
    const imported = await newKeyId(env.kms, { Origin: 'EXTERNAL' });
    await importMaterial(env.kms, imported, material, { expireUnix: Math.floor(env.clock.t / 1000) + 86_400 });
    const blobs = [
      (await env.kms.Encrypt({ KeyId: generated, Plaintext: 'generated' })).CiphertextBlob,
      (await env.kms.Encrypt({ KeyId: imported, Plaintext: 'imported' })).CiphertextBlob,
    ];
    const dataKey = await env.kms.GenerateDataKey({ KeyId: imported, EncryptionContext: { bucket: 'b' } });
    const dataKeyBytes = Buffer.from(dataKey.Plaintext, 'base64');

    assert.ok(storeBytes(env).includes(Buffer.from(marker)));
    assertAbsent(storeBytes(env), material, 'imported material');
    assertAbsent(storeBytes(env), dataKeyBytes, 'data key');

    await env.restart();
    assert.ok(storeBytes(env).includes(Buffer.from(marker)));
    assertAbsent(storeBytes(env), material, 'imported material after checkpoint');
    assert.equal((await env.kms.Decrypt({ CiphertextBlob: blobs[0] })).Plaintext, 'generated');
    assert.equal((await env.kms.Decrypt({ CiphertextBlob: blobs[1] })).Plaintext, 'imported');
    const again = await env.kms.Decrypt({ CiphertextBlob: dataKey.CiphertextBlob, EncryptionContext: { bucket: 'b' } });
    assert.equal(again.Plaintext, dataKey.Plaintext);
    const meta = (await env.kms.DescribeKey({ KeyId: imported })).KeyMetadata;
    assert.deepEqual([meta.KeyState, meta.MaterialExpireTime !== ''], ['Enabled', true]);

    await env.restart(randomBytes(32));
    for (const blob of blobs) await expectCode(env.kms.Decrypt({ CiphertextBlob: blob }), 'InternalFailure');
    await expectCode(env.kms.GenerateDataKey({ KeyId: generated }), 'InternalFailure');
    // Key metadata needs no secret, so it still reads; nothing was rewritten with the wrong key.
    assert.equal((await env.kms.DescribeKey({ KeyId: generated })).KeyMetadata.KeyState, 'Enabled');
    await env.restart();
    assert.equal((await env.kms.Decrypt({ CiphertextBlob: blobs[0] })).Plaintext, 'generated');
  } finally {
    await env.close();
  }
});
