/**
 * Server-side encryption of object data: which method applies, and the envelope around each
 * object's key. Every encrypted object has its own random object key, sealed under a
 * key-encryption key that a KeyProvider supplies: the SSE-OSS master key (AES256, SM4), a KMS
 * data key (KMS), or the customer's own key sent with each request (SSE-C). Re-keying re-seals
 * only the object key, never the data.
 *
 * SSE-C: the customer key is never stored. What is stored is a keyed check, HMAC-SHA256 under the
 * customer key of a fixed label and a fresh random salt, which proves a later key is the same one
 * without revealing it (and, salted, without showing which objects share a key); the object key
 * is sealed under the customer key as under any other key-encryption key, so without the customer
 * key neither the object key nor the data can be recovered, by the server either.
 *
 * Nor does an SSE-C record keep a digest of the plaintext that could be checked against a guess
 * without the key (ETags show in every listing; the metadata store may be read by more people
 * than the data): its ETag, and each part's, is keyed by the object key (customerKeyedEtag); it
 * has no Content-MD5 and no CRC-64. The S3 flexible checksum a client asks for (x-amz-checksum-*)
 * is the one exception: it is kept and returned, because that client asked for it.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { CofferError } from '../common/errors';
import type { Suite } from '../crypto/suites';
import { unwrapObjectKey, wrapObjectKey, type WrappedKey } from '../crypto/key-wrap';
import { generateObjectKey } from '../crypto/package-format';
import type { Caller } from '../common/caller';
import type { EncryptionInfo, EncryptionRule } from '../store/types';
import type { MasterKeys } from './keys/master-keys';

export type SseAlgorithm = 'AES256' | 'SM4' | 'KMS' | 'SSE-C';

/** Encryption under a key the server holds: SSE-OSS (AES256, SM4) or SSE-KMS. */
export interface ServerKeyChoice {
  algorithm: 'AES256' | 'SM4' | 'KMS';
  /** KMS only: the CMK; absent means the managed key alias/acs/oss. */
  kmsKeyId?: string;
  /**
   * KMS only: encryption context the caller adds (S3's x-amz-server-side-encryption-context). It
   * binds the data key as the bucket and key do: every Decrypt must present it again, and it is
   * kept with the key reference for that.
   */
  kmsContext?: Record<string, string>;
  /** KMS only: SM4 data cipher instead of AES-256. */
  dataEncryption?: 'SM4';
  customerKey?: never;
}

/** SSE-C: data sealed with AES256-GCM, the object key sealed under the customer's key. */
export interface CustomerKeyChoice {
  algorithm: 'SSE-C';
  /** The customer's 256-bit key as the request carried it (the dialect checked it against its MD5). Never stored nor logged. */
  customerKey: Buffer;
  kmsKeyId?: never;
  dataEncryption?: never;
  kmsContext?: never;
}

/** The encryption a request asks for (or a bucket rule implies; a rule is never SSE-C). */
export type SseChoice = ServerKeyChoice | CustomerKeyChoice;

/** SSE-C: what proves a later key is the customer's key, without revealing it. */
export interface CustomerKekRef {
  provider: 'customer';
  /** base64 of HMAC-SHA256(customer key, CUSTOMER_KEY_CHECK_LABEL ‖ salt). */
  keyCheck: string;
  /** base64 of 16 random bytes, fresh for each seal. */
  salt: string;
}

export type KekRef =
  | { provider: 'oss'; masterKeyVersion: number }
  | { provider: 'kms'; keyId: string; ciphertextBlob: string; context?: Record<string, string> }
  | CustomerKekRef;

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

export interface KeyContext {
  bucket: string;
  key: string;
  caller: Caller;
  /** SSE-C: the customer key the request carried, to unseal an object key sealed under it. */
  customerKey?: Buffer;
}

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

