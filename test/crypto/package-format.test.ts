import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import {
  PACKAGE_SIZE,
  TAG_SIZE,
  createEncryptStream,
  generateObjectKey,
  generateSalt,
  planRangeDecrypt,
  storedSize,
} from '../../src/crypto/package-format';
import { SUITES, type Suite } from '../../src/crypto/suites';
import { assertIntegrityError, runTransform } from './helpers';

const STORED_PACKAGE = PACKAGE_SIZE + TAG_SIZE;

async function encrypt(suite: Suite, key: Buffer, salt: Buffer, plaintext: Buffer, chunkSize = 100_000): Promise<Buffer> {
  const { output, error } = await runTransform(createEncryptStream(suite, key, salt), plaintext, chunkSize);
  assert.equal(error, undefined);
  return output;
}

/** Decrypts the whole segment (or just verifies it when empty) from `blob`, claiming `plainSize`. */
function decryptAll(suite: Suite, key: Buffer, salt: Buffer, plainSize: number, blob: Buffer, chunkSize = 10_000) {
  const plan = planRangeDecrypt(suite, key, salt, plainSize, 0, plainSize - 1);
  return runTransform(plan.decrypt, blob, chunkSize);
}

/** Stored package i of a blob. */
function storedPackage(blob: Buffer, i: number): Buffer {
  return blob.subarray(i * STORED_PACKAGE, (i + 1) * STORED_PACKAGE);
}

/** Output emitted before a failure must be whole packages of true plaintext before the bad one. */
function assertVerifiedPrefix(output: Buffer, plaintext: Buffer, badPackage: number): void {
  assert.equal(output.length % PACKAGE_SIZE, 0, 'output stops at a package boundary');
  assert.ok(output.length <= badPackage * PACKAGE_SIZE, 'nothing from the bad package or later');
  assert.deepEqual(output, plaintext.subarray(0, output.length));
}

test('storedSize', () => {
  assert.equal(storedSize(0), 16);
  assert.equal(storedSize(1), 17);
  assert.equal(storedSize(PACKAGE_SIZE), PACKAGE_SIZE + 16);
  assert.equal(storedSize(PACKAGE_SIZE + 1), PACKAGE_SIZE + 1 + 32);
  assert.equal(storedSize(3 * PACKAGE_SIZE), 3 * STORED_PACKAGE);
});

test('generated keys and salts are 32 random bytes', () => {
  assert.equal(generateObjectKey().length, 32);
  assert.equal(generateSalt().length, 32);
  assert.notDeepEqual(generateObjectKey(), generateObjectKey());
  assert.notDeepEqual(generateSalt(), generateSalt());
});

