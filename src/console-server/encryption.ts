/**
 * The console's encryption choice, as the OSS console presents it (Encryption Method None /
 * OSS-Managed / KMS, Encryption Algorithm AES-256 / SM4, a CMK), and its OSS wire forms: request
 * headers, the bucket rule, and what GetBucketInfo and HeadObject report.
 */
import type { EncryptionChoice } from './contract';
import { badRequest, oneOf, optStr } from './http';

export type { EncryptionChoice } from './contract';

const METHODS = ['None', 'OSS', 'KMS'] as const;
const ALGORITHMS = ['AES256', 'SM4'] as const;

/** A choice from request fields: JSON body fields, or query parameters of an upload. */
export function parseChoice(fields: Record<string, unknown>): EncryptionChoice {
  const method = oneOf(fields, 'method', METHODS);
  if (method === 'None') return { method, algorithm: 'AES256' };
  const algorithm = oneOf(fields, 'algorithm', ALGORITHMS);
  const kmsKeyId = optStr(fields, 'kmsKeyId');
  if (kmsKeyId !== undefined && method !== 'KMS') throw badRequest('kmsKeyId is only allowed with the KMS method.');
  return { method, algorithm, kmsKeyId };
}

/** The x-oss-server-side-encryption headers of a write (none: the bucket default applies). */
export function sseHeaders(c: EncryptionChoice): Record<string, string> {
  if (c.method === 'None') return {};
  if (c.method === 'OSS') return { 'x-oss-server-side-encryption': c.algorithm };
  return {
    'x-oss-server-side-encryption': 'KMS',
    ...(c.kmsKeyId ? { 'x-oss-server-side-encryption-key-id': c.kmsKeyId } : {}),
    ...(c.algorithm === 'SM4' ? { 'x-oss-server-side-data-encryption': 'SM4' } : {}),
  };
}

/** A bucket rule (GetBucketEncryption, GetBucketInfo's ServerSideEncryptionRule) as a choice; SSEAlgorithm "None" or absent: none. */
export function choiceFromRule(rule: { SSEAlgorithm?: string; KMSMasterKeyID?: string; KMSDataEncryption?: string } | undefined): EncryptionChoice {
  const alg = rule?.SSEAlgorithm;
  if (alg === 'KMS') {
    return { method: 'KMS', algorithm: rule!.KMSDataEncryption === 'SM4' ? 'SM4' : 'AES256', kmsKeyId: rule!.KMSMasterKeyID || undefined };
  }
  if (alg === 'AES256' || alg === 'SM4') return { method: 'OSS', algorithm: alg };
  return { method: 'None', algorithm: 'AES256' };
}

/** An object's encryption from its response headers (ali-oss lower-cases header names). */
export function choiceFromHeaders(h: Record<string, string | undefined>): EncryptionChoice {
  return choiceFromRule({
    SSEAlgorithm: h['x-oss-server-side-encryption'],
    KMSMasterKeyID: h['x-oss-server-side-encryption-key-id'],
    KMSDataEncryption: h['x-oss-server-side-data-encryption'],
  });
}

const xmlEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The PutBucketEncryption body (ali-oss's putBucketEncryption cannot send KMSDataEncryption). */
export function ruleXml(c: EncryptionChoice): string {
  const alg = c.method === 'KMS' ? 'KMS' : c.algorithm;
  const key = c.method === 'KMS' && c.kmsKeyId ? `<KMSMasterKeyID>${xmlEscape(c.kmsKeyId)}</KMSMasterKeyID>` : '';
  const data = c.method === 'KMS' && c.algorithm === 'SM4' ? '<KMSDataEncryption>SM4</KMSDataEncryption>' : '';
  return '<?xml version="1.0" encoding="UTF-8"?>\n<ServerSideEncryptionRule><ApplyServerSideEncryptionByDefault>'
    + `<SSEAlgorithm>${alg}</SSEAlgorithm>${key}${data}</ApplyServerSideEncryptionByDefault></ServerSideEncryptionRule>`;
}
