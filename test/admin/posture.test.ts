/**
 * The encryption posture (admin API DescribeEncryptionPosture, driven with pop-core): objects,
 * bytes and unfinished uploads per bucket by encryption class, what an older master-key version
 * still seals, what each KMS key protects. The figures are counters kept in the writing
 * transactions (src/core/bucket-stats.ts), so every test compares them with the truth counted from
 * the store's own listings, after objects of every mode were written through ali-oss (SSE-C through
 * the S3 dialect: OSS has none), after a master-key rotation and rewrap, after overwrites, deletes,
 * copies, completes and aborts, and after the backfill counted a bucket of an older release while
 * it was written to.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { backfillBucketStats, bucketStats } from '../../src/core/bucket-stats';
import { postureClassKey } from '../../src/core/posture-class';
import type { MetadataStore } from '../../src/store/types';
import { freshDatabase } from '../helpers/backends';
import { createKey, kmsClient } from '../helpers/kms';
import { bytes } from '../helpers/oss-http';
import { newRamUser } from '../helpers/ram';
import { s3Client } from '../helpers/s3';
import { startTestServer, type TestServer } from '../helpers/server';
import { SSE, SSE_DATA, SSE_KEY_ID, encryptionOf, newBucket, record } from '../helpers/sse';
import { popClient, type PopError } from '../rpc/helpers';

let srv: TestServer;
let keyA: string;
let keyB: string;
let managed: string;

const admin = (action: string, params: Record<string, unknown> = {}): Promise<Record<string, any>> =>
  popClient(srv.kmsUrl).request<Record<string, any>>(action, params, { method: 'POST' });
/** As plain objects (pop-core parses into null-prototype ones, which deepEqual tells apart). */
const posture = async (): Promise<Record<string, any>> => JSON.parse(JSON.stringify(await admin('DescribeEncryptionPosture')));

type Counts = { objects: number; bytes: number; uploads: number };
/** bucket → class key → counts. */
type ByClass = Record<string, Record<string, Counts>>;

/** The class key of an answered class (the inverse of what the server did), to compare with the truth. */
function classKeyOf(c: Record<string, any>): string {
  switch (c.Mode) {
    case 'SSE-OSS': return `OSS:${c.Algorithm}:${c.MasterKeyVersion}`;
    case 'SSE-KMS': return `KMS:${c.Algorithm}:${c.KmsKeyId}`;
    case 'SSE-C': return `SSE-C:${c.Algorithm}`;
    default: return c.Mode;
  }
}

/** What the answer says, per bucket (only buckets named with `prefix`). */
function answered(p: Record<string, any>, prefix: string): ByClass {
  const out: ByClass = {};
  for (const b of p.Buckets.Bucket as Array<Record<string, any>>) {
    if (!b.Name.startsWith(prefix)) continue;
    out[b.Name] = {};
    for (const c of b.Classes.Class) out[b.Name][classKeyOf(c)] = { objects: c.Objects, bytes: c.Bytes, uploads: c.MultipartUploads };
  }
  return out;
}

/** The truth, counted from the store's listings. */
async function truth(meta: MetadataStore, prefix: string): Promise<ByClass> {
  const out: ByClass = {};
  for (const b of await meta.listBuckets({ prefix, limit: 1000 })) {
    const classes: Record<string, Counts> = (out[b.name] = {});
    const at = (k: string): Counts => (classes[k] ??= { objects: 0, bytes: 0, uploads: 0 });
    for (let after: string | undefined; ;) {
      const page = await meta.listObjects(b.name, { after, limit: 500 });
      for (const o of page) {
        at(postureClassKey(o.encryption, o.type)).objects++;
        at(postureClassKey(o.encryption, o.type)).bytes += o.size;
      }
      if (page.length < 500) break;
      after = page.at(-1)!.key;
    }
    for (let marker: { keyMarker: string; uploadIdMarker: string } | undefined; ;) {
      const page = await meta.listUploads(b.name, { ...marker, limit: 100 });
      for (const u of page) at(postureClassKey(u.encryption)).uploads++;
      if (page.length < 100) break;
      marker = { keyMarker: page.at(-1)!.key, uploadIdMarker: page.at(-1)!.uploadId };
    }
  }
  return out;
}