for (const suite of SUITES) {
  test(`${suite}: round trip at many sizes and chunkings`, async () => {
    const key = generateObjectKey();
    const salt = generateSalt();
    for (const size of [0, 1, 65_535, 65_536, 65_537, 3 * 65_536, 200_001]) {
      const plaintext = randomBytes(size);
      let reference: Buffer | undefined;
      for (const chunkSize of [1, 7, 100_000]) {
        const blob = await encrypt(suite, key, salt, plaintext, chunkSize);
        assert.equal(blob.length, storedSize(size), `size ${size}`);
        // Same key and salt: the ciphertext must not depend on how the input was chunked.
        reference ??= blob;
        assert.deepEqual(blob, reference, `size ${size} chunk ${chunkSize}`);
        const { output, error } = await decryptAll(suite, key, salt, size, blob, chunkSize);
        assert.equal(error, undefined);
        assert.deepEqual(output, plaintext, `size ${size} chunk ${chunkSize}`);
      }
    }
  });

  test(`${suite}: range reads touch only the needed packages`, async () => {
    const key = generateObjectKey();
    const salt = generateSalt();
    const size = 200_001;
    const plaintext = randomBytes(size);
    const blob = await encrypt(suite, key, salt, plaintext);
    const P = PACKAGE_SIZE;
    const ranges: [number, number][] = [
      [0, 0], [size - 1, size - 1], [0, size - 1], [P, P], [P - 1, P - 1], [P - 1, P], [0, P - 1],
      [P, 2 * P - 1], [100, 3 * P + 5], [2 * P + 1, size - 1], [3 * P, size - 1], [12_345, 150_000], [P + 1, P + 2],
    ];
    for (const [start, end] of ranges) {
      const plan = planRangeDecrypt(suite, key, salt, size, start, end);
      const firstPackage = Math.floor(start / P);
      const lastPackage = Math.floor(end / P);
      assert.equal(plan.storedStart, firstPackage * STORED_PACKAGE, `${start}-${end}`);
      assert.equal(plan.storedEnd, Math.min(blob.length, (lastPackage + 1) * STORED_PACKAGE) - 1, `${start}-${end}`);
      const stored = blob.subarray(plan.storedStart, plan.storedEnd + 1);
      for (const [decrypt, chunkSize] of [[plan.decrypt, 1_000], [planRangeDecrypt(suite, key, salt, size, start, end).decrypt, 1 << 20]] as const) {
        const { output, error } = await runTransform(decrypt, stored, chunkSize);
        assert.equal(error, undefined);
        assert.deepEqual(output, plaintext.subarray(start, end + 1), `${start}-${end} in chunks of ${chunkSize}`);
      }
    }
  });

  test(`${suite}: range input that is short or long fails`, async () => {
    const key = generateObjectKey();
    const salt = generateSalt();
    const size = 150_000;
    const blob = await encrypt(suite, key, salt, randomBytes(size));
    for (const [start, end] of [[0, 10], [PACKAGE_SIZE, size - 1], [0, size - 1]]) {
      const range = () => planRangeDecrypt(suite, key, salt, size, start, end);
      const { storedStart, storedEnd } = range();
      const exact = blob.subarray(storedStart, storedEnd + 1);
      const short = await runTransform(range().decrypt, exact.subarray(0, exact.length - 1), 4096);
      assertIntegrityError(short.error);
      const long = await runTransform(range().decrypt, Buffer.concat([exact, Buffer.alloc(1)]), 4096);
      assertIntegrityError(long.error);
    }
  });

  test(`${suite}: empty segment is one verifiable empty package`, async () => {
    const key = generateObjectKey();
    const salt = generateSalt();
    const blob = await encrypt(suite, key, salt, Buffer.alloc(0));
    assert.equal(blob.length, TAG_SIZE);
    const plan = planRangeDecrypt(suite, key, salt, 0, 0, -1);
    assert.equal(plan.storedStart, 0);
    assert.equal(plan.storedEnd, TAG_SIZE - 1);
    const good = await runTransform(plan.decrypt, blob, 16);
    assert.equal(good.error, undefined);
    assert.equal(good.output.length, 0);
    const missing = await runTransform(planRangeDecrypt(suite, key, salt, 0, 0, -1).decrypt, Buffer.alloc(0), 16);
    assertIntegrityError(missing.error);
    const flipped = Buffer.from(blob);
    flipped[3] ^= 1;
    assertIntegrityError((await runTransform(planRangeDecrypt(suite, key, salt, 0, 0, -1).decrypt, flipped, 16)).error);
  });

  test(`${suite}: a flipped byte anywhere fails and no bytes of a bad package are emitted`, async () => {
    const key = generateObjectKey();
    const salt = generateSalt();
    const size = 3 * PACKAGE_SIZE + 1000;
    const plaintext = randomBytes(size);
    const blob = await encrypt(suite, key, salt, plaintext);
    // First byte, a middle byte and a tag byte of every package.
    const positions = [0, 1, 2, 3].flatMap((i) => [i * STORED_PACKAGE, i * STORED_PACKAGE + 500, Math.min(blob.length, (i + 1) * STORED_PACKAGE) - 1]);
    for (const position of positions) {
      const tampered = Buffer.from(blob);
      tampered[position] ^= 0x40;
      const { output, error } = await decryptAll(suite, key, salt, size, tampered, 7_000);
      assertIntegrityError(error);
      assert.match((error as Error).message, new RegExp(`package ${Math.floor(position / STORED_PACKAGE)} failed`));
      assertVerifiedPrefix(output, plaintext, Math.floor(position / STORED_PACKAGE));
    }
  });

  test(`${suite}: reordered packages fail`, async () => {
    const key = generateObjectKey();
    const salt = generateSalt();
    const size = 3 * PACKAGE_SIZE;
    const plaintext = randomBytes(size);
    const blob = await encrypt(suite, key, salt, plaintext);
    const swapped = Buffer.concat([storedPackage(blob, 1), storedPackage(blob, 0), storedPackage(blob, 2)]);
    const { output, error } = await decryptAll(suite, key, salt, size, swapped);
    assertIntegrityError(error);
    assertVerifiedPrefix(output, plaintext, 0);
    // Also a range read of the middle package only, fed another package of the same segment.
    const plan = planRangeDecrypt(suite, key, salt, size, PACKAGE_SIZE, 2 * PACKAGE_SIZE - 1);
    assertIntegrityError((await runTransform(plan.decrypt, storedPackage(blob, 0), 65_536)).error);
  });

  test(`${suite}: dropping the last package fails, even if the size is rewritten to match`, async () => {
    const key = generateObjectKey();
    const salt = generateSalt();
    const size = 3 * PACKAGE_SIZE;
    const plaintext = randomBytes(size);
    const blob = await encrypt(suite, key, salt, plaintext);
    const truncated = blob.subarray(0, 2 * STORED_PACKAGE);
    const asIs = await decryptAll(suite, key, salt, size, truncated);
    assertIntegrityError(asIs.error);
    assertVerifiedPrefix(asIs.output, plaintext, 2);
    // Claiming the segment was 2 packages long: package 1 was sealed as not final.
    const shrunk = await decryptAll(suite, key, salt, 2 * PACKAGE_SIZE, truncated);
    assertIntegrityError(shrunk.error);
    assertVerifiedPrefix(shrunk.output, plaintext, 1);
    const tail = planRangeDecrypt(suite, key, salt, 2 * PACKAGE_SIZE, PACKAGE_SIZE, 2 * PACKAGE_SIZE - 1);
    assertIntegrityError((await runTransform(tail.decrypt, storedPackage(blob, 1), 65_536)).error);
  });

  test(`${suite}: an appended package sealed with the same key fails`, async () => {
    const key = generateObjectKey();
    const salt = generateSalt();
    const plaintext = randomBytes(2 * PACKAGE_SIZE);
    const blob = await encrypt(suite, key, salt, plaintext);
    // A genuine package 2 (final) of the same key and salt, from a longer encryption.
    const longer = await encrypt(suite, key, salt, Buffer.concat([plaintext, randomBytes(PACKAGE_SIZE)]));
    assert.deepEqual(storedPackage(longer, 0), storedPackage(blob, 0));
    const extended = Buffer.concat([blob, storedPackage(longer, 2)]);
    const asIs = await decryptAll(suite, key, salt, 2 * PACKAGE_SIZE, extended);
    assertIntegrityError(asIs.error);
    assertVerifiedPrefix(asIs.output, plaintext, 2);
    // Claiming the segment grew: package 1 was sealed as final.
    const grown = await decryptAll(suite, key, salt, 3 * PACKAGE_SIZE, extended);
    assertIntegrityError(grown.error);
    assertVerifiedPrefix(grown.output, plaintext, 1);
  });

  test(`${suite}: wrong object key or salt fails without output`, async () => {
    const key = generateObjectKey();
    const salt = generateSalt();
    const size = 100_000;
    const blob = await encrypt(suite, key, salt, randomBytes(size));
    for (const [k, s] of [[generateObjectKey(), salt], [key, generateSalt()]]) {
      const { output, error } = await decryptAll(suite, k, s, size, blob);
      assertIntegrityError(error);
      assert.equal(output.length, 0);
    }
  });

  test(`${suite}: fresh salts give fresh ciphertexts; the same salt is deterministic`, async () => {
    const key = generateObjectKey();
    const salt = generateSalt();
    const plaintext = Buffer.alloc(2 * PACKAGE_SIZE + 10); // zeros: identical packages
    const a = await encrypt(suite, key, salt, plaintext);
    const b = await encrypt(suite, key, salt, plaintext, 7);
    const c = await encrypt(suite, key, generateSalt(), plaintext);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a.subarray(0, PACKAGE_SIZE), c.subarray(0, PACKAGE_SIZE));
    // Identical plaintext packages within a segment still get distinct keystreams.
    assert.notDeepEqual(a.subarray(0, PACKAGE_SIZE), a.subarray(STORED_PACKAGE, STORED_PACKAGE + PACKAGE_SIZE));
  });

  test(`${suite}: rejects invalid ranges and key sizes`, () => {
    const key = generateObjectKey();
    const salt = generateSalt();
    for (const [plainSize, start, end] of [[10, 5, 4], [10, 0, 10], [10, -1, 3], [0, 0, 0], [10, 0, -1], [10, 0.5, 3]]) {
      assert.throws(() => planRangeDecrypt(suite, key, salt, plainSize, start, end), RangeError);
    }
    assert.throws(() => createEncryptStream(suite, key.subarray(1), salt), RangeError);
    assert.throws(() => createEncryptStream(suite, key, salt.subarray(1)), RangeError);
  });
}

