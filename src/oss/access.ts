/**
 * The RAM side of OSS requests: the resource an operation acts on, `acs:oss:*:<account>:<bucket>`
 * or `…:<bucket>/<key>` (`…:*` for ListBuckets), and authorize() with the request's caller.
 */
import type { Coffer } from '../core/coffer';
import { authorize } from '../iam/authorize';
import type { BucketRecord, ObjectAcl, ObjectRecord } from '../store/types';
import { existingTagValues } from './object-tagging';
import type { OssRequest } from './request';

/** Every RAM action OSS operations are checked against: what a bucket policy's Action may name. */
export const OSS_ACTIONS: ReadonlySet<string> = new Set([
  'oss:ListBuckets', 'oss:PutBucket', 'oss:DeleteBucket', 'oss:GetBucketInfo', 'oss:GetBucketLocation', 'oss:GetBucketStat',
  'oss:PutBucketAcl', 'oss:GetBucketAcl', 'oss:PutBucketEncryption', 'oss:GetBucketEncryption', 'oss:DeleteBucketEncryption',
  'oss:PutBucketCors', 'oss:GetBucketCors', 'oss:DeleteBucketCors',
  'oss:PutBucketPolicy', 'oss:GetBucketPolicy', 'oss:DeleteBucketPolicy',
  'oss:InitiateBucketWorm', 'oss:AbortBucketWorm', 'oss:CompleteBucketWorm', 'oss:ExtendBucketWorm', 'oss:GetBucketWorm',
  'oss:ListObjects', 'oss:ListMultipartUploads', 'oss:ListParts', 'oss:AbortMultipartUpload',
  'oss:PutObject', 'oss:GetObject', 'oss:DeleteObject', 'oss:RestoreObject',
  'oss:PutObjectAcl', 'oss:GetObjectAcl', 'oss:PutObjectTagging', 'oss:GetObjectTagging', 'oss:DeleteObjectTagging',
  'oss:PutBucketVersioning', 'oss:GetBucketVersioning', 'oss:ListObjectVersions',
  // An operation on one version (object-versions.ts versionAction).
  'oss:GetObjectVersion', 'oss:DeleteObjectVersion', 'oss:PutObjectVersionAcl', 'oss:GetObjectVersionAcl',
  'oss:PutObjectVersionTagging', 'oss:GetObjectVersionTagging', 'oss:DeleteObjectVersionTagging',
  'oss:PutBucketLifecycle', 'oss:GetBucketLifecycle', 'oss:DeleteBucketLifecycle',
]);

export function ossResource(c: Coffer, bucket?: string, key?: string): string {
  const relative = bucket === undefined ? '*' : key === undefined ? bucket : `${bucket}/${key}`;
  return `acs:oss:*:${c.accountId}:${relative}`;
}

/** Throws AccessDenied unless the caller may perform `action` on the bucket. */
export function authorizeBucket(c: Coffer, req: OssRequest, action: string, bucket: BucketRecord, values?: Readonly<Record<string, string>>): void {
  authorize(req.caller, action, ossResource(c, bucket.name), { bucket, values });
}

/**
 * Throws AccessDenied unless the caller may perform `action` on the object; its own ACL, if any,
 * overrides the bucket's. `values` are the operation's condition values (e.g. its tags).
 */
export function authorizeObject(
  c: Coffer, req: OssRequest, action: string, bucket: BucketRecord, key: string, objectAcl?: ObjectAcl, values?: Readonly<Record<string, string>>,
): void {
  authorize(req.caller, action, ossResource(c, bucket.name, key), { bucket, objectAcl, values });
}

/**
 * The access decision for `action` on whatever object is stored under `key` now, by its ACL and
 * its tags (oss:ExistingObjectTag/…); answers that object. Single-object and multi-object
 * operations, and copy sources, all call this, so a batch can never decide differently from the
 * operation it repeats.
 */
export async function authorizeStoredObject(
  c: Coffer, req: OssRequest, action: string, bucket: BucketRecord, key: string, values?: Readonly<Record<string, string>>,
): Promise<ObjectRecord | null> {
  const current = await c.meta.getObject(bucket.name, key);
  authorizeObject(c, req, action, bucket, key, current?.acl, { ...existingTagValues(current), ...values });
  return current;
}
