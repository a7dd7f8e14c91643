/**
 * Access decisions. The account root may do everything with its own resources; a RAM user what
 * its policies allow (default deny, an explicit Deny wins); anonymous callers nothing by policy.
 * For OSS, the bucket's policy and then bucket and object ACLs come in as OSS has them: an
 * explicit Deny in a RAM policy or in the bucket policy refuses (the account root included, except
 * for managing the bucket policy itself, so the owner can never lock itself out); otherwise an
 * Allow from a RAM policy or the bucket policy, or a public ACL, grants.
 */
import { CofferError } from '../common/errors';
import type { BucketRecord, ObjectAcl } from '../store/types';
import type { Caller, ConditionValues, Decision } from '../common/caller';
import { bucketPolicy } from './bucket-policy';
import { normalizeIp } from './policy';

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

/** Actions a bucket policy cannot deny the account root: it stays able to repair the policy. */
const POLICY_ACTIONS = new Set(['oss:PutBucketPolicy', 'oss:GetBucketPolicy', 'oss:DeleteBucketPolicy']);

/** What the bucket's policy says about the caller's `action` on `resource`; null when it has none or no statement applies. */
function bucketPolicyDecision(caller: Caller, action: string, resource: string, scope: OssScope): Decision {
  const text = scope.bucket?.policy;
  if (!text) return null;
  return bucketPolicy(text).for(caller.principal).evaluate(action, resource, conditionValues(caller, scope.values));
}

/** Throws AccessDenied unless the caller may perform the OSS `action` on `resource`. */
export function authorize(caller: Caller, action: string, resource: string, scope: OssScope): void {
  const p = caller.principal;
  if (p.kind === 'root' && scope.bucket && scope.bucket.owner !== p.accountId) {
    throw new CofferError('AccessDenied', 'You are forbidden to access this resource.');
  }
  const byBucket = bucketPolicyDecision(caller, action, resource, scope);
  if (byBucket === 'Deny' && !(p.kind === 'root' && POLICY_ACTIONS.has(action))) {
    throw new CofferError('AccessDenied', `You are denied by the bucket policy: an explicit Deny covers ${action} on ${resource}.`);
  }
  if (p.kind === 'root') return;
  const decision = decide(caller, action, resource, scope.values);
  if (decision === 'Deny') {
    throw new CofferError('AccessDenied', `You are denied by a RAM policy: an explicit Deny covers ${action} on ${resource}.`);
  }
  if (decision === 'Allow' || byBucket === 'Allow') return;
  if (scope.bucket) {
    const acl = scope.objectAcl && scope.objectAcl !== 'default' ? scope.objectAcl : scope.bucket.acl;
    if (aclAllows(acl, action)) return;
  }
  throw new CofferError('AccessDenied', p.kind === 'anonymous'
    ? 'You have no right to access this object because of bucket acl.'
    : `You have no right to access this resource: no RAM policy allows ${action} on ${resource}.`);
}
