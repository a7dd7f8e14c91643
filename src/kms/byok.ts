/**
 * BYOK (reference §4.4): GetParametersForImport, ImportKeyMaterial, DeleteKeyMaterial.
 *
 * GetParametersForImport makes a fresh RSA-2048 pair per call. The private key is stored sealed
 * by the root key (AAD binds token id, key id and wrapping algorithm) in a kms.import-token
 * document until it is used or expires (purgeExpiredImportTokens). The ImportToken is
 *
 *   base64( 0x01 ‖ token id (16) ‖ expiry (uint64be ms) ‖ HMAC-SHA256(k, tag ‖ token id ‖ expiry ‖ key id) )
 *
 * with k derived from the root key, so it cannot be forged, only works for the key it was issued
 * for (else InvalidImportToken), and reports ExpiredImportToken after 24 h even once its
 * document is gone. A token is single-use: a successful import consumes it. Failed unwraps are
 * counted and the token is revoked after MAX_UNWRAP_FAILURES, which caps the queries any
 * padding oracle could get from one wrapping key.
 *
 * RSAES_PKCS1_V1_5 is supported safely: RSA_NO_PADDING plus the fixed-length, branch-free
 * unpadding in pkcs1.ts, and one uniform InvalidKeyMaterial for every unwrap failure (bad
 * padding, wrong length, RSA error) with identical message. Only a correct unwrap can reach the
 * "different material" refusal; with random ciphertexts almost every query is an unwrap
 * failure, so the failure cap revokes the token long before an oracle attack could progress.
 *
 * Re-import must bring the same material: the first import stores a keyed fingerprint
 * (HMAC-SHA256 under a root-derived key, over key id and material), never a plain hash.
 */
import {
  constants,
  createHmac,
  createPrivateKey,
  generateKeyPair,
  privateDecrypt,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { promisify } from 'node:util';
import { CofferError } from '../common/errors';
import { scanDocs } from '../store/docs';
import { invalidParameter, unsupportedOrigin } from './errors';
import { MATERIAL_SIZE, type KeyStore } from './key-store';
import { requireString } from './params';
import { isoDate } from '../rpc';
import { unpadPkcs1v15 } from './pkcs1';
import { KIND, type ImportTokenRecord, type KeyRecord } from './records';
import { effectiveState } from './states';
import type {
  EmptyResponse,
  GetParametersForImportRequest,
  GetParametersForImportResponse,
  ImportKeyMaterialRequest,
  KeyIdRequest,
  WrappingAlgorithm,
} from './types';

const TOKEN_TTL_MS = 24 * 3_600_000;
const MAX_UNWRAP_FAILURES = 3;
const TOKEN_VERSION = 1;
const TOKEN_ID_SIZE = 16;
const TOKEN_SIZE = 1 + TOKEN_ID_SIZE + 8 + 32;
const WRAPPING_ALGORITHMS: readonly WrappingAlgorithm[] = ['RSAES_OAEP_SHA_256', 'RSAES_OAEP_SHA_1', 'RSAES_PKCS1_V1_5'];
const UNWRAP_FAILED = 'EncryptedKeyMaterial could not be unwrapped into key material of the size this key needs.';

const generateRsa = promisify(generateKeyPair);

const privateKeyAad = (t: Pick<ImportTokenRecord, 'tokenId' | 'keyId' | 'algorithm'>): string =>
  `coffer/v1/kms-import-key/${t.tokenId}/${t.keyId}/${t.algorithm}`;

const invalidToken = (): CofferError =>
  new CofferError('InvalidImportToken', 'The ImportToken is invalid, already used, or was issued for another key.');

function tokenMac(ks: KeyStore, tokenId: Buffer, expiry: Buffer, keyId: string): Buffer {
  return createHmac('sha256', ks.deriveKey('import-token'))
    .update('coffer/v1/kms-import-token\0')
    .update(tokenId)
    .update(expiry)
    .update(keyId, 'utf8')
    .digest();
}

function fingerprint(ks: KeyStore, keyId: string, material: Buffer): Buffer {
  return createHmac('sha256', ks.deriveKey('material-fingerprint')).update(`${keyId}\0`).update(material).digest();
}

function requireExternal(rec: KeyRecord): void {
  if (!rec.byok) throw unsupportedOrigin(rec.keyId);
}

export async function getParametersForImport(ks: KeyStore, req: GetParametersForImportRequest): Promise<GetParametersForImportResponse> {
  const algorithm = requireString(req.WrappingAlgorithm, 'WrappingAlgorithm') as WrappingAlgorithm;
  if (!WRAPPING_ALGORITHMS.includes(algorithm)) {
    throw invalidParameter('WrappingAlgorithm', `it must be one of ${WRAPPING_ALGORITHMS.join(', ')}`);
  }
  if (requireString(req.WrappingKeySpec, 'WrappingKeySpec') !== 'RSA_2048') throw invalidParameter('WrappingKeySpec', 'it must be RSA_2048');
  const now = ks.now();
  const rec = await ks.load(req.KeyId, 'GetParametersForImport', now);
  requireExternal(rec);
  const pair = await generateRsa('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'der' },
    privateKeyEncoding: { type: 'pkcs8', format: 'der' },
  });
  const tokenId = randomBytes(TOKEN_ID_SIZE);
  const expiry = Buffer.alloc(8);
  expiry.writeBigUInt64BE(BigInt(now + TOKEN_TTL_MS));
  const ids = { tokenId: tokenId.toString('hex'), keyId: rec.keyId, algorithm };
  const record: ImportTokenRecord = {
    ...ids,
    expiresAt: now + TOKEN_TTL_MS,
    sealedPrivateKey: ks.sealSecret(pair.privateKey, privateKeyAad(ids)),
    failures: 0,
  };
  await ks.meta.transaction((tx) => tx.putDoc(KIND.importToken, record.tokenId, record));
  const token = Buffer.concat([Buffer.of(TOKEN_VERSION), tokenId, expiry, tokenMac(ks, tokenId, expiry, rec.keyId)]);
  return {
    KeyId: rec.keyId,
    ImportToken: token.toString('base64'),
    PublicKey: pair.publicKey.toString('base64'),
    TokenExpireTime: isoDate(record.expiresAt),
  };
}

