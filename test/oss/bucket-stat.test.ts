/**
 * GetBucketStat (`GET /<bucket>?stat`): the BucketStat fields the SDKs read (oss2
 * parse_get_bucket_stat, the Go SDK's BucketStat, the GetBucketStat API page). The figures come
 * from per-bucket counters kept in the same transactions as the writes, never from a scan in the
 * request, so every test compares them with the truth counted from the store's own listings —
 * after a mix of every kind of write, after racing writers (SQLite and PostgreSQL), and after a
 * bucket of an older release had its counters built by the background backfill while written to.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { backfillBucketStats } from '../../src/core/bucket-stats';
import type { MetadataStore } from '../../src/store/types';
import { freshDatabase } from '../helpers/backends';
import { startTestServer, tempDir, type TestServer } from '../helpers/server';
import { assertOssError, bytes, http, rejectsWith, signedHttp, xml } from '../helpers/oss-http';
import { newRamUser, ossArn, statement, userOss } from '../helpers/ram';

const KiB = 1024;
/** OSS bills IA and archive-class objects under 64 KB as 64 KB: the *Storage fields; *RealStorage are the bytes. */
const MIN_BILLED = 64 * KiB;
const CLASS_FIELDS: Record<string, string> = {
  IA: 'InfrequentAccess', Archive: 'Archive', ColdArchive: 'ColdArchive', DeepColdArchive: 'DeepColdArchive',
};

/** Every field but LastModifiedTime, counted from the store's listings. */
async function truth(meta: MetadataStore, bucket: string): Promise<Record<string, number>> {
  const t: Record<string, number> = {
    Storage: 0, ObjectCount: 0, MultipartUploadCount: 0, LiveChannelCount: 0, StandardStorage: 0, StandardObjectCount: 0,
    MultipartPartCount: 0, MultipartPartStorage: 0, DeleteMarkerCount: 0,
  };
  for (const f of Object.values(CLASS_FIELDS)) Object.assign(t, { [`${f}Storage`]: 0, [`${f}RealStorage`]: 0, [`${f}ObjectCount`]: 0 });
  for (let after: string | undefined; ;) {
    const page = await meta.listObjects(bucket, { after, limit: 500 });
    for (const o of page) {
      t.Storage += o.size;
      t.ObjectCount++;
      if (o.storageClass === 'Standard') {
        t.StandardStorage += o.size;
        t.StandardObjectCount++;
      } else {
        const f = CLASS_FIELDS[o.storageClass];
        t[`${f}Storage`] += Math.max(o.size, MIN_BILLED);
        t[`${f}RealStorage`] += o.size;
        t[`${f}ObjectCount`]++;
      }
    }
    if (page.length < 500) break;
    after = page[page.length - 1].key;
  }
  for (let marker: { keyMarker: string; uploadIdMarker: string } | undefined; ;) {
    const page = await meta.listUploads(bucket, { ...marker, limit: 100 });
    for (const u of page) {
      t.MultipartUploadCount++;
      for (const p of await meta.listParts(u.uploadId, { limit: 10_000 })) {
        t.MultipartPartCount++;
        t.MultipartPartStorage += p.size;
      }
    }
    if (page.length < 100) break;
    marker = { keyMarker: page[page.length - 1].key, uploadIdMarker: page[page.length - 1].uploadId };
  }
  return t;
}

/** The BucketStat of a bucket as numbers, through ali-oss. */
async function statOf(srv: TestServer, bucket: string): Promise<Record<string, number>> {
  const r = await srv.client().getBucketStat(bucket);
  assert.equal(r.res.status, 200);
  return Object.fromEntries(Object.entries(r.stat as Record<string, string>).map(([k, v]) => [k, Number(v)]));
}

async function assertExact(srv: TestServer, bucket: string): Promise<void> {
  const { LastModifiedTime, ...stat } = await statOf(srv, bucket);
  assert.deepEqual(stat, await truth(srv.running.coffer.meta, bucket));
  assert.ok(LastModifiedTime > 1.7e9 && LastModifiedTime <= Date.now() / 1000 + 1, String(LastModifiedTime));
}

