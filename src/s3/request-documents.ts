/**
 * S3 request documents that differ from OSS's: read, validated and rewritten into what the OSS
 * operation reads (a document, or a header for ACLs). Parsed with the same strict parser.
 */
import { CofferError } from '../common/errors';
import { malformedXml, parseXml, toXml, tokenOf } from '../oss/xml';
import { kmsKeyFromS3, ossSseAlgorithm } from './names';
import { cannedAcl } from './request-headers';

const fieldsOf = (v: unknown, name: string): Record<string, unknown> => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw malformedXml(`<${name}> must be an element with children`);
  return v as Record<string, unknown>;
};

/**
 * CreateBucketConfiguration: the LocationConstraint must name this server's region (S3 refuses a
 * bucket for another region at a regional endpoint); nothing else in it has a Coffer meaning.
 */
export function checkCreateBucketConfiguration(body: string, region: string): void {
  if (!body.trim()) return;
  const conf = parseXml(body, 'CreateBucketConfiguration');
  const location = tokenOf(conf, 'LocationConstraint') ?? '';
  if (location !== '' && location !== region && location !== `oss-${region}`) {
    throw new CofferError('IllegalLocationConstraintException', `The ${location} location constraint is incompatible for the region specific endpoint this request was sent to (${region}).`);
  }
}

/** ServerSideEncryptionConfiguration → OSS's ServerSideEncryptionRule document. */
export function encryptionRuleDocument(body: string): string {
  const conf = parseXml(body, 'ServerSideEncryptionConfiguration', ['Rule']);
  const rules = (conf.Rule ?? []) as unknown[];
  if (rules.length !== 1) throw malformedXml('exactly one <Rule> is required');
  const rule = fieldsOf(rules[0], 'Rule');
  const bucketKey = tokenOf(rule, 'BucketKeyEnabled');
  if (bucketKey !== undefined && bucketKey !== 'true' && bucketKey !== 'false') throw malformedXml('<BucketKeyEnabled> must be true or false');
  // BucketKeyEnabled is accepted and has no effect: every object has its own data key anyway.
  const apply = fieldsOf(rule.ApplyServerSideEncryptionByDefault, 'ApplyServerSideEncryptionByDefault');
  const algorithm = ossSseAlgorithm(tokenOf(apply, 'SSEAlgorithm') ?? '', 'SSEAlgorithm');
  const keyId = tokenOf(apply, 'KMSMasterKeyID');
  return toXml('ServerSideEncryptionRule', {
    ApplyServerSideEncryptionByDefault: { SSEAlgorithm: algorithm, KMSMasterKeyID: keyId ? kmsKeyFromS3(keyId) : undefined },
  });
}

/**
 * S3's VersioningConfiguration → OSS's: MfaDelete Disabled is what Coffer does anyway; Enabled
 * (deletes of versions only with an MFA code) is NotImplemented rather than ignored.
 */
export function versioningDocument(body: string): string {
  const conf = parseXml(body, 'VersioningConfiguration');
  const mfa = tokenOf(conf, 'MfaDelete');
  if (mfa === 'Enabled') throw new CofferError('NotImplemented', 'MFA delete is not implemented by Coffer.');
  if (mfa !== undefined && mfa !== 'Disabled') throw malformedXml('<MfaDelete> must be Enabled or Disabled');
  const status = tokenOf(conf, 'Status');
  return toXml('VersioningConfiguration', { Status: status });
}

const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';

/**
 * AccessControlPolicy → the canned ACL it amounts to. Coffer keeps canned ACLs only, so a policy is
 * accepted when it is one: the owner's FULL_CONTROL, plus READ (public-read) or READ and WRITE
 * (public-read-write) for AllUsers; any other grant is NotImplemented rather than half-applied.
 */
export function cannedAclOfPolicy(body: string, ownerId: string): string {
  const policy = parseXml(body, 'AccessControlPolicy');
  const acl = fieldsOf(policy.AccessControlList ?? {}, 'AccessControlList');
  const grants = acl.Grant === undefined ? [] : Array.isArray(acl.Grant) ? acl.Grant : [acl.Grant];
  const publicPermissions = new Set<string>();
  let ownerFull = false;
  for (const g of grants) {
    const fields = fieldsOf(g, 'Grant');
    const grantee = fieldsOf(fields.Grantee, 'Grantee');
    const permission = tokenOf(fields, 'Permission') ?? '';
    if (tokenOf(grantee, 'URI') === ALL_USERS) publicPermissions.add(permission);
    else if (tokenOf(grantee, 'ID') === ownerId && permission === 'FULL_CONTROL') ownerFull = true;
    else throw new CofferError('NotImplemented', 'Coffer keeps canned ACLs only: grants other than the owner\'s FULL_CONTROL and AllUsers READ/WRITE are not implemented.');
  }
  const perms = [...publicPermissions].sort().join(',');
  if (!ownerFull && grants.length > 0) throw new CofferError('NotImplemented', 'An ACL without the owner\'s FULL_CONTROL is not implemented by Coffer.');
  if (perms === '') return cannedAcl('private');
  if (perms === 'READ') return cannedAcl('public-read');
  if (perms === 'READ,WRITE') return cannedAcl('public-read-write');
  throw new CofferError('NotImplemented', `AllUsers ${perms} is not a canned ACL Coffer keeps.`);
}

/**
 * A bucket policy sent through the S3 dialect: stored as the OSS one, so it must be written in the
 * OSS (RAM) language. S3's own language (Version 2012-10-17, arn:aws:s3 resources, s3: actions,
 * Principal {"AWS": …}) is refused with that said, rather than translated into something subtly
 * different: S3 and OSS differ in actions, condition keys and principals.
 */
export function ossLanguagePolicy(body: string): string {
  let version: unknown;
  try {
    version = (JSON.parse(body) as { Version?: unknown } | null)?.Version;
  } catch {
    return body; // the OSS check names the JSON fault
  }
  if (version === '2012-10-17' || version === '2008-10-17') {
    throw new CofferError('InvalidPolicyDocument', 'Bucket policies are kept in the OSS policy language (Version "1", oss: actions, acs:oss:*:<account>:<bucket>[/<key>] resources, Principal as RAM user ids or names or "*"); S3 (IAM) documents are not accepted.');
  }
  return body;
}
