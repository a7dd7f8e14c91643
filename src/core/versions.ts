/**
 * Object versioning (PutBucketVersioning and what it changes about writes and deletes), over the
 * store's versions: a key's current object stays where unversioned objects live, its older
 * versions and delete markers beside it. Every function taking a MetadataTx reads the bucket's
 * status inside that transaction, so a write racing a PutBucketVersioning is decided by the state
 * it commits against.
 *
 * Invariant kept here (the store does not check it): when a key has no current object, its newest
 * version, if any, is a delete marker. Removing a current object or a newer delete marker by
 * version id therefore makes the newest remaining object version current again.
 */
import { randomBytes } from 'node:crypto';
import { CofferError } from '../common/errors';
import {
  CURRENT_SEQ, isDeleteMarker, NULL_VERSION, versionIdOf,
  type DeleteMarkerRecord, type MetadataTx, type ObjectRecord, type VersionEntry, type VersionRecord, type VersioningStatus,
} from '../store/types';
import { requireBucket, updateBucket } from './buckets';
import type { Coffer } from './coffer';
import { listPage, type Page } from './listing';

/** 24 random bytes as 32 base64url characters: unguessable, and one shape to validate. */
const newVersionId = (): string => randomBytes(24).toString('base64url');

const VERSION_ID = /^[A-Za-z0-9_-]{32}$/;

/** A versionId a request names: 'null' or one of ours; anything else is InvalidArgument. */
export function checkVersionId(versionId: string): string {
  if (versionId === NULL_VERSION || VERSION_ID.test(versionId)) return versionId;
  throw new CofferError('InvalidArgument', 'Invalid version id specified', { ArgumentName: 'versionId', ArgumentValue: versionId });
}

/** PutBucketVersioning. A bucket once versioned can be suspended, never made unversioned again. */
export async function setBucketVersioning(c: Coffer, bucket: string, status: VersioningStatus): Promise<void> {
  await updateBucket(c, bucket, (b) => ({ ...b, versioning: status }));
}

const noSuchVersion = (key: string, versionId: string): CofferError =>
  new CofferError('NoSuchVersion', 'The specified version does not exist.', { Key: key, VersionId: versionId });

/** A version by id: NoSuchVersion when there is none. */
async function requireVersion(c: Coffer, bucket: string, key: string, versionId: string): Promise<VersionEntry> {
  const v = await c.meta.getVersion(bucket, key, checkVersionId(versionId));
  if (!v) throw noSuchVersion(key, versionId);
  return v;
}

/**
 * A version by id that must be an object: a delete marker is 405 MethodNotAllowed (OSS: "not
 * supported for a delete marker"), with x-oss-delete-marker and its Last-Modified.
 */
export async function requireObjectVersion(c: Coffer, bucket: string, key: string, versionId: string): Promise<ObjectRecord> {
  const { record } = await requireVersion(c, bucket, key, versionId);
  if (isDeleteMarker(record)) {
    throw new CofferError('MethodNotAllowed', 'The specified method is not allowed against this resource.', {
      DeleteMarker: 'true', VersionId: versionIdOf(record), LastModified: new Date(record.lastModified).toUTCString(),
    });
  }
  return record;
}

/** A key without a current object: whether its newest version is a delete marker (its NoSuchKey says so). */
export async function currentDeleteMarker(c: Coffer, bucket: string, key: string): Promise<DeleteMarkerRecord | null> {
  const newest = await c.meta.newestNoncurrent(bucket, key);
  return newest && isDeleteMarker(newest.record) ? newest.record : null;
}

/**
 * Makes `record` the current version of its key. Unversioned bucket: it replaces the current
 * object (whose blobs are retired), as always. Enabled: it gets a new version id and the current
 * object becomes noncurrent. Suspended: it is the null version, replacing the previous null
 * version wherever that is. Answers the record as stored and what it replaced (retired), if anything.
 */
