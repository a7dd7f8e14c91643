import { createCipheriv, createDecipheriv } from 'node:crypto';
import { CofferError } from '../common/errors';
import { randomBytes } from './random';

const NONCE_SIZE = 12;
const TAG_SIZE = 16;

/** AES-256-GCM, random 12-byte nonce; output = nonce ‖ ciphertext ‖ 16-byte tag. aad binds the purpose. */
export function seal(key: Buffer, plaintext: Buffer, aad: Buffer): Buffer {
  const nonce = randomBytes(NONCE_SIZE);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_SIZE });
  cipher.setAAD(aad);
  return Buffer.concat([nonce, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

/** Inverse of seal; any failure (wrong key, wrong aad, tampering, malformed input) is a DataIntegrityError. */
export function open(key: Buffer, sealed: Buffer, aad: Buffer): Buffer {
  try {
    if (sealed.length < NONCE_SIZE + TAG_SIZE) throw new Error('too short');
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, NONCE_SIZE), {
      authTagLength: TAG_SIZE,
    });
    decipher.setAAD(aad);
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_SIZE));
    const body = decipher.update(sealed.subarray(NONCE_SIZE, sealed.length - TAG_SIZE));
    return Buffer.concat([body, decipher.final()]);
  } catch {
    throw new CofferError('DataIntegrityError', 'sealed data failed authentication');
  }
}
