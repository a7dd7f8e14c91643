import { createHash } from 'node:crypto';
import { CofferError } from '../common/errors';
import { randomBytes } from './random';
import { packageCipher, SUITE_HASH, TAG_SIZE, type PackageCipher, type Suite } from './suites';

/** An object key sealed for storage in object metadata JSON; both fields base64. */
export interface WrappedKey {
  salt: string;
  sealed: string;
}

const SALT_SIZE = 32;

/**
 * The KEK comes from HKDF over the provider's key material with a fresh salt; the context
 * (naming bucket and object) is in the HKDF info, so a sealed key only opens for its own object.
 * Node caps HKDF info at 1024 bytes while object names alone may take 1023, so the context
 * enters as its hex digest under the suite's hash. The object key is sealed as package 0,
 * final, of the suite's own package AEAD.
 */
function kekCipher(suite: Suite, kekMaterial: Buffer, context: string, salt: Buffer): PackageCipher {
  const contextDigest = createHash(SUITE_HASH[suite]).update(context, 'utf8').digest('hex');
  return packageCipher(suite, kekMaterial, salt, `coffer/v1/kek|${suite}|${contextDigest}`);
}

export function wrapObjectKey(suite: Suite, kekMaterial: Buffer, context: string, objectKey: Buffer): WrappedKey {
  const salt = randomBytes(SALT_SIZE);
  const [ciphertext, tag] = kekCipher(suite, kekMaterial, context, salt).seal(0, true, objectKey);
  return { salt: salt.toString('base64'), sealed: Buffer.concat([ciphertext, tag]).toString('base64') };
}

/** Throws DataIntegrityError for wrong material or context, or a tampered/malformed wrapped key. */
export function unwrapObjectKey(suite: Suite, kekMaterial: Buffer, context: string, wrapped: WrappedKey): Buffer {
  const salt = Buffer.from(wrapped.salt, 'base64');
  const sealed = Buffer.from(wrapped.sealed, 'base64');
  try {
    if (salt.length !== SALT_SIZE || sealed.length < TAG_SIZE) throw new Error('malformed');
    const tagAt = sealed.length - TAG_SIZE;
    return kekCipher(suite, kekMaterial, context, salt).open(0, true, sealed.subarray(0, tagAt), sealed.subarray(tagAt));
  } catch {
    throw new CofferError('DataIntegrityError', 'object key could not be unwrapped: wrong key material or context, or tampered');
  }
}
