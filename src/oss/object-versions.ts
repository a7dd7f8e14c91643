/**
 * What versioning adds to object operations: the versionId a request names, the RAM action of an
 * operation on one version (OSS names them oss:GetObjectVersion, oss:PutObjectVersionAcl, …),
 * and the x-oss-version-id answer.
 */
import { checkVersionId } from '../core/versions';
import { NULL_VERSION, type BucketRecord, type VersionRecord } from '../store/types';
import { param, type OssRequest } from './request';

/** The versionId query parameter, validated; undefined when absent. */
export function requestedVersionId(req: OssRequest): string | undefined {
  const v = param(req, 'versionId');
  return v === undefined ? undefined : checkVersionId(v);
}

/** oss:GetObject → oss:GetObjectVersion (and likewise Put/Delete, Acl, Tagging) when a version is named. */
export function versionAction(action: string, versionId: string | undefined): string {
  return versionId === undefined ? action : action.replace(/^oss:(Get|Put|Delete)Object/, 'oss:$1ObjectVersion');
}

/**
 * x-oss-version-id of a version written or read: its id; for a null version, "null" once the
 * bucket is versioned, and no header at all in a bucket that never was.
 */
export function versionIdHeader(v: VersionRecord, bucket: BucketRecord): Record<string, string> {
  if (v.versionId !== undefined) return { 'x-oss-version-id': v.versionId };
  return bucket.versioning ? { 'x-oss-version-id': NULL_VERSION } : {};
}
