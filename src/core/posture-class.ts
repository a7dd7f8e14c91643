/**
 * The encryption class of an object or unfinished multipart upload, as the encryption posture
 * counts it (bucket-stats.ts keeps the counts, encryption-posture.ts reports them): how its data
 * is encrypted and what its object key depends on. A class is kept as a short string key in the
 * counter documents:
 *   None                       stored in the clear
 *   Symlink                    a link: no data of its own
 *   OSS:<AES256|SM4>:<version> SSE-OSS, object key sealed by that master-key version
 *   KMS:<AES256|SM4>:<key id>  SSE-KMS, object key sealed by a data key of that CMK
 *   SSE-C:AES256               customer-provided key (never stored)
 *   Unknown                    an encryption record this release does not understand
 * The algorithm is the data cipher actually used (the record's suite), not the header that asked.
 */
import type { EncryptionInfo, ObjectType } from '../store/types';
import { asObjectEncryption } from './encryption';

export type PostureMode = 'None' | 'Symlink' | 'SSE-OSS' | 'SSE-KMS' | 'SSE-C' | 'Unknown';

export interface PostureClass {
  mode: PostureMode;
  /** The data cipher, for encrypted classes. */
  algorithm?: 'AES256' | 'SM4';
  /** SSE-OSS: the master-key version that sealed the object key. */
  masterKeyVersion?: number;
  /** SSE-KMS: the CMK whose data key sealed the object key. */
  kmsKeyId?: string;
}

/** The class key of a record's encryption (`type`: an object's, to tell links apart). */
export function postureClassKey(encryption: EncryptionInfo | null, type?: ObjectType): string {
  if (type === 'Symlink') return 'Symlink';
  const enc = asObjectEncryption(encryption);
  if (!enc) return 'None';
  const algorithm = typeof enc.suite === 'string' && enc.suite.startsWith('SM4') ? 'SM4' : 'AES256';
  const kek = enc.kek as { provider?: unknown; masterKeyVersion?: unknown; keyId?: unknown } | undefined;
  if (kek?.provider === 'oss' && Number.isSafeInteger(kek.masterKeyVersion)) return `OSS:${algorithm}:${kek.masterKeyVersion as number}`;
  if (kek?.provider === 'kms' && typeof kek.keyId === 'string' && kek.keyId) return `KMS:${algorithm}:${kek.keyId}`;
  if (kek?.provider === 'customer') return `SSE-C:${algorithm}`;
  return 'Unknown';
}

/** The class a key names (the inverse of postureClassKey). */
export function parsePostureClass(key: string): PostureClass {
  const [kind, algorithm, ...rest] = key.split(':');
  const alg = algorithm === 'SM4' ? 'SM4' : 'AES256';
  // A key id is everything after the second colon (ids have none, but an ARN would).
  const tail = rest.join(':');
  if (kind === 'OSS' && /^\d+$/.test(tail)) return { mode: 'SSE-OSS', algorithm: alg, masterKeyVersion: Number(tail) };
  if (kind === 'KMS' && tail) return { mode: 'SSE-KMS', algorithm: alg, kmsKeyId: tail };
  if (kind === 'SSE-C') return { mode: 'SSE-C', algorithm: alg };
  if (key === 'None' || key === 'Symlink') return { mode: key };
  return { mode: 'Unknown' };
}
