/** The x-oss-server-side-encryption request headers, and the ones every response about an encrypted object carries. */
import { CofferError } from '../common/errors';
import { asObjectEncryption, type ServerKeyChoice, type SseChoice } from '../core/encryption';
import type { EncryptionInfo } from '../store/types';
import { header, type OssRequest } from './request';

export const SSE = 'x-oss-server-side-encryption';
export const SSE_DATA = 'x-oss-server-side-data-encryption';
export const SSE_KEY_ID = 'x-oss-server-side-encryption-key-id';

const ALGORITHMS = new Set(['AES256', 'KMS', 'SM4']);

export function invalidAlgorithm(value: string): CofferError {
  return new CofferError('InvalidEncryptionAlgorithmError', 'The encryption request you specified is not valid. Supported value: AES256/KMS/SM4.', {
    ArgumentName: SSE, ArgumentValue: value,
  });
}

/**
 * The encryption a write asks for, validated as OSS does: an unknown algorithm or a key id without
 * KMS is refused; a data-encryption header other than SM4 with KMS is refused, and ignored otherwise.
 */
export function requestedSse(req: OssRequest): ServerKeyChoice | null {
  const algorithm = header(req, SSE);
  const keyId = header(req, SSE_KEY_ID);
  const data = header(req, SSE_DATA);
  if (algorithm === undefined) {
    if (keyId !== undefined) {
      throw new CofferError('InvalidArgument', `${SSE_KEY_ID} is only allowed together with ${SSE}: KMS.`, { ArgumentName: SSE_KEY_ID, ArgumentValue: keyId });
    }
    return null;
  }
  if (!ALGORITHMS.has(algorithm)) throw invalidAlgorithm(algorithm);
  if (algorithm !== 'KMS') {
    if (keyId !== undefined) {
      throw new CofferError('InvalidArgument', `${SSE_KEY_ID} is only allowed when ${SSE} is KMS.`, { ArgumentName: SSE_KEY_ID, ArgumentValue: keyId, EC: '0005-00000204' });
    }
    return { algorithm: algorithm as 'AES256' | 'SM4' };
  }
  if (keyId !== undefined && keyId.trim() === '') {
    throw new CofferError('InvalidArgument', `${SSE_KEY_ID} must not be empty.`, { ArgumentName: SSE_KEY_ID, ArgumentValue: keyId, EC: '0005-00000205' });
  }
  if (data !== undefined && data !== 'SM4') {
    throw new CofferError('InvalidArgument', `${SSE_DATA} supports only SM4.`, { ArgumentName: SSE_DATA, ArgumentValue: data, EC: '0005-00000203' });
  }
  return { algorithm: 'KMS', kmsKeyId: keyId, dataEncryption: data === 'SM4' ? 'SM4' : undefined };
}

/** The encryption a write asks for: SSE-C when the request carries a customer key (S3 dialect only), else its SSE headers. */
export function requestedEncryption(req: OssRequest): SseChoice | null {
  if (req.customerKey) return { algorithm: 'SSE-C', customerKey: req.customerKey };
  const sse = requestedSse(req);
  if (req.kmsContext && sse?.algorithm !== 'KMS') {
    throw new CofferError('InvalidArgument', 'An encryption context applies to SSE-KMS only.', { ArgumentName: 'x-amz-server-side-encryption-context' });
  }
  return sse && req.kmsContext ? { ...sse, kmsContext: req.kmsContext } : sse;
}

/** Operations that take no SSE headers refuse them (UploadPart, CompleteMultipartUpload, …). */
export function rejectSseHeaders(req: OssRequest): void {
  for (const name of [SSE, SSE_DATA, SSE_KEY_ID]) {
    const v = header(req, name);
    if (v !== undefined) {
      throw new CofferError('InvalidArgument', `The header ${name} is not allowed on this operation.`, { ArgumentName: name, ArgumentValue: v, EC: '0005-00000002' });
    }
  }
}

/**
 * None for SSE-C (written through the S3 dialect): OSS has no customer-provided keys and no value
 * of x-oss-server-side-encryption that means them, and OSS requests cannot read such an object.
 */
export function sseResponseHeaders(info: EncryptionInfo | null): Record<string, string | undefined> {
  const e = asObjectEncryption(info);
  if (!e || e.algorithm === 'SSE-C') return {};
  return {
    [SSE]: e.algorithm,
    [SSE_DATA]: e.algorithm === 'KMS' ? e.dataEncryption : undefined,
    [SSE_KEY_ID]: e.algorithm === 'KMS' ? e.kmsKeyId : undefined,
    // Answered in S3's form (base64 JSON); only S3 clients can set one.
    [`${SSE}-context`]: e.kek.provider === 'kms' && e.kek.context ? Buffer.from(JSON.stringify(e.kek.context)).toString('base64') : undefined,
  };
}
