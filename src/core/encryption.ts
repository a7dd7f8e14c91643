/**
 * Server-side encryption of object data: which method applies, and the envelope around each
 * object's key. Every encrypted object has its own random object key, sealed under a
 * key-encryption key that a KeyProvider supplies: the SSE-OSS master key (AES256, SM4) or a KMS
 * data key (KMS). Re-keying re-seals only the object key, never the data.
 */
import { CofferError } from '../common/errors';
import type { Suite } from '../crypto/suites';
import { unwrapObjectKey, wrapObjectKey, type WrappedKey } from '../crypto/key-wrap';
import { generateObjectKey } from '../crypto/package-format';
import type { Caller } from '../iam/caller';
import type { EncryptionInfo, EncryptionRule } from '../store/types';
import type { MasterKeys } from './keys/master-keys';

export type SseAlgorithm = 'AES256' | 'SM4' | 'KMS';

/** The encryption a request asks for (or a bucket rule implies). */
export interface SseChoice {
  algorithm: SseAlgorithm;
  /** KMS only: the CMK; absent means the managed key alias/acs/oss. */
  kmsKeyId?: string;
  /** KMS only: SM4 data cipher instead of AES-256. */
  dataEncryption?: 'SM4';
}

export type KekRef =
  | { provider: 'oss'; masterKeyVersion: number }
  | { provider: 'kms'; keyId: string; ciphertextBlob: string };

/** What is stored with an object (or multipart upload) that is encrypted. */
export interface ObjectEncryption {
  version: 1;
  algorithm: SseAlgorithm;
  dataEncryption?: 'SM4';
  /** KMS: the CMK id reported in x-oss-server-side-encryption-key-id. */
  kmsKeyId?: string;
  suite: Suite;
  kek: KekRef;
  wrapped: WrappedKey;
}

export interface KeyContext { bucket: string; key: string; caller: Caller }

/** What a bucket rule needs to know of a named key-encryption key. */
export interface RuleKeyStatus {
  /** The real key id behind the name (id, alias or ARN). */
  keyId: string;
  /** Enabled, Disabled, PendingDeletion, PendingImport. */
  state: string;
  /** Whether it encrypts data keys (symmetric, ENCRYPT/DECRYPT). */
  symmetric: boolean;
}

/** Supplies key-encryption material. SSE-KMS plugs in here (one GenerateDataKey per new key, one Decrypt per read). */
export interface KeyProvider {
  newKek(choice: SseChoice, ctx: KeyContext): Promise<{ material: Buffer; ref: KekRef; kmsKeyId?: string }>;
  kek(ref: KekRef, ctx: KeyContext): Promise<Buffer>;
  /** Throws unless the caller may make `choice` a bucket's default (SSE-KMS: use of the named CMK). */
  authorizeRule?(choice: SseChoice, caller: Caller): Promise<void>;
  /** The named key's status, or null when the provider knows no such key. */
  ruleKeyStatus?(keyId: string): Promise<RuleKeyStatus | null>;
}

/** Object header wins over the bucket default; neither means no encryption. */
export function resolveSse(requested: SseChoice | null, rule: EncryptionRule | null): SseChoice | null {
  if (requested) return requested;
  if (!rule) return null;
  return rule.algorithm === 'KMS'
    ? { algorithm: 'KMS', kmsKeyId: rule.kmsMasterKeyId || undefined, dataEncryption: rule.kmsDataEncryption }
    : { algorithm: rule.algorithm };
}

export function suiteOf(choice: SseChoice): Suite {
  if (choice.algorithm === 'SM4' || (choice.algorithm === 'KMS' && choice.dataEncryption === 'SM4')) return 'SM4-CTR-HMAC-SM3';
  return 'AES256-GCM';
}

const wrapContext = (where: { bucket: string; key: string }): string => `${where.bucket}/${where.key}`;

export function asObjectEncryption(info: EncryptionInfo | null): ObjectEncryption | null {
  return info as unknown as ObjectEncryption | null;
}

/**
 * SSE-OSS after a master-key rotation: the same object key sealed under `to` instead of the
 * version that sealed it (`from`, its material). The data, and so the object, stay as they are.
 */