export async function putCurrent(tx: MetadataTx, record: ObjectRecord): Promise<{ stored: ObjectRecord; replaced: ObjectRecord | null }> {
  const status = await versioningIn(tx, record.bucket);
  if (!status) return { stored: record, replaced: await tx.putObject(record) };
  const { versionId: _previous, ...rest } = record;
  const stored: ObjectRecord = status === 'Enabled' ? { ...rest, versionId: newVersionId() } : rest;
  const replaced = await retireNullVersion(tx, record.bucket, record.key, status);
  await archiveCurrent(tx, record.bucket, record.key);
  await tx.putObject(stored);
  return { stored, replaced };
}

/** The bucket's versioning as this transaction sees it (a delete of many keys reads it once). */
export async function versioningIn(tx: MetadataTx, bucket: string): Promise<VersioningStatus | undefined> {
  return (await tx.getBucket(bucket))?.versioning;
}

/**
 * DeleteObject without a version id, under the bucket's `status` read in the same transaction.
 * Unversioned: removes the object. Versioned: a new delete marker becomes the newest version (the
 * null one when suspended, replacing the null version).
 */
export async function deleteCurrent(
  tx: MetadataTx, bucket: string, key: string, status: VersioningStatus | undefined,
): Promise<{ marker: DeleteMarkerRecord | null; removed: boolean }> {
  if (!status) return { marker: null, removed: !!(await tx.deleteObject(bucket, key)) };
  const removed = !!(await retireNullVersion(tx, bucket, key, status));
  await archiveCurrent(tx, bucket, key);
  const marker: DeleteMarkerRecord = {
    bucket, key, deleteMarker: true, lastModified: Date.now(), ...(status === 'Enabled' && { versionId: newVersionId() }),
  };
  await tx.putVersion(marker);
  return { marker, removed };
}

/**
 * Permanently removes one version (object or delete marker), retiring its blobs; the newest
 * remaining object version becomes current if nothing newer is left. Null when there was none.
 */
export async function deleteVersionById(tx: MetadataTx, bucket: string, key: string, versionId: string): Promise<VersionRecord | null> {
  const current = await tx.getObject(bucket, key);
  let removed: VersionRecord | null;
  if (current && versionIdOf(current) === versionId) removed = await tx.deleteObject(bucket, key);
  else removed = await tx.deleteVersion(bucket, key, versionId);
  if (removed && !(await tx.getObject(bucket, key))) await promoteNewest(tx, bucket, key);
  return removed;
}

/** Under Suspended, a new null version replaces the old one: gone, its blobs retired. */
async function retireNullVersion(tx: MetadataTx, bucket: string, key: string, status: VersioningStatus): Promise<ObjectRecord | null> {
  if (status !== 'Suspended') return null;
  const current = await tx.getObject(bucket, key);
  if (current && current.versionId === undefined) return tx.deleteObject(bucket, key);
  const old = await tx.deleteVersion(bucket, key, NULL_VERSION);
  return old && !isDeleteMarker(old) ? old : null;
}

/** The current object becomes the newest noncurrent version; its blobs stay live (same transaction). */
async function archiveCurrent(tx: MetadataTx, bucket: string, key: string): Promise<void> {
  const current = await tx.deleteObject(bucket, key);
  if (current) await tx.putVersion(current);
}

async function promoteNewest(tx: MetadataTx, bucket: string, key: string): Promise<void> {
  const newest = await tx.newestNoncurrent(bucket, key);
  if (!newest || isDeleteMarker(newest.record)) return;
  await tx.deleteVersion(bucket, key, versionIdOf(newest.record));
  await tx.putObject(newest.record);
}

/**
 * Changes one object version's metadata in place (ACL, tags, a re-sealed key): the current object
 * when `versionId` is absent, else that version wherever it is. Missing: NoSuchKey/NoSuchVersion;
 * a delete marker: MethodNotAllowed. Answers the changed record.
 */
