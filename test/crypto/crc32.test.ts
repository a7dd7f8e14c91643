import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as zlib from 'node:zlib';
import { Crc32, crc32, crc32Combine, type Crc32Variant } from '../../src/crypto/crc32';

const POLY: Record<Crc32Variant, bigint> = { CRC32: 0xedb88320n, CRC32C: 0x82f63b78n };
const VARIANTS: Crc32Variant[] = ['CRC32', 'CRC32C'];
const MASK = 0xffffffffn;

/** Bit-at-a-time definition, independent of the tables. */
function referenceCrc(data: Uint8Array, variant: Crc32Variant): number {
  let crc = MASK;
  for (const byte of data) {
    crc ^= BigInt(byte);
    for (let bit = 0; bit < 8; bit++) crc = crc & 1n ? (crc >> 1n) ^ POLY[variant] : crc >> 1n;
  }
  return Number(crc ^ MASK);
}

/** zlib's original crc32_combine (GF(2) operator matrices, squared per bit of length). */
function referenceCombine(crc1: number, crc2: number, length: number, variant: Crc32Variant): number {
  const times = (mat: bigint[], vec: bigint): bigint => {
    let sum = 0n;
    for (let i = 0; vec; i++, vec >>= 1n) if (vec & 1n) sum ^= mat[i];
    return sum;
  };
  const square = (mat: bigint[]): bigint[] => mat.map((row) => times(mat, row));
  let len2 = BigInt(length);
  let c1 = BigInt(crc1);
  if (len2 === 0n) return crc1;
  let odd = [POLY[variant]];
  for (let n = 1; n < 32; n++) odd.push(1n << BigInt(n - 1));
  let even = square(odd);
  odd = square(even);
  for (;;) {
    even = square(odd);
    if (len2 & 1n) c1 = times(even, c1);
    len2 >>= 1n;
    if (!len2) break;
    odd = square(even);
    if (len2 & 1n) c1 = times(odd, c1);
    len2 >>= 1n;
    if (!len2) break;
  }
  return Number(c1 ^ BigInt(crc2));
}

test('check vectors', () => {
  const check = Buffer.from('123456789');
  assert.equal(crc32(check), 0xcbf43926);
  assert.equal(crc32(check, 0, 'CRC32'), 0xcbf43926);
  assert.equal(crc32(check, 0, 'CRC32C'), 0xe3069283);
  for (const variant of VARIANTS) {
    assert.equal(crc32(Buffer.alloc(0), 0, variant), 0);
    assert.equal(new Crc32(0, variant).digest(), 0);
  }
  // iSCSI test vector (RFC 3720 B.4): 32 bytes of zeros.
  assert.equal(crc32(Buffer.alloc(32), 0, 'CRC32C'), 0x8a9136aa);
  assert.throws(() => new Crc32(0, 'CRC32K' as Crc32Variant), TypeError);
});

test('matches the bitwise reference at every alignment and length', () => {
  const backing = randomBytes(400);
  for (const variant of VARIANTS) {
    for (let offset = 0; offset < 8; offset++) {
      for (const length of [0, 1, 3, 7, 8, 9, 15, 16, 17, 23, 24, 25, 31, 32, 33, 63, 64, 65, 255, 300]) {
        const view = backing.subarray(offset, offset + length);
        assert.equal(crc32(view, 0, variant), referenceCrc(view, variant), `${variant} offset ${offset} length ${length}`);
      }
    }
  }
});

test('the IEEE tables agree with zlib.crc32 where Node has it', (t) => {
  const native = (zlib as unknown as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
  if (typeof native !== 'function') return t.skip('no zlib.crc32 in this Node');
  for (const size of [0, 1, 9, 4096, 100_003]) {
    const data = randomBytes(size);
    assert.equal(crc32(data), native(data), `size ${size}`);
    // (Not for empty input: zlib.crc32(randomBytes(0), value) is 0, not value — see checksums.ts.)
    if (size > 0) assert.equal(crc32(data, 0x12345678), native(data, 0x12345678), `continued, size ${size}`);
  }
});

test('continuation and incremental updates equal one pass', () => {
  const data = randomBytes(100_003);
  for (const variant of VARIANTS) {
    const whole = crc32(data, 0, variant);
    for (const cut of [0, 1, 5, 8, 16, 4096, 65_537, 100_002, 100_003]) {
      const a = data.subarray(0, cut);
      const b = data.subarray(cut);
      assert.equal(crc32(b, crc32(a, 0, variant), variant), whole, `${variant} cut ${cut}`);
      assert.equal(new Crc32(0, variant).update(a).update(b).digest(), whole);
    }
    const odd = new Crc32(0, variant);
    for (let off = 0; off < data.length; off += 7) odd.update(data.subarray(off, off + 7));
    assert.equal(odd.digest(), whole);
  }
});

test('combine equals continuation for several sizes, including 0', () => {
  for (const variant of VARIANTS) {
    for (const [sizeA, sizeB] of [[0, 0], [0, 10], [10, 0], [1, 1], [13, 8], [1000, 65_536], [65_537, 3], [200_001, 77_777]]) {
      const a = randomBytes(sizeA);
      const b = randomBytes(sizeB);
      const crcA = crc32(a, 0, variant);
      const crcB = crc32(b, 0, variant);
      const combined = crc32Combine(crcA, crcB, sizeB, variant);
      assert.equal(combined, crc32(Buffer.concat([a, b]), 0, variant), `${variant} ${sizeA}+${sizeB}`);
      assert.equal(combined, referenceCombine(crcA, crcB, sizeB, variant));
    }
  }
});

test('combine with lengths beyond 2^32 agrees with the matrix reference', () => {
  for (const variant of VARIANTS) {
    const crcA = crc32(randomBytes(64), 0, variant);
    const crcB = crc32(randomBytes(64), 0, variant);
    for (const length of [2 ** 31, 2 ** 32, 2 ** 32 + 5, 2 ** 40 + 12_345, 2 ** 52 + 1, Number.MAX_SAFE_INTEGER]) {
      assert.equal(crc32Combine(crcA, crcB, length, variant), referenceCombine(crcA, crcB, length, variant), `${variant} length ${length}`);
    }
  }
});

test('combine rejects invalid lengths', () => {
  assert.throws(() => crc32Combine(1, 2, -1), RangeError);
  assert.throws(() => crc32Combine(1, 2, 1.5), RangeError);
  assert.throws(() => crc32Combine(1, 2, 2 ** 53), RangeError);
});
