/**
 * SSE-KMS with the default managed key (seeds: x-oss-server-side-encryption: KMS without a CMK
 * id): the first use creates one key bound to alias/acs/oss, also under concurrent first
 * writes; every response about the object names it; and the seeds' update_object_meta
 * walkthrough takes a plaintext object to the managed key, to a named CMK (step 5) and to AES256
 * with the same ETag, CRC-64, length and bytes throughout.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { KIND, type KeyRecord } from '../../src/kms/records';
import { bodyOf, createKey, describeKey, Kms, kmsClient, type KmsClient } from '../helpers/kms';
import { bytes } from '../helpers/oss-http';
import { startTestServer, type TestServer } from '../helpers/server';
import { SIGNINGS, SSE, SSE_KEY_ID, encryptionOf, newBucket, record, stat } from '../helpers/sse';
import { kmsHeaders, ossKmsCalls, sseOf } from './helpers';

const KEY_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let srv: TestServer;
let kms: KmsClient;
before(async () => {
  srv = await startTestServer({ metricsKeyIds: true });
  kms = kmsClient(srv);
});
after(async () => { await srv.close(); });

const aliasesOf = async (keyId: string): Promise<string[]> =>
  bodyOf(await kms.listAliasesByKeyId(new Kms.ListAliasesByKeyIdRequest({ keyId }))).aliases.alias.map((a) => a.aliasName);

// First in this file: it needs a KMS in which the managed key does not exist yet.
test('10 concurrent first PUTs with KMS create exactly one managed key, bound to alias/acs/oss', async () => {
  const c = await newBucket(srv, 'managed-first');
  assert.equal(bodyOf(await kms.listKeys(new Kms.ListKeysRequest({}))).totalCount, 0);
  const data = Array.from({ length: 10 }, (_, i) => bytes(1000 + i, i + 1));
  const puts = await Promise.all(data.map((d, i) => c.put(`first-${i}`, d, { headers: { [SSE]: 'KMS' } })));

  const ids = new Set(puts.map((p: any) => p.res.headers[SSE_KEY_ID]));
  assert.equal(ids.size, 1, `the first PUTs used several keys: ${[...ids]}`);
  const [keyId] = ids as Set<string>;
  assert.match(keyId, KEY_ID);
  const keys = bodyOf(await kms.listKeys(new Kms.ListKeysRequest({})));
  assert.equal(keys.totalCount, 1);
  assert.equal(keys.keys.key[0].keyId, keyId);
  assert.deepEqual(await aliasesOf(keyId), ['alias/acs/oss']);
  const meta = await describeKey(kms, keyId);
  assert.deepEqual([meta.keyState, meta.keySpec, meta.origin, meta.keyUsage], ['Enabled', 'Aliyun_AES_256', 'Aliyun_KMS', 'ENCRYPT/DECRYPT']);
  assert.equal(ossKmsCalls(srv, 'GenerateDataKey', keyId), 10);
  for (const [i, d] of data.entries()) assert.deepEqual((await c.get(`first-${i}`)).content, d);

  // Naming the alias explicitly is the same key; no second one appears.
  const named = await c.put('by-alias', data[0], { headers: kmsHeaders('alias/acs/oss') });
  assert.equal(named.res.headers[SSE_KEY_ID], keyId);
  assert.equal(bodyOf(await kms.listKeys(new Kms.ListKeysRequest({}))).totalCount, 1);
});

for (const signing of SIGNINGS) {
  test(`ali-oss ${signing}: PUT, GET and HEAD of a managed-key object report KMS and the managed key id`, async () => {
    const c = await newBucket(srv, `managed-${signing.toLowerCase()}`, signing);
    const bucket = c.options.bucket;
    const data = bytes(70_000, 3);
    const managed = (await describeKey(kms, 'alias/acs/oss')).keyId;

    const put = await c.put('obj', data, { headers: { [SSE]: 'KMS' } });
    const get = await c.get('obj');
    const head = await c.head('obj');
    for (const [op, res] of [['PUT', put.res], ['GET', get.res], ['HEAD', head.res]] as const) {
      assert.deepEqual(sseOf(res), { sse: 'KMS', data: undefined, keyId: managed }, op);
    }
    assert.ok(get.content.equals(data));

    const info = encryptionOf(await record(srv, bucket, 'obj'))!;
    assert.deepEqual(
      { algorithm: info.algorithm, kmsKeyId: info.kmsKeyId, dataEncryption: info.dataEncryption, suite: info.suite, kek: info.kek.provider },
      { algorithm: 'KMS', kmsKeyId: managed, dataEncryption: undefined, suite: 'AES256-GCM', kek: 'kms' },
    );
    assert.ok(info.kek.provider === 'kms' && info.kek.keyId === managed && info.kek.ciphertextBlob.length > 0);
  });

  test(`update_object_meta (${signing}): plain → KMS (managed) → KMS + CMK id → AES256 keeps ETag, CRC-64, length and bytes`, async () => {
    const c = await newBucket(srv, `seed-kms-${signing.toLowerCase()}`, signing);
    const bucket = c.options.bucket;
    const KEY = '01.txt';
    const body = Buffer.from('Encrypted in place under the managed key, then a CMK, then AES\n');
    const cmk = await createKey(kms, { description: 'seeds step 5' });
    await c.put(KEY, body);
    const plain = await stat(c, KEY);
    assert.equal(plain.sse, undefined);

    // bucket.update_object_meta('01.txt', {'x-oss-server-side-encryption': 'KMS'})
    const toKms = await c.copy(KEY, KEY, { headers: { [SSE]: 'KMS' }, meta: { step: 'kms' } });
    const managed = toKms.res.headers[SSE_KEY_ID];
    assert.equal(toKms.res.headers[SSE], 'KMS');
    assert.equal(managed, (await describeKey(kms, 'alias/acs/oss')).keyId);
    assert.equal(toKms.data.etag, plain.etag);
    assert.deepEqual(await stat(c, KEY), { ...plain, sse: 'KMS', keyId: managed });
    assert.deepEqual((await c.get(KEY)).content, body);
    const r1 = await record(srv, bucket, KEY);

    // Step 5: {'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-encryption-key-id': '<CMK id>'}
    const toCmk = await c.copy(KEY, KEY, { headers: kmsHeaders(cmk), meta: { step: 'cmk' } });
    assert.equal(toCmk.res.headers[SSE_KEY_ID], cmk);
    assert.deepEqual(await stat(c, KEY), { ...plain, sse: 'KMS', keyId: cmk });
    assert.deepEqual((await c.get(KEY)).content, body);
    const r2 = await record(srv, bucket, KEY);
    // Same data cipher: only the object key's envelope moved to the CMK; the stored data is untouched.
    assert.deepEqual(r2.segments, r1.segments);
    const kek2 = encryptionOf(r2)!.kek;
    assert.ok(kek2.provider === 'kms' && kek2.keyId === cmk);

    const toAes = await c.copy(KEY, KEY, { headers: { [SSE]: 'AES256' }, meta: { step: 'aes' } });
    assert.equal(toAes.res.headers[SSE_KEY_ID], undefined);
    assert.deepEqual(await stat(c, KEY), { ...plain, sse: 'AES256' });
    assert.deepEqual((await c.get(KEY)).content, body);
    const r3 = await record(srv, bucket, KEY);
    assert.deepEqual(r3.segments, r1.segments);
    assert.deepEqual({ algorithm: encryptionOf(r3)!.algorithm, kek: encryptionOf(r3)!.kek.provider, kmsKeyId: encryptionOf(r3)!.kmsKeyId }, { algorithm: 'AES256', kek: 'oss', kmsKeyId: undefined });
    assert.equal((await c.head(KEY)).meta.step, 'aes');
  });
}

// Last in this file: it destroys the managed key.
test('the managed key destroyed (a deletion an older release allowed, its window over): the next PUT creates a new one and seals under it', async () => {
  const c = await newBucket(srv, 'managed-destroyed');
  const before = (await c.put('before', bytes(100, 1), { headers: { [SSE]: 'KMS' } })).res.headers[SSE_KEY_ID];
  assert.equal(before, (await describeKey(kms, 'alias/acs/oss')).keyId);
  // As a store written by an older release could hold it; the KMS destroys it when next touched.
  await srv.running.coffer.meta.transaction(async (tx) => {
    const rec = (await tx.getDoc<KeyRecord>(KIND.key, before))!;
    await tx.putDoc(KIND.key, before, { ...rec, state: 'PendingDeletion', deleteAt: Date.now() - 1 });
  });
  const data = bytes(2000, 7);
  const after = (await c.put('after', data, { headers: { [SSE]: 'KMS' } })).res.headers[SSE_KEY_ID];
  assert.match(after, KEY_ID);
  assert.notEqual(after, before);
  assert.equal((await describeKey(kms, 'alias/acs/oss')).keyId, after);
  assert.deepEqual(await aliasesOf(after), ['alias/acs/oss']);
  assert.deepEqual((await c.get('after')).content, data);
  assert.equal(encryptionOf(await record(srv, 'managed-destroyed', 'after'))?.kmsKeyId, after);
  // Later PUTs go straight to the new key.
  assert.equal((await c.put('later', data, { headers: { [SSE]: 'KMS' } })).res.headers[SSE_KEY_ID], after);
});
