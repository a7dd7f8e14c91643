/**
 * The client-side encryption envelope of Alibaba's SDKs, done here because neither SDK that has
 * it can run on this machine (oss2 needs PyPI; Debian's Go SDK 1.5.0 lacks the crypto package).
 * Followed line by line:
 *
 * - oss2 2.19.1 (aliyun/aliyun-oss-python-sdk @ eb329ec): `oss2/crypto.py` AliKMSProvider (data key
 *   from GenerateDataKey KeySpec AES_256 / NumberOfBytes 32; the IV sealed by Encrypt of its
 *   base64; unsealing by Decrypt then base64-decoding the Plaintext), `oss2/models.py`
 *   ContentCryptoMaterial.to_object_meta / from_object_meta (each CiphertextBlob text base64-encoded
 *   once more into the header; Content-MD5/Content-Length moved to the unencrypted-* metadata;
 *   data-size and part-size for multipart; matdesc as json.dumps), `oss2/utils.py` AESCTRCipher
 *   (AES-256-CTR, a 128-bit big-endian counter starting at the IV plus offset/16; random_iv zeroes
 *   bytes 8–11; adjust_range rounds a range start down to 16), `oss2/crypto_bucket.py` (parts
 *   start their counter at part_size × (n − 1) / 16; GET decrypts from Content-Range's start).
 * - Go SDK (aliyun/aliyun-oss-go-sdk @ b6e0a2a): `oss/crypto/master_alikms_cipher.go` (key and IV
 *   both sealed by Encrypt of their base64; the CiphertextBlob's bytes stored base64-encoded, which
 *   is the blob text itself), `oss/crypto/crypto_bucket.go` addCryptoHeaders / getEnvelopeFromHeader,
 *   `oss/crypto/crypto_type.go` RandomKeyIv (IV: 8 random bytes, then a random uint32 as a
 *   big-endian uint64) and SeekIV (the low 64 bits advance by offset/16), matdesc as json.Marshal.
 */
import { createCipheriv, randomBytes, randomInt } from 'node:crypto';
import { bodyOf, Kms, type KmsClient } from './kms';

const META = 'x-oss-meta-client-side-encryption-';
export const CSE = {
  key: `${META}key`,
  start: `${META}start`,
  cekAlg: `${META}cek-alg`,
  wrapAlg: `${META}wrap-alg`,
  matdesc: `${META}matdesc`,
  unencryptedContentLength: `${META}unencrypted-content-length`,
  unencryptedContentMd5: `${META}unencrypted-content-md5`,
  dataSize: `${META}data-size`,
  partSize: `${META}part-size`,
} as const;
export const AES_CTR = 'AES/CTR/NoPadding';
export const KMS_WRAP = 'KMS/ALICLOUD';
export const BLOCK = 16;

export type Style = 'oss2' | 'go';

export interface Envelope {
  dataKey: Buffer;
  iv: Buffer;
  /** The request headers the SDK sends with the object (or with InitiateMultipartUpload). */
  headers: Record<string, string>;
}

export interface EnvelopeOptions {
  matDesc?: Record<string, string>;
  /** oss2 moves these request headers into the unencrypted-* metadata. */
  contentMd5?: string;
  contentLength?: number;
  /** CryptoBucket.init_multipart_upload's upload context. */
  multipart?: { dataSize: number; partSize: number };
}

const b64 = (b: Buffer | string): string => Buffer.from(b).toString('base64');

async function kmsEncrypt(kms: KmsClient, keyId: string, plaintext: string): Promise<string> {
  return bodyOf(await kms.encrypt(new Kms.EncryptRequest({ keyId, plaintext }))).ciphertextBlob;
}

async function kmsDecrypt(kms: KmsClient, ciphertextBlob: string): Promise<string> {
  return bodyOf(await kms.decrypt(new Kms.DecryptRequest({ ciphertextBlob }))).plaintext;
}

/** json.dumps(dict) (", " and ": " separators) or json.Marshal(map) (compact, keys sorted). */
function matDescText(style: Style, desc: Record<string, string>): string {
  if (style === 'go') return JSON.stringify(Object.fromEntries(Object.entries(desc).sort(([a], [b]) => (a < b ? -1 : 1))));
  return `{${Object.entries(desc).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(', ')}}`;
}

