/**
 * CiphertextBlob, format 1 (base64 on the wire):
 *
 *   0x01 ‖ len ‖ key id (ASCII) ‖ len ‖ key version id (ASCII) ‖ salt (16) ‖ ciphertext ‖ tag (16)
 *
 * (len = one byte). The header names the key and version, so Decrypt needs no KeyId and works
 * after rotation. The plaintext is sealed as package 0 (final) of the key spec's package cipher
 * (src/crypto/suites.ts: AES-256-GCM for Aliyun_AES_256, SM4-CTR + HMAC-SM3 for Aliyun_SM4),
 * keyed by HKDF(key material, salt, info). The package ciphers take no caller AAD, so the AAD —
 * header ‖ canonical EncryptionContext — enters through the info as its digest (SHA-256, or SM3
 * for SM4): a changed header or a different context derives different keys and the tag fails.
 * The fresh random salt gives every blob its own derived key and nonce. The context is not stored.
 */
import { createHash } from 'node:crypto';
import { CofferError } from '../common/errors';
import { randomBytes } from '../crypto/random';
import { packageCipher, SUITE_HASH, TAG_SIZE, type PackageCipher, type Suite } from '../crypto/suites';
import { invalidParameter } from './errors';
import type { KeySpec } from './types';

const FORMAT = 1;
const SALT_SIZE = 16;

const SUITE: Readonly<Record<KeySpec, Suite>> = { Aliyun_AES_256: 'AES256-GCM', Aliyun_SM4: 'SM4-CTR-HMAC-SM3' };

export interface ParsedBlob {
  keyId: string;
  versionId: string;
  header: Buffer;
  salt: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

function encodeHeader(keyId: string, versionId: string): Buffer {
  const k = Buffer.from(keyId, 'latin1');
  const v = Buffer.from(versionId, 'latin1');
  if (k.length > 255 || v.length > 255) throw new RangeError('key and version ids must fit in 255 bytes');
  return Buffer.concat([Buffer.of(FORMAT, k.length), k, Buffer.of(v.length), v]);
}

function cipherFor(spec: KeySpec, material: Buffer, salt: Buffer, header: Buffer, context: Buffer): PackageCipher {
  const suite = SUITE[spec];
  const aadDigest = createHash(SUITE_HASH[suite]).update(header).update(context).digest('hex');
  return packageCipher(suite, material, salt, `coffer/v1/kms-blob|${aadDigest}`);
}

export function sealBlob(
  spec: KeySpec,
  material: Buffer,
  ids: { keyId: string; versionId: string },
  context: Buffer,
  plaintext: Buffer,
): string {
  const header = encodeHeader(ids.keyId, ids.versionId);
  const salt = randomBytes(SALT_SIZE);
  const [ciphertext, tag] = cipherFor(spec, material, salt, header, context).seal(0, true, plaintext);
  return Buffer.concat([header, salt, ciphertext, tag]).toString('base64');
}

/** Reads the header; the contents stay unauthenticated until openBlob. */
export function parseBlob(blob: string): ParsedBlob {
  const bytes = Buffer.from(blob, 'base64');
  const malformed = () => invalidParameter('CiphertextBlob', 'it is not a ciphertext produced by this KMS');
  if (bytes.length < 2 || bytes[0] !== FORMAT) throw malformed();
  const keyEnd = 2 + bytes[1]!;
  if (bytes.length <= keyEnd) throw malformed();
  const versionEnd = keyEnd + 1 + bytes[keyEnd]!;
  if (bytes.length < versionEnd + SALT_SIZE + TAG_SIZE) throw malformed();
  return {
    keyId: bytes.subarray(2, keyEnd).toString('latin1'),
    versionId: bytes.subarray(keyEnd + 1, versionEnd).toString('latin1'),
    header: bytes.subarray(0, versionEnd),
    salt: bytes.subarray(versionEnd, versionEnd + SALT_SIZE),
    ciphertext: bytes.subarray(versionEnd + SALT_SIZE, bytes.length - TAG_SIZE),
    tag: bytes.subarray(bytes.length - TAG_SIZE),
  };
}

export function openBlob(spec: KeySpec, material: Buffer, blob: ParsedBlob, context: Buffer): Buffer {
  try {
    return cipherFor(spec, material, blob.salt, blob.header, context).open(0, true, blob.ciphertext, blob.tag);
  } catch (err) {
    if (!(err instanceof CofferError)) throw err;
    throw invalidParameter('CiphertextBlob', 'it failed authentication: it was altered, or the EncryptionContext differs from the one it was made with');
  }
}