/** The stored token behind `text`, if it authenticates for keyId and has not expired. */
async function checkToken(ks: KeyStore, text: string, keyId: string, now: number): Promise<ImportTokenRecord> {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length !== TOKEN_SIZE || bytes[0] !== TOKEN_VERSION) throw invalidToken();
  const tokenId = bytes.subarray(1, 1 + TOKEN_ID_SIZE);
  const expiry = bytes.subarray(1 + TOKEN_ID_SIZE, 1 + TOKEN_ID_SIZE + 8);
  if (!timingSafeEqual(bytes.subarray(1 + TOKEN_ID_SIZE + 8), tokenMac(ks, tokenId, expiry, keyId))) throw invalidToken();
  if (now >= Number(expiry.readBigUInt64BE())) {
    throw new CofferError('ExpiredImportToken', 'The ImportToken has expired; call GetParametersForImport again.');
  }
  const record = await ks.meta.getDoc<ImportTokenRecord>(KIND.importToken, tokenId.toString('hex'));
  if (!record || record.keyId !== keyId) throw invalidToken();
  return record;
}

/** The material, or null for any failure at all (one uniform outcome, see pkcs1.ts). */
function unwrap(ks: KeyStore, token: ImportTokenRecord, wrapped: Buffer, size: number): Buffer | null {
  const key = createPrivateKey({ key: ks.openSecret(token.sealedPrivateKey, privateKeyAad(token)), format: 'der', type: 'pkcs8' });
  try {
    if (token.algorithm === 'RSAES_PKCS1_V1_5') {
      return unpadPkcs1v15(privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, wrapped), size);
    }
    const oaepHash = token.algorithm === 'RSAES_OAEP_SHA_256' ? 'sha256' : 'sha1';
    const material = privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash }, wrapped);
    return material.length === size ? material : null;
  } catch {
    return null;
  }
}

