/**
 * Reads of bucket configurations Coffer does not keep (policy, lifecycle, …): after the
 * same bucket and access checks as any bucket read, the answer is S3's own for "none configured".
 */
import { CofferError } from '../common/errors';
import { requireBucket } from '../core/buckets';
import type { Coffer } from '../core/coffer';
import { authorizeBucket } from '../oss/access';
import type { OssRequest, OssResponse } from '../oss/request';
import { UNCONFIGURED, type Unconfigured } from './router';

export async function getBucketConfiguration(c: Coffer, req: OssRequest, resource: Unconfigured): Promise<OssResponse> {
  const [action, missing] = UNCONFIGURED[resource];
  authorizeBucket(c, req, action, await requireBucket(c, req.bucket!));
  throw new CofferError(missing, `The bucket has no ${resource} configuration.`, { BucketName: req.bucket! });
}