/** The format, recomputed from its written definition with raw Node primitives. */
function aadFor(index: number, final: boolean): Buffer {
  const index64 = Buffer.alloc(8);
  index64.writeBigUInt64BE(BigInt(index));
  return Buffer.concat([Buffer.from('coffer/v1'), index64, Buffer.from([final ? 1 : 0])]);
}

test('AES256-GCM packages follow the v1 definition', async () => {
  const key = generateObjectKey();
  const salt = generateSalt();
  const plaintext = randomBytes(PACKAGE_SIZE + 5);
  const blob = await encrypt('AES256-GCM', key, salt, plaintext);
  const derived = Buffer.from(hkdfSync('sha256', key, salt, 'coffer/v1/segment/AES256-GCM', 44));
  const expected = [0, 1].map((i) => {
    const nonce = Buffer.from(derived.subarray(32));
    nonce[11] ^= i;
    const cipher = createCipheriv('aes-256-gcm', derived.subarray(0, 32), nonce);
    cipher.setAAD(aadFor(i, i === 1));
    const body = cipher.update(plaintext.subarray(i * PACKAGE_SIZE, (i + 1) * PACKAGE_SIZE));
    cipher.final();
    return Buffer.concat([body, cipher.getAuthTag()]);
  });
  assert.deepEqual(blob, Buffer.concat(expected));
});

test('SM4-CTR-HMAC-SM3 packages follow the v1 definition', async () => {
  const key = generateObjectKey();
  const salt = generateSalt();
  const plaintext = randomBytes(PACKAGE_SIZE + 5);
  const blob = await encrypt('SM4-CTR-HMAC-SM3', key, salt, plaintext);
  const derived = Buffer.from(hkdfSync('sm3', key, salt, 'coffer/v1/segment/SM4-CTR-HMAC-SM3', 56));
  const expected = [0, 1].map((i) => {
    const iv = Buffer.alloc(16);
    derived.copy(iv, 0, 48, 56);
    iv.writeUInt32BE(i, 8);
    const cipher = createCipheriv('sm4-ctr', derived.subarray(0, 16), iv);
    const body = Buffer.concat([cipher.update(plaintext.subarray(i * PACKAGE_SIZE, (i + 1) * PACKAGE_SIZE)), cipher.final()]);
    const tag = createHmac('sm3', derived.subarray(16, 48)).update(aadFor(i, i === 1)).update(iv).update(body).digest();
    return Buffer.concat([body, tag.subarray(0, 16)]);
  });
  assert.deepEqual(blob, Buffer.concat(expected));
});
