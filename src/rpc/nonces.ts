/**
 * Signature nonces seen recently, to refuse a replayed request while its timestamp would still
 * be accepted. Per process: with --workers N a replay sent to another worker is not caught.
 *
 * Memory is bounded per caller (AccessKeyId), not in total: only correctly signed requests claim
 * a nonce, so a flood needs a valid key, and it then throttles that key alone; another caller's
 * fresh requests still pass. The worst case is the number of active access keys times the
 * bound (about 100 bytes an entry). Nonces are kept in time slots, so expiry drops whole slots,
 * returning the memory of callers that went quiet.
 */
import { createHash } from 'node:crypto';

export type NonceClaim = 'fresh' | 'replayed' | 'full';

/** Default bound per caller: about 27 signed requests per second, sustained over a 30-minute window. */
export const NONCES_PER_CALLER = 50_000;

interface Slot {
  /** Start of the slot's time span (ms); it holds nonces claimed in [start, start + slotMs). */
  start: number;
  /** AccessKeyId → digests of the nonces that key claimed in this slot. */
  byCaller: Map<string, Set<string>>;
}

export class NonceCache {
  /** Oldest first. */
  private readonly slots: Slot[] = [];
  /** AccessKeyId → nonces remembered for it across all slots. */
  private readonly counts = new Map<string, number>();
  private total = 0;

  /**
   * @param ttlMs how long a nonce is remembered at least: a timestamp may lie up to the skew limit
   *   in the future and stays acceptable for the skew limit after that, so twice the skew limit.
   * @param perCaller nonces remembered per AccessKeyId; at the bound that key's new requests are
   *   refused rather than forgetting nonces that could still be replayed.
   * @param slotMs granularity of expiry: a nonce is forgotten between ttlMs and ttlMs + slotMs
   *   after it was claimed.
   */
  constructor(
    private readonly ttlMs: number,
    private readonly perCaller: number = NONCES_PER_CALLER,
    private readonly slotMs: number = Math.max(1, Math.ceil(ttlMs / 30)),
  ) {}

  /** Nonces remembered in all (for tests and metrics). */
  get size(): number {
    return this.total;
  }

  /** Records the nonce unless this key used it within the TTL or is at its bound. */
  claim(accessKeyId: string, nonce: string, now = Date.now()): NonceClaim {
    this.expire(now);
    // A fixed-size digest, so a long nonce costs no more memory than a short one.
    const digest = createHash('sha256').update(nonce).digest('base64');
    for (const slot of this.slots) if (slot.byCaller.get(accessKeyId)?.has(digest)) return 'replayed';
    const count = this.counts.get(accessKeyId) ?? 0;
    if (count >= this.perCaller) return 'full';
    let current = this.slots.at(-1);
    // A clock that stepped back files the nonce in the newest slot, which keeps it longest.
    if (!current || now >= current.start + this.slotMs) {
      current = { start: now - (now % this.slotMs), byCaller: new Map() };
      this.slots.push(current);
    }
    let mine = current.byCaller.get(accessKeyId);
    if (!mine) current.byCaller.set(accessKeyId, (mine = new Set()));
    mine.add(digest);
    this.counts.set(accessKeyId, count + 1);
    this.total++;
    return 'fresh';
  }

  /** Drops the slots whose newest possible nonce is older than the TTL. */
  private expire(now: number): void {
    while (this.slots.length > 0 && this.slots[0]!.start + this.slotMs + this.ttlMs <= now) {
      for (const [caller, digests] of this.slots.shift()!.byCaller) {
        const left = this.counts.get(caller)! - digests.size;
        if (left > 0) this.counts.set(caller, left);
        else this.counts.delete(caller);
        this.total -= digests.size;
      }
    }
  }
}