/** A write workload touching every counter: every class, overwrites, copies, appends, links, parts, aborts, deletes. */
async function workload(srv: TestServer, bucket: string, seed: number): Promise<void> {
  const c = srv.client({ bucket });
  const k = (n: string): string => `w${seed}/${n}`;
  await c.put(k('std'), bytes(1000 + seed, seed));
  await c.put(k('ia'), bytes(200, seed), { headers: { 'x-oss-storage-class': 'IA' } });
  await c.put(k('archive'), bytes(70_000 + seed, seed), { headers: { 'x-oss-storage-class': 'Archive' } });
  await c.put(k('cold'), bytes(10, seed), { headers: { 'x-oss-storage-class': 'ColdArchive' } });
  await c.put(k('deep'), bytes(30, seed), { headers: { 'x-oss-storage-class': 'DeepColdArchive' } });
  await c.put(k('std'), bytes(333, seed), { headers: { 'x-oss-storage-class': 'IA' } });
  await c.copy(k('copy'), k('ia'), { headers: { 'x-oss-storage-class': 'Standard' } });
  await c.copy(k('ia'), k('ia'), { headers: { 'x-oss-storage-class': 'Archive' } });
  await c.append(k('log'), bytes(50, seed));
  await c.append(k('log'), bytes(70, seed), { position: 50 });
  await c.putSymlink(k('link'), k('copy'), { storageClass: 'IA' });
  const { uploadId } = await c.initMultipartUpload(k('mp'), { headers: { 'x-oss-storage-class': 'IA' } });
  const p1 = await c.uploadPart(k('mp'), uploadId, 1, bytes(100 * KiB, seed), 0, 100 * KiB);
  await c.uploadPart(k('mp'), uploadId, 2, bytes(5000, seed), 0, 5000);
  const p2 = await c.uploadPart(k('mp'), uploadId, 2, bytes(7000, seed + 1), 0, 7000);
  if (seed % 2) {
    await c.completeMultipartUpload(k('mp'), uploadId, [{ number: 1, etag: p1.etag }, { number: 2, etag: p2.etag }]);
  } else {
    await c.abortMultipartUpload(k('mp'), uploadId);
  }
  const open = await c.initMultipartUpload(k('open'));
  await c.uploadPart(k('open'), open.uploadId, 3, bytes(4000, seed), 0, 4000);
  await c.delete(k('cold'));
  await c.deleteMulti([k('deep'), k('never-was')]);
}

/** Racing overwrites and deletes of a few shared keys, in every class: each replaces what another just wrote. */
async function churn(srv: TestServer, bucket: string, seed: number): Promise<void> {
  const c = srv.client({ bucket });
  const classes = ['Standard', 'IA', 'Archive', 'ColdArchive', 'DeepColdArchive'];
  for (let i = 0; i < 15; i++) {
    const key = `hot/${(seed * 7 + i) % 4}`;
    if ((seed + i) % 5 === 0) await c.delete(key);
    else await c.put(key, bytes(((seed * 31 + i * 17) % 90) * KiB + i, seed), { headers: { 'x-oss-storage-class': classes[(seed + i) % 5] } });
  }
}

let srv: TestServer;
before(async () => { srv = await startTestServer(); });
after(async () => { await srv.close(); });

