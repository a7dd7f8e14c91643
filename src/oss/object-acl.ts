/** PutObjectAcl, GetObjectAcl. */
import { requireBucket } from '../core/buckets';
import type { Coffer } from '../core/coffer';
import { CofferError } from '../common/errors';
import { getObjectRecord, setObjectAcl } from '../core/objects';
import { authorizeObject } from './access';
import { owner } from './bucket';
import { objectAclFrom } from './object-headers';
import type { OssRequest, OssResponse } from './request';
import { xmlDoc } from './xml';

export async function PutObjectAcl(c: Coffer, req: OssRequest): Promise<OssResponse> {
  authorizeObject(c, req, 'oss:PutObjectAcl', await requireBucket(c, req.bucket!), req.key!);
  const acl = objectAclFrom(req);
  if (!acl) throw new CofferError('InvalidArgument', 'x-oss-object-acl is required.', { ArgumentName: 'x-oss-object-acl' });
  await setObjectAcl(c, req.bucket!, req.key!, acl);
  return { status: 200 };
}

export async function GetObjectAcl(c: Coffer, req: OssRequest): Promise<OssResponse> {
  authorizeObject(c, req, 'oss:GetObjectAcl', await requireBucket(c, req.bucket!), req.key!);
  const obj = await getObjectRecord(c, req.bucket!, req.key!);
  return { status: 200, body: xmlDoc('AccessControlPolicy', { Owner: owner(c), AccessControlList: { Grant: obj.acl } }) };
}
