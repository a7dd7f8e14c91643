/**
 * Three Coffer nodes over one PostgreSQL database and one Ceph RGW bucket, every request sent to
 * whichever node the test picks, as a load balancer would: what one node writes, changes or
 * rotates, the others serve at once (caches dropped through LISTEN/NOTIFY, within a second).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import type { ObjectRecord } from '../../src/store/types';
import { blobsInStore, startCluster, type Cluster } from '../helpers/cluster';
import { bodyOf, createKey, Kms, kmsClient } from '../helpers/kms';
import { bytes, rejectsWith } from '../helpers/oss-http';
import type { ServerProcess } from '../helpers/process-server';
import { Ram, newRamUser, ramClient } from '../helpers/ram';
import { SSE, SSE_DATA, SSE_KEY_ID, encryptionOf } from '../helpers/sse';
import { popClient } from '../rpc/helpers';
import { wrapMaterial } from '../kms/helpers';

const BUCKET = 'cluster-scenarios';
let cluster: Cluster;
let db: Client;
const node = (i: number): ServerProcess => cluster.nodes[i % cluster.nodes.length];
const oss = (i: number, options: object = {}): any => node(i).client({ bucket: BUCKET, ...options });

before(async () => {
  cluster = await startCluster(3);
  db = new Client({ connectionString: cluster.metadata });
  await db.connect();
  await oss(0).putBucket(BUCKET);
});

after(async () => {
  await db?.end();
  await cluster?.stop();
});

async function stored(key: string): Promise<ObjectRecord> {
  const r = await db.query('SELECT data FROM objects WHERE bucket = $1 AND key = $2', [BUCKET, Buffer.from(key)]);
  assert.equal(r.rowCount, 1, `one record for ${key}`);
  return JSON.parse(r.rows[0].data) as ObjectRecord;
}

/** Polls until check passes, for at most `ms`; returns how long it took. */
async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await check()) return Date.now() - start;
    if (Date.now() - start > ms) assert.fail(`not within ${ms} ms`);
    await sleep(25);
  }
}

test('objects written on one node read the same on every other: plain, AES256, SM4, KMS (managed, CMK, SM4 data), BYOK', async () => {
  const kms = kmsClient(node(1));
  const cmk = await createKey(kms);
  const byok = await createKey(kms, { origin: 'EXTERNAL' });
  const params = bodyOf(await kmsClient(node(2)).getParametersForImport(new Kms.GetParametersForImportRequest({
    keyId: byok, wrappingAlgorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_2048',
  })));
  // The import token was issued by node 2; node 0 accepts it: the wrapping key lives in the shared store.
  await kmsClient(node(0)).importKeyMaterial(new Kms.ImportKeyMaterialRequest({
    keyId: byok, importToken: params.importToken, keyMaterialExpireUnix: 0,
    encryptedKeyMaterial: wrapMaterial(params.publicKey, randomBytes(32), 'RSAES_OAEP_SHA_256'),
  }));
  const cases: Array<[string, Record<string, string>, string | undefined]> = [
    ['plain', {}, undefined],
    ['aes', { [SSE]: 'AES256' }, 'AES256'],
    ['sm4', { [SSE]: 'SM4' }, 'SM4'],
    ['kms-managed', { [SSE]: 'KMS' }, 'KMS'],
    ['kms-cmk', { [SSE]: 'KMS', [SSE_KEY_ID]: cmk }, 'KMS'],
    ['kms-cmk-sm4', { [SSE]: 'KMS', [SSE_KEY_ID]: cmk, [SSE_DATA]: 'SM4' }, 'KMS'],
    ['byok', { [SSE]: 'KMS', [SSE_KEY_ID]: byok }, 'KMS'],
  ];
  for (const [i, [key, headers, sse]] of cases.entries()) {
    const data = bytes(300 * 1024 + i, i + 1);
    await oss(i).put(key, data, { headers });
    for (const reader of [i + 1, i + 2]) {
      const got = await oss(reader).get(key);
      assert.ok(got.content.equals(data), `${key} read on node ${reader % 3}`);
      assert.equal(got.res.headers['x-oss-server-side-encryption'], sse, key);
      const part = await oss(reader).get(key, { headers: { Range: 'bytes=70000-200000' } });
      assert.ok(part.content.equals(data.subarray(70000, 200001)), `${key} range on node ${reader % 3}`);
    }
  }
  assert.ok((await blobsInStore(cluster)).size >= cases.length, 'the blobs are in the S3 store');
});

