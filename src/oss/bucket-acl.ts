/** PutBucketAcl, GetBucketAcl. */
import { requireBucket, setBucketAcl } from '../core/buckets';
import { checkBucketName } from '../core/names';
import type { Coffer } from '../core/coffer';
import { CofferError } from '../common/errors';
import { authorize } from '../iam/authorize';
import { authorizeBucket, ossResource } from './access';
import { owner } from './bucket';
import { bucketAclFrom } from './object-headers';
import type { OssRequest, OssResponse } from './request';
import { xmlDoc } from './xml';

/**
 * PutBucketAcl. On a name no bucket has, OSS creates the bucket with that ACL (ali-oss's suite
 * asserts it), so then the caller needs oss:PutBucket as well. ali-oss reads the bucket name from
 * the Location header.
 */
export async function PutBucketAcl(c: Coffer, req: OssRequest): Promise<OssResponse> {
  const name = req.bucket!;
  const existing = await c.meta.getBucket(name);
  if (existing) {
    authorizeBucket(c, req, 'oss:PutBucketAcl', existing);
  } else {
    if (req.caller.principal.kind === 'anonymous') throw new CofferError('AccessDenied', 'Anonymous access is forbidden for this operation.');
    checkBucketName(name);
    for (const action of ['oss:PutBucketAcl', 'oss:PutBucket']) authorize(req.caller, action, ossResource(c, name), { bucket: null });
  }
  const acl = bucketAclFrom(req, undefined);
  if (!acl) throw new CofferError('InvalidArgument', 'x-oss-acl is required.', { ArgumentName: 'x-oss-acl' });
  await setBucketAcl(c, { name, acl, principal: req.caller.principal });
  return { status: 200, headers: { Location: `/${name}` } };
}

export async function GetBucketAcl(c: Coffer, req: OssRequest): Promise<OssResponse> {
  const b = await requireBucket(c, req.bucket!);
  authorizeBucket(c, req, 'oss:GetBucketAcl', b);
  return { status: 200, body: xmlDoc('AccessControlPolicy', { Owner: owner(c), AccessControlList: { Grant: b.acl } }) };
}
