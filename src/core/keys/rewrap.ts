/**
 * Rewrap after a master-key rotation: the object keys of SSE-OSS objects and unfinished multipart
 * uploads that an older master-key version sealed are sealed again under the current version.
 * Only metadata changes: no data is read or written, and ETag, CRC-64 and Last-Modified stay.
 * Each re-seal is a statTransaction, so the encryption posture's count per master-key version
 * (bucket-stats.ts) follows it.
 * After a complete pass nothing depends on the older versions, so one of them leaking opens
 * nothing written before the rotation either.
 *
 * Every version of an object counts (a noncurrent one sealed under an old master key depends on it
 * as much as the current one).
 *
 * A pass goes in bounded steps: each looks at about maxObjects object versions, stopping between
 * keys, and returns the last key as a marker (bucket/key; bucket names have no '/') to resume
 * after, so no request runs long and an interrupted pass continues where it stopped.
 */
import { versionIdOf, isDeleteMarker, type EncryptionInfo, type MetadataStore } from '../../store/types';
import { statTransaction } from '../bucket-stats';
import { asObjectEncryption, resealUnderMasterKey } from '../encryption';
import { rewriteVersion } from '../versions';
import type { MasterKeys } from './master-keys';
import { stepOverVersions } from '../walk';

export interface RewrapStep {
  /** Resume after this object (bucket/key), from a previous step's nextMarker; absent: from the start. */
  marker?: string;
  maxObjects: number;
}

export interface RewrapResult {
  currentVersion: number;
  objects: { scanned: number; rewrapped: number };
  uploads: { scanned: number; rewrapped: number };
  /** Where the next step starts; null when this step finished the pass. */
  nextMarker: string | null;
}

const PAGE = 200;

/**
 * stale: a cheap test on a listed record, so only objects that need it open a transaction;
 * resealed: the work itself, done on the record re-read inside that transaction (null: nothing to do).
 */
interface Rewrap {
  stale(enc: EncryptionInfo | null): boolean;
  resealed(enc: EncryptionInfo | null, bucket: string, key: string): EncryptionInfo | null;
}

export async function rewrapObjectKeys(meta: MetadataStore, masterKeys: MasterKeys, step: RewrapStep): Promise<RewrapResult> {
  const current = await masterKeys.current();
  const materials = new Map<number, Buffer>();
  for (const v of await masterKeys.list()) materials.set(v.version, await masterKeys.get(v.version));

  /** The older version that sealed it, or null. Versions above ours come from a rotation another process just made: left alone. */
  const staleVersion = (enc: EncryptionInfo | null): number | null => {
    const kek = asObjectEncryption(enc)?.kek;
    return kek?.provider === 'oss' && kek.masterKeyVersion < current.version ? kek.masterKeyVersion : null;
  };
  const rewrap: Rewrap = {
    stale: (enc) => staleVersion(enc) !== null,
    resealed: (enc, bucket, key) => {
      const version = staleVersion(enc);
      if (version === null) return null;
      const from = materials.get(version);
      if (!from) throw new Error(`SSE-OSS master key version ${version} is missing`);
      return resealUnderMasterKey(asObjectEncryption(enc)!, { bucket, key }, from, current) as unknown as EncryptionInfo;
    },
  };

  const result: RewrapResult = { currentVersion: current.version, objects: { scanned: 0, rewrapped: 0 }, uploads: { scanned: 0, rewrapped: 0 }, nextMarker: null };
  result.nextMarker = await stepOverVersions(meta, {
    marker: step.marker,
    spent: () => result.objects.scanned >= step.maxObjects,
    // Uploads are few; a bucket's are handled when its objects are started, not on resuming inside it.
    enterBucket: (bucket) => rewrapUploads(meta, bucket, rewrap, result),
    visit: async (o) => {
      result.objects.scanned++;
      if (!rewrap.stale(o.encryption)) return;
      // Re-read inside the transaction: a writer may have replaced or removed the version since it was listed.
      const done = await statTransaction(meta, async (tx) => {
        const fresh = await tx.getVersion(o.bucket, o.key, versionIdOf(o));
        if (!fresh || isDeleteMarker(fresh.record)) return false;
        const encryption = rewrap.resealed(fresh.record.encryption, o.bucket, o.key);
        if (!encryption) return false;
        await rewriteVersion(tx, fresh.seq, { ...fresh.record, encryption });
        return true;
      });
      if (done) result.objects.rewrapped++;
    },
  });
  return result;
}

async function rewrapUploads(
  meta: MetadataStore,
  bucket: string,
  rewrap: Rewrap,
  result: RewrapResult,
): Promise<void> {
  let marker: { keyMarker: string; uploadIdMarker: string } | undefined;
  for (;;) {
    const page = await meta.listUploads(bucket, { ...marker, limit: PAGE });
    for (const u of page) {
      result.uploads.scanned++;
      if (!rewrap.stale(u.encryption)) continue;
      const done = await statTransaction(meta, async (tx) => {
        const fresh = await tx.getUpload(u.uploadId);
        const encryption = fresh && rewrap.resealed(fresh.encryption, bucket, fresh.key);
        if (!encryption) return false;
        await tx.putUpload({ ...fresh, encryption });
        return true;
      });
      if (done) result.uploads.rewrapped++;
    }
    if (page.length < PAGE) return;
    marker = { keyMarker: page.at(-1)!.key, uploadIdMarker: page.at(-1)!.uploadId };
  }
}
