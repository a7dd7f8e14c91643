/**
 * Console login throttling against guessing secrets. Failed logins are counted per client
 * address and per AccessKey ID, each in a fixed window that starts at its first failure; once
 * either count reaches its limit, logins for it are answered 429 with Retry-After until the window
 * ends. So a guesser gets a handful of tries per window, while the owner of a key is never locked
 * out for longer than one window, and a successful login clears its key's count.
 *
 * The address is the TCP peer's: X-Forwarded-For is anyone's to write. IPv6 peers count per /64,
 * the block one host is usually given. Counts live in this process (a server with --workers N
 * allows up to N times the budget, as each worker counts on its own); each table keeps at most
 * maxEntries, dropping the least recently failed, so a flood of made-up ids cannot exhaust memory.
 */
import { isIPv6 } from 'node:net';
import { RetryLater } from './http';

export interface LoginLimits {
  /** Failed logins from one address within a window before that address is refused. */
  perAddress: number;
  /** Failed logins for one AccessKey ID within a window before that key is refused. */
  perKey: number;
  windowMs: number;
  /** Addresses (and, separately, key ids) tracked at most. */
  maxEntries: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = { perAddress: 20, perKey: 5, windowMs: 15 * 60_000, maxEntries: 10_000 };

interface Window { failures: number; endsAt: number }

/** Failure counts by id, in insertion order = least recently failed first. */
class Counts {
  private readonly windows = new Map<string, Window>();

  constructor(private readonly limit: number, private readonly windowMs: number, private readonly maxEntries: number) {}

  get size(): number {
    return this.windows.size;
  }

  /** Milliseconds until `id` may try again; 0: now. */
  waitFor(id: string, now: number): number {
    const w = this.current(id, now);
    return w && w.failures >= this.limit ? w.endsAt - now : 0;
  }

  add(id: string, now: number): void {
    const w = this.current(id, now) ?? { failures: 0, endsAt: now + this.windowMs };
    w.failures++;
    // Re-inserted at the end: the least recently failed stay at the front, first to go.
    this.windows.delete(id);
    this.windows.set(id, w);
    if (this.windows.size > this.maxEntries) this.windows.delete(this.windows.keys().next().value!);
  }

  /** Takes back one count (an attempt that turned out not to be a failure). */
  remove(id: string, now: number): void {
    const w = this.current(id, now);
    if (w && --w.failures <= 0) this.windows.delete(id);
  }

  clear(id: string): void {
    this.windows.delete(id);
  }

  private current(id: string, now: number): Window | undefined {
    const w = this.windows.get(id);
    if (w && w.endsAt <= now) {
      this.windows.delete(id);
      return undefined;
    }
    return w;
  }
}

/** The address a client is counted under: its own, or its /64 for IPv6. */
export function clientBlock(address: string): string {
  if (!isIPv6(address) || /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(address)) return address;
  const [head, tail = ''] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = address.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':')}::/64`;
}

/** One login attempt, counted as a failure unless settled otherwise. */
export interface LoginAttempt {
  /** The pair was proved: the key's count is cleared, and this attempt is not held against the address. */
  succeeded(): void;
  /** Nothing was learnt about the secret (e.g. the API could not be reached): not counted. */
  undecided(): void;
}

export class LoginLimiter {
  private readonly byAddress: Counts;
  private readonly byKey: Counts;

  constructor(limits: LoginLimits, private readonly now: () => number) {
    this.byAddress = new Counts(limits.perAddress, limits.windowMs, limits.maxEntries);
    this.byKey = new Counts(limits.perKey, limits.windowMs, limits.maxEntries);
  }

  /** Entries tracked, for the memory bound's test. */
  get tracked(): { addresses: number; keys: number } {
    return { addresses: this.byAddress.size, keys: this.byKey.size };
  }

  /**
   * Admits an attempt or throws 429. The attempt counts as a failure from the start, so that
   * guesses sent in parallel cannot all pass the limit before the first one fails.
   */
  begin(address: string, accessKeyId: string): LoginAttempt {
    const at = this.now();
    const block = clientBlock(address);
    const waits: Array<[number, string]> = [[this.byAddress.waitFor(block, at), 'from this address'], [this.byKey.waitFor(accessKeyId, at), 'for this AccessKey ID']];
    const [wait, why] = waits.sort((a, b) => b[0] - a[0])[0];
    if (wait > 0) {
      const seconds = Math.ceil(wait / 1000);
      throw new RetryLater(429, 'TooManyLoginAttempts', `Too many failed logins ${why}; try again in ${seconds} seconds.`, seconds);
    }
    this.byAddress.add(block, at);
    this.byKey.add(accessKeyId, at);
    let settled = false;
    const settle = (fn: () => void) => () => {
      if (settled) return;
      settled = true;
      fn();
    };
    return {
      succeeded: settle(() => {
        this.byKey.clear(accessKeyId);
        this.byAddress.remove(block, at);
      }),
      undecided: settle(() => {
        this.byKey.remove(accessKeyId, at);
        this.byAddress.remove(block, at);
      }),
    };
  }
}
