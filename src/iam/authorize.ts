/**
 * Access decisions for OSS operations. The account root may do everything in its own buckets;
 * anonymous requests get what the bucket ACL (or an object's own ACL) grants.
 */
import { CofferError } from '../core/errors';
import type { BucketRecord, ObjectAcl } from '../store/types';
import type { Principal } from './principal';

/** RAM action names of OSS operations that only need read access under an ACL. */
const READ_ACTIONS = new Set(['oss:GetObject', 'oss:ListObjects']);
/** Actions a public-read-write ACL grants to anyone. */
const WRITE_ACTIONS = new Set([
  'oss:PutObject', 'oss:DeleteObject', 'oss:AbortMultipartUpload', 'oss:ListParts', 'oss:ListMultipartUploads',
]);

export function aclAllows(acl: ObjectAcl, action: string): boolean {
  if (READ_ACTIONS.has(action)) return acl === 'public-read' || acl === 'public-read-write';
  if (WRITE_ACTIONS.has(action)) return acl === 'public-read-write';
  return false;
}

/**
 * Throws AccessDenied unless `principal` may perform `action` on the bucket (and object, whose
 * ACL overrides the bucket's unless it is 'default').
 */
export function authorize(principal: Principal, action: string, bucket: BucketRecord | null, objectAcl?: ObjectAcl): void {
  if (principal.kind !== 'anonymous') {
    if (!bucket || bucket.owner === principal.accountId) return;
  } else if (bucket) {
    const acl = objectAcl && objectAcl !== 'default' ? objectAcl : bucket.acl;
    if (aclAllows(acl, action)) return;
  }
  throw new CofferError('AccessDenied', principal.kind === 'anonymous'
    ? 'You have no right to access this object because of bucket acl.'
    : 'You are forbidden to access this resource.');
}
