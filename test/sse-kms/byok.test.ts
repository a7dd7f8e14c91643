/**
 * BYOK end to end (reference §4.4, seed 002): an EXTERNAL CMK without material refuses SSE-KMS
 * writes; once the caller imports material wrapped with RSAES_OAEP_SHA_256 it encrypts objects;
 * DeleteKeyMaterial and material expiry make its objects unreadable and refuse writes until the
 * same material is imported again; different material is refused. All KMS calls go through the
 * real client; the KMS clock is advanced instead of waiting for the expiry.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Clock } from '../kms/helpers';
import { createKey, describeKey, Kms, kmsClient, kmsRejects, type KmsClient } from '../helpers/kms';
import { bytes, rejectsWith } from '../helpers/oss-http';
import type { TestServer } from '../helpers/server';
import { SIGNINGS, SSE, SSE_DATA, SSE_KEY_ID, encryptionOf, newBucket, record } from '../helpers/sse';
import { importMaterial as importKeyMaterial, kmsDenied, kmsHeaders, startClockedServer, writeDenied } from './helpers';

let srv: TestServer;
let clock: Clock;
let kms: KmsClient;
before(async () => {
  ({ srv, clock } = await startClockedServer());
  kms = kmsClient(srv);
});
after(async () => { await srv.close(); });

const importMaterial = (keyId: string, material: Buffer, keyMaterialExpireUnix = 0): Promise<void> =>
  importKeyMaterial(kms, keyId, material, keyMaterialExpireUnix);

const state = async (keyId: string): Promise<string> => (await describeKey(kms, keyId)).keyState;

describe('an EXTERNAL Aliyun_AES_256 CMK through its life', () => {
  let c: any;
  let keyId: string;
  const bucket = 'byok';
  const material = randomBytes(32);
  const body = bytes(100_000, 5);
  const put = (key: string) => c.put(key, body, { headers: kmsHeaders(keyId) });
  before(async () => {
    c = await newBucket(srv, bucket);
    keyId = await createKey(kms, { origin: 'EXTERNAL', description: 'BYOK for OSS' });
  });

  test('without material it is PendingImport and a PUT under it is refused; nothing is written', async () => {
    const meta = await describeKey(kms, keyId);
    assert.deepEqual([meta.origin, meta.keyState], ['EXTERNAL', 'PendingImport']);
    await writeDenied(srv, () => put('early'), 'Rejected.PendingImport');
    await rejectsWith(c.head('early'), 404, 'NoSuchKey');
  });

  test('after GetParametersForImport, wrapping and ImportKeyMaterial it is Enabled and encrypts objects (ali-oss V1 and V4)', async () => {
    await importMaterial(keyId, material);
    assert.equal(await state(keyId), 'Enabled');
    for (const signing of SIGNINGS) {
      const s = srv.client({ bucket, authorizationV4: signing === 'V4' });
      const res = await s.put(`obj-${signing}`, body, { headers: kmsHeaders(keyId) });
      assert.equal(res.res.headers[SSE], 'KMS');
      assert.equal(res.res.headers[SSE_KEY_ID], keyId);
      const got = await s.get(`obj-${signing}`);
      assert.equal(got.res.headers[SSE_KEY_ID], keyId);
      assert.ok(got.content.equals(body));
      const kek = encryptionOf(await record(srv, bucket, `obj-${signing}`))!.kek;
      assert.ok(kek.provider === 'kms' && kek.keyId === keyId);
    }
  });

  test('DeleteKeyMaterial: GET and PUT are refused (Rejected.PendingImport), nothing is written; the same material brings the old object back', async () => {
    await kms.deleteKeyMaterial(new Kms.DeleteKeyMaterialRequest({ keyId }));
    assert.equal(await state(keyId), 'PendingImport');
    const before = await record(srv, bucket, 'obj-V1');
    await kmsDenied(c.get('obj-V1'), 'Rejected.PendingImport');
    await writeDenied(srv, () => put('while-deleted'), 'Rejected.PendingImport');
    await writeDenied(srv, () => put('obj-V1'), 'Rejected.PendingImport');
    await rejectsWith(c.head('while-deleted'), 404, 'NoSuchKey');
    assert.deepEqual(await record(srv, bucket, 'obj-V1'), before);

    // A new GetParametersForImport, the same 32 bytes: the old ciphertexts decrypt again.
    await importMaterial(keyId, material);
    assert.equal(await state(keyId), 'Enabled');
    assert.ok((await c.get('obj-V1')).content.equals(body));
    assert.ok((await c.get('obj-V4')).content.equals(body));
  });

  test('importing different material is refused and changes nothing', async () => {
    await kmsRejects(importMaterial(keyId, randomBytes(32)), 'InvalidKeyMaterial');
    assert.equal(await state(keyId), 'Enabled');
    assert.ok((await c.get('obj-V1')).content.equals(body));
  });

  test('material with KeyMaterialExpireUnix: usable until then; once the clock passes it, GET and PUT are refused until re-import', async () => {
    const expireAt = Math.floor(clock.now() / 1000) + 3600;
    await importMaterial(keyId, material, expireAt);
    assert.equal((await describeKey(kms, keyId)).materialExpireTime, new Date(expireAt * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'));
    await put('before-expiry');
    assert.ok((await c.get('before-expiry')).content.equals(body));

    clock.advance(3600_000);
    await kmsDenied(c.get('before-expiry'), 'Rejected.PendingImport');
    await kmsDenied(c.get('obj-V1'), 'Rejected.PendingImport');
    await writeDenied(srv, () => put('after-expiry'), 'Rejected.PendingImport');
    assert.equal(await state(keyId), 'PendingImport');

    await importMaterial(keyId, material);
    assert.ok((await c.get('before-expiry')).content.equals(body));
  });
});

test('an EXTERNAL Aliyun_SM4 CMK takes 16 bytes of material and encrypts SM4 data', async () => {
  const c = await newBucket(srv, 'byok-sm4', 'V4');
  const keyId = await createKey(kms, { origin: 'EXTERNAL', keySpec: 'Aliyun_SM4' });
  await kmsRejects(importMaterial(keyId, randomBytes(32)), 'InvalidKeyMaterial');
  await importMaterial(keyId, randomBytes(16));
  const body = bytes(3000, 8);
  const put = await c.put('obj', body, { headers: kmsHeaders(keyId, 'SM4') });
  assert.equal(put.res.headers[SSE_DATA], 'SM4');
  assert.equal(encryptionOf(await record(srv, 'byok-sm4', 'obj'))!.suite, 'SM4-CTR-HMAC-SM3');
  assert.ok((await c.get('obj')).content.equals(body));
});