async function assertExact(prefix: string): Promise<Record<string, any>> {
  const p = await posture();
  assert.deepEqual(answered(p, prefix), await truth(srv.running.coffer.meta, prefix));
  return p;
}

const kmsUse = (p: Record<string, any>, keyId: string): Record<string, any> | undefined =>
  (p.KmsKeys.KmsKey as Array<Record<string, any>>).find((k) => k.KeyId === keyId);
const versionUse = (p: Record<string, any>, v: number): Record<string, any> | undefined =>
  (p.MasterKeyVersions.MasterKeyVersion as Array<Record<string, any>>).find((x) => x.Version === v);

const ssec = (k: Buffer) => ({ SSECustomerAlgorithm: 'AES256', SSECustomerKey: k.toString('base64'), SSECustomerKeyMD5: createHash('md5').update(k).digest('base64') });

/** Initiate with SSE headers, upload the parts, Complete (ali-oss's multipartUpload drops key-id headers from parts). */
async function multipart(c: any, key: string, parts: Buffer[], headers: Record<string, string>): Promise<void> {
  const init = await c.initMultipartUpload(key, { headers: { ...headers } });
  const done = [];
  for (const [i, p] of parts.entries()) done.push(await c.uploadPart(key, init.uploadId, i + 1, p, 0, p.length));
  await c.completeMultipartUpload(key, init.uploadId, done.map((u, i) => ({ number: i + 1, etag: u.etag })));
}

let pendingOss: string;
let pendingKms: string;
let pendingEtag: string;
const part = bytes(150_000, 3);

before(async () => {
  srv = await startTestServer({ allowSseCOverHttp: true });
  const kms = kmsClient(srv);
  keyA = await createKey(kms);
  keyB = await createKey(kms, { keySpec: 'Aliyun_SM4' });
  const a = await newBucket(srv, 'pos-a');
  await a.put('plain', bytes(100, 1));
  await a.put('aes', bytes(200, 2), { headers: { [SSE]: 'AES256' } });
  await a.put('sm4', bytes(300, 3), { headers: { [SSE]: 'SM4' } });
  await a.put('kms-managed', bytes(400, 4), { headers: { [SSE]: 'KMS' } });
  await a.put('kms-a-sm4', bytes(500, 5), { headers: { [SSE]: 'KMS', [SSE_KEY_ID]: keyA, [SSE_DATA]: 'SM4' } });
  await a.put('kms-b', bytes(600, 6), { headers: { [SSE]: 'KMS', [SSE_KEY_ID]: keyB } });
  await a.putSymlink('link', 'plain');
  await s3Client(srv).send(new PutObjectCommand({ Bucket: 'pos-a', Key: 'ssec', Body: bytes(700, 7), ...ssec(Buffer.alloc(32, 9)) }));
  await multipart(a, 'mp-kms', [part, bytes(1000, 8)], { [SSE]: 'KMS', [SSE_KEY_ID]: keyA });
  const first = await a.append('app', bytes(50, 9), { headers: { [SSE]: 'SM4' } });
  await a.append('app', bytes(70, 10), { position: first.nextAppendPosition });
  await a.copy('copied-aes', 'plain', { headers: { [SSE]: 'AES256' } });
  pendingOss = (await a.initMultipartUpload('pending', { headers: { [SSE]: 'AES256' } })).uploadId;
  pendingEtag = (await a.uploadPart('pending', pendingOss, 1, part, 0, part.length)).etag;
  pendingKms = (await a.initMultipartUpload('pending-kms', { headers: { [SSE]: 'KMS', [SSE_KEY_ID]: keyA } })).uploadId;
  const b = await newBucket(srv, 'pos-b', 'V1', { [SSE]: 'KMS', [SSE_KEY_ID]: keyA });
  await b.put('x', bytes(10, 11));
  await b.put('y', bytes(20, 12), { headers: { [SSE]: 'AES256' } });
  const kek = encryptionOf(await record(srv, 'pos-a', 'kms-managed'))!.kek;
  assert.equal(kek.provider, 'kms');
  managed = kek.provider === 'kms' ? kek.keyId : '';
});
after(async () => { await srv?.close(); });

