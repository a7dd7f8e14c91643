/**
 * Random bytes for keys, salts and nonces, drawn from a pool that one CSPRNG call refills.
 * crypto.randomBytes costs several microseconds a call whatever the size (a native job per
 * call), and an SSE-KMS PUT needs five small values (object key, segment salt, wrap salt, data
 * key, blob salt): one refill now serves a few hundred of them. Bytes are the
 * CSPRNG's, each handed out once, copied into a buffer of the caller's own (so wiping it wipes
 * nothing shared) and zeroed in the pool at once, so the pool never holds what was handed out.
 * Processes never fork without exec (cluster workers are new processes), so no two share a pool.
 */
import { randomFillSync } from 'node:crypto';

const POOL_SIZE = 4096;
/** Larger requests are rare (tokens, material imports): they go to the CSPRNG directly. */
const MAX_POOLED = 256;

const pool = Buffer.allocUnsafeSlow(POOL_SIZE);
/** Bytes before this offset have been handed out (and zeroed); the pool starts used up. */
let used = POOL_SIZE;

export function randomBytes(size: number): Buffer {
  if (!Number.isInteger(size) || size < 0) throw new RangeError(`invalid random size ${size}`);
  // Not from Node's shared allocation pool: key material gets an ArrayBuffer of its own.
  const out = Buffer.allocUnsafeSlow(size);
  if (size > MAX_POOLED) return randomFillSync(out);
  if (used + size > POOL_SIZE) {
    randomFillSync(pool);
    used = 0;
  }
  pool.copy(out, 0, used, used + size);
  pool.fill(0, used, used + size);
  used += size;
  return out;
}
