/**
 * Per-bucket statistics for GetBucketStat, kept as counters instead of counted by a scan.
 *
 * Exactness: every write of an object, upload or part goes through statTransaction, whose
 * transaction view adds the change's delta (computed from the record it replaces or removes, as
 * read in that same transaction) to the bucket's counters before it commits. The store runs each
 * transaction serializably and re-runs it on conflict, so a committed change is counted exactly
 * once and the counters always equal the committed objects, uploads and parts. GetBucketStat reads
 * every counter document of the bucket with one statement, so it sees one committed state.
 *
 * Contention: a bucket's counters are split over SHARDS documents and each transaction adds to one
 * chosen at random, so concurrent writers to one bucket rarely touch the same row (which PostgreSQL
 * would resolve by re-running one of them). Documents, not columns: the schema does not change.
 *
 * Versioning: noncurrent versions count as objects (objects, bytes, classes, posture); delete
 * markers hold nothing and count nothing.
 *
 * Buckets created before counters existed have no head document and are not counted by writers;
 * backfillBucketStats adopts them and counts their objects (every version of each key, noncurrent
 * ones too) and uploads in key order, in batches of whole keys.
 * While it runs, a writer counts only keys the scan has passed (the scan will count the rest as
 * it finds them), so the total is exact when the scan ends.
 *
 * Encryption posture: the same documents also count objects, bytes and unfinished uploads by
 * encryption class (posture-class.ts: mode, data cipher, master-key version or CMK), from the same
 * old and new records the transaction already reads, so this costs no extra read or write. Every
 * change of a record's encryption goes through statTransaction (writes, copies, completes, rewrap),
 * so these counts are exact in the same way. They are a second family with its own state in the
 * head (`posture`): buckets counted before it existed have a head without it, and the backfill
 * then makes a second pass over them that counts only the posture (after the first pass, if one is
 * still running), with its own cursor and the same rule for writers.
 */
import { randomInt } from 'node:crypto';
import {
  CURRENT_SEQ, isDeleteMarker,
  type MetadataReader, type VersionEntry, type MetadataStore, type MetadataTx, type ObjectRecord, type PartRecord, type TransactionOptions, type UploadRecord, type VersionRecord,
} from '../store/types';
import { LIMITS } from './coffer';
import { postureClassKey } from './posture-class';

const KIND = 'bucket-stat';
export const STAT_SHARDS = 8;
/** OSS bills IA and archive-class objects under 64 KB as 64 KB: the *Storage fields; *RealStorage are the bytes. */
const MIN_BILLED_BYTES = 64 * 1024;

/** Ids: `<bucket>#0` … `<bucket>#7` and `<bucket>#head`. '#' sorts before every character of a bucket name, so one id range holds them all. */
const shardId = (bucket: string, n: number): string => `${bucket}#${n}`;
const headId = (bucket: string): string => `${bucket}#head`;

interface ClassCounters { count: number; bytes: number; billed: number }

/** Per encryption class (posture-class.ts): objects, their bytes, unfinished multipart uploads. */
export interface PostureCounters { objects: number; bytes: number; uploads: number }

export interface StatCounters {
  objects: number;
  bytes: number;
  classes: Record<string, ClassCounters>;
  uploads: number;
  parts: number;
  partBytes: number;
  /** Unix ms of the last change counted. */
  lastModified: number;
  /** By encryption class; absent in documents written before posture counting existed (none counted). */
  posture?: Record<string, PostureCounters>;
}

/** Where the backfill of an older bucket is: objects with keys up to objectsAfter, uploads up to uploadsAfter, are counted. */
interface Scan {
  objectsAfter: string;
  objectsDone: boolean;
  uploadsAfter: { key: string; uploadId: string } | null;
  uploadsDone: boolean;
}

/**
 * Present for every counted bucket; `scan` while its backfill runs. `posture`: present once the
 * bucket's encryption classes are counted, with its own `scan` while their backfill runs (only
 * after the first scan has finished); absent on heads of an older release.
 */
interface Head { scan?: Scan; posture?: { scan?: Scan } }

const freshScan = (): Scan => ({ objectsAfter: '', objectsDone: false, uploadsAfter: null, uploadsDone: false });

