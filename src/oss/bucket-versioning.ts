/** PutBucketVersioning, GetBucketVersioning (?versioning). */
import { requireBucket } from '../core/buckets';
import type { Coffer } from '../core/coffer';
import { CofferError } from '../common/errors';
import { setBucketVersioning } from '../core/versions';
import type { VersioningStatus } from '../store/types';
import { authorizeBucket } from './access';
import { readSmallBody } from './body';
import type { OssRequest, OssResponse } from './request';
import { parseXml, tokenOf, xmlDoc } from './xml';

/** The Status of a VersioningConfiguration: Enabled or Suspended (a bucket cannot be made unversioned again). */
export function versioningStatusOf(doc: Record<string, unknown>): VersioningStatus {
  const status = tokenOf(doc, 'Status');
  if (status === undefined) throw new CofferError('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema: <VersioningConfiguration> needs a <Status>.');
  if (status !== 'Enabled' && status !== 'Suspended') {
    throw new CofferError('InvalidArgument', 'The versioning status must be Enabled or Suspended.', { ArgumentName: 'Status', ArgumentValue: status });
  }
  return status;
}

export async function PutBucketVersioning(c: Coffer, req: OssRequest): Promise<OssResponse> {
  authorizeBucket(c, req, 'oss:PutBucketVersioning', await requireBucket(c, req.bucket!));
  const status = versioningStatusOf(parseXml(await readSmallBody(req), 'VersioningConfiguration'));
  await setBucketVersioning(c, req.bucket!, status);
  return { status: 200 };
}

/** A bucket never versioned answers an empty configuration. */
export async function GetBucketVersioning(c: Coffer, req: OssRequest): Promise<OssResponse> {
  const bucket = await requireBucket(c, req.bucket!);
  authorizeBucket(c, req, 'oss:GetBucketVersioning', bucket);
  return { status: 200, body: xmlDoc('VersioningConfiguration', bucket.versioning ? { Status: bucket.versioning } : {}) };
}
