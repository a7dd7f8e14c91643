/**
 * PutBucketPolicy, GetBucketPolicy, DeleteBucketPolicy (?policy): a JSON policy document kept on
 * the bucket record, checked on the way in (src/iam/bucket-policy.ts) and evaluated by
 * authorize() next to RAM policies and ACLs. GetBucketPolicy answers the document as it was put.
 */
import { requireBucket, updateBucket } from '../core/buckets';
import type { Coffer } from '../core/coffer';
import { CofferError } from '../common/errors';
import { checkBucketPolicy } from '../iam/bucket-policy';
import { authorizeBucket, OSS_ACTIONS } from './access';
import { readSmallBody } from './body';
import type { OssRequest, OssResponse } from './request';

export async function PutBucketPolicy(c: Coffer, req: OssRequest): Promise<OssResponse> {
  authorizeBucket(c, req, 'oss:PutBucketPolicy', await requireBucket(c, req.bucket!));
  const policy = await readSmallBody(req);
  checkBucketPolicy(policy, { accountId: c.accountId, bucket: req.bucket!, actions: OSS_ACTIONS });
  await updateBucket(c, req.bucket!, (b) => ({ ...b, policy }));
  return { status: 200 };
}

export async function GetBucketPolicy(c: Coffer, req: OssRequest): Promise<OssResponse> {
  const b = await requireBucket(c, req.bucket!);
  authorizeBucket(c, req, 'oss:GetBucketPolicy', b);
  if (!b.policy) throw new CofferError('NoSuchBucketPolicy', 'The bucket policy does not exist.', { BucketName: b.name });
  return { status: 200, headers: { 'Content-Type': 'application/json' }, body: b.policy };
}

export async function DeleteBucketPolicy(c: Coffer, req: OssRequest): Promise<OssResponse> {
  authorizeBucket(c, req, 'oss:DeleteBucketPolicy', await requireBucket(c, req.bucket!));
  await updateBucket(c, req.bucket!, (b) => ({ ...b, policy: null }));
  return { status: 204 };
}