export function resealUnderMasterKey(
  info: ObjectEncryption,
  where: { bucket: string; key: string },
  from: Buffer,
  to: { version: number; key: Buffer },
): ObjectEncryption {
  if (info.kek.provider !== 'oss') throw new Error('not an SSE-OSS object key');
  const context = wrapContext(where);
  const objectKey = unwrapObjectKey(info.suite, from, context, info.wrapped);
  try {
    return { ...info, kek: { provider: 'oss', masterKeyVersion: to.version }, wrapped: wrapObjectKey(info.suite, to.key, context, objectKey) };
  } finally {
    objectKey.fill(0);
  }
}

/** SSE-OSS: key-encryption material is the current master key version. */
export class OssKeyProvider implements KeyProvider {
  constructor(private readonly masterKeys: MasterKeys) {}

  async newKek(): Promise<{ material: Buffer; ref: KekRef }> {
    const { version, key } = await this.masterKeys.current();
    return { material: key, ref: { provider: 'oss', masterKeyVersion: version } };
  }

  async kek(ref: KekRef): Promise<Buffer> {
    if (ref.provider !== 'oss') throw new Error('not an SSE-OSS key reference');
    return this.masterKeys.get(ref.masterKeyVersion);
  }
}

/**
 * OSS's answer to a rule naming a CMK that cannot encrypt: 400 InvalidArgument, with OSS's EC for a
 * CMK id that KMS does not know (0005-00000208) or for a disabled CMK (0005-00000214).
 */
function checkRuleKey(named: string, status: RuleKeyStatus | null): void {
  const why = !status ? 'KMS has no such key (id, alias or ARN)'
    : status.state !== 'Enabled' ? `the key ${status.keyId} is ${status.state}; only an Enabled key can encrypt`
    : !status.symmetric ? `the key ${status.keyId} is not a symmetric ENCRYPT/DECRYPT key`
    : null;
  if (why === null) return;
  throw new CofferError('InvalidArgument', `The KMS key ${named} cannot be the bucket's default: ${why}.`, {
    ArgumentName: 'KMSMasterKeyID', ArgumentValue: named, EC: status && status.state !== 'Enabled' ? '0005-00000214' : '0005-00000208',
  });
}

export class Encryption {
  constructor(private readonly oss: KeyProvider, private readonly kms: KeyProvider) {}

  private provider(algorithm: SseAlgorithm): KeyProvider {
    return algorithm === 'KMS' ? this.kms : this.oss;
  }

  /** A fresh object key sealed for ctx, and the metadata that lets it be unsealed later. */
  async newObjectKey(choice: SseChoice, ctx: KeyContext): Promise<{ info: ObjectEncryption; objectKey: Buffer }> {
    const objectKey = generateObjectKey();
    return { info: await this.seal(choice, objectKey, ctx), objectKey };
  }

  /** Seals an existing object key anew (re-keying, rotation): the data stays as it is. */
  async seal(choice: SseChoice, objectKey: Buffer, ctx: KeyContext): Promise<ObjectEncryption> {
    const suite = suiteOf(choice);
    const { material, ref, kmsKeyId } = await this.provider(choice.algorithm).newKek(choice, ctx);
    return {
      version: 1,
      algorithm: choice.algorithm,
      dataEncryption: choice.algorithm === 'KMS' ? choice.dataEncryption : undefined,
      kmsKeyId,
      suite,
      kek: ref,
      wrapped: wrapObjectKey(suite, material, wrapContext(ctx), objectKey),
    };
  }

  /**
   * Throws unless `choice` may become a bucket's default encryption (PutBucketEncryption, PutBucket
   * with SSE headers): the caller may use it, and a named CMK can encrypt now, for every caller,
   * the root included; a rule naming a key that cannot would make every later upload fail. The
   * managed key (no key id) is created on first use and needs no check.
   */
  async authorizeRule(choice: SseChoice, caller: Caller): Promise<void> {
    const provider = this.provider(choice.algorithm);
    await provider.authorizeRule?.(choice, caller);
    if (choice.kmsKeyId && provider.ruleKeyStatus) checkRuleKey(choice.kmsKeyId, await provider.ruleKeyStatus(choice.kmsKeyId));
  }

  async objectKey(info: ObjectEncryption, ctx: KeyContext): Promise<Buffer> {
    const material = await this.provider(info.algorithm).kek(info.kek, ctx);
    return unwrapObjectKey(info.suite, material, wrapContext(ctx), info.wrapped);
  }
}
