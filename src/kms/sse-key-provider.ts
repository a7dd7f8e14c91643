/**
 * SSE-KMS, the KMS side of the core's KeyProvider: the key-encryption material of an object is a KMS data key. One GenerateDataKey per
 * new object key (a PUT, a multipart upload, a re-keying copy) and one Decrypt per read; the
 * ciphertext blob and the CMK id are kept with the object. The encryption context names the
 * bucket and object, so a blob cannot be replayed for another object.
 *
 * The caller's own KMS permissions on a named CMK are checked first (seed 004, "Required
 * permissions"): a new key needs kms:DescribeKey and kms:GenerateDataKey, unsealing one (a read,
 * an upload part, an append, a copy source) kms:Decrypt, and a bucket rule naming the CMK
 * kms:DescribeKey and kms:ListAliasesByKeyId. The managed key alias/acs/oss needs none: OSS uses
 * it on its own behalf.
 */
import { CofferError, isCofferError } from '../common/errors';
import type { KekRef, KeyContext, KeyProvider, RuleKeyStatus, SseChoice } from '../core/encryption';
import type { Caller } from '../common/caller';
import { keyResource, kmsAllowed } from './access';
import type { KmsAccounting } from './accounting';
import type { KmsService } from './service';

export const MANAGED_OSS_KEY = 'alias/acs/oss';
/** Key specs that seal data keys; today's KMS makes no other, but a rule must not depend on that. */
const SYMMETRIC_SPECS: ReadonlySet<string> = new Set(['Aliyun_AES_256', 'Aliyun_SM4']);

/** The bucket and object, and what the caller added (its keys cannot take the acs: ones' place). */
const encryptionContext = (ctx: KeyContext, added?: Record<string, string>): Record<string, string> =>
  ({ ...added, 'acs:oss:bucket': ctx.bucket, 'acs:oss:object': ctx.key });

/** A KMS refusal on the data path is a 403 that names the KMS reason; nothing is written. */
function refused(err: unknown, keyId: string): never {
  if (isCofferError(err) && err.code !== 'InternalFailure') {
    throw new CofferError('AccessDenied', `KMS refused to use key ${keyId}: ${err.code}: ${err.message}`, { KmsErrorCode: err.code });
  }
  throw err;
}

/** The refusal OSS answers when the caller's RAM policies do not allow the KMS use; nothing is written. */
const forbiddenByKms = (): CofferError => new CofferError('AccessDenied', 'This request is forbidden by kms');

const isManaged = (keyId: string | undefined): boolean => !keyId || keyId === MANAGED_OSS_KEY;

function noAnonymous(ctx: KeyContext): void {
  if (ctx.caller.principal.kind === 'anonymous') {
    throw new CofferError('AccessDenied', 'Anonymous requests cannot use SSE-KMS encrypted objects or buckets.');
  }
}

export class KmsKeyProvider implements KeyProvider {
  /**
   * The id of the key behind alias/acs/oss, once known. No caller can retarget or delete a service
   * alias, nor disable or schedule the deletion of its key (service-keys.ts): it changes only
   * when a key an older release let be deleted is destroyed, and every use still reads the key's
   * record (GenerateDataKey answers KeyNotFound then, and the key is looked up again). Saves the
   * alias and key reads of ensureServiceKey on every PUT.
   */
  private managedKeyId: string | undefined;

  constructor(private readonly kms: KmsService, private readonly accounting: KmsAccounting) {}

  /** The managed key's id, created on first use (ensureServiceKey); `fresh` looks it up again. */
  private async managedKey(fresh = false): Promise<string> {
    if (fresh || this.managedKeyId === undefined) this.managedKeyId = await this.kms.ensureServiceKey(MANAGED_OSS_KEY);
    return this.managedKeyId;
  }

  async newKek(choice: SseChoice, ctx: KeyContext): Promise<{ material: Buffer; ref: KekRef; kmsKeyId: string }> {
    noAnonymous(ctx);
    // The managed key is created on first use, whether asked for by name or by omission.
    if (!isManaged(choice.kmsKeyId)) return this.generate(choice, ctx, choice.kmsKeyId!);
    const keyId = await this.managedKey();
    try {
      return await this.generate(choice, ctx, keyId);
    } catch (err) {
      // The managed key known here was destroyed (by any process): look the alias up again, once.
      if (!isCofferError(err) || err.extras.KmsErrorCode !== 'Forbidden.KeyNotFound') throw err;
      const current = await this.managedKey(true);
      if (current === keyId) throw err;
      return this.generate(choice, ctx, current);
    }
  }

