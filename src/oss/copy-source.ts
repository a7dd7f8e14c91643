/** The x-oss-copy-source header (CopyObject, UploadPartCopy) and its read authorization. */
import { requireBucket } from '../core/buckets';
import type { Coffer } from '../core/coffer';
import type { Conditions } from '../core/conditions';
import { CofferError } from '../common/errors';
import { checkVersionId } from '../core/versions';
import { isDeleteMarker, type ObjectRecord } from '../store/types';
import { authorizeObject, authorizeStoredObject } from './access';
import { existingTagValues } from './object-tagging';
import { readThroughLink } from './symlink';
import { header, type OssRequest } from './request';

/** `versionId`: the source is that version of the key (…?versionId=<id> after the path). */
export interface CopySource { bucket: string; key: string; versionId?: string }

export function copySourceOf(req: OssRequest): CopySource {
  const raw = header(req, 'x-oss-copy-source') ?? '';
  const q = raw.indexOf('?');
  const path = (q < 0 ? raw : raw.slice(0, q)).replace(/^\//, '');
  const slash = path.indexOf('/');
  const bad = (): CofferError => new CofferError('InvalidArgument', 'x-oss-copy-source must be /<bucket>/<key>[?versionId=<id>].', { ArgumentName: 'x-oss-copy-source', ArgumentValue: raw });
  if (slash <= 0 || slash === path.length - 1) throw bad();
  let versionId: string | undefined;
  if (q >= 0) {
    const m = /^versionId=([^&]+)$/.exec(raw.slice(q + 1));
    if (!m) throw bad();
    versionId = checkVersionId(m[1]);
  }
  try {
    return { bucket: decodeURIComponent(path.slice(0, slash)), key: decodeURIComponent(path.slice(slash + 1)), ...(versionId && { versionId }) };
  } catch {
    throw bad();
  }
}

/**
 * The source must be readable by the caller (missing objects it may not read are not revealed),
 * decided as GetObject decides it (oss:GetObjectVersion for a version), its tags included.
 * Answers the source as it is now.
 */
export async function authorizeCopySource(c: Coffer, req: OssRequest, src: CopySource): Promise<ObjectRecord | null> {
  const bucket = await requireBucket(c, src.bucket);
  let obj: ObjectRecord | null;
  if (src.versionId === undefined) {
    obj = await authorizeStoredObject(c, req, 'oss:GetObject', bucket, src.key);
  } else {
    const found = await c.meta.getVersion(bucket.name, src.key, src.versionId);
    obj = found && !isDeleteMarker(found.record) ? found.record : null;
    authorizeObject(c, req, 'oss:GetObjectVersion', bucket, src.key, obj?.acl, existingTagValues(obj));
  }
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
