/**
 * WORM retention (bucket retention policies, OSS's BucketWorm). While a configuration is in force
 * — InProgress (for the one day it lasts unless completed) or Locked, as OSS protects data in both —
 * no object may be deleted or overwritten until its last-modified time plus the retention period,
 * by anyone: the account root included. Every path that removes or replaces an object's data asks
 * refuseIfRetained() inside the transaction that does it, so a check cannot race the change.
 *
 * Reads, writes of new keys and metadata-only changes (ACL, tags, restores) stay allowed.
 */
import { randomBytes } from 'node:crypto';
import { CofferError } from '../common/errors';
import type { BucketRecord, MetadataTx, ObjectRecord, WormConfiguration } from '../store/types';
import { bucketPosture } from './bucket-stats';
import { updateBucket } from './buckets';
import type { Coffer } from './coffer';
import { parsePostureClass } from './posture-class';

export const MIN_RETENTION_DAYS = 1;
export const MAX_RETENTION_DAYS = 25_550;

/** The bucket's configuration if it is in force now: Locked, or InProgress within its first day. */
export function wormInForce(c: Pick<Coffer, 'now' | 'dayMs'>, bucket: BucketRecord): WormConfiguration | null {
  const w = bucket.worm;
  if (!w) return null;
  if (w.state === 'InProgress' && c.now() >= w.createdAt + c.dayMs) return null;
  return w;
}

/** Until when (Unix ms) `obj` is retained, or null if it is not. */
export function retainedUntil(c: Pick<Coffer, 'now' | 'dayMs'>, bucket: BucketRecord, obj: ObjectRecord): number | null {
  const w = wormInForce(c, bucket);
  if (!w) return null;
  const until = obj.lastModified + w.retentionDays * c.dayMs;
  return until > c.now() ? until : null;
}

/** The refusal of a change to a retained object. */
export function retainedError(key: string, until: number): CofferError {
  return new CofferError('AccessDenied', `The object is protected by the bucket's retention policy (WORM) until ${new Date(until).toISOString()}: it cannot be deleted or overwritten.`, { Key: key });
}

/**
 * Throws unless the object stored under `key` (if any) may be deleted or replaced now. Called
 * inside the transaction making the change; `current` is the object as that transaction reads it.
 */
export async function refuseIfRetained(c: Pick<Coffer, 'now' | 'dayMs'>, tx: Pick<MetadataTx, 'getBucket'>, current: ObjectRecord | null): Promise<void> {
  if (!current) return;
  const bucket = await tx.getBucket(current.bucket);
  const until = bucket && retainedUntil(c, bucket, current);
  if (until) throw retainedError(current.key, until);
}

function checkDays(days: number): void {
  if (!Number.isInteger(days) || days < MIN_RETENTION_DAYS || days > MAX_RETENTION_DAYS) {
    throw new CofferError('InvalidArgument', `RetentionPeriodInDays must be an integer from ${MIN_RETENTION_DAYS} to ${MAX_RETENTION_DAYS}.`, {
      ArgumentName: 'RetentionPeriodInDays', ArgumentValue: String(days),
    });
  }
}

const noWorm = (bucket: string): CofferError => new CofferError('NoSuchWORMConfiguration', 'The WORM Configuration does not exist.', { BucketName: bucket });

/** The configuration a request names by id: it must be the bucket's, and in force. */
function named(c: Coffer, b: BucketRecord, wormId: string): WormConfiguration {
  const w = wormInForce(c, b);
  if (!w || w.wormId !== wormId) throw noWorm(b.name);
  return w;
}

/** InitiateBucketWorm: a new InProgress configuration; refused while one is in force. */
export async function initiateWorm(c: Coffer, bucket: string, days: number): Promise<WormConfiguration> {
  checkDays(days);
  const b = await updateBucket(c, bucket, (b) => {
    const w = wormInForce(c, b);
    if (w?.state === 'Locked') throw new CofferError('WORMConfigurationLocked', 'The WORM Configuration is locked.', { BucketName: bucket });
    if (w) throw new CofferError('InvalidWORMConfiguration', 'The bucket already has a WORM configuration in progress; complete or abort it first.', { BucketName: bucket });
    return { ...b, worm: { wormId: randomBytes(16).toString('hex').toUpperCase(), state: 'InProgress', retentionDays: days, createdAt: c.now() } };
  });
  return b.worm!;
}

/** AbortBucketWorm: only an InProgress configuration may be removed. */
export async function abortWorm(c: Coffer, bucket: string): Promise<void> {
  await updateBucket(c, bucket, (b) => {
    const w = wormInForce(c, b);
    if (!w) throw noWorm(bucket);
    if (w.state === 'Locked') throw new CofferError('WORMConfigurationLocked', 'The WORM Configuration is locked.', { BucketName: bucket });
    return { ...b, worm: null };
  });
}

/** CompleteBucketWorm: locks the InProgress configuration `wormId`. */
export async function completeWorm(c: Coffer, bucket: string, wormId: string): Promise<void> {
  await updateBucket(c, bucket, (b) => {
    const w = named(c, b, wormId);
    if (w.state === 'Locked') throw new CofferError('WORMConfigurationLocked', 'The WORM Configuration is locked.', { BucketName: bucket });
    return { ...b, worm: { ...w, state: 'Locked' } };
  });
}

/** ExtendBucketWorm: a Locked configuration's period may only grow. */
export async function extendWorm(c: Coffer, bucket: string, wormId: string, days: number): Promise<void> {
  checkDays(days);
  await updateBucket(c, bucket, (b) => {
    const w = named(c, b, wormId);
    if (w.state !== 'Locked') throw new CofferError('InvalidWORMConfiguration', 'Only a locked WORM configuration can be extended.', { BucketName: bucket });
    if (days <= w.retentionDays) {
      throw new CofferError('InvalidWORMConfiguration', `The retention period can only be extended: it is ${w.retentionDays} days.`, { BucketName: bucket });
    }
    return { ...b, worm: { ...w, retentionDays: days } };
  });
}

/** GetBucketWorm: the configuration in force. */
export function getWorm(c: Coffer, b: BucketRecord): WormConfiguration {
  const w = wormInForce(c, b);
  if (!w) throw noWorm(b.name);
  return w;
}

const PAGE = 1000;

/**
 * Why the KMS key `keyId` must not be destroyed (crypto-shredding would delete retained objects
 * in effect), or null. Answered from the encryption posture counters (bucket-stats.ts), which
 * count objects by the key protecting them: a bucket with a retention policy in force that holds
 * objects under the key blocks it. Counters do not know objects' ages, so an object already past
 * its period still counts until it is deleted or re-encrypted; a bucket whose counters are still
 * being backfilled blocks too. Both err on the side of keeping data.
 */
export async function retentionKeyBlocker(c: Pick<Coffer, 'meta' | 'now' | 'dayMs'>, keyId: string): Promise<string | null> {
  for (let after: string | undefined; ;) {
    const page = await c.meta.listBuckets({ after, limit: PAGE });
    for (const b of page) {
      if (!wormInForce(c, b)) continue;
      const counts = await bucketPosture(c.meta, b.name);
      if (!counts.complete) return `bucket ${b.name} has a retention policy (WORM) and its objects are still being counted`;
      const held = Object.entries(counts.classes).some(([cls, n]) => n.objects > 0 && parsePostureClass(cls).kmsKeyId === keyId);
      if (held) return `it protects objects in bucket ${b.name}, which has a retention policy (WORM) in force`;
    }
    if (page.length < PAGE) return null;
    after = page.at(-1)!.name;
  }
}
