/**
 * Access decisions. The account root may do everything with its own resources; a RAM user what
 * its policies allow (default deny, an explicit Deny wins); anonymous callers nothing by policy.
 * For OSS, bucket and object ACLs then grant as OSS does: a public ACL lets anyone (RAM users
 * too) read or write, but never past a user's explicit Deny.
 */
import { CofferError } from '../common/errors';
import type { BucketRecord, ObjectAcl } from '../store/types';
import type { Caller } from './caller';
import { normalizeIp, type ConditionValues, type Decision } from './policy';

/** RAM action names of OSS operations that only need read access under an ACL. */
const READ_ACTIONS = new Set(['oss:GetObject', 'oss:GetObjectVersion', 'oss:ListObjects', 'oss:ListObjectVersions']);
/** Actions a public-read-write ACL grants to anyone. */
const WRITE_ACTIONS = new Set([
  'oss:PutObject', 'oss:DeleteObject', 'oss:DeleteObjectVersion', 'oss:AbortMultipartUpload', 'oss:ListParts', 'oss:ListMultipartUploads',
]);

export function aclAllows(acl: ObjectAcl, action: string): boolean {
  if (READ_ACTIONS.has(action)) return acl === 'public-read' || acl === 'public-read-write';
  if (WRITE_ACTIONS.has(action)) return acl === 'public-read-write';
  return false;
}

/** Condition values of one check: the global keys, then the operation's, then the request's own. */
function conditionValues(caller: Caller, values?: Readonly<Record<string, string>>): ConditionValues {
  return (key) => {
    switch (key) {
      case 'acs:sourceip': return normalizeIp(caller.sourceIp);
      case 'acs:securetransport': return String(caller.secure);
      case 'acs:currenttime': return new Date().toISOString();
      default: return (values && Object.hasOwn(values, key) ? values[key] : undefined) ?? caller.requestValue?.(key);
    }
  };
}

/**
 * What the policies in force say about `action` on `resource`: 'Allow' for the root, the policy
 * decision for a RAM user, null (no grant) for anonymous callers. `values` are condition values
 * particular to this check, by lower-case key (e.g. oss:prefix).
 */
export function decide(caller: Caller, action: string, resource: string, values?: Readonly<Record<string, string>>): Decision {
  if (caller.principal.kind === 'root') return 'Allow';
  if (!caller.permissions) return null;
  return caller.permissions.evaluate(action, resource, conditionValues(caller, values));
}

export interface OssScope {
  /** The bucket the operation acts on; null for ListBuckets and PutBucket. */
  bucket: BucketRecord | null;
  /** An object's own ACL, which overrides the bucket's unless it is 'default'. */
  objectAcl?: ObjectAcl;
  /** Condition values of this operation, by lower-case key (oss:prefix, oss:delimiter). */
  values?: Readonly<Record<string, string>>;
}

/** Throws AccessDenied unless the caller may perform the OSS `action` on `resource`. */
export function authorize(caller: Caller, action: string, resource: string, scope: OssScope): void {
  const p = caller.principal;
  if (p.kind === 'root') {
    if (!scope.bucket || scope.bucket.owner === p.accountId) return;
    throw new CofferError('AccessDenied', 'You are forbidden to access this resource.');
  }
  const decision = decide(caller, action, resource, scope.values);
  if (decision === 'Deny') {
    throw new CofferError('AccessDenied', `You are denied by a RAM policy: an explicit Deny covers ${action} on ${resource}.`);
  }
  if (decision === 'Allow') return;
  if (scope.bucket) {
    const acl = scope.objectAcl && scope.objectAcl !== 'default' ? scope.objectAcl : scope.bucket.acl;
    if (aclAllows(acl, action)) return;
  }
  throw new CofferError('AccessDenied', p.kind === 'anonymous'
    ? 'You have no right to access this object because of bucket acl.'
    : `You have no right to access this resource: no RAM policy allows ${action} on ${resource}.`);
}
