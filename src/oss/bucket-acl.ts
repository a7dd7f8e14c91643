/** PutBucketAcl, GetBucketAcl. */
import { requireBucket, updateBucket } from '../core/buckets';
import type { Coffer } from '../core/coffer';
import { CofferError } from '../common/errors';
import { authorizeBucket } from './access';
import { owner } from './bucket';
import { bucketAclFrom } from './object-headers';
import type { OssRequest, OssResponse } from './request';
import { toXml } from './xml';

export async function PutBucketAcl(c: Coffer, req: OssRequest): Promise<OssResponse> {
  authorizeBucket(c, req, 'oss:PutBucketAcl', await requireBucket(c, req.bucket!));
  const acl = bucketAclFrom(req, undefined);
  if (!acl) throw new CofferError('InvalidArgument', 'x-oss-acl is required.', { ArgumentName: 'x-oss-acl' });
  await updateBucket(c, req.bucket!, (b) => ({ ...b, acl }));
  return { status: 200 };
}

export async function GetBucketAcl(c: Coffer, req: OssRequest): Promise<OssResponse> {
  const b = await requireBucket(c, req.bucket!);
  authorizeBucket(c, req, 'oss:GetBucketAcl', b);
  return { status: 200, body: toXml('AccessControlPolicy', { Owner: owner(c), AccessControlList: { Grant: b.acl } }) };
}
