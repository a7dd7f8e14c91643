/** PutObjectAcl, GetObjectAcl. */
import { requireBucket } from '../core/buckets';
import type { Coffer } from '../core/coffer';
import { CofferError } from '../common/errors';
import { getObjectRecord, setObjectAcl } from '../core/objects';
import { authorizeObject } from './access';
import { owner } from './bucket';
import { objectAclFrom } from './object-headers';
import { requestedVersionId, versionAction } from './object-versions';
import type { OssRequest, OssResponse } from './request';
import { xmlDoc } from './xml';

export async function PutObjectAcl(c: Coffer, req: OssRequest): Promise<OssResponse> {
  const versionId = requestedVersionId(req);
  authorizeObject(c, req, versionAction('oss:PutObjectAcl', versionId), await requireBucket(c, req.bucket!), req.key!);
  const acl = objectAclFrom(req);
  if (!acl) throw new CofferError('InvalidArgument', 'x-oss-object-acl is required.', { ArgumentName: 'x-oss-object-acl' });
  await setObjectAcl(c, req.bucket!, req.key!, acl, versionId);
  return { status: 200, headers: { 'x-oss-version-id': versionId } };
}

export async function GetObjectAcl(c: Coffer, req: OssRequest): Promise<OssResponse> {
  const versionId = requestedVersionId(req);
  authorizeObject(c, req, versionAction('oss:GetObjectAcl', versionId), await requireBucket(c, req.bucket!), req.key!);
  const obj = await getObjectRecord(c, req.bucket!, req.key!, versionId);
  return {
    status: 200,
    headers: { 'x-oss-version-id': obj.versionId },
    body: xmlDoc('AccessControlPolicy', { Owner: owner(c), AccessControlList: { Grant: obj.acl } }),
  };
}
