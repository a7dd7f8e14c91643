/**
 * HKDF (RFC 5869) over HMAC, with the same output as crypto.hkdfSync. hkdfSync costs about
 * twice as much per call (a KeyObject for the input key and an OpenSSL KDF context set up for
 * each derivation), and every encrypted object takes two or three derivations per request,
 * each under fresh key material or a fresh salt, so nothing can be derived once and kept.
 */
import { createHmac } from 'node:crypto';

const HASH_SIZE: Readonly<Record<string, number>> = { sha256: 32, sm3: 32 };

export function hkdf(hash: 'sha256' | 'sm3', ikm: Buffer, salt: Buffer, info: string, length: number): Buffer {
  const size = HASH_SIZE[hash]!;
  if (!Number.isInteger(length) || length < 1 || length > 255 * size) throw new RangeError(`invalid HKDF output length ${length}`);
  // Extract. An empty salt is a key of zeros (RFC 5869 §2.2): HMAC pads either to the same block.
  const prk = createHmac(hash, salt).update(ikm).digest();
  // Expand: T(i) = HMAC(PRK, T(i-1) ‖ info ‖ i), concatenated and cut to length.
  const out = Buffer.allocUnsafeSlow(length);
  let previous = Buffer.alloc(0);
  for (let i = 1, at = 0; at < length; i++, at += size) {
    const block = createHmac(hash, prk).update(previous).update(info, 'utf8').update(Buffer.of(i)).digest();
    block.copy(out, at);
    previous.fill(0);
    previous = block;
  }
  previous.fill(0);
  prk.fill(0);
  return out;
}
