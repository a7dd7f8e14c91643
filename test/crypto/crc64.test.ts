import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Crc64, crc64, crc64Combine, type Crc64Variant } from '../../src/crypto/crc64';

const POLY = 0xc96c5795d7870f42n;
const NVME_POLY = 0x9a6c9329ac4bc9b5n;
const MASK = 0xffffffffffffffffn;

/** Bit-at-a-time definition of CRC-64/XZ, independent of the tables. */
function referenceCrc(data: Uint8Array, poly = POLY): bigint {
  let crc = MASK;
  for (const byte of data) {
    crc ^= BigInt(byte);
    for (let bit = 0; bit < 8; bit++) crc = crc & 1n ? (crc >> 1n) ^ poly : crc >> 1n;
  }
  return crc ^ MASK;
}

/** zlib's original crc32_combine (GF(2) operator matrices, squared per bit of length), widened to 64 bits. */
function referenceCombine(crc1: bigint, crc2: bigint, len2: bigint, poly = POLY): bigint {
  const times = (mat: bigint[], vec: bigint): bigint => {
    let sum = 0n;
    for (let i = 0; vec; i++, vec >>= 1n) if (vec & 1n) sum ^= mat[i];
    return sum;
  };
  const square = (mat: bigint[]): bigint[] => mat.map((row) => times(mat, row));
  if (len2 === 0n) return crc1;
  let odd = [poly];
  for (let n = 1; n < 64; n++) odd.push(1n << BigInt(n - 1));
  let even = square(odd);
  odd = square(even);
  for (;;) {
    even = square(odd);
    if (len2 & 1n) crc1 = times(even, crc1);
    len2 >>= 1n;
    if (!len2) break;
    odd = square(even);
    if (len2 & 1n) crc1 = times(odd, crc1);
    len2 >>= 1n;
    if (!len2) break;
  }
  return crc1 ^ crc2;
}

test('CRC-64/XZ check vectors', () => {
  assert.equal(crc64(Buffer.alloc(0)), 0n);
  assert.equal(crc64(Buffer.from('123456789')), 0x995dc9bbdf1939fan);
  assert.equal(crc64(Buffer.from('123456789')), 11051210869376104954n);
  assert.equal(crc64(Buffer.from('hello')), 11177612005948864433n);
  assert.equal(crc64(Buffer.from('hello world')), 5981764153023615706n);
  assert.equal(new Crc64().update(Buffer.from('hello world')).toString(), '5981764153023615706');
});

test('matches the bitwise reference at every alignment and length', () => {
  const backing = randomBytes(400);
  for (let offset = 0; offset < 8; offset++) {
    for (const length of [0, 1, 3, 7, 8, 9, 15, 16, 17, 63, 64, 65, 255, 300]) {
      const view = backing.subarray(offset, offset + length);
      assert.equal(crc64(view), referenceCrc(view), `offset ${offset} length ${length}`);
    }
  }
});

test('continuation and incremental updates equal one pass', () => {
  const data = randomBytes(100_003);
  const whole = crc64(data);
  for (const cut of [0, 1, 5, 8, 4096, 65_537, 100_002, 100_003]) {
    const a = data.subarray(0, cut);
    const b = data.subarray(cut);
    assert.equal(crc64(b, crc64(a)), whole, `cut ${cut}`);
    assert.equal(new Crc64(crc64(a)).update(b).digest(), whole);
    assert.equal(new Crc64().update(a).update(b).digest(), whole);
  }
  const odd = new Crc64();
  for (let off = 0; off < data.length; off += 7) odd.update(data.subarray(off, off + 7));
  assert.equal(odd.digest(), whole);
});

test('combine equals continuation for several sizes, including 0', () => {
  for (const [sizeA, sizeB] of [[0, 0], [0, 10], [10, 0], [1, 1], [13, 8], [1000, 65_536], [65_537, 3], [200_001, 77_777]]) {
    const a = randomBytes(sizeA);
    const b = randomBytes(sizeB);
    const expected = crc64(Buffer.concat([a, b]));
    assert.equal(crc64Combine(crc64(a), crc64(b), sizeB), expected, `${sizeA}+${sizeB}`);
    assert.equal(crc64Combine(crc64(a), crc64(b), sizeB), referenceCombine(crc64(a), crc64(b), BigInt(sizeB)));
  }
});