  /** GenerateDataKey under keyId for the object, after the caller's own KMS permissions. */
  private async generate(choice: SseChoice, ctx: KeyContext, keyId: string): Promise<{ material: Buffer; ref: KekRef; kmsKeyId: string }> {
    const origin = { principal: ctx.caller.principal, via: 'oss' as const, bucket: ctx.bucket, object: ctx.key };
    await this.permit(ctx.caller, ['kms:DescribeKey', 'kms:GenerateDataKey'], keyId);
    const r = await this.accounting.record('GenerateDataKey', keyId, origin, () =>
      this.kms.GenerateDataKey({ KeyId: keyId, NumberOfBytes: 32, EncryptionContext: encryptionContext(ctx, choice.kmsContext) }),
    ).catch((err) => refused(err, keyId));
    return {
      material: Buffer.from(r.Plaintext, 'base64'),
      ref: { provider: 'kms', keyId: r.KeyId, ciphertextBlob: r.CiphertextBlob, ...(choice.kmsContext && { context: choice.kmsContext }) },
      kmsKeyId: r.KeyId,
    };
  }

  async kek(ref: KekRef, ctx: KeyContext): Promise<Buffer> {
    if (ref.provider !== 'kms') throw new Error('not an SSE-KMS key reference');
    noAnonymous(ctx);
    await this.permit(ctx.caller, ['kms:Decrypt'], ref.keyId);
    const origin = { principal: ctx.caller.principal, via: 'oss' as const, bucket: ctx.bucket, object: ctx.key };
    const r = await this.accounting.record('Decrypt', ref.keyId, origin, () =>
      this.kms.Decrypt({ CiphertextBlob: ref.ciphertextBlob, EncryptionContext: encryptionContext(ctx, ref.context) }),
    ).catch((err) => refused(err, ref.keyId));
    return Buffer.from(r.Plaintext, 'base64');
  }

  /**
   * A bucket rule (PutBucketEncryption, PutBucket) that names a CMK: kms:DescribeKey and
   * kms:ListAliasesByKeyId (the seed's kms:List*) on the key. Both act on the key's own ARN, so a
   * policy naming only that CMK, as the seed suggests, is enough; the key and alias containers
   * (ListKeys, ListAliases) serve a console choosing among keys, not this call.
   */
  async authorizeRule(choice: SseChoice, caller: Caller): Promise<void> {
    if (!isManaged(choice.kmsKeyId)) await this.permit(caller, ['kms:DescribeKey', 'kms:ListAliasesByKeyId'], choice.kmsKeyId!);
  }

  /**
   * DescribeKey on OSS's behalf (after authorizeRule checked the caller's own kms:DescribeKey): null
   * for an unknown key. The managed key, named as alias/acs/oss, is created here as on first use.
   */
  async ruleKeyStatus(keyInput: string): Promise<RuleKeyStatus | null> {
    try {
      const keyId = isManaged(keyInput) ? await this.kms.ensureServiceKey(MANAGED_OSS_KEY) : keyInput;
      const m = (await this.kms.DescribeKey({ KeyId: keyId })).KeyMetadata;
      return { keyId: m.KeyId, state: m.KeyState, symmetric: m.KeyUsage === 'ENCRYPT/DECRYPT' && SYMMETRIC_SPECS.has(m.KeySpec) };
    } catch (err) {
      if (isCofferError(err) && (err.code === 'Forbidden.KeyNotFound' || err.code === 'Forbidden.AliasNotFound')) return null;
      throw err;
    }
  }

  /** Throws "forbidden by kms" unless the caller may perform every action on the key (id, alias or ARN). */
  private async permit(caller: Caller, actions: readonly string[], keyInput: string): Promise<void> {
    if (caller.principal.kind === 'root') return;
    const key = await keyResource(this.kms, '', keyInput);
    // The managed key, also when named by its id, is used by OSS on its own behalf. Another key is
    // checked against the alias itself: the id known here may be of a destroyed managed key.
    if (key.keyId !== undefined && key.keyId === this.managedKeyId) return;
    if (key.keyId !== undefined && key.keyId === (await this.kms.aliasTarget(MANAGED_OSS_KEY))) return;
    for (const action of actions) {
      if (!(await kmsAllowed(this.kms, caller, { ...key, action }))) throw forbiddenByKms();
    }
  }
}
