/**
 * The encryption posture of the store: per bucket, objects, bytes and unfinished multipart
 * uploads by encryption class (posture-class.ts), and from those what still depends on an older
 * SSE-OSS master-key version and what depends on each KMS key.
 *
 * Read from counters, not from a walk: bucket-stats.ts keeps the counts in the transactions that
 * write objects and uploads (no extra read or write there), so a report costs one read of each
 * bucket's counter documents, whatever the number of objects. A bucket whose counts are still
 * being backfilled is reported with what is counted so far and `complete: false`.
 */
import type { MetadataReader } from '../store/types';
import { bucketPosture, type PostureCounters } from './bucket-stats';
import { parsePostureClass, type PostureClass, type PostureMode } from './posture-class';

export interface PostureRow extends PostureClass, PostureCounters {}

export interface BucketPostureReport extends PostureCounters {
  bucket: string;
  /** Every object and upload is counted (false while the backfill of an older bucket runs). */
  complete: boolean;
  classes: PostureRow[];
}

export interface MasterKeyVersionUse extends PostureCounters {
  version: number;
  current: boolean;
}

export interface KmsKeyUse extends PostureCounters {
  keyId: string;
  /** The buckets that hold its objects or uploads. */
  buckets: string[];
}

export interface PostureReport {
  /** When the counters were read (Unix ms). */
  computedAt: number;
  /** Every bucket is completely counted. */
  complete: boolean;
  currentMasterKeyVersion: number | null;
  buckets: BucketPostureReport[];
  /** All buckets together, by mode and data cipher (versions and keys summed). */
  totals: PostureRow[];
  /** Every master-key version, and those that sealed objects or uploads but are gone from the list. */
  masterKeyVersions: MasterKeyVersionUse[];
  /** What a rewrap would re-seal: SSE-OSS objects and uploads under a version older than the current. */
  olderMasterKeyVersions: PostureCounters;
  kmsKeys: KmsKeyUse[];
}

const MODE_ORDER: PostureMode[] = ['None', 'SSE-OSS', 'SSE-KMS', 'SSE-C', 'Symlink', 'Unknown'];

const none = (): PostureCounters => ({ objects: 0, bytes: 0, uploads: 0 });

function add(into: PostureCounters, c: PostureCounters): void {
  into.objects += c.objects;
  into.bytes += c.bytes;
  into.uploads += c.uploads;
}

function compareRows(a: PostureClass, b: PostureClass): number {
  return MODE_ORDER.indexOf(a.mode) - MODE_ORDER.indexOf(b.mode)
    || (a.algorithm ?? '').localeCompare(b.algorithm ?? '')
    || (b.masterKeyVersion ?? 0) - (a.masterKeyVersion ?? 0)
    || (a.kmsKeyId ?? '').localeCompare(b.kmsKeyId ?? '');
}

const PAGE = 1000;

export async function encryptionPosture(
  meta: MetadataReader,
  masterKeys: { current: number | null; versions: number[] },
  now = Date.now(),
): Promise<PostureReport> {
  const buckets: BucketPostureReport[] = [];
  for (let after: string | undefined; ;) {
    const page = await meta.listBuckets({ after, limit: PAGE });
    for (const b of page) {
      const counts = await bucketPosture(meta, b.name);
      const report: BucketPostureReport = { bucket: b.name, complete: counts.complete, ...none(), classes: [] };
      for (const [key, c] of Object.entries(counts.classes)) {
        if (!c.objects && !c.bytes && !c.uploads) continue;
        report.classes.push({ ...parsePostureClass(key), objects: c.objects, bytes: c.bytes, uploads: c.uploads });
        add(report, c);
      }
      report.classes.sort(compareRows);
      buckets.push(report);
    }
    if (page.length < PAGE) break;
    after = page.at(-1)!.name;
  }

  const totals = new Map<string, PostureRow>();
  const versions = new Map<number, MasterKeyVersionUse>();
  for (const v of masterKeys.versions) versions.set(v, { version: v, current: v === masterKeys.current, ...none() });
  const older = none();
  const keys = new Map<string, KmsKeyUse>();
  for (const b of buckets) {
    for (const row of b.classes) {
      const id = `${row.mode}/${row.algorithm ?? ''}`;
      const t = totals.get(id) ?? { mode: row.mode, ...(row.algorithm ? { algorithm: row.algorithm } : {}), ...none() };
      add(t, row);
      totals.set(id, t);
      if (row.masterKeyVersion !== undefined) {
        const v = row.masterKeyVersion;
        const use = versions.get(v) ?? { version: v, current: v === masterKeys.current, ...none() };
        add(use, row);
        versions.set(v, use);
        if (masterKeys.current !== null && v < masterKeys.current) add(older, row);
      }
      if (row.kmsKeyId !== undefined) {
        const use = keys.get(row.kmsKeyId) ?? { keyId: row.kmsKeyId, buckets: [], ...none() };
        add(use, row);
        if (!use.buckets.includes(b.bucket)) use.buckets.push(b.bucket);
        keys.set(row.kmsKeyId, use);
      }
    }
  }
  return {
    computedAt: now,
    complete: buckets.every((b) => b.complete),
    currentMasterKeyVersion: masterKeys.current,
    buckets,
    totals: [...totals.values()].sort(compareRows),
    masterKeyVersions: [...versions.values()].sort((a, b) => b.version - a.version),
    olderMasterKeyVersions: older,
    kmsKeys: [...keys.values()].sort((a, b) => b.objects - a.objects || a.keyId.localeCompare(b.keyId)),
  };
}
