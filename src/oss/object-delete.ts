/** DeleteObject, DeleteMultipleObjects. */
import { requireBucket } from '../core/buckets';
import { LIMITS, type Coffer } from '../core/coffer';
import { CofferError } from '../common/errors';
import { deleteObject, deleteObjects, type DeleteOutcome, type DeleteTarget } from '../core/objects';
import { checkVersionId } from '../core/versions';
import { isDeleteMarker, type BucketRecord } from '../store/types';
import { authorizeObject, authorizeStoredObject } from './access';
import { existingTagValues } from './object-tagging';
import { requestedVersionId } from './object-versions';
import { readSmallBody } from './body';
import { keyEncoding } from './format';
import { param, type OssRequest, type OssResponse } from './request';
import { parseXml, textOf, xmlDoc, tokenOf } from './xml';

/**
 * The access decision for deleting `target`: oss:DeleteObject by the current object's ACL and tags,
 * or with a version id oss:DeleteObjectVersion by that version's (a delete marker has none).
 */
async function authorizeDelete(c: Coffer, req: OssRequest, bucket: BucketRecord, target: DeleteTarget): Promise<void> {
  if (target.versionId === undefined) {
    await authorizeStoredObject(c, req, 'oss:DeleteObject', bucket, target.key);
    return;
  }
  const found = await c.meta.getVersion(bucket.name, target.key, checkVersionId(target.versionId));
  const obj = found && !isDeleteMarker(found.record) ? found.record : null;
  authorizeObject(c, req, 'oss:DeleteObjectVersion', bucket, target.key, obj?.acl, existingTagValues(obj));
}

/** x-oss-delete-marker and x-oss-version-id of a delete: the marker it made, or the version it removed. */
function deleteHeaders(d: DeleteOutcome): Record<string, string> {
  const versionId = d.versionId ?? d.markerVersionId;
  return { ...(d.deleteMarker && { 'x-oss-delete-marker': 'true' }), ...(versionId !== undefined && { 'x-oss-version-id': versionId }) };
}

export async function DeleteObject(c: Coffer, req: OssRequest): Promise<OssResponse> {
  const target = { key: req.key!, versionId: requestedVersionId(req) };
  await authorizeDelete(c, req, await requireBucket(c, req.bucket!), target);
  return { status: 204, headers: deleteHeaders(await deleteObject(c, req.bucket!, target)) };
}

export async function DeleteMultipleObjects(c: Coffer, req: OssRequest): Promise<OssResponse> {
  const bucket = await requireBucket(c, req.bucket!);
  const doc = parseXml(await readSmallBody(req, { requireMd5: true }), 'Delete', ['Object']);
  const quiet = (tokenOf(doc, 'Quiet') ?? 'false').toLowerCase() === 'true';
  const targets: DeleteTarget[] = ((doc.Object ?? []) as unknown[]).map((o) => {
    const fields = typeof o === 'object' && o !== null ? o as Record<string, unknown> : {};
    const key = textOf(fields, 'Key');
    if (!key) throw new CofferError('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema: every <Object> needs a <Key>.');
    const versionId = tokenOf(fields, 'VersionId');
    return versionId ? { key, versionId: checkVersionId(versionId) } : { key };
  });
  if (targets.length === 0) throw new CofferError('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema: no <Object> to delete.');
  // Before the per-key lookups below, so an oversized body costs nothing.
  if (targets.length > LIMITS.maxDeleteKeys) throw new CofferError('MalformedXML', `The number of keys in a delete request must not exceed ${LIMITS.maxDeleteKeys}.`);
  // Every key is a resource of its own, decided exactly as DeleteObject decides it (its own ACL
  // included); one refused key refuses the whole request, before anything is deleted.
  for (const target of targets) await authorizeDelete(c, req, bucket, target);
  const outcomes = await deleteObjects(c, req.bucket!, targets);
  const deleted = outcomes.filter((d) => !d.refused);
  const refused = outcomes.filter((d) => d.refused);
  const { encodingType, encode } = keyEncoding(param(req, 'encoding-type'), outcomes.map((d) => d.key));
  return {
    status: 200,
    body: xmlDoc('DeleteResult', {
      EncodingType: encodingType,
      Deleted: quiet ? undefined : deleted.map((d) => ({
        Key: encode(d.key),
        VersionId: d.versionId,
        DeleteMarker: d.deleteMarker || undefined,
        DeleteMarkerVersionId: d.markerVersionId ?? (d.deleteMarker ? d.versionId : undefined),
      })),
      // Keys a retention policy keeps, reported in quiet mode too (S3's form: S3 clients read it).
      Error: refused.length ? refused.map((r) => ({ Key: encode(r.key), VersionId: r.versionId, Code: r.refused!.code, Message: r.refused!.message })) : undefined,
    }),
  };
}
