/** Values the two dialects spell differently: storage classes and SSE algorithms. */
import { CofferError } from '../common/errors';

/** S3 storage class ↔ OSS storage class, for the classes that mean the same thing. */
const S3_TO_OSS: Record<string, string> = {
  STANDARD: 'Standard',
  STANDARD_IA: 'IA',
  GLACIER: 'Archive',
  DEEP_ARCHIVE: 'ColdArchive',
};
const OSS_TO_S3: Record<string, string> = {
  Standard: 'STANDARD',
  IA: 'STANDARD_IA',
  Archive: 'GLACIER',
  ColdArchive: 'DEEP_ARCHIVE',
  DeepColdArchive: 'DEEP_ARCHIVE',
};

export function ossStorageClass(s3: string): string {
  const v = S3_TO_OSS[s3];
  if (!v) throw new CofferError('InvalidStorageClass', `The storage class you specified is not valid: ${s3}. Coffer stores STANDARD, STANDARD_IA, GLACIER and DEEP_ARCHIVE.`, { StorageClassRequested: s3 });
  return v;
}

export const s3StorageClass = (oss: string): string => OSS_TO_S3[oss] ?? oss;

/** x-amz-server-side-encryption / SSEAlgorithm → the OSS algorithm (SM4, which S3 lacks, passes as itself). */
export function ossSseAlgorithm(s3: string, name: string): string {
  switch (s3) {
    case 'AES256': return 'AES256';
    case 'aws:kms': return 'KMS';
    case 'SM4': return 'SM4';
    case 'aws:kms:dsse':
      throw new CofferError('InvalidArgument', 'aws:kms:dsse (dual-layer SSE-KMS) is not supported by Coffer; use aws:kms or AES256.', { ArgumentName: name, ArgumentValue: s3 });
    default:
      throw new CofferError('InvalidArgument', `The encryption method specified is not supported: ${s3}.`, { ArgumentName: name, ArgumentValue: s3 });
  }
}

export const s3SseAlgorithm = (oss: string): string => (oss === 'KMS' ? 'aws:kms' : oss);

/**
 * A KMS key as an S3 client names it: a Coffer key id or alias, an "alias/…" name, or an ARN. AWS
 * ARNs (arn:aws:kms:<region>:<account>:key/<id> or …:alias/<name>) name Coffer keys by their last part.
 */
export function kmsKeyFromS3(value: string): string {
  const m = /^arn:aws[a-z-]*:kms:[^:]*:[^:]*:(key\/(.+)|alias\/.+)$/.exec(value);
  if (!m) return value;
  return m[2] ?? m[1];
}