export async function updateVersion(
  tx: MetadataTx, bucket: string, key: string, versionId: string | undefined, change: (o: ObjectRecord) => ObjectRecord,
): Promise<ObjectRecord> {
  if (versionId === undefined) {
    const current = await tx.getObject(bucket, key);
    if (!current) throw new CofferError('NoSuchKey', 'The specified key does not exist.', { Key: key });
    const next = change(current);
    await tx.putObject(next);
    return next;
  }
  const found = await tx.getVersion(bucket, key, checkVersionId(versionId));
  if (!found) throw noSuchVersion(key, versionId);
  if (isDeleteMarker(found.record)) {
    throw new CofferError('MethodNotAllowed', 'The operation is not supported for a delete marker.', { DeleteMarker: 'true', VersionId: versionId });
  }
  const next = change(found.record);
  await rewriteVersion(tx, found.seq, next);
  return next;
}

/** Stores a changed record of a version where it is: the current object (CURRENT_SEQ) or a noncurrent version. */
export async function rewriteVersion(tx: MetadataTx, seq: number, next: ObjectRecord): Promise<void> {
  if (seq === CURRENT_SEQ) await tx.putObject(next);
  else await tx.putVersion(next);
}

/** One entry of ListObjectVersions. */
export interface ListedVersion { record: VersionRecord; isLatest: boolean }

export interface VersionPage extends Omit<Page<ListedVersion>, 'next'> {
  /** When truncated: where the next page starts (the version id only when the page ended inside a key). */
  nextKeyMarker?: string;
  nextVersionIdMarker?: string;
}

/**
 * ListObjectVersions: every version (objects and delete markers) by key, newest first within a key,
 * with delimiter roll-up; key-marker alone resumes after that key, with version-id-marker after
 * that version of it.
 */
export async function listObjectVersions(
  c: Coffer,
  bucket: string,
  q: { prefix: string; delimiter: string; keyMarker?: string; versionIdMarker?: string; maxKeys: number },
): Promise<VersionPage> {
  await requireBucket(c, bucket);
  let start: { key: string; seq?: number } | undefined;
  if (q.versionIdMarker !== undefined) {
    if (q.keyMarker === undefined) {
      throw new CofferError('InvalidArgument', 'A version-id-marker cannot be given without a key-marker.', { ArgumentName: 'version-id-marker', ArgumentValue: q.versionIdMarker });
    }
    const at = await c.meta.getVersion(bucket, q.keyMarker, checkVersionId(q.versionIdMarker));
    if (!at) throw new CofferError('InvalidArgument', 'The version-id-marker names no version of the key-marker.', { ArgumentName: 'version-id-marker', ArgumentValue: q.versionIdMarker });
    start = { key: q.keyMarker, seq: at.seq };
  } else if (q.keyMarker !== undefined) {
    start = { key: q.keyMarker };
  }
  const page = await listPage<VersionEntry>(
    (last, skipPrefix, limit) => c.meta.listVersions(bucket, {
      prefix: q.prefix, after: last ? { key: last.record.key, seq: last.seq } : start, skipPrefix, limit,
    }),
    (e) => e.record.key,
    { prefix: q.prefix, delimiter: q.delimiter, marker: q.keyMarker, maxKeys: q.maxKeys },
  );
  // A key's first entry in the whole listing is its newest version: the current object, or else
  // the newest delete marker (see the module comment). A page that resumes inside a key does not
  // start with that key's newest.
  let previous = start?.seq !== undefined ? start.key : undefined;
  const items = page.items.map((e) => {
    const isLatest = e.seq === CURRENT_SEQ || e.record.key !== previous;
    previous = e.record.key;
    return { record: e.record, isLatest };
  });
  const last = page.items.at(-1);
  const endedOnItem = page.truncated && last !== undefined && last.record.key === page.next;
  return {
    items,
    commonPrefixes: page.commonPrefixes,
    truncated: page.truncated,
    ...(page.truncated && { nextKeyMarker: page.next }),
    ...(endedOnItem && { nextVersionIdMarker: versionIdOf(last.record) }),
  };
}
