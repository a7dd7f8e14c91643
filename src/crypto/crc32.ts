import { endianness } from 'node:os';

/*
 * Reflected CRC-32s with init and xorout all ones, in two variants that differ only in the
 * polynomial:
 *
 *   CRC32   the IEEE 802.3 / zlib CRC-32: reflected polynomial 0xEDB88320
 *   CRC32C  Castagnoli (iSCSI, ext4, S3's CRC32C): reflected polynomial 0x82F63B78
 *
 * Table-driven slicing-by-8 over aligned little-endian 32-bit words, with one set of
 * module-level tables serving both variants (entry [v·256 + b] belongs to variant v), laid out
 * like the CRC-64 in crc64.ts and for the same reason (V8 specialises the hot loop to constant
 * tables; tables reached through the instance cost more than half the speed).
 *
 * Node's zlib.crc32 (native, much faster) computes the IEEE variant; the table version of it is
 * here for runtimes without zlib.crc32 and as an independent check in tests.
 */

export type Crc32Variant = 'CRC32' | 'CRC32C';

const POLYNOMIALS: Record<Crc32Variant, number> = {
  CRC32: 0xedb88320,
  CRC32C: 0x82f63b78,
};

/** Where each variant's entries start in the tables (a multiple of 256, ORed into byte indexes). */
const OFFSETS: Record<Crc32Variant, number> = { CRC32: 0, CRC32C: 256 };

/** TABLES[k][v·256 + b]: register change caused by byte b followed by k zero bytes, for variant v. */
const TABLES: Int32Array[] = [];
for (let k = 0; k < 8; k++) TABLES.push(new Int32Array(512));
for (const variant of Object.keys(POLYNOMIALS) as Crc32Variant[]) {
  const o = OFFSETS[variant];
  const poly = POLYNOMIALS[variant] | 0;
  for (let b = 0; b < 256; b++) {
    let crc = b;
    for (let bit = 0; bit < 8; bit++) crc = (crc >>> 1) ^ (poly & -(crc & 1));
    TABLES[0][o | b] = crc;
  }
  for (let k = 1; k < 8; k++) {
    for (let b = 0; b < 256; b++) {
      const prev = TABLES[k - 1][o | b];
      TABLES[k][o | b] = (prev >>> 8) ^ TABLES[0][o | (prev & 0xff)];
    }
  }
}
// Locals rather than TABLES[k] lookups inside the hot loop.
const [T0, T1, T2, T3, T4, T5, T6, T7] = TABLES;

/** The word view only matches the byte order the tables assume on little-endian hosts; elsewhere go bytewise. */
const WORDS_OK = endianness() === 'LE';

export class Crc32 {
  /** Register (pre-xorout) as a signed 32-bit integer. */
  private reg: number;
  /** OFFSETS[variant]. */
  private readonly offset: number;

  /**
   * `previous` is a finished CRC of earlier bytes, so hashing can resume from a stored value.
   * The variant defaults to the IEEE CRC-32.
   */
  constructor(previous = 0, variant: Crc32Variant = 'CRC32') {
    this.reg = ~previous;
    this.offset = OFFSETS[variant];
    if (this.offset === undefined) throw new TypeError(`unknown CRC-32 variant ${String(variant)}`);
  }