test('every mode is counted per bucket by data cipher, master-key version and KMS key', async () => {
  const p = await assertExact('pos-');
  assert.equal(p.Complete, true);
  assert.ok(!Number.isNaN(Date.parse(p.ComputedAt)));
  assert.equal(p.CurrentMasterKeyVersion, 1);
  assert.deepEqual(answered(p, 'pos-'), {
    'pos-a': {
      None: { objects: 1, bytes: 100, uploads: 0 },
      'OSS:AES256:1': { objects: 2, bytes: 300, uploads: 1 },
      'OSS:SM4:1': { objects: 2, bytes: 420, uploads: 0 },
      [`KMS:AES256:${keyA}`]: { objects: 1, bytes: 151_000, uploads: 1 },
      [`KMS:AES256:${keyB}`]: { objects: 1, bytes: 600, uploads: 0 },
      [`KMS:AES256:${managed}`]: { objects: 1, bytes: 400, uploads: 0 },
      [`KMS:SM4:${keyA}`]: { objects: 1, bytes: 500, uploads: 0 },
      'SSE-C:AES256': { objects: 1, bytes: 700, uploads: 0 },
      Symlink: { objects: 1, bytes: 0, uploads: 0 },
    },
    'pos-b': {
      'OSS:AES256:1': { objects: 1, bytes: 20, uploads: 0 },
      [`KMS:AES256:${keyA}`]: { objects: 1, bytes: 10, uploads: 0 },
    },
  });
  const a = (p.Buckets.Bucket as Array<Record<string, any>>).find((b) => b.Name === 'pos-a')!;
  assert.deepEqual([a.Objects, a.Bytes, a.MultipartUploads, a.Complete], [11, 154_020, 2, true]);
  // The same objects as GetBucketStat counts.
  const stat = (await srv.client().getBucketStat('pos-a')).stat;
  assert.deepEqual([Number(stat.ObjectCount), Number(stat.Storage), Number(stat.MultipartUploadCount)], [11, 154_020, 2]);

  assert.deepEqual(kmsUse(p, keyA), { KeyId: keyA, Buckets: { Bucket: ['pos-a', 'pos-b'] }, Objects: 3, Bytes: 151_510, MultipartUploads: 1 });
  assert.deepEqual(kmsUse(p, keyB), { KeyId: keyB, Buckets: { Bucket: ['pos-a'] }, Objects: 1, Bytes: 600, MultipartUploads: 0 });
  assert.equal(kmsUse(p, managed)!.Objects, 1);
  assert.deepEqual(versionUse(p, 1), { Version: 1, Current: true, Objects: 5, Bytes: 740, MultipartUploads: 1 });
  assert.deepEqual(p.OlderMasterKeyVersions, { Objects: 0, Bytes: 0, MultipartUploads: 0 });
  const totals = Object.fromEntries((p.Totals.Class as Array<Record<string, any>>).map((c) => [`${c.Mode}/${c.Algorithm ?? ''}`, c.Objects]));
  assert.deepEqual(totals, { 'None/': 1, 'SSE-OSS/AES256': 3, 'SSE-OSS/SM4': 2, 'SSE-KMS/AES256': 4, 'SSE-KMS/SM4': 1, 'SSE-C/AES256': 1, 'Symlink/': 1 });
});