const zero = (): StatCounters => ({ objects: 0, bytes: 0, classes: {}, uploads: 0, parts: 0, partBytes: 0, lastModified: 0, posture: {} });

function postureOf(s: StatCounters, cls: string): PostureCounters {
  s.posture ??= {};
  return (s.posture[cls] ??= { objects: 0, bytes: 0, uploads: 0 });
}

function addObjectPosture(s: StatCounters, o: ObjectRecord, sign: 1 | -1): void {
  const p = postureOf(s, postureClassKey(o.encryption, o.type));
  p.objects += sign;
  p.bytes += sign * o.size;
}

function addUploadPosture(s: StatCounters, u: UploadRecord, sign: 1 | -1): void {
  postureOf(s, postureClassKey(u.encryption)).uploads += sign;
}

const postureZero = (p: PostureCounters): boolean => !p.objects && !p.bytes && !p.uploads;

function addObject(s: StatCounters, o: ObjectRecord, sign: 1 | -1): void {
  s.objects += sign;
  s.bytes += sign * o.size;
  const cls = (s.classes[o.storageClass] ??= { count: 0, bytes: 0, billed: 0 });
  cls.count += sign;
  cls.bytes += sign * o.size;
  cls.billed += sign * (o.storageClass === 'Standard' ? o.size : Math.max(o.size, MIN_BILLED_BYTES));
}

/** Whether the GetBucketStat part is zero (the posture aside). */
function baseIsZero(s: StatCounters): boolean {
  return !s.objects && !s.bytes && !s.uploads && !s.parts && !s.partBytes
    && Object.values(s.classes).every((c) => !c.count && !c.bytes && !c.billed);
}

function isZero(s: StatCounters): boolean {
  return baseIsZero(s) && Object.values(s.posture ?? {}).every(postureZero);
}

function merge(into: StatCounters, d: StatCounters): StatCounters {
  into.objects += d.objects;
  into.bytes += d.bytes;
  into.uploads += d.uploads;
  into.parts += d.parts;
  into.partBytes += d.partBytes;
  into.lastModified = Math.max(into.lastModified, d.lastModified);
  for (const [name, c] of Object.entries(d.classes)) {
    const t = (into.classes[name] ??= { count: 0, bytes: 0, billed: 0 });
    t.count += c.count;
    t.bytes += c.bytes;
    t.billed += c.billed;
  }
  for (const [cls, p] of Object.entries(d.posture ?? {})) {
    const t = postureOf(into, cls);
    t.objects += p.objects;
    t.bytes += p.bytes;
    t.uploads += p.uploads;
    // A class that nets out in this document (rewrapped away, say) takes no room in it.
    if (postureZero(t)) delete into.posture![cls];
  }
  return into;
}

const bytewise = (a: string, b: string): number => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

function objectCounted(scan: Scan, key: string): boolean {
  return scan.objectsDone || bytewise(key, scan.objectsAfter) <= 0;
}

function uploadCounted(scan: Scan, u: { key: string; uploadId: string }): boolean {
  if (scan.uploadsDone) return true;
  const at = scan.uploadsAfter;
  if (!at) return false;
  const byKey = bytewise(u.key, at.key);
  return byKey < 0 || (byKey === 0 && u.uploadId <= at.uploadId);
}

/** Adds `d` to one shard of the bucket's counters, chosen at random to spread concurrent writers. */
async function addToShard(tx: MetadataTx, bucket: string, d: StatCounters): Promise<void> {
  const id = shardId(bucket, randomInt(STAT_SHARDS));
  const shard = (await tx.getDoc<StatCounters>(KIND, id)) ?? zero();
  await tx.putDoc(KIND, id, merge(shard, d));
}

/** A new bucket is counted from its first write, its encryption posture too. */
export async function startBucketStats(tx: MetadataTx, bucket: string): Promise<void> {
  await tx.putDoc<Head>(KIND, headId(bucket), { posture: {} });
}

export async function dropBucketStats(tx: MetadataTx, bucket: string): Promise<void> {
  await tx.deleteDoc(KIND, headId(bucket));
  for (let n = 0; n < STAT_SHARDS; n++) await tx.deleteDoc(KIND, shardId(bucket, n));
}

/**
 * A transaction whose object, upload and part writes also update their buckets' statistics
 * (see the module comment). Every transaction that writes objects, uploads or parts uses it.
 */
