import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  timingSafeEqual,
} from 'node:crypto';
import { CofferError } from '../common/errors';
import { hkdf } from './hkdf';

/*
 * The AEADs that seal packages (see package-format.ts). Both bind every package to its index
 * and to whether it is the last one, via
 *   AAD_i = "coffer/v1" ‖ uint64be(i) ‖ final (1 byte, 0/1).
 * Each key derivation (ikm, salt, info) gets a fresh random salt, so (key, nonce) pairs never
 * repeat across derivations, and within one derivation the index makes nonces unique.
 */

export type Suite = 'AES256-GCM' | 'SM4-CTR-HMAC-SM3';
export const SUITES: readonly Suite[] = ['AES256-GCM', 'SM4-CTR-HMAC-SM3'];

export const TAG_SIZE = 16;

/** Seals and opens the numbered packages of one key derivation. */
export interface PackageCipher {
  /** Returns ciphertext and tag separately so callers can stream them without concatenating. */
  seal(index: number, final: boolean, plaintext: Buffer): [ciphertext: Buffer, tag: Buffer];
  /** Returns the plaintext only after the tag verified; otherwise throws DataIntegrityError. */
  open(index: number, final: boolean, ciphertext: Buffer, tag: Buffer): Buffer;
}

/** The hash each suite uses for key derivation, so an SM suite stays within SM algorithms. */
export const SUITE_HASH: Readonly<Record<Suite, 'sha256' | 'sm3'>> = { 'AES256-GCM': 'sha256', 'SM4-CTR-HMAC-SM3': 'sm3' };

/** Derives the suite's keys with HKDF over the suite's hash and returns its package cipher. */
export function packageCipher(suite: Suite, ikm: Buffer, salt: Buffer, info: string): PackageCipher {
  const derive = (length: number) => hkdf(SUITE_HASH[suite], ikm, salt, info, length);
  switch (suite) {
    case 'AES256-GCM':
      return aesGcm(derive(32 + 12));
    case 'SM4-CTR-HMAC-SM3':
      return sm4CtrHmacSm3(derive(16 + 32 + 8));
  }
}

const AAD_PREFIX = 'coffer/v1';

function aad(index: number, final: boolean): Buffer {
  const out = Buffer.alloc(AAD_PREFIX.length + 9);
  out.write(AAD_PREFIX, 0, 'latin1');
  out.writeBigUInt64BE(BigInt(index), AAD_PREFIX.length);
  out[out.length - 1] = final ? 1 : 0;
  return out;
}

function authFailure(index: number): CofferError {
  return new CofferError('DataIntegrityError', `encrypted package ${index} failed authentication`);
}

/** keys = 32-byte AES key ‖ 12-byte nonce base; nonce_i = base XOR (0^32 ‖ uint64be(i)). */
function aesGcm(keys: Buffer): PackageCipher {
  // Raw key bytes, no KeyObject: each cipher imports the key anyway, and a KeyObject per object
  // read or written is one more native handle for the garbage collector.
  const key = keys.subarray(0, 32);
  const nonceBase = keys.subarray(32);
  const nonce = (index: number): Buffer => {
    const n = Buffer.from(nonceBase);
    n.writeBigUInt64BE(n.readBigUInt64BE(4) ^ BigInt(index), 4);
    return n;
  };
  return {
    seal(index, final, plaintext) {
      const cipher = createCipheriv('aes-256-gcm', key, nonce(index), { authTagLength: TAG_SIZE });
      cipher.setAAD(aad(index, final));
      const ciphertext = cipher.update(plaintext);
      cipher.final();
      return [ciphertext, cipher.getAuthTag()];
    },
    open(index, final, ciphertext, tag) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, nonce(index), { authTagLength: TAG_SIZE });
        decipher.setAAD(aad(index, final));
        decipher.setAuthTag(tag);
        const plaintext = decipher.update(ciphertext);
        decipher.final(); // throws on a bad tag; GCM emits nothing here
        return plaintext;
      } catch {
        throw authFailure(index);
      }
    },
  };
}

/**
 * Encrypt-then-MAC. keys = 16-byte SM4 key ‖ 32-byte HMAC-SM3 key ‖ 8-byte IV prefix.
 * IV_i = prefix ‖ uint32be(i) ‖ uint32be(0): CTR increments the low 32 bits only, and a package
 * has at most 4096 blocks, so the counter ranges of different packages never overlap.
 */
function sm4CtrHmacSm3(keys: Buffer): PackageCipher {
  const encKey = keys.subarray(0, 16);
  const macKey = keys.subarray(16, 48);
  const ivPrefix = keys.subarray(48);
  const iv = (index: number): Buffer => {
    if (index > 0xffffffff) throw new RangeError(`package index ${index} exceeds the SM4 IV space`);
    const out = Buffer.alloc(16);
    ivPrefix.copy(out);
    out.writeUInt32BE(index, 8);
    return out;
  };
  const mac = (index: number, final: boolean, ivI: Buffer, ciphertext: Buffer): Buffer =>
    createHmac('sm3', macKey).update(aad(index, final)).update(ivI).update(ciphertext).digest().subarray(0, TAG_SIZE);
  return {
    seal(index, final, plaintext) {
      const ivI = iv(index);
      const cipher = createCipheriv('sm4-ctr', encKey, ivI);
      const ciphertext = cipher.update(plaintext);
      cipher.final();
      return [ciphertext, mac(index, final, ivI, ciphertext)];
    },
    open(index, final, ciphertext, tag) {
      const ivI = iv(index);
      const expected = mac(index, final, ivI, ciphertext);
      if (tag.length !== TAG_SIZE || !timingSafeEqual(tag, expected)) throw authFailure(index);
      const decipher = createDecipheriv('sm4-ctr', encKey, ivI);
      const plaintext = decipher.update(ciphertext);
      decipher.final();
      return plaintext;
    },
  };
}