test('after a rotation the older version\'s objects and uploads are reported; new writes go to the new one; a rewrap brings it to 0', async () => {
  assert.equal((await admin('RotateMasterKey')).MasterKeyVersion, 2);
  let p = await assertExact('pos-');
  assert.equal(p.CurrentMasterKeyVersion, 2);
  assert.deepEqual(p.OlderMasterKeyVersions, { Objects: 5, Bytes: 740, MultipartUploads: 1 });
  assert.deepEqual(versionUse(p, 2), { Version: 2, Current: true, Objects: 0, Bytes: 0, MultipartUploads: 0 });
  assert.equal(versionUse(p, 1)!.Current, false);

  const a = srv.client({ bucket: 'pos-a' });
  await a.put('aes-v2', bytes(1234, 13), { headers: { [SSE]: 'AES256' } });
  // An overwrite seals under the current version: one fewer under the old one.
  await a.put('aes', bytes(222, 14), { headers: { [SSE]: 'AES256' } });
  p = await assertExact('pos-');
  assert.deepEqual(p.OlderMasterKeyVersions, { Objects: 4, Bytes: 540, MultipartUploads: 1 });
  assert.deepEqual(versionUse(p, 2), { Version: 2, Current: true, Objects: 2, Bytes: 1456, MultipartUploads: 0 });

  const modifiedBefore = (await srv.client().getBucketStat('pos-a')).stat.LastModifiedTime;
  // LastModifiedTime has whole seconds: a rewrap a second later would show if it moved it.
  await sleep(1100);
  let marker: string | undefined;
  let steps = 0;
  do {
    const step = await admin('RewrapMasterKeys', { MaxObjects: 3, ...(marker ? { Marker: marker } : {}) });
    marker = step.NextMarker;
    steps++;
  } while (marker);
  assert.ok(steps > 1);
  p = await assertExact('pos-');
  assert.deepEqual(p.OlderMasterKeyVersions, { Objects: 0, Bytes: 0, MultipartUploads: 0 });
  assert.deepEqual(versionUse(p, 1), { Version: 1, Current: false, Objects: 0, Bytes: 0, MultipartUploads: 0 });
  assert.deepEqual(versionUse(p, 2), { Version: 2, Current: true, Objects: 6, Bytes: 1996, MultipartUploads: 1 });
  assert.equal(answered(p, 'pos-')['pos-a']['OSS:AES256:1'], undefined, 'nothing is left under version 1');
  // A rewrap changes only encryption: GetBucketStat's figures and LastModifiedTime stay.
  const stat = (await srv.client().getBucketStat('pos-a')).stat;
  assert.equal(Number(stat.ObjectCount), 12);
  assert.equal(stat.LastModifiedTime, modifiedBefore);
});

test('overwrites, deletes, copies, completes and aborts move the counts with them', async () => {
  const a = srv.client({ bucket: 'pos-a' });
  await a.put('kms-b', bytes(60, 15));
  let p = await assertExact('pos-');
  assert.equal(kmsUse(p, keyB), undefined, 'no object depends on key B any more');
  await a.delete('kms-a-sm4');
  await a.copy('plain', 'plain', { headers: { [SSE]: 'KMS', [SSE_KEY_ID]: keyB } });
  p = await assertExact('pos-');
  assert.deepEqual(kmsUse(p, keyB), { KeyId: keyB, Buckets: { Bucket: ['pos-a'] }, Objects: 1, Bytes: 100, MultipartUploads: 0 });
  assert.equal(kmsUse(p, keyA)!.Objects, 2);
  assert.equal(answered(p, 'pos-')['pos-a'][`KMS:SM4:${keyA}`], undefined);

  await a.completeMultipartUpload('pending', pendingOss, [{ number: 1, etag: pendingEtag }]);
  await a.abortMultipartUpload('pending-kms', pendingKms);
  p = await assertExact('pos-');
  assert.deepEqual(answered(p, 'pos-')['pos-a']['OSS:AES256:2'], { objects: 4, bytes: 222 + 1234 + 100 + 150_000, uploads: 0 });
  assert.equal(kmsUse(p, keyA)!.MultipartUploads, 0);

  await srv.client({ bucket: 'pos-b' }).deleteMulti(['x', 'y']);
  // An object becomes a link and back: Symlink counts with it.
  await a.putSymlink('sm4', 'plain');
  p = await assertExact('pos-');
  assert.deepEqual(answered(p, 'pos-')['pos-b'], {});
  assert.equal(answered(p, 'pos-')['pos-a'].Symlink.objects, 2);
  assert.deepEqual(kmsUse(p, keyA)!.Buckets, { Bucket: ['pos-a'] });
});

