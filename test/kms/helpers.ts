import assert from 'node:assert/strict';
import { constants, createPublicKey, publicEncrypt, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CofferError } from '../../src/common/errors';
import { KmsService } from '../../src/kms/service';
import type { WrappingAlgorithm } from '../../src/kms/types';
import { SqliteMetadataStore } from '../../src/store/sqlite/metadata-store';

export const REGION = 'cn-test-1';
export const ACCOUNT = '1234567890';
export const DAY = 86_400_000;

/** A settable clock, so deletion windows, rotation and expiries pass without waiting. */
export class Clock {
  constructor(public t = Date.UTC(2030, 0, 1)) {}
  readonly now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

/** A KmsService over a real SqliteMetadataStore in its own temp directory. */
export class Env {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'coffer-kms-'));
  readonly file = path.join(this.dir, 'meta.db');
  readonly clock = new Clock();
  readonly rootKey = randomBytes(32);
  private readonly stores: SqliteMetadataStore[] = [];
  meta = this.openStore();
  kms = this.service(this.meta, this.rootKey);

  openStore(): SqliteMetadataStore {
    const store = SqliteMetadataStore.open(this.file);
    this.stores.push(store);
    return store;
  }

  service(meta: SqliteMetadataStore, rootKey: Buffer): KmsService {
    return new KmsService({ meta, rootKey, region: REGION, accountId: ACCOUNT, now: this.clock.now });
  }

  /** Another KmsService on its own connections to the same file, like a second worker process. */
  peer(rootKey = this.rootKey): KmsService {
    return this.service(this.openStore(), rootKey);
  }

  /** Closes every connection and starts over on the same file, as a server restart does. */
  async restart(rootKey = this.rootKey): Promise<void> {
    await this.closeStores();
    this.meta = this.openStore();
    this.kms = this.service(this.meta, rootKey);
  }

  async close(): Promise<void> {
    await this.closeStores();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async closeStores(): Promise<void> {
    for (const store of this.stores.splice(0)) await store.close();
  }
}

export async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof CofferError, `expected a CofferError ${code}, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return true;
  });
}

export async function newKeyId(kms: KmsService, req: Parameters<KmsService['CreateKey']>[0] = {}): Promise<string> {
  return (await kms.CreateKey(req)).KeyMetadata.KeyId;
}

const PADDING: Readonly<Record<WrappingAlgorithm, { padding: number; oaepHash?: string }>> = {
  RSAES_OAEP_SHA_256: { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
  RSAES_OAEP_SHA_1: { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
  RSAES_PKCS1_V1_5: { padding: constants.RSA_PKCS1_PADDING },
};

/** What a BYOK client does: wrap material under the base64 SPKI public key from GetParametersForImport. */
export function wrapMaterial(publicKey: string, material: Buffer, algorithm: WrappingAlgorithm): string {
  const key = createPublicKey({ key: Buffer.from(publicKey, 'base64'), format: 'der', type: 'spki' });
  return publicEncrypt({ key, ...PADDING[algorithm] }, material).toString('base64');
}

/** GetParametersForImport + wrap + ImportKeyMaterial. */
export async function importMaterial(
  kms: KmsService,
  keyId: string,
  material: Buffer,
  opts: { algorithm?: WrappingAlgorithm; expireUnix?: number } = {},
): Promise<void> {
  const algorithm = opts.algorithm ?? 'RSAES_OAEP_SHA_256';
  const params = await kms.GetParametersForImport({ KeyId: keyId, WrappingAlgorithm: algorithm, WrappingKeySpec: 'RSA_2048' });
  await kms.ImportKeyMaterial({
    KeyId: keyId,
    EncryptedKeyMaterial: wrapMaterial(params.PublicKey, material, algorithm),
    ImportToken: params.ImportToken,
    KeyMaterialExpireUnix: opts.expireUnix,
  });
}

/** A blob with one byte flipped at `offset` from the start (negative: from the end). */
export function flipByte(blob: string, offset: number): string {
  const bytes = Buffer.from(blob, 'base64');
  const at = offset < 0 ? bytes.length + offset : offset;
  bytes[at] = bytes[at]! ^ 0x01;
  return bytes.toString('base64');
}
