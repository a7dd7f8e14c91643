/**
 * The KMS's storage and key-material layer over the MetadataStore: resolving KeyId forms,
 * loading a key with the state check of its action, versions and their sealed material, and the
 * time-driven housekeeping (destroy after the deletion window, drop expired imported material,
 * automatic rotation) that runs whenever a key is touched and from the periodic sweeps.
 *
 * Key material is sealed by the root key with AES-256-GCM and the AAD
 * `coffer/v1/kms-key-material/<keyId>/<versionId>`, so a sealed value cannot be moved to another
 * key or version. Unsealed material is cached per process (material-cache.ts).
 */
import { hkdfSync, randomBytes, randomUUID } from 'node:crypto';
import { open, seal } from '../crypto/aead';
import { CofferError } from '../common/errors';
import type { MetadataReader, MetadataStore, MetadataTx } from '../store/types';
import { scanDocs } from '../store/docs';
import { aliasNotFound, keyNotFound, keyVersionNotFound } from './errors';
import { MaterialCache } from './material-cache';
import { requireString } from './params';
import { KIND, versionDocId, type AliasRecord, type KeyRecord, type VersionRecord } from './records';
import { checkServiceKey } from './service-keys';
import { checkState, effectiveState, isDestroyDue, isMaterialExpired, isRotationDue, type KeyAction } from './states';
import type { KeySpec } from './types';

/**
 * What depends on a key outside the KMS, asked before its material may be destroyed for good
 * (ScheduleKeyDeletion, DeleteKeyMaterial): the server wires it to the object side, which knows
 * which keys protect data a retention policy keeps. Disabling stays allowed: it is reversible.
 */
export interface KeyDependents {
  /** Why `keyId` must not be destroyed now, or null if nothing stops it. */
  destructionBlocker(keyId: string): Promise<string | null>;
}

export interface KmsServiceOptions {
  meta: MetadataStore;
  /** Asked before a key's material is destroyed; none: nothing outside the KMS objects. */
  dependents?: KeyDependents;
  /** 32 bytes; seals all key material and import keys at rest. */
  rootKey: Buffer;
  region: string;
  accountId: string;
  /** Clock in Unix ms; injectable for tests. */
  now?: () => number;
}

export const MATERIAL_SIZE: Readonly<Record<KeySpec, number>> = { Aliyun_AES_256: 32, Aliyun_SM4: 16 };

const materialAad = (keyId: string, versionId: string): string => `coffer/v1/kms-key-material/${keyId}/${versionId}`;

const needsHousekeeping = (rec: KeyRecord, now: number): boolean =>
  isDestroyDue(rec, now) || isMaterialExpired(rec, now) || isRotationDue(rec, now);

export class KeyStore {
  readonly meta: MetadataStore;
  readonly region: string;
  readonly accountId: string;
  readonly now: () => number;
  private readonly dependents?: KeyDependents;
  private readonly rootKey: Buffer;
  private readonly cache = new MaterialCache();

  constructor(opts: KmsServiceOptions) {
    if (opts.rootKey.length !== 32) throw new Error('the KMS root key must be 32 bytes');
    this.meta = opts.meta;
    this.rootKey = opts.rootKey;
    this.region = opts.region;
    this.accountId = opts.accountId;
    this.now = opts.now ?? Date.now;
    this.dependents = opts.dependents;
  }

  /**
   * Throws unless the key named by `input` may have its material destroyed. Asked before the
   * change's transaction (the object side reads its own records).
   */
  async refuseDestructionOfDependedOn(input: string | undefined): Promise<void> {
    if (!this.dependents) return;
    const keyId = await this.resolveKeyId(input);
    const why = await this.dependents.destructionBlocker(keyId);
    if (why) throw new CofferError('Rejected.KeyInUse', `The key ${keyId} cannot be destroyed: ${why}.`);
  }

  keyArn(keyId: string): string {
    return `acs:kms:${this.region}:${this.accountId}:key/${keyId}`;
  }

  aliasArn(aliasName: string): string {
    return `acs:kms:${this.region}:${this.accountId}:${aliasName}`;
  }