describe('GetBucketStat', () => {
  test('a new bucket: every field present and zero, LastModifiedTime its creation (ali-oss getBucketStat)', async () => {
    await srv.client().putBucket('stat-empty');
    const created = Math.floor(Date.now() / 1000);
    const stat = await statOf(srv, 'stat-empty');
    const { LastModifiedTime, ...rest } = stat;
    assert.ok(Math.abs(LastModifiedTime - created) <= 1);
    assert.deepEqual(rest, await truth(srv.running.coffer.meta, 'stat-empty'));
    assert.ok(Object.values(rest).every((v) => v === 0));
  });

  test('oss2\'s test_bucket_stat: one 7-byte object → ObjectCount 1, Storage 7, StandardStorage 7', async () => {
    const c = srv.client({ bucket: 'stat-oss2' });
    await c.putBucket('stat-oss2');
    await c.put('a.txt', Buffer.from('content'));
    const res = await signedHttp(srv, { bucket: 'stat-oss2', query: [['stat', '']] });
    assert.equal(res.status, 200);
    const s = xml(res.text).BucketStat;
    assert.equal(s.ObjectCount, '1');
    assert.equal(s.Storage, '7');
    assert.equal(s.StandardStorage, '7');
    assert.equal(s.StandardObjectCount, '1');
    assert.equal(s.MultipartUploadCount, '0');
    assert.equal(s.LiveChannelCount, '0');
  });

  test('after every kind of write, each field equals what the listings count', async () => {
    await srv.client().putBucket('stat-mixed', { StorageClass: 'IA' });
    await workload(srv, 'stat-mixed', 1);
    await workload(srv, 'stat-mixed', 2);
    await assertExact(srv, 'stat-mixed');
    const stat = await statOf(srv, 'stat-mixed');
    assert.ok(stat.ArchiveObjectCount > 0 && stat.InfrequentAccessObjectCount > 0 && stat.MultipartPartCount > 0);
    // Deleting everything brings every counter back to zero.
    const c = srv.client({ bucket: 'stat-mixed' });
    for (const o of (await c.list({ 'max-keys': 1000 })).objects) await c.delete(o.name);
    for (const u of (await c.listUploads({})).uploads ?? []) await c.abortMultipartUpload(u.name, u.uploadId);
    const { LastModifiedTime: _t, ...zero } = await statOf(srv, 'stat-mixed');
    assert.ok(Object.values(zero).every((v) => v === 0), JSON.stringify(zero));
  });

  test('racing writers on one bucket: the counters stay exact', async () => {
    await srv.client().putBucket('stat-race');
    await Promise.all([1, 2, 3, 4].flatMap((seed) => [workload(srv, 'stat-race', seed), churn(srv, 'stat-race', seed)]));
    await assertExact(srv, 'stat-race');
  });

  test('a deleted and re-created bucket starts from zero', async () => {
    const c = srv.client({ bucket: 'stat-again' });
    await c.putBucket('stat-again');
    await c.put('x', Buffer.from('12345'));
    await c.delete('x');
    await c.put('y', Buffer.from('1'));
    await c.delete('y');
    await c.deleteBucket('stat-again');
    await c.putBucket('stat-again');
    await assertExact(srv, 'stat-again');
    assert.equal((await statOf(srv, 'stat-again')).ObjectCount, 0);
  });

  test('refusals: no bucket → 404 NoSuchBucket; anonymous or a user without oss:GetBucketStat → 403', async () => {
    await rejectsWith(srv.client().getBucketStat('stat-none'), 404, 'NoSuchBucket');
    await srv.client().putBucket('stat-public', { acl: 'public-read-write' });
    assertOssError(await http(srv, { path: '/stat-public/?stat' }), 403, 'AccessDenied');
    const reader = await newRamUser(srv, 'stat-reader', [{ name: 'stat-reader', document: statement('Allow', ['oss:GetObject', 'oss:ListObjects'], '*') }]);
    await rejectsWith(userOss(srv, reader).getBucketStat('stat-public'), 403, 'AccessDenied');
    const statter = await newRamUser(srv, 'stat-allowed', [{ name: 'stat-allowed', document: statement('Allow', 'oss:GetBucketStat', ossArn(srv, 'stat-public')) }]);
    assert.equal((await userOss(srv, statter).getBucketStat('stat-public')).res.status, 200);
  });
});

