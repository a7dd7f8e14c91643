/** PutBucket, DeleteBucket, GetBucketInfo, GetBucketLocation. */
import { createBucket, deleteBucket, requireBucket } from '../core/buckets';
import type { Coffer } from '../core/coffer';
import { CofferError } from '../common/errors';
import { authorize } from '../iam/authorize';
import type { EncryptionRule } from '../store/types';
import { authorizeBucket, ossResource } from './access';
import { isoTime } from './format';
import { bucketAclFrom, checkRedundancyType, checkStorageClass } from './object-headers';
import { readSmallBody } from './body';
import { requestedSse } from './sse-headers';
import { type OssRequest, type OssResponse } from './request';
import { parseXml, xmlDoc, tokenOf, type XmlObject } from './xml';

export const owner = (c: Coffer): XmlObject => ({ ID: c.accountId, DisplayName: c.accountId });

/** Where OSS names its public and internal endpoints, Coffer names itself (see endpoint.ts). */
export const endpoints = (req: OssRequest): XmlObject => ({
  ExtranetEndpoint: req.endpoint,
  IntranetEndpoint: req.endpoint,
});

export async function PutBucket(c: Coffer, req: OssRequest): Promise<OssResponse> {
  if (req.caller.principal.kind === 'anonymous') throw new CofferError('AccessDenied', 'Anonymous access is forbidden for this operation.');
  authorize(req.caller, 'oss:PutBucket', ossResource(c, req.bucket), { bucket: null });
  const acl = bucketAclFrom(req, 'private')!;
  const body = await readSmallBody(req);
  let storageClass: string | undefined;
  let dataRedundancyType = 'LRS';
  if (body.trim()) {
    const conf = parseXml(body, 'CreateBucketConfiguration');
    // Stored and reported back (GetBucketInfo, ListBuckets), so only the values OSS defines.
    const cls = tokenOf(conf, 'StorageClass');
    storageClass = cls === undefined ? undefined : checkStorageClass('StorageClass', cls);
    dataRedundancyType = checkRedundancyType('DataRedundancyType', tokenOf(conf, 'DataRedundancyType') || dataRedundancyType);
  }
  // x-oss-server-side-encryption on PutBucket sets the bucket's default rule (reference §6.5).
  const sse = requestedSse(req);
  const encryption: EncryptionRule | null = sse
    ? { algorithm: sse.algorithm, kmsMasterKeyId: sse.kmsKeyId, kmsDataEncryption: sse.dataEncryption }
    : null;
  if (sse) await c.encryption.authorizeRule(sse, req.caller);
  await createBucket(c, { name: req.bucket!, acl, storageClass, dataRedundancyType, encryption, principal: req.caller.principal });
  return { status: 200, headers: { Location: `/${req.bucket}` } };
}

export async function DeleteBucket(c: Coffer, req: OssRequest): Promise<OssResponse> {
  authorizeBucket(c, req, 'oss:DeleteBucket', await requireBucket(c, req.bucket!));
  await deleteBucket(c, req.bucket!);
  return { status: 204 };
}

/** How GetBucketInfo shows the default encryption: flat, and "None" when unset (reference §6.4). */
function encryptionSummary(rule: EncryptionRule | null): XmlObject {
  if (!rule) return { SSEAlgorithm: 'None' };
  return {
    SSEAlgorithm: rule.algorithm,
    KMSMasterKeyID: rule.algorithm === 'KMS' ? rule.kmsMasterKeyId : undefined,
    KMSDataEncryption: rule.algorithm === 'KMS' ? rule.kmsDataEncryption : undefined,
  };
}

export async function GetBucketInfo(c: Coffer, req: OssRequest): Promise<OssResponse> {
  const b = await requireBucket(c, req.bucket!);
  authorizeBucket(c, req, 'oss:GetBucketInfo', b);
  return {
    status: 200,
    body: xmlDoc('BucketInfo', {
      Bucket: {
        AccessMonitor: 'Disabled',
        CreationDate: isoTime(b.createdAt),
        CrossRegionReplication: 'Disabled',
        DataRedundancyType: b.dataRedundancyType,
        ...endpoints(req),
        Location: `oss-${b.region}`,
        Name: b.name,
        ResourceGroupId: 'rg-default',
        StorageClass: b.storageClass,
        TransferAcceleration: 'Disabled',
        Owner: { DisplayName: b.owner, ID: b.owner },
        AccessControlList: { Grant: b.acl },
        Versioning: b.versioning,
        ServerSideEncryptionRule: encryptionSummary(b.encryption),
        BucketPolicy: { LogBucket: '', LogPrefix: '' },
        Comment: '',
      },
    }),
  };
}

export async function GetBucketLocation(c: Coffer, req: OssRequest): Promise<OssResponse> {
  const b = await requireBucket(c, req.bucket!);
  authorizeBucket(c, req, 'oss:GetBucketLocation', b);
  return { status: 200, body: xmlDoc('LocationConstraint', `oss-${b.region}`) };
}