test('multipart across nodes: initiate on one, parts on the other two, complete on the first; copy re-encrypts on another', async () => {
  const parts = [bytes(256 * 1024, 7), bytes(256 * 1024, 8), bytes(1000, 9)];
  const init = await oss(0).initMultipartUpload('multi', { headers: { [SSE]: 'SM4' } });
  const done = [];
  for (const [i, p] of parts.entries()) {
    const r = await oss(1 + (i % 2)).uploadPart('multi', init.uploadId, i + 1, p, 0, p.length);
    done.push({ number: i + 1, etag: r.etag });
  }
  await oss(0).completeMultipartUpload('multi', init.uploadId, done);
  const whole = Buffer.concat(parts);
  assert.ok((await oss(1).get('multi')).content.equals(whole));
  assert.ok((await oss(2).get('multi', { headers: { Range: `bytes=${256 * 1024 - 5}-${256 * 1024 + 5}` } })).content
    .equals(whole.subarray(256 * 1024 - 5, 256 * 1024 + 6)));

  await oss(1).copy('multi-kms', 'multi', { headers: { [SSE]: 'KMS' } });
  const copy = await oss(2).get('multi-kms');
  assert.ok(copy.content.equals(whole));
  assert.equal(copy.res.headers['x-oss-server-side-encryption'], 'KMS');
  assert.equal(encryptionOf(await stored('multi-kms'))?.kek.provider, 'kms');
});

test('a master-key rotation on one node: the next objects put on the others are sealed under the new version', async () => {
  const rotated = await popClient(node(0).kmsUrl).request<{ MasterKeyVersion: number }>('RotateMasterKey', {}, { method: 'POST' });
  const version = rotated.MasterKeyVersion;
  for (const i of [1, 2]) {
    const key = `after-rotation-${i}`;
    const ms = await within(1000, async () => {
      await oss(i).put(key, Buffer.from(key), { headers: { [SSE]: 'AES256' } });
      const kek = encryptionOf(await stored(key))?.kek;
      return kek?.provider === 'oss' && kek.masterKeyVersion === version;
    });
    assert.ok(ms <= 1000);
    assert.equal((await oss(i + 1).get(key)).content.toString(), key);
  }
});

test('a CMK disabled on one node is refused by every node within a second, and enabled again likewise', async () => {
  const kms = kmsClient(node(0));
  const cmk = await createKey(kms);
  const data = bytes(5000, 3);
  await oss(0).put('by-cmk', data, { headers: { [SSE]: 'KMS', [SSE_KEY_ID]: cmk } });
  for (const i of [1, 2]) assert.ok((await oss(i).get('by-cmk')).content.equals(data));
  await kmsClient(node(1)).disableKey(new Kms.DisableKeyRequest({ keyId: cmk }));
  for (const i of [0, 2]) {
    await within(1000, async () => (await oss(i).get('by-cmk').then(() => false, (e: { status?: number }) => e.status === 403)));
  }
  await kmsClient(node(2)).enableKey(new Kms.EnableKeyRequest({ keyId: cmk }));
  for (const i of [0, 1]) await within(1000, async () => (await oss(i).get('by-cmk').then(() => true, () => false)));
});

test('a CMK disabled on one node refuses the very next PUT and GET on every other node: no node keeps key state', async () => {
  const kms = kmsClient(node(0));
  const cmk = await createKey(kms);
  const data = bytes(4096, 5);
  // Every node has used the key, for writing and reading, before the change.
  for (const i of [0, 1, 2]) {
    await oss(i).put(`next-${i}`, data, { headers: { [SSE]: 'KMS', [SSE_KEY_ID]: cmk } });
    assert.ok((await oss(i + 1).get(`next-${i}`)).content.equals(data));
  }
  await kmsClient(node(1)).disableKey(new Kms.DisableKeyRequest({ keyId: cmk }));
  for (const i of [0, 2]) {
    await rejectsWith(oss(i).put(`refused-${i}`, data, { headers: { [SSE]: 'KMS', [SSE_KEY_ID]: cmk } }), 403, 'AccessDenied');
    await rejectsWith(oss(i).get('next-0'), 403, 'AccessDenied');
  }
  await kmsClient(node(2)).enableKey(new Kms.EnableKeyRequest({ keyId: cmk }));
  for (const i of [0, 1]) await oss(i).put(`again-${i}`, data, { headers: { [SSE]: 'KMS', [SSE_KEY_ID]: cmk } });
});

