/** PutBucketEncryption, GetBucketEncryption, DeleteBucketEncryption (?encryption). */
import { requireBucket, updateBucket } from '../core/buckets';
import type { Coffer } from '../core/coffer';
import { resolveSse } from '../core/encryption';
import { CofferError } from '../common/errors';
import type { EncryptionRule } from '../store/types';
import { authorizeBucket } from './access';
import { readSmallBody } from './body';
import { isHeaderValue, type OssRequest, type OssResponse } from './request';
import { invalidAlgorithm } from './sse-headers';
import { parseXml, xmlDoc, tokenOf } from './xml';

/** Validates a rule as OSS does (reference §6.3): KMSDataEncryption with AES256/SM4 is accepted and dropped. */
export function parseEncryptionRule(body: string): EncryptionRule {
  const doc = parseXml(body, 'ServerSideEncryptionRule');
  const inner = doc.ApplyServerSideEncryptionByDefault;
  if (typeof inner !== 'object' || inner === null || Array.isArray(inner)) {
    throw new CofferError('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema: ApplyServerSideEncryptionByDefault is required.');
  }
  const fields = inner as Record<string, unknown>;
  const algorithm = tokenOf(fields, 'SSEAlgorithm') ?? '';
  const keyId = tokenOf(fields, 'KMSMasterKeyID') ?? '';
  const data = tokenOf(fields, 'KMSDataEncryption') ?? '';
  if (algorithm !== 'AES256' && algorithm !== 'SM4' && algorithm !== 'KMS') throw invalidAlgorithm(algorithm);
  if (algorithm !== 'KMS') {
    if (keyId) {
      throw new CofferError('InvalidArgument', 'KMSMasterKeyID is only allowed when SSEAlgorithm is KMS.', { ArgumentName: 'KMSMasterKeyID', ArgumentValue: keyId, EC: '0005-00000204' });
    }
    return { algorithm };
  }
  // Every upload under the rule echoes the key id in x-oss-server-side-encryption-key-id.
  if (!isHeaderValue(keyId)) {
    throw new CofferError('InvalidArgument', 'KMSMasterKeyID must be a valid header value: no control characters, nothing beyond Latin-1.', { ArgumentName: 'KMSMasterKeyID', ArgumentValue: keyId });
  }
  if (data && data !== 'SM4') {
    throw new CofferError('InvalidArgument', 'KMSDataEncryption supports only SM4.', { ArgumentName: 'KMSDataEncryption', ArgumentValue: data, EC: '0005-00000203' });
  }
  return { algorithm, kmsMasterKeyId: keyId || undefined, kmsDataEncryption: data ? 'SM4' : undefined };
}

export async function PutBucketEncryption(c: Coffer, req: OssRequest): Promise<OssResponse> {
  authorizeBucket(c, req, 'oss:PutBucketEncryption', await requireBucket(c, req.bucket!));
  const rule = parseEncryptionRule(await readSmallBody(req));
  await c.encryption.authorizeRule(resolveSse(null, rule)!, req.caller);
  await updateBucket(c, req.bucket!, (b) => ({ ...b, encryption: rule }));
  return { status: 200 };
}

export async function GetBucketEncryption(c: Coffer, req: OssRequest): Promise<OssResponse> {
  const b = await requireBucket(c, req.bucket!);
  authorizeBucket(c, req, 'oss:GetBucketEncryption', b);
  if (!b.encryption) throw new CofferError('NoSuchServerSideEncryptionRule', 'The server side encryption configuration was not found', { BucketName: b.name });
  const r = b.encryption;
  return {
    status: 200,
    body: xmlDoc('ServerSideEncryptionRule', {
      ApplyServerSideEncryptionByDefault: {
        SSEAlgorithm: r.algorithm,
        KMSMasterKeyID: r.kmsMasterKeyId,
        KMSDataEncryption: r.kmsDataEncryption,
      },
    }),
  };
}

export async function DeleteBucketEncryption(c: Coffer, req: OssRequest): Promise<OssResponse> {
  authorizeBucket(c, req, 'oss:DeleteBucketEncryption', await requireBucket(c, req.bucket!));
  await updateBucket(c, req.bucket!, (b) => ({ ...b, encryption: null }));
  return { status: 204 };
}