describe('buckets of an older release (no counters): the backfill', () => {
  /** Makes a bucket look as an older release left it: no counter documents. */
  async function forgetCounters(meta: MetadataStore, bucket: string): Promise<void> {
    const entries = await meta.listDocEntries('bucket-stat', { after: `${bucket}#`, limit: 100 });
    await meta.transaction(async (tx) => {
      for (const e of entries) if (e.id.startsWith(`${bucket}#`)) await tx.deleteDoc('bucket-stat', e.id);
    });
  }

  test('batches interleaved with writes before and after the cursor end exact', async () => {
    // A server of its own whose background jobs are stopped: this test runs the batches itself.
    const own = await startTestServer();
    await own.running.jobs.stop();
    const meta = own.running.coffer.meta;
    const c = own.client({ bucket: 'stat-legacy' });
    await c.putBucket('stat-legacy');
    for (let i = 0; i < 12; i++) await c.put(`k${String(i).padStart(2, '0')}`, bytes(100 + i, i));
    const u1 = await c.initMultipartUpload('k03-upload');
    await c.uploadPart('k03-upload', u1.uploadId, 1, bytes(999, 1), 0, 999);
    const u2 = await c.initMultipartUpload('k99-upload');
    await forgetCounters(meta, 'stat-legacy');
    // Writes before the backfill starts are not counted twice.
    await c.put('k05', bytes(5000, 5));
    let step = 0;
    while (await backfillBucketStats(meta, { objects: 3, uploads: 1 })) {
      step++;
      // Around the cursor: keys already counted, keys not yet reached, parts of both uploads.
      await c.put(`k${String(step).padStart(2, '0')}`, bytes(step * 10, step), { headers: { 'x-oss-storage-class': 'IA' } });
      await c.put(`k${String(12 - step).padStart(2, '0')}x`, bytes(step, step));
      await c.delete(`k${String(11 - step).padStart(2, '0')}`);
      await c.uploadPart('k99-upload', u2.uploadId, step, bytes(step * 100, step), 0, step * 100);
      if (step === 2) await c.abortMultipartUpload('k03-upload', u1.uploadId);
      assert.ok(step < 50, 'the backfill does not finish');
    }
    assert.ok(step >= 4, `${step} batches`);
    await assertExact(own, 'stat-legacy');
    assert.equal(await backfillBucketStats(meta), false);
    await own.close();
  });

  test('a server started on an older data directory backfills by itself', async () => {
    const dir = tempDir();
    const first = await startTestServer({ dataDir: dir });
    const c = first.client({ bucket: 'stat-restart' });
    await c.putBucket('stat-restart');
    for (let i = 0; i < 5; i++) await c.put(`o${i}`, bytes(10 * i, i));
    await forgetCounters(first.running.coffer.meta, 'stat-restart');
    await first.close();
    const second = await startTestServer({ dataDir: dir });
    try {
      for (let i = 0; ; i++) {
        const { LastModifiedTime: _t, ...stat } = await statOf(second, 'stat-restart');
        if (stat.ObjectCount === 5) break;
        assert.ok(i < 50, 'not backfilled within 10 s');
        await sleep(200);
      }
      await assertExact(second, 'stat-restart');
    } finally {
      await second.close();
    }
  });
});

describe('PostgreSQL: racing writers on several nodes\' stores', () => {
  test('two servers on one database, writing one bucket at once: exact', async () => {
    const db = await freshDatabase();
    const a = await startTestServer({ metadata: db.url, blobGraceMs: 3_600_000 });
    const b = await startTestServer({ metadata: db.url, blobGraceMs: 3_600_000 });
    try {
      await a.client().putBucket('stat-pg');
      // Each node writes under its own prefixes (its blobs are on its own disk), into one bucket's counters.
      await Promise.all([1, 2, 3, 4].flatMap((seed) => [workload(seed % 2 ? a : b, 'stat-pg', seed), churn(seed % 2 ? a : b, 'stat-pg', seed)]));
      await assertExact(a, 'stat-pg');
      await assertExact(b, 'stat-pg');
    } finally {
      await a.close();
      await b.close();
      await db.drop();
    }
  });
});
