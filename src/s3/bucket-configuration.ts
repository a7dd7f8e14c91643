/**
 * Reads of bucket configurations Coffer does not keep (versioning, policy, lifecycle, …): after the
 * same bucket and access checks as any bucket read, the answer is S3's own for "none configured".
 */
import { CofferError } from '../common/errors';
import { requireBucket } from '../core/buckets';
import type { Coffer } from '../core/coffer';
import { authorizeBucket } from '../oss/access';
import type { OssRequest, OssResponse } from '../oss/request';
import { xmlDoc } from '../oss/xml';
import { UNCONFIGURED, type Unconfigured } from './router';
import { S3_NAMESPACE } from './responses';

export async function getBucketConfiguration(c: Coffer, req: OssRequest, resource: Unconfigured): Promise<OssResponse> {
  const [action, missing] = UNCONFIGURED[resource];
  authorizeBucket(c, req, action, await requireBucket(c, req.bucket!));
  // A bucket that never had versioning answers an empty configuration, not an error.
  if (missing === null) return { status: 200, body: xmlDoc('VersioningConfiguration', { $: { xmlns: S3_NAMESPACE } }) };
  throw new CofferError(missing, `The bucket has no ${resource} configuration.`, { BucketName: req.bucket! });
}