test('only the account root may read it: a RAM user gets Forbidden.NoPermission', async () => {
  const user = await newRamUser(srv, 'posture-reader', [{ name: 'posture-everything', document: { Version: '1', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } }]);
  await assert.rejects(
    popClient(srv.kmsUrl, user).request('DescribeEncryptionPosture', {}, { method: 'POST' }),
    (err: PopError) => err.code === 'Forbidden.NoPermission',
  );
});

describe('buckets of an older release: the backfill counts the posture while they are written to', () => {
  const KIND = 'bucket-stat';
  /** As a release before posture counts left a bucket: heads and shards without `posture`. */
  async function forgetPosture(meta: MetadataStore, bucket: string): Promise<void> {
    const entries = await meta.listDocEntries<Record<string, unknown>>(KIND, { after: `${bucket}#`, limit: 100 });
    await meta.transaction(async (tx) => {
      for (const e of entries) {
        if (!e.id.startsWith(`${bucket}#`)) continue;
        const { posture: _p, ...rest } = e.doc;
        await tx.putDoc(KIND, e.id, rest);
      }
    });
  }
  /** As a release before any counters left it: no documents. */
  async function forgetAll(meta: MetadataStore, bucket: string): Promise<void> {
    const entries = await meta.listDocEntries(KIND, { after: `${bucket}#`, limit: 100 });
    await meta.transaction(async (tx) => {
      for (const e of entries) if (e.id.startsWith(`${bucket}#`)) await tx.deleteDoc(KIND, e.id);
    });
  }

  async function objectTruth(meta: MetadataStore, bucket: string): Promise<{ objects: number; bytes: number; uploads: number }> {
    const t = { objects: 0, bytes: 0, uploads: 0 };
    for (const o of await meta.listObjects(bucket, { limit: 1000 })) {
      t.objects++;
      t.bytes += o.size;
    }
    t.uploads = (await meta.listUploads(bucket, { limit: 1000 })).length;
    return t;
  }

  for (const [name, forget] of [['posture only (GetBucketStat counters present)', forgetPosture], ['no counters at all', forgetAll]] as const) {
    test(`${name}: batches interleaved with writes around the cursor end exact`, async () => {
      // Background jobs stopped: this test runs the batches itself.
      const own = await startTestServer();
      await own.running.jobs.stop();
      const saved = srv;
      srv = own;
      try {
        const meta = own.running.coffer.meta;
        const bucket = 'pos-legacy';
        const c = await newBucket(own, bucket);
        // Spread into each call: ali-oss adds to the headers object it is given.
        const modes = [{}, { [SSE]: 'AES256' }, { [SSE]: 'SM4' }, { [SSE]: 'KMS' }];
        for (let i = 0; i < 12; i++) await c.put(`k${String(i).padStart(2, '0')}`, bytes(100 + i, i), { headers: { ...modes[i % 4] } });
        const u1 = await c.initMultipartUpload('k03-upload', { headers: { [SSE]: 'SM4' } });
        await c.initMultipartUpload('k99-upload', { headers: { [SSE]: 'AES256' } });
        await forget(meta, bucket);
        assert.equal((await posture()).Complete, false, 'an older bucket is reported as not yet counted');
        // Before the backfill starts: not counted twice.
        await c.put('k05', bytes(5000, 5), { headers: { [SSE]: 'KMS' } });
        let step = 0;
        while (await backfillBucketStats(meta, { objects: 3, uploads: 1 })) {
          step++;
          // Keys already passed, keys not yet reached, an encryption change, a delete, uploads.
          await c.put(`k${String(step).padStart(2, '0')}`, bytes(step * 10, step), { headers: { ...modes[(step + 1) % 4] } });
          await c.put(`k${String(12 - step).padStart(2, '0')}x`, bytes(step, step), { headers: { ...modes[step % 4] } });
          await c.delete(`k${String(11 - step).padStart(2, '0')}`);
          if (step === 2) await c.abortMultipartUpload('k03-upload', u1.uploadId);
          if (step === 3) await c.initMultipartUpload(`k${String(step).padStart(2, '0')}-late`, { headers: { [SSE]: 'KMS' } });
          assert.ok(step < 60, 'the backfill does not finish');
        }
        assert.ok(step >= 4, `${step} batches`);
        const p = await assertExact('pos-legacy');
        assert.equal(p.Complete, true);
        // The posture pass did not count the GetBucketStat figures again.
        const stats = await bucketStats(meta, bucket);
        assert.deepEqual({ objects: stats.objects, bytes: stats.bytes, uploads: stats.uploads }, await objectTruth(meta, bucket));
        assert.equal(await backfillBucketStats(meta), false);
      } finally {
        srv = saved;
        await own.close();
      }
    });
  }
});