  /** A 32-byte key for `purpose` (HMACs nobody without the root key can compute). */
  deriveKey(purpose: string): Buffer {
    return Buffer.from(hkdfSync('sha256', this.rootKey, Buffer.alloc(0), `coffer/v1/kms/${purpose}`, 32));
  }

  sealSecret(secret: Buffer, aad: string): string {
    return seal(this.rootKey, secret, Buffer.from(aad)).toString('base64');
  }

  openSecret(sealed: string, aad: string): Buffer {
    try {
      return open(this.rootKey, Buffer.from(sealed, 'base64'), Buffer.from(aad));
    } catch {
      throw new CofferError('InternalFailure', 'A KMS secret could not be unsealed: the root key is not the one it was sealed with, or the store was altered.');
    }
  }

  /** The real key id behind a key id, alias name (`alias/…`), key ARN or alias ARN. */
  async resolveKeyId(input: string | undefined, param = 'KeyId'): Promise<string> {
    const id = requireString(input, param);
    if (id.startsWith('alias/')) return this.aliasTarget(id);
    if (!id.startsWith('acs:kms:')) return id;
    const own = `acs:kms:${this.region}:${this.accountId}:`;
    const resource = id.startsWith(own) ? id.slice(own.length) : '';
    if (resource.startsWith('key/')) return resource.slice('key/'.length);
    if (resource.startsWith('alias/')) return this.aliasTarget(resource);
    throw keyNotFound(id);
  }

  private async aliasTarget(aliasName: string): Promise<string> {
    const alias = await this.meta.getDoc<AliasRecord>(KIND.alias, aliasName);
    if (!alias) throw aliasNotFound(aliasName);
    return alias.keyId;
  }

  /** The key's record after any due housekeeping; Forbidden.KeyNotFound if it does not (or no longer) exist. */
  async current(keyId: string, now: number): Promise<KeyRecord> {
    let rec = await this.meta.getDoc<KeyRecord>(KIND.key, keyId);
    if (rec && needsHousekeeping(rec, now)) rec = await this.meta.transaction((tx) => this.housekeep(tx, keyId, now));
    if (!rec) throw keyNotFound(keyId);
    return rec;
  }

  /** Resolves the KeyId, loads the key and applies the §4.1 check of `action`. */
  async load(input: string | undefined, action: KeyAction, now: number, param?: string): Promise<KeyRecord> {
    const rec = await this.current(await this.resolveKeyId(input, param), now);
    checkState(action, effectiveState(rec, now), rec.keyId);
    return rec;
  }

  /**
   * load(), then one transaction that re-reads the record, repeats the state check (another
   * writer may have changed it), refuses changes to a service key, runs fn, which may change the
   * record in place, and stores it. Every action that changes a key comes through here.
   */
  async update<T>(
    input: string | undefined,
    action: KeyAction,
    now: number,
    fn: (rec: KeyRecord, tx: MetadataTx) => Promise<T> | T,
  ): Promise<T> {
    const { keyId } = await this.load(input, action, now);
    return this.meta.transaction(async (tx) => {
      const rec = await tx.getDoc<KeyRecord>(KIND.key, keyId);
      if (!rec || isDestroyDue(rec, now)) throw keyNotFound(keyId);
      checkState(action, effectiveState(rec, now), keyId);
      checkServiceKey(action, rec);
      const result = await fn(rec, tx);
      await tx.putDoc(KIND.key, keyId, rec);
      return result;
    });
  }

  /** The unsealed material of one version of a key whose state the caller has checked. */
  async material(rec: KeyRecord, versionId: string, now: number): Promise<Buffer> {
    const id = versionDocId(rec.keyId, versionId);
    const cached = this.cache.get(id, now);
    if (cached) return cached;
    const version = await this.meta.getDoc<VersionRecord>(KIND.version, id);
    if (!version) throw keyVersionNotFound(rec.keyId, versionId);
    if (version.sealed === null) throw new CofferError('Rejected.PendingImport', `The key ${rec.keyId} has no key material.`);
    const material = this.openSecret(version.sealed, materialAad(rec.keyId, versionId));
    this.cache.set(id, material, now);
    return material;
  }

  randomMaterial(spec: KeySpec): Buffer {
    return randomBytes(MATERIAL_SIZE[spec]);
  }

