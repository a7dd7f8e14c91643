/**
 * Signature nonces seen recently, to refuse a replayed request while its timestamp would still
 * be accepted. Per process: with --workers N a replay sent to another worker is not caught.
 */
import { createHash } from 'node:crypto';

export type NonceClaim = 'fresh' | 'replayed' | 'full';

export class NonceCache {
  /** Digest of (AccessKeyId, nonce) → when it may be forgotten. Insertion order = expiry order. */
  private readonly seen = new Map<string, number>();

  /**
   * @param ttlMs how long a nonce is remembered: a timestamp may lie up to the skew limit in the
   *   future and stays acceptable for the skew limit after that, so twice the skew limit.
   * @param max bound on memory; when it is reached new requests are refused rather than
   *   forgetting nonces that could still be replayed.
   */
  constructor(private readonly ttlMs: number, private readonly max: number) {}

  /** Records the nonce unless it was seen within the TTL or the cache is full. */
  claim(accessKeyId: string, nonce: string, now = Date.now()): NonceClaim {
    // A fixed-size digest, so a long nonce costs no more memory than a short one.
    const id = createHash('sha256').update(accessKeyId).update('\0').update(nonce).digest('base64');
    // Every entry gets the same TTL, so the oldest inserted expires first.
    for (const [key, expires] of this.seen) {
      if (expires > now) break;
      this.seen.delete(key);
    }
    if (this.seen.has(id)) return 'replayed';
    if (this.seen.size >= this.max) return 'full';
    this.seen.set(id, now + this.ttlMs);
    return 'fresh';
  }
}