  update(data: Uint8Array): this {
    const n = data.length;
    // Int32Array views need 4-byte alignment, so walk up to the first aligned byte.
    let i = Math.min(n, (4 - (data.byteOffset & 3)) & 3);
    this.bytewise(data, 0, i);
    const words = WORDS_OK ? (n - i) >>> 3 : 0;
    if (words > 0) {
      const t = this.offset;
      const w = new Int32Array(data.buffer, data.byteOffset + i, words * 2);
      let crc = this.reg;
      // Two 8-byte steps per iteration (the same statements twice), as in crc64.ts. The XORs are
      // grouped so that only two levels of them wait on the loads that depend on the register
      // (worth 10%; V8 does not reassociate a ^ b ^ c ^ …).
      const pairs = w.length & ~3;
      let j = 0;
      for (; j < pairs; j += 4) {
        let b = w[j + 1];
        let a = crc ^ w[j];
        crc =
          ((T3[t | (b & 0xff)] ^ T2[t | ((b >>> 8) & 0xff)]) ^ (T1[t | ((b >>> 16) & 0xff)] ^ T0[t | (b >>> 24)])) ^
          ((T7[t | (a & 0xff)] ^ T6[t | ((a >>> 8) & 0xff)]) ^ (T5[t | ((a >>> 16) & 0xff)] ^ T4[t | (a >>> 24)]));
        b = w[j + 3];
        a = crc ^ w[j + 2];
        crc =
          ((T3[t | (b & 0xff)] ^ T2[t | ((b >>> 8) & 0xff)]) ^ (T1[t | ((b >>> 16) & 0xff)] ^ T0[t | (b >>> 24)])) ^
          ((T7[t | (a & 0xff)] ^ T6[t | ((a >>> 8) & 0xff)]) ^ (T5[t | ((a >>> 16) & 0xff)] ^ T4[t | (a >>> 24)]));
      }
      if (j < w.length) {
        const b = w[j + 1];
        const a = crc ^ w[j];
        crc =
          ((T3[t | (b & 0xff)] ^ T2[t | ((b >>> 8) & 0xff)]) ^ (T1[t | ((b >>> 16) & 0xff)] ^ T0[t | (b >>> 24)])) ^
          ((T7[t | (a & 0xff)] ^ T6[t | ((a >>> 8) & 0xff)]) ^ (T5[t | ((a >>> 16) & 0xff)] ^ T4[t | (a >>> 24)]));
      }
      this.reg = crc;
      i += words * 8;
    }
    this.bytewise(data, i, n);
    return this;
  }

  /** The finished CRC, unsigned. */
  digest(): number {
    return ~this.reg >>> 0;
  }

  private bytewise(data: Uint8Array, from: number, to: number): void {
    const t = this.offset;
    let crc = this.reg;
    for (let i = from; i < to; i++) crc = (crc >>> 8) ^ T0[t | ((crc ^ data[i]) & 0xff)];
    this.reg = crc;
  }
}

/** CRC of `data` (IEEE unless `variant` says otherwise); pass the CRC of preceding bytes as `previous` to continue it. */
export function crc32(data: Uint8Array, previous = 0, variant: Crc32Variant = 'CRC32'): number {
  return new Crc32(previous, variant).update(data).digest();
}

/*
 * Combining, as for the CRC-64 (see crc64Combine): polynomials over GF(2) in the reflected
 * representation, bit 31 is x^0, and crc(A‖B) = crc(A)·x^(8·len(B)) mod P  xor  crc(B).
 * Everything fits in 32-bit integers, so no BigInt.
 */

const X0 = 0x80000000;

/** a·b mod P, unsigned. */
function multModP(a: number, b: number, poly: number): number {
  let product = 0;
  for (let m = X0; m !== 0 && a !== 0; m >>>= 1) {
    if (a & m) {
      product ^= b;
      a ^= m;
    }
    b = b & 1 ? (b >>> 1) ^ poly : b >>> 1;
  }
  return product >>> 0;
}

/** X2N[variant][k] = x^(2^k) mod P, grown on demand. */
const X2N: Record<Crc32Variant, number[]> = { CRC32: [X0 >>> 1], CRC32C: [X0 >>> 1] };

/** x^(n·2^k) mod P, for n up to 2^53. */
function xPowModP(n: number, k: number, variant: Crc32Variant): number {
  const poly = POLYNOMIALS[variant];
  const x2n = X2N[variant];
  let p = X0;
  for (; n > 0; n = Math.floor(n / 2), k++) {
    while (x2n.length <= k) x2n.push(multModP(x2n[x2n.length - 1], x2n[x2n.length - 1], poly));
    if (n % 2 === 1) p = multModP(x2n[k], p, poly);
  }
  return p;
}

/** crc32(A‖B) from crc32(A), crc32(B) and len(B) in bytes (IEEE unless `variant` says otherwise). */
export function crc32Combine(crcA: number, crcB: number, lengthB: number, variant: Crc32Variant = 'CRC32'): number {
  if (!Number.isSafeInteger(lengthB) || lengthB < 0) throw new RangeError(`invalid length ${lengthB}`);
  const poly = POLYNOMIALS[variant];
  if (poly === undefined) throw new TypeError(`unknown CRC-32 variant ${String(variant)}`);
  // Bytes are 8 = 2^3 bits, hence k starts at 3.
  return (multModP(xPowModP(lengthB, 3, variant), crcA >>> 0, poly) ^ crcB) >>> 0;
}
