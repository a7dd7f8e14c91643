/**
 * Access keys and the principals they stand for: the account root's pair from the server
 * configuration, and RAM users' keys from the store. Secrets are compared only inside src/auth
 * and src/rpc, in constant time.
 *
 * A RAM key is looked up once and then served from memory, with the user's policies compiled,
 * so a request costs no store read. Changes made through this process's RAM API drop the cache
 * at once; changes made by another process (another worker or node on the same store) are seen
 * within CREDENTIAL_CACHE_TTL_MS.
 */
import type { PolicySet } from './policy';
import type { Principal } from '../common/principal';

export interface AccessKey {
  accessKeyId: string;
  secret: string;
  principal: Principal;
  /** False for an Inactive RAM key: it authenticates nothing. */
  active: boolean;
  /** The RAM user's policies in force; null for the root. */
  permissions: PolicySet | null;
}

/** How long a looked-up RAM key (secret, status, policies) is trusted without reading the store again. */
export const CREDENTIAL_CACHE_TTL_MS = 5_000;
/** Cached lookups at most; unknown ids are cached too, so a flood of made-up ids cannot grow memory. */
const MAX_CACHED = 10_000;

export interface RamKeySource {
  accessKey(accessKeyId: string): Promise<AccessKey | null>;
}

export class CredentialStore {
  private readonly root: AccessKey;
  private readonly cache = new Map<string, { key: Promise<AccessKey | null>; expiresAt: number }>();

  constructor(
    readonly accountId: string,
    root: { accessKeyId: string; secret: string },
    private readonly ram: RamKeySource,
    private readonly now: () => number = Date.now,
  ) {
    this.root = {
      accessKeyId: root.accessKeyId,
      secret: root.secret,
      principal: { kind: 'root', accountId, accessKeyId: root.accessKeyId },
      active: true,
      permissions: null,
    };
  }

  lookup(accessKeyId: string): Promise<AccessKey | null> {
    if (accessKeyId === this.root.accessKeyId) return Promise.resolve(this.root);
    const now = this.now();
    const hit = this.cache.get(accessKeyId);
    if (hit && hit.expiresAt > now) return hit.key;
    if (this.cache.size >= MAX_CACHED) this.cache.clear();
    // Concurrent requests with the same key share one load; a failed load is not remembered.
    const key = this.ram.accessKey(accessKeyId);
    const entry = { key, expiresAt: now + CREDENTIAL_CACHE_TTL_MS };
    this.cache.set(accessKeyId, entry);
    key.catch(() => {
      if (this.cache.get(accessKeyId) === entry) this.cache.delete(accessKeyId);
    });
    return key;
  }

  /** Forgets every RAM key: the next request reads the store. */
  invalidate(): void {
    this.cache.clear();
  }
}
