import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomInt } from 'node:crypto';
// The AWS SDK's own implementations (a dependency of @aws-sdk/client-s3), as an independent check.
import { Crc32 as AwsCrc32, Crc32Js as AwsCrc32Js, Crc32c as AwsCrc32c, Crc32cJs as AwsCrc32cJs, Crc64Nvme as AwsCrc64Nvme, Crc64NvmeJs as AwsCrc64NvmeJs } from '@aws-sdk/checksums/crc';
import {
  CHECKSUM_ALGORITHMS,
  combineChecksums,
  compositeChecksum,
  digestLength,
  isChecksumAlgorithm,
  isCrc,
  newChecksummer,
  type ChecksumAlgorithm,
} from '../../src/crypto/checksums';

const CRCS: ChecksumAlgorithm[] = ['CRC32', 'CRC32C', 'CRC64NVME'];

function digestOf(alg: ChecksumAlgorithm, data: Uint8Array): Buffer {
  return newChecksummer(alg).update(data).digest();
}

test('algorithm names, digest lengths and kinds', () => {
  assert.deepEqual([...CHECKSUM_ALGORITHMS], ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256']);
  assert.ok(Object.isFrozen(CHECKSUM_ALGORITHMS));
  for (const alg of CHECKSUM_ALGORITHMS) assert.ok(isChecksumAlgorithm(alg));
  for (const s of ['crc32', 'Crc32c', 'CRC64', 'CRC64NVME ', 'SHA-256', 'MD5', '', 'toString', '__proto__', 'hasOwnProperty']) {
    assert.equal(isChecksumAlgorithm(s), false, s);
  }
  assert.deepEqual(CHECKSUM_ALGORITHMS.map(digestLength), [4, 4, 8, 20, 32]);
  assert.deepEqual(CHECKSUM_ALGORITHMS.map(isCrc), [true, true, true, false, false]);
  for (const alg of CHECKSUM_ALGORITHMS) assert.equal(digestOf(alg, randomBytes(10)).length, digestLength(alg));
  assert.throws(() => newChecksummer('MD5' as ChecksumAlgorithm), TypeError);
  assert.throws(() => digestLength('MD5' as ChecksumAlgorithm), TypeError);
});

test('check values for "123456789" and for empty input, as big-endian digests', () => {
  const check = Buffer.from('123456789');
  const expected: Record<ChecksumAlgorithm, [string, string]> = {
    CRC32: ['cbf43926', '00000000'],
    CRC32C: ['e3069283', '00000000'],
    CRC64NVME: ['ae8b14860a799888', '0000000000000000'],
    SHA1: ['f7c3bc1d808e04732adf679965ccc34ca7ae3441', 'da39a3ee5e6b4b0d3255bfef95601890afd80709'],
    SHA256: [
      '15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225',
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    ],
  };
  for (const alg of CHECKSUM_ALGORITHMS) {
    assert.equal(digestOf(alg, check).toString('hex'), expected[alg][0], alg);
    assert.equal(digestOf(alg, Buffer.alloc(0)).toString('hex'), expected[alg][1], `${alg} of nothing`);
    assert.equal(newChecksummer(alg).digest().toString('hex'), expected[alg][1], `${alg} without update`);
  }
  // What S3 puts in x-amz-checksum-crc32 for "123456789".
  assert.equal(digestOf('CRC32', check).toString('base64'), 'y/Q5Jg==');
});

test('incremental updates in odd chunk sizes and at odd offsets equal one pass', () => {
  const backing = randomBytes(300_011);
  for (const offset of [0, 1, 3]) {
    const data = backing.subarray(offset, offset + 300_000);
    for (const alg of CHECKSUM_ALGORITHMS) {
      const whole = digestOf(alg, data);
      for (const chunkSize of [1, 3, 7, 13, 4093, 65_537]) {
        const hasher = newChecksummer(alg);
        for (let at = 0; at < data.length; at += chunkSize) hasher.update(data.subarray(at, at + chunkSize));
        assert.deepEqual(hasher.digest(), whole, `${alg} offset ${offset} chunks of ${chunkSize}`);
      }
      // Random cut points, empty updates included.
      const hasher = newChecksummer(alg).update(new Uint8Array(0));
      for (let at = 0; at < data.length; ) {
        const next = Math.min(data.length, at + randomInt(0, 20_000));
        hasher.update(data.subarray(at, next));
        at = next;
      }
      assert.deepEqual(hasher.digest(), whole, `${alg} random chunks`);
    }
  }
});

test('empty chunks leave the running checksum alone, whatever their backing buffer', () => {
  const data = randomBytes(1000);
  for (const alg of CHECKSUM_ALGORITHMS) {
    const hasher = newChecksummer(alg).update(data);
    for (const empty of [new Uint8Array(0), Buffer.alloc(0), randomBytes(0), data.subarray(5, 5), new Uint8Array(new ArrayBuffer(0))]) {
      hasher.update(empty);
    }
    assert.deepEqual(hasher.digest(), digestOf(alg, data), alg);
  }
});

test('update() returns the checksummer; CRC digests can be taken midway, SHA digests finish the hash', () => {
  const a = randomBytes(1000);
  const b = randomBytes(777);
  for (const alg of CRCS) {
    const hasher = newChecksummer(alg);
    assert.equal(hasher.update(a), hasher);
    assert.deepEqual(hasher.digest(), digestOf(alg, a));
    assert.deepEqual(hasher.update(b).digest(), digestOf(alg, Buffer.concat([a, b])), alg);
  }
  for (const alg of ['SHA1', 'SHA256'] as const) {
    const hasher = newChecksummer(alg);
    assert.equal(hasher.update(a), hasher);
    const first = hasher.digest();
    assert.deepEqual(first, createHash(alg.toLowerCase()).update(a).digest());
    first.fill(0); // callers get their own copy
    assert.deepEqual(hasher.digest(), createHash(alg.toLowerCase()).update(a).digest());
    assert.throws(() => hasher.update(b));
  }
});

test('combine(crc(A), crc(B), len(B)) equals the CRC of A‖B, empty parts included', () => {
  const sizes: [number, number][] = [[0, 0], [0, 1], [1, 0], [0, 1000], [1000, 0], [1, 1], [3, 5], [8, 8], [13, 4096]];
  for (let i = 0; i < 20; i++) sizes.push([randomInt(0, 70_000), randomInt(0, 70_000)]);
  for (const alg of CRCS) {
    for (const [sizeA, sizeB] of sizes) {
      const a = randomBytes(sizeA);
      const b = randomBytes(sizeB);
      const combined = combineChecksums(alg, digestOf(alg, a), digestOf(alg, b), sizeB);
      assert.deepEqual(combined, digestOf(alg, Buffer.concat([a, b])), `${alg} ${sizeA}+${sizeB}`);
    }
  }
});

test('folding part CRCs with combine gives the full-object CRC', () => {
  const data = randomBytes(500_000);
  for (const alg of CRCS) {
    for (let round = 0; round < 5; round++) {
      const cuts = [0, data.length];
      for (let i = 0; i < 6; i++) cuts.push(randomInt(0, data.length + 1));
      if (round === 0) cuts.push(1000, 1000); // an empty part
      cuts.sort((x, y) => x - y);
      let crc = digestOf(alg, Buffer.alloc(0));
      for (let i = 1; i < cuts.length; i++) {
        const part = data.subarray(cuts[i - 1], cuts[i]);
        crc = combineChecksums(alg, crc, digestOf(alg, part), part.length);
      }
      assert.deepEqual(crc, digestOf(alg, data), `${alg} cuts ${cuts.join(',')}`);
    }
  }
});

test('combine is associative across huge lengths', () => {
  for (const alg of CRCS) {
    const [a, b, c] = [randomBytes(16), randomBytes(16), randomBytes(16)].map((x) => digestOf(alg, x));
    // Only the CRCs and lengths matter, so pretend B and C are huge.
    for (const [lenB, lenC] of [[2 ** 32 - 3, 11], [5 * 2 ** 30, 5 * 2 ** 40], [2 ** 52, 2 ** 52 - 1]]) {
      assert.deepEqual(
        combineChecksums(alg, combineChecksums(alg, a, b, lenB), c, lenC),
        combineChecksums(alg, a, combineChecksums(alg, b, c, lenC), lenB + lenC),
        `${alg} ${lenB} ${lenC}`,
      );
    }
  }
});

test('combine refuses SHA algorithms, digests of the wrong size and invalid lengths', () => {
  assert.throws(() => combineChecksums('SHA256', Buffer.alloc(32), Buffer.alloc(32), 1), TypeError);
  assert.throws(() => combineChecksums('SHA1', Buffer.alloc(20), Buffer.alloc(20), 1), TypeError);
  assert.throws(() => combineChecksums('CRC32', Buffer.alloc(8), Buffer.alloc(4), 1), RangeError);
  assert.throws(() => combineChecksums('CRC64NVME', Buffer.alloc(8), Buffer.alloc(4), 1), RangeError);
  for (const alg of CRCS) {
    const d = Buffer.alloc(digestLength(alg));
    for (const length of [-1, 1.5, NaN, 2 ** 53]) assert.throws(() => combineChecksums(alg, d, d, length), RangeError, `${alg} ${length}`);
  }
});

test('composite checksum: base64 of the algorithm over the concatenated part digests, then -N', () => {
  const parts = [randomBytes(5000), randomBytes(1), randomBytes(70_000)];
  for (const alg of CHECKSUM_ALGORITHMS) {
    const digests = parts.map((p) => digestOf(alg, p));
    const composite = compositeChecksum(alg, digests);
    assert.match(composite, /^[A-Za-z0-9+/]+={0,2}-3$/);
    const [b64, count] = composite.split('-');
    assert.equal(count, '3');
    assert.equal(Buffer.from(b64, 'base64').length, digestLength(alg));
    assert.deepEqual(Buffer.from(b64, 'base64'), digestOf(alg, Buffer.concat(digests)), alg);
    assert.equal(compositeChecksum(alg, digests.slice(0, 1)), `${digestOf(alg, digests[0]).toString('base64')}-1`);
  }
  // Independently of newChecksummer: SHA-256 of two known part digests.
  const d1 = createHash('sha256').update('part one').digest();
  const d2 = createHash('sha256').update('part two').digest();
  assert.equal(compositeChecksum('SHA256', [d1, d2]), `${createHash('sha256').update(Buffer.concat([d1, d2])).digest('base64')}-2`);
  assert.throws(() => compositeChecksum('CRC32', []), RangeError);
  assert.throws(() => compositeChecksum('SHA256', [d1, d1.subarray(1)]), RangeError);
});

test('agrees with the AWS SDK implementations on random buffers', async () => {
  const implementations: [ChecksumAlgorithm, string, new () => { update(data: Uint8Array): void; digest(): Promise<Uint8Array> }][] = [
    ['CRC32', 'Crc32', AwsCrc32],
    ['CRC32', 'Crc32Js', AwsCrc32Js],
    ['CRC32C', 'Crc32c', AwsCrc32c],
    ['CRC32C', 'Crc32cJs', AwsCrc32cJs],
    ['CRC64NVME', 'Crc64Nvme', AwsCrc64Nvme],
    ['CRC64NVME', 'Crc64NvmeJs', AwsCrc64NvmeJs],
  ];
  const backing = randomBytes((1 << 20) + 100);
  for (const size of [0, 1, 2, 3, 4, 7, 8, 9, 15, 16, 17, 31, 33, 255, 1000, 4099, 65_536, 100_003, 1 << 20]) {
    const offset = randomInt(0, 8);
    const data = backing.subarray(offset, offset + size);
    for (const [alg, name, Impl] of implementations) {
      const theirs = new Impl();
      theirs.update(data);
      assert.deepEqual(digestOf(alg, data), Buffer.from(await theirs.digest()), `${name} size ${size} offset ${offset}`);
    }
  }
});