test('combine with lengths beyond 2^32 agrees with the matrix reference', () => {
  const crcA = crc64(randomBytes(64));
  const crcB = crc64(randomBytes(64));
  for (const length of [2 ** 32, 2 ** 32 + 5, 2 ** 40 + 12_345, 2 ** 52 + 1, Number.MAX_SAFE_INTEGER]) {
    assert.equal(crc64Combine(crcA, crcB, length), referenceCombine(crcA, crcB, BigInt(length)), `length ${length}`);
  }
  // Associativity across the 2^32 boundary: (A‖B)‖C = A‖(B‖C) with |B| + |C| > 2^32.
  const crcC = crc64(randomBytes(32));
  const lenB = 2 ** 32 - 3;
  const lenC = 11;
  assert.equal(
    crc64Combine(crc64Combine(crcA, crcB, lenB), crcC, lenC),
    crc64Combine(crcA, crc64Combine(crcB, crcC, lenC), lenB + lenC),
  );
});

test('combine rejects invalid lengths', () => {
  assert.throws(() => crc64Combine(1n, 2n, -1), RangeError);
  assert.throws(() => crc64Combine(1n, 2n, 1.5), RangeError);
});

test('CRC-64/NVME check vectors', () => {
  assert.equal(crc64(Buffer.alloc(0), 0n, 'NVME'), 0n);
  assert.equal(crc64(Buffer.from('123456789'), 0n, 'NVME'), 0xae8b14860a799888n);
  assert.equal(new Crc64(0n, 'NVME').update(Buffer.from('12345')).update(Buffer.from('6789')).digest(), 0xae8b14860a799888n);
  // The default stays CRC-64/XZ.
  assert.equal(new Crc64(0n, 'ECMA').update(Buffer.from('123456789')).digest(), 0x995dc9bbdf1939fan);
  assert.throws(() => new Crc64(0n, 'ISO' as Crc64Variant), TypeError);
});

test('NVME matches the bitwise reference at every alignment and length, and interleaves with ECMA', () => {
  const backing = randomBytes(400);
  for (let offset = 0; offset < 8; offset++) {
    for (const length of [0, 1, 3, 7, 8, 9, 15, 16, 17, 23, 24, 25, 31, 32, 33, 63, 64, 65, 255, 300]) {
      const view = backing.subarray(offset, offset + length);
      assert.equal(crc64(view, 0n, 'NVME'), referenceCrc(view, NVME_POLY), `offset ${offset} length ${length}`);
      assert.equal(crc64(view), referenceCrc(view), `ECMA offset ${offset} length ${length}`);
    }
  }
  const data = randomBytes(100_003);
  const ecma = new Crc64();
  const nvme = new Crc64(0n, 'NVME');
  for (let off = 0; off < data.length; off += 4099) {
    ecma.update(data.subarray(off, off + 4099));
    nvme.update(data.subarray(off, off + 4099));
  }
  assert.equal(ecma.digest(), referenceCrc(data));
  assert.equal(nvme.digest(), referenceCrc(data, NVME_POLY));
  assert.equal(crc64(data.subarray(50_000), crc64(data.subarray(0, 50_000), 0n, 'NVME'), 'NVME'), nvme.digest());
});

test('NVME combine equals continuation and the matrix reference', () => {
  for (const [sizeA, sizeB] of [[0, 0], [0, 10], [10, 0], [1, 1], [13, 8], [1000, 65_536], [65_537, 3]]) {
    const a = randomBytes(sizeA);
    const b = randomBytes(sizeB);
    const crcA = crc64(a, 0n, 'NVME');
    const crcB = crc64(b, 0n, 'NVME');
    assert.equal(crc64Combine(crcA, crcB, sizeB, 'NVME'), crc64(Buffer.concat([a, b]), 0n, 'NVME'), `${sizeA}+${sizeB}`);
    assert.equal(crc64Combine(crcA, crcB, sizeB, 'NVME'), referenceCombine(crcA, crcB, BigInt(sizeB), NVME_POLY));
  }
  const crcA = crc64(randomBytes(64), 0n, 'NVME');
  const crcB = crc64(randomBytes(64), 0n, 'NVME');
  for (const length of [2 ** 32 + 5, 2 ** 52 + 1, Number.MAX_SAFE_INTEGER]) {
    assert.equal(crc64Combine(crcA, crcB, length, 'NVME'), referenceCombine(crcA, crcB, BigInt(length), NVME_POLY), `length ${length}`);
  }
});