/** Whether stored encryption is SSE-C (its object key sealed under a customer key the server does not keep). */
export function isCustomerKeyed(info: EncryptionInfo | ObjectEncryption | null | undefined): info is ObjectEncryption & { kek: CustomerKekRef } {
  const kek = (info as ObjectEncryption | null | undefined)?.kek;
  return kek?.provider === 'customer';
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

const CUSTOMER_ETAG_LABEL = 'coffer sse-c etag';

/**
 * The ETag of SSE-C data (an object, or a part of an upload): HMAC-SHA256 under the object key of
 * a fixed label and the plaintext's MD5, as 32 upper-case hex digits (the shape of an MD5 ETag, so
 * a multipart "HEX-N" forms over part ETags as ever). The object key is random for each object
 * (each upload, for parts) and sealed under the customer key, so the ETag is stable for the object
 * yet says nothing about the content to anyone without the customer key: not the server, not a
 * lister, not a reader of the metadata; identical content in two objects gets two ETags.
 */
export function customerKeyedEtag(objectKey: Buffer, md5: Buffer): string {
  return createHmac('sha256', objectKey).update(CUSTOMER_ETAG_LABEL, 'utf8').update(md5).digest('hex').slice(0, 32).toUpperCase();
}

export const CUSTOMER_KEY_SIZE = 32;
const CUSTOMER_KEY_CHECK_LABEL = 'coffer sse-c key check';
const CUSTOMER_KEY_CHECK_SALT_SIZE = 16;

function customerKeyCheck(customerKey: Buffer, salt: Buffer): Buffer {
  return createHmac('sha256', customerKey).update(CUSTOMER_KEY_CHECK_LABEL, 'utf8').update(salt).digest();
}

/** Whether `customerKey` is the key `ref` was made with; compared in constant time. */
export function customerKeyMatches(ref: CustomerKekRef, customerKey: Buffer): boolean {
  const expected = Buffer.from(ref.keyCheck, 'base64');
  const actual = customerKeyCheck(customerKey, Buffer.from(ref.salt, 'base64'));
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** What the SSE-C refusals say about: an object, or a multipart upload (its parts and completion). */
export type CustomerKeyTarget = 'object' | 'upload';

/** 400: SSE-C data, and no customer key in the request. */
function customerKeyMissing(target: CustomerKeyTarget): CofferError {
  return new CofferError('InvalidRequest', target === 'upload'
    ? 'The multipart upload initiate requested encryption. Subsequent part requests must include the appropriate encryption parameters.'
    : 'The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.');
}

/** 400: a customer key for data that is not SSE-C. */
function customerKeyNotApplicable(target: CustomerKeyTarget): CofferError {
  return new CofferError('InvalidRequest', target === 'upload'
    ? 'The multipart upload initiate did not request encryption with a customer-provided key. The encryption parameters are not applicable to this upload.'
    : 'The encryption parameters are not applicable to this object.');
}

/** 403: a customer key other than the one the data was stored with. */
function customerKeyWrong(target: CustomerKeyTarget): CofferError {
  return new CofferError('AccessDenied', `The customer-provided encryption key does not match the key the ${target === 'upload' ? 'multipart upload was initiated' : 'object was stored'} with.`);
}

/** 400: not a 256-bit key. */
function customerKeyInvalid(): CofferError {
  return new CofferError('InvalidArgument', 'The secret key was invalid for the specified algorithm: SSE-C takes a 256-bit key.');
}

/**
 * Throws unless `customerKey` is what using data with this stored encryption takes: for SSE-C the
 * very key it was stored with (none: 400 InvalidRequest; another: 403 AccessDenied), otherwise no
 * customer key at all (400 InvalidRequest). For the dialects (an S3 HEAD of an SSE-C object checks
 * the key without reading anything) and every core read path; it unseals nothing.
 */
export function checkCustomerKey(info: EncryptionInfo | null, customerKey: Buffer | undefined, target: CustomerKeyTarget = 'object'): void {
  const enc = asObjectEncryption(info);
  if (!isCustomerKeyed(enc)) {
    if (customerKey !== undefined) throw customerKeyNotApplicable(target);
    return;
  }
  if (customerKey === undefined) throw customerKeyMissing(target);
  if (customerKey.length !== CUSTOMER_KEY_SIZE) throw customerKeyInvalid();
  if (!customerKeyMatches(enc.kek, customerKey)) throw customerKeyWrong(target);
}

/**
 * SSE-C: key-encryption material is the customer's key, taken from the request (choice on writes,
 * context on reads) and never kept; the reference holds only the salted keyed check.
 */
export class CustomerKeyProvider implements KeyProvider {
  async newKek(choice: SseChoice): Promise<{ material: Buffer; ref: KekRef }> {
    if (choice.algorithm !== 'SSE-C') throw new Error('not an SSE-C choice');
    const customerKey = choice.customerKey;
    if (!Buffer.isBuffer(customerKey) || customerKey.length !== CUSTOMER_KEY_SIZE) throw customerKeyInvalid();
    const salt = randomBytes(CUSTOMER_KEY_CHECK_SALT_SIZE);
    const keyCheck = customerKeyCheck(customerKey, salt).toString('base64');
    return { material: customerKey, ref: { provider: 'customer', keyCheck, salt: salt.toString('base64') } };
  }

  async kek(ref: KekRef, ctx: KeyContext): Promise<Buffer> {
    if (ref.provider !== 'customer') throw new Error('not an SSE-C key reference');
    const customerKey = ctx.customerKey;
    if (customerKey === undefined) throw customerKeyMissing('object');
    if (customerKey.length !== CUSTOMER_KEY_SIZE) throw customerKeyInvalid();
    if (!customerKeyMatches(ref, customerKey)) throw customerKeyWrong('object');
    return customerKey;
  }

  async authorizeRule(): Promise<void> {
    throw new CofferError('InvalidArgument', 'SSE-C cannot be a bucket\'s default encryption: the server does not keep customer-provided keys.');
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
  /** SSE-C needs nothing from outside: the key comes with each request. */
  private readonly customer: KeyProvider = new CustomerKeyProvider();

  constructor(private readonly oss: KeyProvider, private readonly kms: KeyProvider) {}

  private provider(algorithm: SseAlgorithm): KeyProvider {
    return algorithm === 'KMS' ? this.kms : algorithm === 'SSE-C' ? this.customer : this.oss;
  }

  /** A fresh object key sealed for ctx, and the metadata that lets it be unsealed later. */
  async newObjectKey(choice: SseChoice, ctx: KeyContext): Promise<{ info: ObjectEncryption; objectKey: Buffer }> {
    const objectKey = generateObjectKey();
    return { info: await this.seal(choice, objectKey, ctx), objectKey };
  }

  /** Seals an existing object key anew (re-keying, rotation): the data stays as it is. */
  async seal(choice: SseChoice, objectKey: Buffer, ctx: KeyContext): Promise<ObjectEncryption> {
    // Typed away; a caller outside TypeScript must not have a stray key silently ignored.
    if (choice.algorithm !== 'SSE-C' && (choice as { customerKey?: unknown }).customerKey !== undefined) throw new Error(`a customer key with ${choice.algorithm}`);
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

  /** The object key of stored encryption; SSE-C takes ctx.customerKey (and refuses a missing or wrong one). */
  async objectKey(info: ObjectEncryption, ctx: KeyContext): Promise<Buffer> {
    if (ctx.customerKey !== undefined && !isCustomerKeyed(info)) throw customerKeyNotApplicable('object');
    const material = await this.provider(info.algorithm).kek(info.kek, ctx);
    return unwrapObjectKey(info.suite, material, wrapContext(ctx), info.wrapped);
  }
}
