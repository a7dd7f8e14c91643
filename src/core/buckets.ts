/** Bucket lifecycle and configuration. */
import type { Principal } from '../common/principal';
import type { BucketAcl, BucketRecord, EncryptionRule, MetadataTx } from '../store/types';
import { FREES_SPACE, LIMITS, type Coffer } from './coffer';
import { CofferError } from '../common/errors';
import { checkBucketName } from './names';
import { dropBucketStats, startBucketStats } from './bucket-stats';

export async function requireBucket(c: Coffer, name: string): Promise<BucketRecord> {
  const bucket = await c.meta.getBucket(name);
  if (!bucket) throw new CofferError('NoSuchBucket', 'The specified bucket does not exist.', { BucketName: name });
  return bucket;
}

export interface CreateBucket {
  name: string;
  acl: BucketAcl;
  /** Standard when absent; for an existing bucket, absent means "whatever it has". */
  storageClass?: string;
  dataRedundancyType: string;
  encryption: EncryptionRule | null;
  principal: Principal;
}

/** A bucket made by PutBucket, or by PutBucketAcl on a name that does not exist yet (as OSS does). */
async function insertBucket(c: Coffer, tx: MetadataTx, req: Omit<CreateBucket, 'principal'>): Promise<BucketRecord> {
  if ((await tx.countBuckets()) >= LIMITS.maxBuckets) throw new CofferError('TooManyBuckets', '');
  const bucket: BucketRecord = {
    name: req.name,
    owner: c.accountId,
    region: c.region,
    acl: req.acl,
    storageClass: req.storageClass ?? 'Standard',
    dataRedundancyType: req.dataRedundancyType,
    createdAt: Date.now(),
    encryption: req.encryption,
  };
  await tx.putBucket(bucket);
  await startBucketStats(tx, bucket.name);
  return bucket;
}

/** The existing bucket of that name if the principal owns it; BucketAlreadyExists otherwise. */
function ownBucket(existing: BucketRecord, principal: Principal): BucketRecord {
  if (principal.kind !== 'anonymous' && existing.owner === principal.accountId) return existing;
  throw new CofferError('BucketAlreadyExists', '', { BucketName: existing.name });
}

/** PutBucket. Re-creating one's own bucket succeeds and changes nothing (the docs disagree; this is the safe reading). */
export async function createBucket(c: Coffer, req: CreateBucket): Promise<BucketRecord> {
  checkBucketName(req.name);
  return c.meta.transaction(async (tx) => {
    const existing = await tx.getBucket(req.name);
    if (!existing) return insertBucket(c, tx, req);
    const own = ownBucket(existing, req.principal);
    // OSS: 409 BucketAlreadyExists (aliyun-oss-c-sdk test_create_bucket_with_storage_class; the Java SDK's MODIFY_STORAGE_TYPE_ERR).
    if (req.storageClass !== undefined && req.storageClass !== own.storageClass) {
      throw new CofferError('BucketAlreadyExists', "Cannot modify existing bucket's storage class.", { BucketName: req.name });
    }
    return own;
  });
}

/** PutBucketAcl: sets the ACL of a bucket, creating a Standard one with that ACL when the name is free. */
export async function setBucketAcl(c: Coffer, req: { name: string; acl: BucketAcl; principal: Principal }): Promise<BucketRecord> {
  checkBucketName(req.name);
  return c.meta.transaction(async (tx) => {
    const existing = await tx.getBucket(req.name);
    if (!existing) {
      return insertBucket(c, tx, { name: req.name, acl: req.acl, storageClass: 'Standard', dataRedundancyType: 'LRS', encryption: null });
    }
    const next = { ...ownBucket(existing, req.principal), acl: req.acl };
    await tx.putBucket(next);
    return next;
  });
}

export async function deleteBucket(c: Coffer, name: string): Promise<void> {
  await c.meta.transaction(async (tx) => {
    if (!(await tx.getBucket(name))) throw new CofferError('NoSuchBucket', '', { BucketName: name });
    if (!(await tx.bucketIsEmpty(name))) throw new CofferError('BucketNotEmpty', '', { BucketName: name });
    await tx.deleteBucket(name);
    await dropBucketStats(tx, name);
  }, FREES_SPACE);
}

/** Applies a change to one bucket's record in a single transaction. */
export async function updateBucket(c: Coffer, name: string, change: (b: BucketRecord) => BucketRecord): Promise<BucketRecord> {
  return c.meta.transaction(async (tx) => {
    const bucket = await tx.getBucket(name);
    if (!bucket) throw new CofferError('NoSuchBucket', '', { BucketName: name });
    const next = change(bucket);
    await tx.putBucket(next);
    return next;
  });
}

export async function listBuckets(
  c: Coffer,
  q: { prefix: string; marker: string; maxKeys: number },
): Promise<{ buckets: BucketRecord[]; truncated: boolean }> {
  const rows = await c.meta.listBuckets({ prefix: q.prefix, after: q.marker, limit: q.maxKeys + 1 });
  return { buckets: rows.slice(0, q.maxKeys), truncated: rows.length > q.maxKeys };
}