export function statTransaction<T>(meta: MetadataStore, fn: (tx: MetadataTx) => Promise<T>, opts?: TransactionOptions): Promise<T> {
  return meta.transaction(async (tx) => {
    const deltas = new Map<string, StatCounters>();
    const heads = new Map<string, Head | null>();
    const headOf = async (bucket: string): Promise<Head | null> => {
      if (!heads.has(bucket)) heads.set(bucket, await tx.getDoc<Head>(KIND, headId(bucket)));
      return heads.get(bucket)!;
    };
    const deltaOf = (bucket: string): StatCounters => {
      let d = deltas.get(bucket);
      if (!d) deltas.set(bucket, (d = zero()));
      return d;
    };
    /** Whether a change to this object is counted now (untracked buckets and unscanned keys are not). */
    const objectTracked = async (bucket: string, key: string): Promise<boolean> => {
      const head = await headOf(bucket);
      return !!head && (!head.scan || objectCounted(head.scan, key));
    };
    const uploadTracked = async (u: UploadRecord): Promise<boolean> => {
      const head = await headOf(u.bucket);
      return !!head && (!head.scan || uploadCounted(head.scan, u));
    };
    /** The same for the posture counts: both scans must have passed the key (or be over). */
    const objectPostureTracked = async (bucket: string, key: string): Promise<boolean> => {
      const head = await headOf(bucket);
      return !!head?.posture && (!head.scan || objectCounted(head.scan, key)) && (!head.posture.scan || objectCounted(head.posture.scan, key));
    };
    const uploadPostureTracked = async (u: UploadRecord): Promise<boolean> => {
      const head = await headOf(u.bucket);
      return !!head?.posture && (!head.scan || uploadCounted(head.scan, u)) && (!head.posture.scan || uploadCounted(head.posture.scan, u));
    };
    const count = async (v: VersionRecord, sign: 1 | -1): Promise<void> => {
      if (isDeleteMarker(v)) return;
      if (await objectTracked(v.bucket, v.key)) addObject(deltaOf(v.bucket), v, sign);
      if (await objectPostureTracked(v.bucket, v.key)) addObjectPosture(deltaOf(v.bucket), v, sign);
    };
    const counted: Partial<MetadataTx> = {
      putObject: async (o) => {
        const old = await tx.putObject(o);
        if (old) await count(old, -1);
        await count(o, 1);
        return old;
      },
      deleteObject: async (bucket, key) => {
        const old = await tx.deleteObject(bucket, key);
        if (old) await count(old, -1);
        return old;
      },
      // Noncurrent versions count as objects do (bytes, classes, posture); delete markers not at all.
      putVersion: async (v) => {
        const old = await tx.putVersion(v);
        if (old) await count(old, -1);
        await count(v, 1);
        return old;
      },
      deleteVersion: async (bucket, key, versionId) => {
        const old = await tx.deleteVersion(bucket, key, versionId);
        if (old) await count(old, -1);
        return old;
      },
      putUpload: async (u) => {
        // A replaced upload (a rewrap re-seals its key) may change class; the upload count stays.
        const old = await tx.getUpload(u.uploadId);
        await tx.putUpload(u);
        if (!old && (await uploadTracked(u))) deltaOf(u.bucket).uploads++;
        if (await uploadPostureTracked(u)) {
          const d = deltaOf(u.bucket);
          if (old) addUploadPosture(d, old, -1);
          addUploadPosture(d, u, 1);
        }
      },
      deleteUpload: async (uploadId, keepBlobs) => {
        const u = await tx.getUpload(uploadId);
        // At most 10,000 parts: the upload's own, not a scan of the bucket.
        const parts = u ? await tx.listParts(uploadId, { limit: LIMITS.maxPartNumber }) : [];
        await tx.deleteUpload(uploadId, keepBlobs);
        if (u && (await uploadTracked(u))) {
          const d = deltaOf(u.bucket);
          d.uploads--;
          d.parts -= parts.length;
          d.partBytes -= parts.reduce((n, p) => n + p.size, 0);
        }
        if (u && (await uploadPostureTracked(u))) addUploadPosture(deltaOf(u.bucket), u, -1);
      },
      putPart: async (p: PartRecord) => {
        const u = await tx.getUpload(p.uploadId);
        const old = await tx.getPart(p.uploadId, p.partNumber);
        await tx.putPart(p);
        if (u && (await uploadTracked(u))) {
          const d = deltaOf(u.bucket);
          if (old) {
            d.parts--;
            d.partBytes -= old.size;
          }
          d.parts++;
          d.partBytes += p.size;
        }
      },
    };
    const view = new Proxy(tx, {
      get(target, name, receiver) {
        if (typeof name === 'string' && Object.hasOwn(counted, name)) return counted[name as keyof MetadataTx];
        const v = Reflect.get(target, name, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const result = await fn(view);
    for (const [bucket, d] of deltas) {
      if (isZero(d)) continue;
      // LastModifiedTime follows the bucket's content; a change of encryption alone (a rewrap) leaves it.
      if (!baseIsZero(d)) d.lastModified = Date.now();
      await addToShard(tx, bucket, d);
    }
    return result;
  }, opts);
}

/** The bucket's statistics now: the sum of its shards, read in one statement (one committed state). */
export async function bucketStats(meta: MetadataReader, bucket: string): Promise<StatCounters> {
  return (await bucketDocs(meta, bucket)).total;
}

/** A bucket's encryption classes as counted now; `complete` once every object and upload is (no backfill pending). */
export interface BucketPostureCounts { complete: boolean; classes: Record<string, PostureCounters> }

export async function bucketPosture(meta: MetadataReader, bucket: string): Promise<BucketPostureCounts> {
  const { head, total } = await bucketDocs(meta, bucket);
  return { complete: !!head && !head.scan && !!head.posture && !head.posture.scan, classes: total.posture ?? {} };
}

/** The head and the sum of the shards, read with one statement. */
async function bucketDocs(meta: MetadataReader, bucket: string): Promise<{ head: Head | null; total: StatCounters }> {
  const entries = await meta.listDocEntries<StatCounters & Head>(KIND, { after: `${bucket}#`, limit: STAT_SHARDS + 1 });
  const total = zero();
  let head: Head | null = null;
  for (const e of entries) {
    if (e.id === headId(bucket)) head = e.doc;
    else if (e.id.startsWith(`${bucket}#`)) merge(total, e.doc);
  }
  return { head, total };
}

/**
 * One step of the backfill: adopts buckets that have no statistics yet (made by an older release)
 * or no posture counts yet, and counts one batch of objects or uploads of each bucket being
 * scanned, each in its own transaction. Returns whether any bucket still has work left.
 */
export async function backfillBucketStats(meta: MetadataStore, batch = { objects: 1000, uploads: 100 }): Promise<boolean> {
  let more = false;
  for (let after: string | undefined; ;) {
    const buckets = await meta.listBuckets({ after, limit: 1000 });
    for (const b of buckets) {
      if (await scanStep(meta, b.name, batch)) more = true;
    }
    if (buckets.length < 1000) return more;
    after = buckets[buckets.length - 1].name;
  }
}

/**
 * One batch of one bucket's backfill. The first scan counts everything (and the posture too when
 * the bucket had no head at all: its posture state is then `{}`, so writers count a key's posture
 * exactly when they count the key). A head of an older release with a finished first scan but no
 * posture gets a second scan that counts the posture only.
 */
async function scanStep(meta: MetadataStore, bucket: string, batch: { objects: number; uploads: number }): Promise<boolean> {
  return meta.transaction(async (tx) => {
    if (!(await tx.getBucket(bucket))) return false;
    const head: Head = (await tx.getDoc<Head>(KIND, headId(bucket))) ?? { scan: freshScan(), posture: {} };
    let scan: Scan;
    let counts: { base: boolean; posture: boolean };
    if (head.scan) {
      scan = head.scan;
      counts = { base: true, posture: !!head.posture && !head.posture.scan };
    } else if (!head.posture || head.posture.scan) {
      head.posture ??= { scan: freshScan() };
      scan = head.posture.scan!;
      counts = { base: false, posture: true };
    } else {
      return false;
    }
    const d = zero();
    if (counts.base) d.lastModified = Date.now();
    if (!scan.objectsDone) {
      const { versions, done } = await wholeKeys(tx, bucket, scan.objectsAfter, batch.objects);
      for (const v of versions) {
        if (isDeleteMarker(v)) continue;
        if (counts.base) addObject(d, v, 1);
        if (counts.posture) addObjectPosture(d, v, 1);
      }
      if (versions.length) scan.objectsAfter = versions[versions.length - 1].key;
      scan.objectsDone = done;
    } else {
      const uploads = await tx.listUploads(bucket, { keyMarker: scan.uploadsAfter?.key, uploadIdMarker: scan.uploadsAfter?.uploadId, limit: batch.uploads });
      for (const u of uploads) {
        if (counts.posture) addUploadPosture(d, u, 1);
        if (!counts.base) continue;
        d.uploads++;
        for (const p of await tx.listParts(u.uploadId, { limit: LIMITS.maxPartNumber })) {
          d.parts++;
          d.partBytes += p.size;
        }
      }
      if (uploads.length) scan.uploadsAfter = { key: uploads[uploads.length - 1].key, uploadId: uploads[uploads.length - 1].uploadId };
      scan.uploadsDone = uploads.length < batch.uploads;
    }
    if (!isZero(d)) await addToShard(tx, bucket, d);
    const done = scan.objectsDone && scan.uploadsDone;
    if (done) {
      if (counts.base) delete head.scan;
      else delete head.posture!.scan;
    }
    await tx.putDoc<Head>(KIND, headId(bucket), head);
    // Finishing the first scan of an older head leaves its posture scan to do.
    return !done || !head.posture || !!head.posture.scan;
  });
}

/**
 * About `limit` versions (objects, noncurrent versions, delete markers) of the keys after `afterKey`,
 * ending with a whole key: writers count a key's changes once the scan has passed the key, so the
 * scan must have counted every version of it. `done` when no key is left after these.
 */
async function wholeKeys(tx: MetadataTx, bucket: string, afterKey: string, limit: number): Promise<{ versions: VersionRecord[]; done: boolean }> {
  const page = await tx.listVersions(bucket, { after: afterKey ? { key: afterKey } : undefined, limit: limit + 1 });
  if (page.length <= limit) return { versions: page.map((e) => e.record), done: true };
  const cut = page[limit].record.key;
  const whole = page.filter((e) => e.record.key !== cut);
  if (whole.length) return { versions: whole.map((e) => e.record), done: false };
  // One key has more versions than a batch: all of them, in as many reads as it takes.
  const current = await tx.getObject(bucket, cut);
  const versions: VersionRecord[] = current ? [current] : [];
  for (let after: { key: string; seq: number } | undefined = { key: cut, seq: CURRENT_SEQ }; after;) {
    const more: VersionEntry[] = (await tx.listVersions(bucket, { after, prefix: cut, limit })).filter((e) => e.record.key === cut);
    versions.push(...more.map((e) => e.record));
    after = more.length === limit ? { key: cut, seq: more[more.length - 1].seq } : undefined;
  }
  return { versions, done: false };
}

/**
 * The statistics of the first `maxBuckets` counted buckets (in name order), for the metrics'
 * storage gauges: read by walking the counter documents of all buckets in pages, not one query per
 * bucket, and bounded (at most maxBuckets × (STAT_SHARDS + 1) documents). The pages are separate
 * reads, so two buckets may be seen at slightly different moments; each bucket's documents are
 * contiguous in id order and usually come in one page. A bucket still being backfilled shows what
 * the backfill has counted so far. `truncated` when more buckets have statistics.
 */
export async function listBucketStats(meta: MetadataReader, maxBuckets: number, pageSize = 1000): Promise<{ buckets: Map<string, StatCounters>; truncated: boolean }> {
  const buckets = new Map<string, StatCounters>();
  for (let after: string | undefined; ;) {
    const page = await meta.listDocEntries<StatCounters & Head>(KIND, { after, limit: pageSize });
    for (const e of page) {
      const bucket = e.id.slice(0, e.id.indexOf('#'));
      let total = buckets.get(bucket);
      if (!total) {
        if (buckets.size === maxBuckets) return { buckets, truncated: true };
        buckets.set(bucket, (total = zero()));
      }
      if (e.id !== headId(bucket)) merge(total, e.doc);
    }
    if (page.length < pageSize) return { buckets, truncated: false };
    after = page[page.length - 1].id;
  }
}
