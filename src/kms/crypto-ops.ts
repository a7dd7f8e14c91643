/**
 * Encrypt, Decrypt, ReEncrypt, GenerateDataKey, GenerateDataKeyWithoutPlaintext
 * (reference §3.3, §4.3). New encryptions use the key's primary version; Decrypt uses the key and
 * version named in the blob. Plaintext rule: the blob holds the exact UTF-8 bytes of the
 * `Plaintext` string, and Decrypt returns that string; a data key's `Plaintext` is its base64
 * text, so Decrypt of a data-key blob returns the same base64 text GenerateDataKey did.
 */
import { randomBytes } from '../crypto/random';
import { openBlob, parseBlob, sealBlob } from './ciphertext-blob';
import { invalidParameter } from './errors';
import type { KeyStore } from './key-store';
import { canonicalContext, integerParam, requireString } from './params';
import { checkState, effectiveState, type KeyAction } from './states';
import type {
  CiphertextResponse,
  DecryptRequest,
  DecryptResponse,
  EncryptRequest,
  GenerateDataKeyRequest,
  GenerateDataKeyResponse,
  ReEncryptRequest,
} from './types';

/** Alibaba allows 6 KB of data, sent base64: 8192 characters. */
const MAX_PLAINTEXT_BYTES = 8192;
const DATA_KEY_SPEC_BYTES: Readonly<Record<string, number>> = { AES_256: 32, AES_128: 16 };

async function encryptUnder(
  ks: KeyStore,
  keyId: string | undefined,
  keyParam: string,
  action: KeyAction,
  context: Buffer,
  plaintext: Buffer,
): Promise<CiphertextResponse> {
  const now = ks.now();
  const rec = await ks.load(keyId, action, now, keyParam);
  const versionId = rec.primaryVersionId;
  const material = await ks.material(rec, versionId, now);
  const blob = sealBlob(rec.keySpec, material, { keyId: rec.keyId, versionId }, context, plaintext);
  return { CiphertextBlob: blob, KeyId: rec.keyId, KeyVersionId: versionId };
}

async function decryptBlob(ks: KeyStore, blobText: string | undefined, context: Buffer): Promise<{ plaintext: Buffer; keyId: string; versionId: string }> {
  const blob = parseBlob(requireString(blobText, 'CiphertextBlob'));
  const now = ks.now();
  const rec = await ks.current(blob.keyId, now);
  checkState('Decrypt', effectiveState(rec, now), rec.keyId);
  const material = await ks.material(rec, blob.versionId, now);
  return { plaintext: openBlob(rec.keySpec, material, blob, context), keyId: rec.keyId, versionId: blob.versionId };
}

export async function encrypt(ks: KeyStore, req: EncryptRequest): Promise<CiphertextResponse> {
  const plaintext = Buffer.from(requireString(req.Plaintext, 'Plaintext'), 'utf8');
  if (plaintext.length > MAX_PLAINTEXT_BYTES) throw invalidParameter('Plaintext', `it exceeds ${MAX_PLAINTEXT_BYTES} bytes`);
  const context = canonicalContext(req.EncryptionContext, 'EncryptionContext');
  return encryptUnder(ks, req.KeyId, 'KeyId', 'Encrypt', context, plaintext);
}

export async function decrypt(ks: KeyStore, req: DecryptRequest): Promise<DecryptResponse> {
  const context = canonicalContext(req.EncryptionContext, 'EncryptionContext');
  const { plaintext, keyId, versionId } = await decryptBlob(ks, req.CiphertextBlob, context);
  return { Plaintext: plaintext.toString('utf8'), KeyId: keyId, KeyVersionId: versionId };
}

/** Decrypt under the source key (its Decrypt state rule), then Encrypt under the destination key. */
export async function reEncrypt(ks: KeyStore, req: ReEncryptRequest): Promise<CiphertextResponse> {
  const source = canonicalContext(req.SourceEncryptionContext, 'SourceEncryptionContext');
  const destination = canonicalContext(req.DestinationEncryptionContext, 'DestinationEncryptionContext');
  requireString(req.DestinationKeyId, 'DestinationKeyId');
  const { plaintext } = await decryptBlob(ks, req.CiphertextBlob, source);
  return encryptUnder(ks, req.DestinationKeyId, 'DestinationKeyId', 'Encrypt', destination, plaintext);
}

function dataKeySize(req: GenerateDataKeyRequest): number {
  if (req.NumberOfBytes !== undefined) return integerParam(req.NumberOfBytes, 'NumberOfBytes', 1, 1024, 32);
  if (req.KeySpec === undefined || req.KeySpec === '') return 32;
  const size = DATA_KEY_SPEC_BYTES[req.KeySpec];
  if (size === undefined) throw invalidParameter('KeySpec', 'it must be AES_256 or AES_128');
  return size;
}

async function generate(ks: KeyStore, req: GenerateDataKeyRequest, action: KeyAction): Promise<GenerateDataKeyResponse> {
  const size = dataKeySize(req);
  const context = canonicalContext(req.EncryptionContext, 'EncryptionContext');
  const plaintext = randomBytes(size).toString('base64');
  const sealed = await encryptUnder(ks, req.KeyId, 'KeyId', action, context, Buffer.from(plaintext, 'utf8'));
  return { ...sealed, Plaintext: plaintext };
}

export function generateDataKey(ks: KeyStore, req: GenerateDataKeyRequest): Promise<GenerateDataKeyResponse> {
  return generate(ks, req, 'GenerateDataKey');
}

export async function generateDataKeyWithoutPlaintext(ks: KeyStore, req: GenerateDataKeyRequest): Promise<CiphertextResponse> {
  const { CiphertextBlob, KeyId, KeyVersionId } = await generate(ks, req, 'GenerateDataKeyWithoutPlaintext');
  return { CiphertextBlob, KeyId, KeyVersionId };
}
