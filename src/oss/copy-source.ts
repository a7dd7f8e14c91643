/** The x-oss-copy-source header (CopyObject, UploadPartCopy) and its read authorization. */
import { requireBucket } from '../core/buckets';
import type { Coffer } from '../core/coffer';
import type { Conditions } from '../core/conditions';
import { CofferError } from '../common/errors';
import type { ObjectRecord } from '../store/types';
import { authorizeStoredObject } from './access';
import { readThroughLink } from './symlink';
import { header, type OssRequest } from './request';

export interface CopySource { bucket: string; key: string }

export function copySourceOf(req: OssRequest): CopySource {
  const raw = header(req, 'x-oss-copy-source') ?? '';
  const path = raw.split('?')[0].replace(/^\//, '');
  const slash = path.indexOf('/');
  const bad = (): CofferError => new CofferError('InvalidArgument', 'x-oss-copy-source must be /<bucket>/<key>.', { ArgumentName: 'x-oss-copy-source', ArgumentValue: raw });
  if (slash <= 0 || slash === path.length - 1) throw bad();
  try {
    return { bucket: decodeURIComponent(path.slice(0, slash)), key: decodeURIComponent(path.slice(slash + 1)) };
  } catch {
    throw bad();
  }
}

/**
 * The source must be readable by the caller (missing objects it may not read are not revealed),
 * decided as GetObject decides it, its tags included. Answers the source as it is now.
 */
export async function authorizeCopySource(c: Coffer, req: OssRequest, src: CopySource): Promise<ObjectRecord | null> {
  const bucket = await requireBucket(c, src.bucket);
  const obj = await authorizeStoredObject(c, req, 'oss:GetObject', bucket, src.key);
  // A link as the source: the copy reads its target, which the caller must be allowed to read too.
  if (obj?.type === 'Symlink') await readThroughLink(c, req, bucket, obj);
  return obj;
}

export function copySourceConditions(req: OssRequest): Conditions {
  return {
    ifMatch: header(req, 'x-oss-copy-source-if-match'),
    ifNoneMatch: header(req, 'x-oss-copy-source-if-none-match'),
    ifModifiedSince: header(req, 'x-oss-copy-source-if-modified-since'),
    ifUnmodifiedSince: header(req, 'x-oss-copy-source-if-unmodified-since'),
  };
}
