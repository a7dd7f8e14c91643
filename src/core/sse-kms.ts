/**
 * SSE-KMS: the key-encryption material of an object is a KMS data key. One GenerateDataKey per
 * new object key (a PUT, a multipart upload, a re-keying copy) and one Decrypt per read; the
 * ciphertext blob and the CMK id are kept with the object. The encryption context names the
 * bucket and object, so a blob cannot be replayed for another object.
 */
import type { KmsAccounting } from '../kms/accounting';
import type { KmsService } from '../kms/service';
import { CofferError, isCofferError } from './errors';
import type { KekRef, KeyContext, KeyProvider, SseChoice } from './encryption';

export const MANAGED_OSS_KEY = 'alias/acs/oss';

const encryptionContext = (ctx: KeyContext): Record<string, string> => ({ 'acs:oss:bucket': ctx.bucket, 'acs:oss:object': ctx.key });

/** A KMS refusal on the data path is a 403 that names the KMS reason; nothing is written. */
function refused(err: unknown, keyId: string): never {
  if (isCofferError(err) && err.code !== 'InternalFailure') {
    throw new CofferError('AccessDenied', `KMS refused to use key ${keyId}: ${err.code}: ${err.message}`, { KmsErrorCode: err.code });
  }
  throw err;
}

function noAnonymous(ctx: KeyContext): void {
  if (ctx.principal.kind === 'anonymous') {
    throw new CofferError('AccessDenied', 'Anonymous requests cannot use SSE-KMS encrypted objects or buckets.');
  }
}

export class KmsKeyProvider implements KeyProvider {
  constructor(private readonly kms: KmsService, private readonly accounting: KmsAccounting) {}

  async newKek(choice: SseChoice, ctx: KeyContext): Promise<{ material: Buffer; ref: KekRef; kmsKeyId: string }> {
    noAnonymous(ctx);
    const origin = { principal: ctx.principal, via: 'oss' as const, bucket: ctx.bucket, object: ctx.key };
    // The managed key is created on first use, whether asked for by name or by omission.
    const keyId = !choice.kmsKeyId || choice.kmsKeyId === MANAGED_OSS_KEY
      ? await this.kms.ensureServiceKey(MANAGED_OSS_KEY)
      : choice.kmsKeyId;
    const r = await this.accounting.record('GenerateDataKey', keyId, origin, () =>
      this.kms.GenerateDataKey({ KeyId: keyId, NumberOfBytes: 32, EncryptionContext: encryptionContext(ctx) }),
    ).catch((err) => refused(err, keyId));
    return {
      material: Buffer.from(r.Plaintext, 'base64'),
      ref: { provider: 'kms', keyId: r.KeyId, ciphertextBlob: r.CiphertextBlob },
      kmsKeyId: r.KeyId,
    };
  }

  async kek(ref: KekRef, ctx: KeyContext): Promise<Buffer> {
    if (ref.provider !== 'kms') throw new Error('not an SSE-KMS key reference');
    noAnonymous(ctx);
    const origin = { principal: ctx.principal, via: 'oss' as const, bucket: ctx.bucket, object: ctx.key };
    const r = await this.accounting.record('Decrypt', ref.keyId, origin, () =>
      this.kms.Decrypt({ CiphertextBlob: ref.ciphertextBlob, EncryptionContext: encryptionContext(ctx) }),
    ).catch((err) => refused(err, ref.keyId));
    return Buffer.from(r.Plaintext, 'base64');
  }
}