/** A new content key and IV sealed by the CMK, and the object metadata the SDK writes for them. */
export async function sealEnvelope(kms: KmsClient, cmk: string, style: Style, opts: EnvelopeOptions = {}): Promise<Envelope> {
  let dataKey: Buffer;
  let iv: Buffer;
  let keyHeader: string;
  let startHeader: string;
  if (style === 'oss2') {
    const generated = bodyOf(await kms.generateDataKey(new Kms.GenerateDataKeyRequest({ keyId: cmk, keySpec: 'AES_256', numberOfBytes: 32 })));
    dataKey = Buffer.from(generated.plaintext, 'base64');
    iv = randomBytes(16);
    iv.fill(0, 8, 12);
    keyHeader = b64(generated.ciphertextBlob);
    startHeader = b64(await kmsEncrypt(kms, cmk, b64(iv)));
  } else {
    dataKey = randomBytes(32);
    iv = Buffer.concat([randomBytes(8), Buffer.alloc(8)]);
    iv.writeBigUInt64BE(BigInt(randomInt(0, 2 ** 32)), 8);
    keyHeader = b64(Buffer.from(await kmsEncrypt(kms, cmk, b64(dataKey)), 'base64'));
    startHeader = b64(Buffer.from(await kmsEncrypt(kms, cmk, b64(iv)), 'base64'));
  }
  const headers: Record<string, string> = {
    [CSE.key]: keyHeader,
    [CSE.start]: startHeader,
    [CSE.cekAlg]: AES_CTR,
    [CSE.wrapAlg]: KMS_WRAP,
  };
  if (opts.matDesc) headers[CSE.matdesc] = matDescText(style, opts.matDesc);
  if (opts.contentMd5 !== undefined) headers[CSE.unencryptedContentMd5] = opts.contentMd5;
  if (opts.contentLength !== undefined) headers[CSE.unencryptedContentLength] = String(opts.contentLength);
  if (opts.multipart) {
    headers[CSE.dataSize] = String(opts.multipart.dataSize);
    headers[CSE.partSize] = String(opts.multipart.partSize);
  }
  return { dataKey, iv, headers };
}

/** The content key and IV from an object's response headers, as the SDK of `style` unseals them. */
export async function openEnvelope(kms: KmsClient, headers: Record<string, unknown>, style: Style): Promise<{ dataKey: Buffer; iv: Buffer }> {
  const text = (name: string): string => {
    const v = headers[name];
    if (typeof v !== 'string') throw new Error(`the object has no ${name}`);
    return v;
  };
  if (text(CSE.cekAlg) !== AES_CTR || text(CSE.wrapAlg) !== KMS_WRAP) throw new Error('not an AES/CTR envelope under KMS/ALICLOUD');
  // oss2 decodes the header to the blob text; Go re-encodes the decoded bytes, which gives the same text.
  const blobOf = (header: string): string => (style === 'oss2'
    ? Buffer.from(text(header), 'base64').toString('utf8')
    : b64(Buffer.from(text(header), 'base64')));
  const dataKey = Buffer.from(await kmsDecrypt(kms, blobOf(CSE.key)), 'base64');
  const iv = Buffer.from(await kmsDecrypt(kms, blobOf(CSE.start)), 'base64');
  return { dataKey, iv };
}

/**
 * AES-256-CTR over `data` that starts `offset` bytes into the object (a multiple of 16): the
 * counter is the IV plus offset/16, as a 128-bit number (oss2) — the same as Go's low-64-bit add
 * for the IVs both SDKs make, which leave room below 2^64. CTR is its own inverse.
 */
export function ctr(dataKey: Buffer, iv: Buffer, offset: number, data: Buffer): Buffer {
  if (offset % BLOCK !== 0) throw new Error(`offset ${offset} is not aligned to ${BLOCK}`);
  const counter = (BigInt(`0x${iv.toString('hex')}`) + BigInt(offset / BLOCK)) % (1n << 128n);
  const start = Buffer.from(counter.toString(16).padStart(32, '0'), 'hex');
  const cipher = createCipheriv('aes-256-ctr', dataKey, start);
  return Buffer.concat([cipher.update(data), cipher.final()]);
}

/** oss2's adjust_range: a range read starts at the block holding its first byte. */
export const alignedStart = (start: number): number => start - (start % BLOCK);
