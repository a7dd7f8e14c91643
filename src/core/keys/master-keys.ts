/**
 * SSE-OSS master keys: versioned 256-bit keys sealed by the root key, stored in the metadata
 * store. New objects use the current version; every version stays for decryption.
 * The current version is cached; a rotation by any process notifies every process on the store
 * (MASTER_KEYS_CHANNEL), which drops its cache, and CURRENT_TTL_MS bounds staleness should a
 * notification be lost.
 */
import { randomBytes } from 'node:crypto';
import { open, seal } from '../../crypto/aead';
import type { MetadataStore } from '../../store/types';

const SETTING = 'sse-oss-master-keys';
export const MASTER_KEYS_CHANNEL = 'sse-oss-master-keys';
const CURRENT_TTL_MS = 30_000;

interface StoredVersion { version: number; createdAt: number; sealed: string }
interface StoredKeys { current: number; versions: StoredVersion[] }

export interface MasterKeyVersionInfo { version: number; createdAt: number; current: boolean }

const aad = (version: number): Buffer => Buffer.from(`coffer/v1/sse-oss-master-key/${version}`);

export class MasterKeys {
  private readonly unsealed = new Map<number, Buffer>();
  private currentCache: { version: number; createdAt: number; at: number } | null = null;

  constructor(private readonly meta: MetadataStore, private readonly rootKey: Buffer) {}

  private async load(): Promise<StoredKeys | null> {
    const raw = await this.meta.getSetting(SETTING);
    return raw ? (JSON.parse(raw) as StoredKeys) : null;
  }

  private unseal(v: StoredVersion): Buffer {
    let key = this.unsealed.get(v.version);
    if (!key) {
      key = open(this.rootKey, Buffer.from(v.sealed, 'base64'), aad(v.version));
      this.unsealed.set(v.version, key);
    }
    return key;
  }

  /** The version new objects are sealed with; the first call on a fresh store creates version 1. */
  async current(now = Date.now()): Promise<{ version: number; key: Buffer }> {
    if (!this.currentCache || now - this.currentCache.at > CURRENT_TTL_MS) {
      let stored = await this.load();
      if (!stored) {
        await this.rotate(true);
        stored = await this.load();
      }
      const cur = stored!.versions.find((v) => v.version === stored!.current)!;
      this.currentCache = { version: cur.version, createdAt: cur.createdAt, at: now };
    }
    return { version: this.currentCache.version, key: await this.get(this.currentCache.version) };
  }

  async get(version: number): Promise<Buffer> {
    const cached = this.unsealed.get(version);
    if (cached) return cached;
    const v = (await this.load())?.versions.find((x) => x.version === version);
    if (!v) throw new Error(`SSE-OSS master key version ${version} is missing`);
    return this.unseal(v);
  }

  /**
   * Adds a new version and makes it current; returns its number. `onlyFirst`: only when there is
   * none yet (processes starting together on a fresh store then agree on one version 1).
   */
  async rotate(onlyFirst = false): Promise<number> {
    const key = randomBytes(32);
    const { version, created } = await this.meta.transaction(async (tx) => {
      const raw = await tx.getSetting(SETTING);
      if (raw && onlyFirst) return { version: (JSON.parse(raw) as StoredKeys).current, created: false };
      const stored: StoredKeys = raw ? JSON.parse(raw) : { current: 0, versions: [] };
      const next = stored.versions.reduce((m, v) => Math.max(m, v.version), 0) + 1;
      stored.versions.push({ version: next, createdAt: Date.now(), sealed: seal(this.rootKey, key, aad(next)).toString('base64') });
      stored.current = next;
      await tx.setSetting(SETTING, JSON.stringify(stored));
      await tx.notify(MASTER_KEYS_CHANNEL, String(next));
      return { version: next, created: true };
    });
    if (created) this.unsealed.set(version, key);
    this.currentCache = null;
    return version;
  }

  /** Forgets which version is current (another process rotated); sealed versions never change. */
  forgetCurrent(): void {
    this.currentCache = null;
  }

  /** Rotates when the current version is older than maxAgeDays; returns the new version if it did. */
  async rotateIfOlderThan(maxAgeDays: number, now = Date.now()): Promise<number | null> {
    await this.current(now);
    const age = now - this.currentCache!.createdAt;
    return age >= maxAgeDays * 86_400_000 ? this.rotate() : null;
  }

  async list(): Promise<MasterKeyVersionInfo[]> {
    const stored = await this.load();
    return (stored?.versions ?? []).map((v) => ({ version: v.version, createdAt: v.createdAt, current: v.version === stored!.current }));
  }
}
