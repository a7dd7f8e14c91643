/**
 * Unsealed key material, per process, for at most MATERIAL_TTL_MS after it was unsealed.
 * Correctness never depends on it: every operation reads the key record (state, primary
 * version, material presence) from the store before using material, so a Disable, deletion,
 * DeleteKeyMaterial or rotation made by any process takes effect here on the next call. The TTL
 * bounds how long plaintext material of a key stays in this process's memory after its last
 * unseal, e.g. after it was destroyed elsewhere. Entries are dropped, not zeroed: a caller may
 * still be using the buffer, and the GC keeps no promise about copies anyway.
 */
export const MATERIAL_TTL_MS = 30_000;

export class MaterialCache {
  /** Insertion order = unseal order, so expired entries are always at the front. */
  private readonly entries = new Map<string, { material: Buffer; until: number }>();

  constructor(private readonly ttlMs: number = MATERIAL_TTL_MS) {}

  get(id: string, now: number): Buffer | undefined {
    this.sweep(now);
    return this.entries.get(id)?.material;
  }

  set(id: string, material: Buffer, now: number): void {
    this.sweep(now);
    this.entries.delete(id);
    this.entries.set(id, { material, until: now + this.ttlMs });
  }

  /** Drops every entry whose id starts with prefix (all versions of a key). */
  forget(prefix: string): void {
    for (const id of this.entries.keys()) {
      if (id.startsWith(prefix)) this.entries.delete(id);
    }
  }

  private sweep(now: number): void {
    for (const [id, entry] of this.entries) {
      if (entry.until > now) return;
      this.entries.delete(id);
    }
  }
}