test('the managed key destroyed (a deletion an older release allowed): each node\'s next managed PUT creates or finds the new one', async () => {
  const data = bytes(3000, 9);
  // Every node learns the managed key's id.
  const ids = new Set<string>();
  for (const i of [0, 1, 2]) ids.add((await oss(i).put(`managed-${i}`, data, { headers: { [SSE]: 'KMS' } })).res.headers[SSE_KEY_ID]);
  assert.equal(ids.size, 1);
  const [old] = ids;
  // As a store written by an older release could hold it; the KMS destroys it when next touched.
  const r = await db.query('SELECT data FROM docs WHERE kind = $1 AND id = $2', ['kms.key', old]);
  await db.query('UPDATE docs SET data = $3 WHERE kind = $1 AND id = $2', ['kms.key', old, JSON.stringify({ ...JSON.parse(r.rows[0].data), state: 'PendingDeletion', deleteAt: Date.now() - 1 })]);
  const fresh = new Set<string>();
  for (const i of [1, 2, 0]) fresh.add((await oss(i).put(`managed-after-${i}`, data, { headers: { [SSE]: 'KMS' } })).res.headers[SSE_KEY_ID]);
  assert.equal(fresh.size, 1, `the nodes used several keys: ${[...fresh]}`);
  assert.ok(!fresh.has(old));
  for (const i of [0, 1, 2]) assert.ok((await oss(i + 1).get(`managed-after-${i}`)).content.equals(data));
});

test('a RAM access key made Inactive on one node is refused by every node within a second', async () => {
  const user = await newRamUser(node(0), 'cluster-user', ['AliyunOSSFullAccess']);
  await oss(0).put('ram-object', Buffer.from('x'));
  // Every node has now looked the key up and cached it.
  for (const i of [0, 1, 2]) await oss(i, user).get('ram-object');
  await ramClient(node(1)).updateAccessKey(new Ram.UpdateAccessKeyRequest({ userName: 'cluster-user', userAccessKeyId: user.accessKeyId, status: 'Inactive' }));
  for (const i of [0, 2]) {
    const ms = await within(1000, async () => oss(i, user).get('ram-object').then(() => false, () => true));
    assert.ok(ms <= 1000, `node ${i} took ${ms} ms`);
  }
  await rejectsWith(oss(2, user).get('ram-object'), 403, 'InvalidAccessKeyId');
});

test('concurrent overwrites of one key from every node: exactly one winner, and no blob left that nothing names', async () => {
  const versions = Array.from({ length: 12 }, (_, i) => bytes(64 * 1024 + i, 100 + i));
  await Promise.all(versions.map((v, i) => oss(i).put('contended', v, { headers: i % 2 ? { [SSE]: 'AES256' } : {} })));
  const winner = (await oss(0).get('contended')).content as Buffer;
  const matches = versions.filter((v) => v.equals(winner));
  assert.equal(matches.length, 1, 'the object is exactly one of the versions written');
  for (const i of [1, 2]) assert.ok((await oss(i).get('contended')).content.equals(winner));
  const rec = await stored('contended');
  assert.equal(rec.segments.length, 1);

  // Collect now (grace 0), then every blob in the S3 bucket must be named by a record, and vice versa.
  await popClient(node(2).kmsUrl).request('CollectBlobs', {}, { method: 'POST' });
  const named = new Set<string>();
  for (const row of (await db.query('SELECT data FROM objects')).rows) for (const s of (JSON.parse(row.data) as ObjectRecord).segments) named.add(s.blobId);
  for (const row of (await db.query('SELECT blob_id FROM parts')).rows) named.add(row.blob_id);
  const inStore = await blobsInStore(cluster);
  assert.deepEqual([...inStore].sort(), [...named].sort());
});
