/**
 * Symlinks: an object of type Symlink that names another key of its bucket and holds no data.
 * Reads through a link serve the target; links are not followed recursively (a link to a link is
 * InvalidTargetType), and a link whose target is missing is SymlinkTargetNotExist, as in OSS.
 * Whether the caller may read the target is decided at the edge, where permissions are.
 */
import { createHash } from 'node:crypto';
import { CofferError } from '../common/errors';
import type { ObjectRecord } from '../store/types';
import { requireBucket } from './buckets';
import type { Coffer } from './coffer';
import { checkObjectKey } from './names';
import { commitObject, forbidOverwrite, type ObjectAttributes } from './objects';

export interface PutSymlinkRequest extends ObjectAttributes {
  bucket: string;
  key: string;
  target: string;
  forbidOverwrite: boolean;
}

/** The target key of a link as the client sent it, checked like any object key. */
export function checkSymlinkTarget(target: string): void {
  try {
    checkObjectKey(target);
  } catch {
    throw new CofferError('InvalidArgument', 'x-oss-symlink-target must name a valid object key.', { ArgumentName: 'x-oss-symlink-target', ArgumentValue: target });
  }
}

/** PutSymlink. OSS checks neither that the target exists nor who may read it until the link is used. */
export async function putSymlink(c: Coffer, req: PutSymlinkRequest): Promise<ObjectRecord> {
  const bucket = await requireBucket(c, req.bucket);
  checkObjectKey(req.key);
  checkSymlinkTarget(req.target);
  const record: ObjectRecord = {
    bucket: req.bucket,
    key: req.key,
    size: 0,
    // The link's own ETag (GetSymlink): it changes with the target it names, not with the target's data.
    etag: createHash('md5').update(req.target).digest('hex').toUpperCase(),
    crc64: '0',
    type: 'Symlink',
    storageClass: req.storageClass ?? bucket.storageClass,
    acl: req.acl,
    lastModified: Date.now(),
    headers: req.headers,
    userMeta: req.userMeta,
    encryption: null,
    segments: [],
    symlinkTarget: req.target,
  };
  return commitObject(c, record, [], req.forbidOverwrite ? forbidOverwrite(req.key) : undefined);
}

/** The object a link names; throws SymlinkTargetNotExist or InvalidTargetType. */
export function linkTarget(link: ObjectRecord, target: ObjectRecord | null): ObjectRecord {
  if (!target) {
    throw new CofferError('SymlinkTargetNotExist', 'The symlink target object does not exist.', { Key: link.key, SymlinkTarget: link.symlinkTarget! });
  }
  if (target.type === 'Symlink') {
    throw new CofferError('InvalidTargetType', 'The symlink target object is itself a symlink.', { Key: link.key, SymlinkTarget: link.symlinkTarget! });
  }
  return target;
}

/**
 * What a read through a link serves (HeadObject page): the target's data, and with it its size,
 * ETag, Content-MD5, CRC, encryption, storage class and restore state; the later Last-Modified of
 * the two; the link's own type, standard headers and user metadata.
 */
export function throughLink(link: ObjectRecord, target: ObjectRecord): ObjectRecord {
  return {
    ...target,
    type: 'Symlink',
    headers: link.headers,
    userMeta: link.userMeta,
    lastModified: Math.max(link.lastModified, target.lastModified),
  };
}

/** The object holding the bytes of `obj`: itself, or the target it links to (copies read from it). */
export async function followLink(c: Coffer, obj: ObjectRecord): Promise<ObjectRecord> {
  if (obj.type !== 'Symlink') return obj;
  return linkTarget(obj, await c.meta.getObject(obj.bucket, obj.symlinkTarget!));
}
