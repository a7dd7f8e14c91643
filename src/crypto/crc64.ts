import { endianness } from 'node:os';

/*
 * CRC-64/XZ (the "crc64ecma" of Alibaba OSS): reflected polynomial 0xC96C5795D7870F42,
 * init and xorout all ones.
 *
 * This runs over every byte stored, so the 64-bit register is kept as two int32 halves
 * (BigInt per byte would be ~100x slower) and the bulk is table-driven slicing-by-8,
 * reading the input as aligned little-endian 32-bit words through an Int32Array view.
 */

const POLY_LO = 0xd7870f42;
const POLY_HI = 0xc96c5795;

/** LO[k][b] / HI[k][b]: halves of the register change caused by byte b followed by k zero bytes. */
const LO: Int32Array[] = [];
const HI: Int32Array[] = [];
for (let k = 0; k < 8; k++) {
  LO.push(new Int32Array(256));
  HI.push(new Int32Array(256));
}
for (let b = 0; b < 256; b++) {
  let lo = b;
  let hi = 0;
  for (let bit = 0; bit < 8; bit++) {
    const mask = -(lo & 1);
    lo = ((lo >>> 1) | (hi << 31)) ^ (POLY_LO & mask);
    hi = (hi >>> 1) ^ (POLY_HI & mask);
  }
  LO[0][b] = lo;
  HI[0][b] = hi;
}
for (let k = 1; k < 8; k++) {
  for (let b = 0; b < 256; b++) {
    const lo = LO[k - 1][b];
    const hi = HI[k - 1][b];
    LO[k][b] = ((lo >>> 8) | (hi << 24)) ^ LO[0][lo & 0xff];
    HI[k][b] = (hi >>> 8) ^ HI[0][lo & 0xff];
  }
}
// Locals rather than LO[k] lookups inside the hot loop.
const [L0, L1, L2, L3, L4, L5, L6, L7] = LO;
const [H0, H1, H2, H3, H4, H5, H6, H7] = HI;

/** The word view only matches the byte order the tables assume on little-endian hosts; elsewhere go bytewise. */
const WORDS_OK = endianness() === 'LE';

const MASK64 = 0xffffffffffffffffn;

export class Crc64 {
  /** Register (pre-xorout) as signed 32-bit halves. */
  private lo: number;
  private hi: number;

  /** `previous` is a finished CRC of earlier bytes, so hashing can resume from a stored value. */
  constructor(previous = 0n) {
    const reg = (previous & MASK64) ^ MASK64;
    this.lo = Number(reg & 0xffffffffn) | 0;
    this.hi = Number(reg >> 32n) | 0;
  }

  update(data: Uint8Array): this {
    const n = data.length;
    // Int32Array views need 4-byte alignment, so walk up to the first aligned byte.
    let i = Math.min(n, (4 - (data.byteOffset & 3)) & 3);
    this.bytewise(data, 0, i);
    const words = WORDS_OK ? (n - i) >>> 3 : 0;
    if (words > 0) {
      const w = new Int32Array(data.buffer, data.byteOffset + i, words * 2);
      let lo = this.lo;
      let hi = this.hi;
      for (let j = 0; j < w.length; j += 2) {
        const a = lo ^ w[j];
        const b = hi ^ w[j + 1];
        lo =
          L7[a & 0xff] ^ L6[(a >>> 8) & 0xff] ^ L5[(a >>> 16) & 0xff] ^ L4[a >>> 24] ^
          L3[b & 0xff] ^ L2[(b >>> 8) & 0xff] ^ L1[(b >>> 16) & 0xff] ^ L0[b >>> 24];
        hi =
          H7[a & 0xff] ^ H6[(a >>> 8) & 0xff] ^ H5[(a >>> 16) & 0xff] ^ H4[a >>> 24] ^
          H3[b & 0xff] ^ H2[(b >>> 8) & 0xff] ^ H1[(b >>> 16) & 0xff] ^ H0[b >>> 24];
      }
      this.lo = lo;
      this.hi = hi;
      i += words * 8;
    }
    this.bytewise(data, i, n);
    return this;
  }

  digest(): bigint {
    return (BigInt(~this.hi >>> 0) << 32n) | BigInt(~this.lo >>> 0);
  }

  /** Decimal, as OSS sends it in x-oss-hash-crc64ecma. */
  toString(): string {
    return this.digest().toString();
  }

  private bytewise(data: Uint8Array, from: number, to: number): void {
    let lo = this.lo;
    let hi = this.hi;
    for (let i = from; i < to; i++) {
      const x = (lo ^ data[i]) & 0xff;
      lo = ((lo >>> 8) | (hi << 24)) ^ L0[x];
      hi = (hi >>> 8) ^ H0[x];
    }
    this.lo = lo;
    this.hi = hi;
  }
}

/** CRC of `data`; pass the CRC of preceding bytes as `previous` to continue it. */
export function crc64(data: Uint8Array, previous = 0n): bigint {
  return new Crc64(previous).update(data).digest();
}

/*
 * Combining works on polynomials over GF(2) in the reflected representation: bit 63 is x^0.
 * crc(A‖B) = crc(A)·x^(8·len(B)) mod P  xor  crc(B), because the all-ones init/xorout cancel
 * (same construction as zlib's crc32_combine). Rarely called, so BigInt is fine here.
 */

const POLY = 0xc96c5795d7870f42n;
const X0 = 1n << 63n;

/** a·b mod P. */
function multModP(a: bigint, b: bigint): bigint {
  let product = 0n;
  for (let m = X0; m !== 0n && a !== 0n; m >>= 1n) {
    if (a & m) {
      product ^= b;
      a ^= m;
    }
    b = b & 1n ? (b >> 1n) ^ POLY : b >> 1n;
  }
  return product;
}

/** X2N[k] = x^(2^k) mod P, grown on demand. */
const X2N: bigint[] = [X0 >> 1n];

/** x^(n·2^k) mod P. */
function xPowModP(n: bigint, k: number): bigint {
  let p = X0;
  for (; n > 0n; n >>= 1n, k++) {
    while (X2N.length <= k) X2N.push(multModP(X2N[X2N.length - 1], X2N[X2N.length - 1]));
    if (n & 1n) p = multModP(X2N[k], p);
  }
  return p;
}

/** crc64(A‖B) from crc64(A), crc64(B) and len(B) in bytes. */
export function crc64Combine(crcA: bigint, crcB: bigint, lengthB: number): bigint {
  if (!Number.isSafeInteger(lengthB) || lengthB < 0) throw new RangeError(`invalid length ${lengthB}`);
  // Bytes are 8 = 2^3 bits, hence k starts at 3.
  return multModP(xPowModP(BigInt(lengthB), 3), crcA & MASK64) ^ (crcB & MASK64);
}