  /** Stores a new version of rec (with sealed material, or none yet for EXTERNAL) and makes it primary. */
  async addVersion(tx: MetadataTx, rec: KeyRecord, now: number, material: Buffer | null): Promise<VersionRecord> {
    const versionId = randomUUID();
    const version: VersionRecord = { keyId: rec.keyId, versionId, createdAt: now, sealed: null };
    if (material) version.sealed = this.sealSecret(material, materialAad(rec.keyId, versionId));
    await tx.putDoc(KIND.version, versionDocId(rec.keyId, versionId), version);
    rec.primaryVersionId = versionId;
    rec.lastRotationAt = now;
    return version;
  }

  /** Seals imported material into every version of an EXTERNAL key (it has one). */
  async putImportedMaterial(tx: MetadataTx, rec: KeyRecord, material: Buffer): Promise<void> {
    for (const v of await this.versions(tx, rec.keyId)) {
      v.sealed = this.sealSecret(material, materialAad(rec.keyId, v.versionId));
      await tx.putDoc(KIND.version, versionDocId(rec.keyId, v.versionId), v);
    }
  }

  /** DeleteKeyMaterial and material expiry: wipes the sealed material; the fingerprint stays for re-import. */
  async dropImportedMaterial(tx: MetadataTx, rec: KeyRecord): Promise<void> {
    for (const v of await this.versions(tx, rec.keyId)) {
      await tx.putDoc<VersionRecord>(KIND.version, versionDocId(rec.keyId, v.versionId), { ...v, sealed: null });
    }
    if (rec.byok) rec.byok = { ...rec.byok, hasMaterial: false, materialExpireAt: null };
    if (rec.state !== 'PendingDeletion') rec.state = 'PendingImport';
    this.cache.forget(`${rec.keyId}/`);
  }

  /** All versions of a key, oldest first. */
  async versions(reader: MetadataReader, keyId: string): Promise<VersionRecord[]> {
    const out: VersionRecord[] = [];
    const idOf = (v: VersionRecord) => versionDocId(v.keyId, v.versionId);
    for await (const v of scanDocs(reader, KIND.version, idOf, { after: `${keyId}/`, prefix: `${keyId}/` })) out.push(v);
    return out.sort((a, b) => a.createdAt - b.createdAt || (a.versionId < b.versionId ? -1 : 1));
  }

  /** Crypto-shredding: the key, every version's sealed material and every alias go in one transaction. */
  private async destroy(tx: MetadataTx, rec: KeyRecord): Promise<void> {
    for (const v of await this.versions(tx, rec.keyId)) await tx.deleteDoc(KIND.version, versionDocId(rec.keyId, v.versionId));
    for (const alias of rec.aliases) await tx.deleteDoc(KIND.alias, alias);
    await tx.deleteDoc(KIND.key, rec.keyId);
    this.cache.forget(`${rec.keyId}/`);
  }

  /** Brings one key up to date with the clock; returns its record, or null once it is destroyed. */
  private async housekeep(tx: MetadataTx, keyId: string, now: number): Promise<KeyRecord | null> {
    const rec = await tx.getDoc<KeyRecord>(KIND.key, keyId);
    if (!rec) return null;
    if (isDestroyDue(rec, now)) {
      await this.destroy(tx, rec);
      return null;
    }
    if (isMaterialExpired(rec, now)) await this.dropImportedMaterial(tx, rec);
    if (isRotationDue(rec, now)) await this.addVersion(tx, rec, now, this.randomMaterial(rec.keySpec));
    await tx.putDoc(KIND.key, keyId, rec);
    return rec;
  }

  /** Runs housekeeping on every key for which `due` holds; returns how many. */
  async housekeepAll(due: (rec: KeyRecord, now: number) => boolean): Promise<number> {
    const now = this.now();
    let count = 0;
    for await (const rec of scanDocs<KeyRecord>(this.meta, KIND.key, (k) => k.keyId)) {
      if (!due(rec, now)) continue;
      await this.meta.transaction((tx) => this.housekeep(tx, rec.keyId, now));
      count++;
    }
    return count;
  }
}
