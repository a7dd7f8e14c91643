/**
 * Storage classes and the archive lifecycle. Archive, ColdArchive and DeepColdArchive objects keep
 * their data as any other, but, as in OSS, their bytes may be read only while a restored copy
 * exists: RestoreObject starts a restore that completes after the server's restore delay, and the
 * copy stays readable for the requested days. Nothing runs in the background: the state is
 * computed from the object's record and the clock whenever it is needed.
 */
import { CofferError } from '../common/errors';
import { CURRENT_SEQ, isDeleteMarker, type ObjectRecord } from '../store/types';
import { requireBucket } from './buckets';
import type { Coffer } from './coffer';
import { statTransaction } from './bucket-stats';
import { rewriteVersion } from './versions';

export const STORAGE_CLASSES: readonly string[] = ['Standard', 'IA', 'Archive', 'ColdArchive', 'DeepColdArchive'];
const ARCHIVE_CLASSES = new Set(['Archive', 'ColdArchive', 'DeepColdArchive']);
/** Appendable objects cannot be cold (OSS EC 0016-00000503). */
const COLD_CLASSES = new Set(['ColdArchive', 'DeepColdArchive']);
const TIERS = new Set(['Expedited', 'Standard', 'Bulk']);

export const isStorageClass = (value: string): boolean => STORAGE_CLASSES.includes(value);

/** Whether an object of this type may be stored in this class (appendable objects never cold; symlinks hold no data to move). */
export const classAllows = (obj: Pick<ObjectRecord, 'type'>, storageClass: string): boolean =>
  obj.type !== 'Symlink' && !(obj.type === 'Appendable' && COLD_CLASSES.has(storageClass));

/**
 * Moves one object version (the current object when `versionId` is absent) to another class in
 * place, as a lifecycle transition: metadata only, so its data, encryption and Last-Modified stay;
 * an archive class starts frozen. False when the version is gone or changed since it was judged
 * due (its Last-Modified differs).
 */
export async function transitionVersion(
  c: Coffer, bucket: string, key: string, versionId: string | undefined, lastModified: number, storageClass: string,
): Promise<boolean> {
  return statTransaction(c.meta, async (tx) => {
    const current = versionId === undefined ? await tx.getObject(bucket, key) : null;
    const found = current ? { seq: CURRENT_SEQ, record: current } : versionId === undefined ? null : await tx.getVersion(bucket, key, versionId);
    if (!found || isDeleteMarker(found.record) || found.record.lastModified !== lastModified) return false;
    const { restore: _restore, ...rest } = found.record;
    await rewriteVersion(tx, found.seq, { ...rest, storageClass });
    return true;
  });
}

export function checkAppendableClass(storageClass: string): void {
  if (COLD_CLASSES.has(storageClass)) {
    throw new CofferError('InvalidArgument', `An appendable object cannot be stored as ${storageClass}; use Standard, IA or Archive.`, {
      ArgumentName: 'x-oss-storage-class', ArgumentValue: storageClass, EC: '0016-00000503',
    });
  }
}

/** Where an object's restore stands at `now`: null when it has none (frozen, or the copy expired). */
export function restoreState(obj: ObjectRecord, now: number): { ongoing: boolean; expiresAt: number } | null {
  const r = obj.restore;
  if (!r || now >= r.expiresAt) return null;
  return { ongoing: now < r.readyAt, expiresAt: r.expiresAt };
}

/** Throws InvalidObjectState (403) unless the object's bytes may be read now. */
export function requireReadable(c: Pick<Coffer, 'now'>, obj: ObjectRecord): void {
  if (!ARCHIVE_CLASSES.has(obj.storageClass)) return;
  const state = restoreState(obj, c.now());
  if (!state || state.ongoing) {
    throw new CofferError('InvalidObjectState', "The operation is not valid for the object's state", { Key: obj.key });
  }
}

export interface RestoreRequest {
  bucket: string;
  key: string;
  /** Days the restored copy stays readable; 1 when absent. NaN for a value that is not a number. */
  days?: number;
  /** JobParameters (cold classes only): the restore priority, Standard when absent. */
  jobParameters?: { tier?: string };
}

/**
 * RestoreObject. A frozen object starts restoring (`started`, 202 in OSS); a restored one stays
 * readable `days` from now, never less than it already was (200); one still restoring is refused
 * with RestoreAlreadyInProgress. Validation comes first, so a bad request changes nothing.
 */
export async function restoreObject(c: Coffer, req: RestoreRequest): Promise<{ started: boolean; tier?: string }> {
  await requireBucket(c, req.bucket);
  return statTransaction(c.meta, async (tx) => {
    const obj = await tx.getObject(req.bucket, req.key);
    if (!obj) throw new CofferError('NoSuchKey', 'The specified key does not exist.', { Key: req.key });
    if (!ARCHIVE_CLASSES.has(obj.storageClass) || obj.type === 'Symlink') {
      throw new CofferError('OperationNotSupported', `RestoreObject applies to Archive, ColdArchive and DeepColdArchive objects; this one is ${obj.type === 'Symlink' ? 'a symlink' : obj.storageClass}.`);
    }
    const cold = COLD_CLASSES.has(obj.storageClass);
    if (!cold && req.jobParameters) {
      throw new CofferError('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema: JobParameters applies only to ColdArchive and DeepColdArchive objects.');
    }
    const days = req.days ?? 1;
    const maxDays = cold ? 365 : 7;
    if (!Number.isInteger(days) || days < 1 || days > maxDays) {
      throw new CofferError('InvalidArgument', `Days must be an integer from 1 to ${maxDays} for ${obj.storageClass} objects.`, {
        ArgumentName: 'Days', ArgumentValue: String(req.days), EC: cold ? '0016-00000704' : '0016-00000708',
      });
    }
    const tier = cold ? req.jobParameters?.tier ?? 'Standard' : undefined;
    if (tier !== undefined && !TIERS.has(tier)) {
      throw new CofferError('InvalidArgument', 'Tier must be Expedited, Standard or Bulk.', { ArgumentName: 'Tier', ArgumentValue: tier, EC: '0016-00000703' });
    }
    const now = c.now();
    const state = restoreState(obj, now);
    if (state?.ongoing) {
      throw new CofferError('RestoreAlreadyInProgress', 'The restore operation is in progress.', { Key: req.key, EC: '0016-00000701' });
    }
    if (state) {
      await tx.putObject({ ...obj, restore: { ...obj.restore!, expiresAt: Math.max(state.expiresAt, now + days * c.dayMs) } });
      return { started: false, tier };
    }
    const readyAt = now + c.restoreDelayMs;
    await tx.putObject({ ...obj, restore: { readyAt, expiresAt: readyAt + days * c.dayMs, tier } });
    return { started: true, tier };
  });
}