async function countFailure(ks: KeyStore, tokenId: string): Promise<void> {
  await ks.meta.transaction(async (tx) => {
    const record = await tx.getDoc<ImportTokenRecord>(KIND.importToken, tokenId);
    if (!record) return;
    if (record.failures + 1 >= MAX_UNWRAP_FAILURES) await tx.deleteDoc(KIND.importToken, tokenId);
    else await tx.putDoc(KIND.importToken, tokenId, { ...record, failures: record.failures + 1 });
  });
}

/** KeyMaterialExpireUnix → ms, null for never (0 or absent); a time not in the future is refused. */
function materialExpiryParam(value: number | undefined, now: number): number | null {
  if (value === undefined || value === 0) return null;
  if (!Number.isSafeInteger(value) || value < 0) throw invalidParameter('KeyMaterialExpireUnix', 'it must be Unix seconds');
  if (value * 1000 <= now) throw invalidParameter('KeyMaterialExpireUnix', 'it must be 0 (never) or a time in the future');
  return value * 1000;
}

export async function importKeyMaterial(ks: KeyStore, req: ImportKeyMaterialRequest): Promise<EmptyResponse> {
  const wrapped = Buffer.from(requireString(req.EncryptedKeyMaterial, 'EncryptedKeyMaterial'), 'base64');
  const tokenText = requireString(req.ImportToken, 'ImportToken');
  const now = ks.now();
  const expireAt = materialExpiryParam(req.KeyMaterialExpireUnix, now);
  const rec = await ks.load(req.KeyId, 'ImportKeyMaterial', now);
  requireExternal(rec);
  const token = await checkToken(ks, tokenText, rec.keyId, now);
  const material = unwrap(ks, token, wrapped, MATERIAL_SIZE[rec.keySpec]);
  if (!material) {
    await countFailure(ks, token.tokenId);
    throw new CofferError('InvalidKeyMaterial', UNWRAP_FAILED);
  }
  const print = fingerprint(ks, rec.keyId, material);
  await ks.update(rec.keyId, 'ImportKeyMaterial', now, async (fresh, tx) => {
    const known = fresh.byok!.fingerprint;
    if (known !== null && !timingSafeEqual(Buffer.from(known, 'base64'), print)) {
      throw new CofferError('InvalidKeyMaterial', 'This key material differs from the material imported into the key before; only the same material can be imported again.');
    }
    // Consumed here, in the same transaction as the import, so a token imports at most once.
    if (!(await tx.deleteDoc(KIND.importToken, token.tokenId))) throw invalidToken();
    await ks.putImportedMaterial(tx, fresh, material);
    if (effectiveState(fresh, now) === 'PendingImport') fresh.state = 'Enabled';
    fresh.byok = { fingerprint: print.toString('base64'), hasMaterial: true, materialExpireAt: expireAt };
  });
  return {};
}

/** The key becomes PendingImport (a PendingDeletion key keeps its state and DeleteDate). */
export async function deleteKeyMaterial(ks: KeyStore, req: KeyIdRequest): Promise<EmptyResponse> {
  await ks.refuseDestructionOfDependedOn(req.KeyId);
  await ks.update(req.KeyId, 'DeleteKeyMaterial', ks.now(), async (rec, tx) => {
    requireExternal(rec);
    await ks.dropImportedMaterial(tx, rec);
  });
  return {};
}

/** Removes import tokens that expired or whose key no longer exists; returns how many. */
export async function purgeExpiredImportTokens(ks: KeyStore): Promise<number> {
  const now = ks.now();
  let count = 0;
  for await (const token of scanDocs<ImportTokenRecord>(ks.meta, KIND.importToken, (t) => t.tokenId)) {
    const stale = token.expiresAt <= now || !(await ks.meta.getDoc(KIND.key, token.keyId));
    if (stale && (await ks.meta.transaction((tx) => tx.deleteDoc(KIND.importToken, token.tokenId)))) count++;
  }
  return count;
}