describe('PostgreSQL: racing writers on two nodes\' stores', () => {
  test('concurrent writes of every server-held mode into one bucket from two servers: exact', async () => {
    const db = await freshDatabase();
    const a = await startTestServer({ metadata: db.url, blobGraceMs: 3_600_000 });
    const b = await startTestServer({ metadata: db.url, blobGraceMs: 3_600_000 });
    const saved = srv;
    srv = a;
    try {
      await a.client().putBucket('pos-pg');
      const cmk = await createKey(kmsClient(a));
      // Spread into each call: ali-oss adds to the headers object it is given (a copy's source would stick).
      const modes: Array<Record<string, string>> = [{}, { [SSE]: 'AES256' }, { [SSE]: 'SM4' }, { [SSE]: 'KMS', [SSE_KEY_ID]: cmk }, { [SSE]: 'KMS', [SSE_KEY_ID]: cmk, [SSE_DATA]: 'SM4' }];
      // Each node writes its own keys (its blobs are on its own disk) and overwrites them in other modes, deletes and copies.
      const work = async (node: TestServer, seed: number): Promise<void> => {
        const c = node.client({ bucket: 'pos-pg' });
        for (let i = 0; i < 12; i++) {
          const key = `s${seed}/k${i}`;
          await c.put(key, bytes(50 + i * seed, seed), { headers: { ...modes[(seed + i) % modes.length] } });
          if (i % 3 === 0) await c.put(key, bytes(7 * i + 1, seed), { headers: { ...modes[(seed + i + 2) % modes.length] } });
          if (i % 4 === 1) await c.delete(key);
          if (i % 5 === 2) await c.copy(`${key}-copy`, key, { headers: { ...modes[(seed * i) % modes.length] } });
        }
        await c.initMultipartUpload(`s${seed}/pending`, { headers: { ...modes[seed % modes.length] } });
      };
      await Promise.all([1, 2, 3, 4].map((seed) => work(seed % 2 ? a : b, seed)));
      const p = await assertExact('pos-pg');
      assert.equal(p.Complete, true);
      assert.ok(Object.keys(answered(p, 'pos-pg')['pos-pg']).length >= 5);
    } finally {
      srv = saved;
      await a.close();
      await b.close();
      await db.drop();
    }
  });
});
