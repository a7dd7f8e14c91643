import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type { Worker } from 'node:worker_threads';
import { InlineHasher, type BodyDigests, type BodyHasher } from '../../src/crypto/body-hasher';
import type { ChecksumAlgorithm } from '../../src/crypto/checksums';
import { crc64 } from '../../src/crypto/crc64';
import { HashPool, POOL_MIN_BYTES } from '../../src/crypto/hash-pool';

const EXTRAS: ChecksumAlgorithm[] = ['CRC32', 'SHA256', 'CRC64NVME'];

/** Feeds `data` in `chunk`-byte pieces, honouring the hasher's ready callbacks, then finishes it. */
function feed(h: BodyHasher, data: Buffer, chunk: number): Promise<BodyDigests> {
  return new Promise((resolve, reject) => {
    let at = 0;
    const next = (err?: Error): void => {
      if (err) return reject(err);
      if (at >= data.length) return void h.finish().then(resolve, reject);
      // A copy the test overwrites once it is taken: the hasher may not keep a reference to it.
      const piece = Buffer.from(data.subarray(at, at + chunk));
      at += piece.length;
      h.update(piece, (e) => {
        piece.fill(0);
        setImmediate(next, e);
      });
    };
    next();
  });
}

function inline(data: Buffer, extras: ChecksumAlgorithm[]): Promise<BodyDigests> {
  return feed(new InlineHasher(extras), data, data.length || 1);
}

test('a pooled body gets the digests an inline hasher computes, whatever the chunking', { timeout: 60_000 }, async () => {
  const pool = new HashPool(2);
  try {
    for (const [size, chunk] of [[POOL_MIN_BYTES, 65_536], [3 * POOL_MIN_BYTES + 7, 1_000_003], [5_000_001, 4_096 + 3], [2 * POOL_MIN_BYTES, 3 * POOL_MIN_BYTES]]) {
      const data = randomBytes(size);
      const got = await feed(pool.hasher(EXTRAS, size), data, chunk);
      assert.deepEqual(got, await inline(data, EXTRAS), `size ${size}, chunks of ${chunk}`);
      assert.deepEqual(got.md5, createHash('md5').update(data).digest());
      assert.equal(got.crc64, crc64(data));
    }
  } finally {
    await pool.close();
  }
});

test('small or unsized bodies are hashed inline', { timeout: 60_000 }, async () => {
  const pool = new HashPool(1);
  try {
    assert.ok(pool.hasher([], POOL_MIN_BYTES - 1) instanceof InlineHasher);
    assert.ok(pool.hasher([], undefined) instanceof InlineHasher);
    assert.ok(!(pool.hasher([], POOL_MIN_BYTES) instanceof InlineHasher));
  } finally {
    await pool.close();
  }
});

test('many bodies at once share few slabs: each waits its turn and all come out right', { timeout: 60_000 }, async () => {
  const pool = new HashPool(2, 2);
  try {
    const bodies = Array.from({ length: 12 }, (_, i) => randomBytes(2 * POOL_MIN_BYTES + i * 1_001));
    const got = await Promise.all(bodies.map((b) => feed(pool.hasher(['CRC32'], b.length), b, 200_000)));
    for (const [i, b] of bodies.entries()) assert.deepEqual(got[i], await inline(b, ['CRC32']), `body ${i}`);
  } finally {
    await pool.close();
  }
});

test('bodies of whole slabs give every slab back: many in a row get through a pool of two slabs', { timeout: 60_000 }, async () => {
  const pool = new HashPool(1, 2);
  try {
    for (let i = 1; i <= 6; i++) {
      const data = randomBytes((i % 3 + 1) * POOL_MIN_BYTES);
      assert.deepEqual(await feed(pool.hasher([], data.length), data, 65_536), await inline(data, []), `body ${i}`);
    }
  } finally {
    await pool.close();
  }
});

test('an aborted body gives its slabs back: later bodies still get through a pool of two slabs', { timeout: 60_000 }, async () => {
  const pool = new HashPool(1, 2);
  try {
    for (let i = 0; i < 3; i++) {
      const h = pool.hasher([], 10 * POOL_MIN_BYTES);
      await new Promise<void>((resolve) => h.update(randomBytes(POOL_MIN_BYTES + 5), () => resolve()));
      h.abort();
    }
    const data = randomBytes(4 * POOL_MIN_BYTES);
    assert.deepEqual(await feed(pool.hasher([], data.length), data, 300_000), await inline(data, []));
  } finally {
    await pool.close();
  }
});

test('a hashing thread that dies fails its bodies, and the next body gets a new thread', { timeout: 60_000 }, async () => {
  const pool = new HashPool(1);
  try {
    const h = pool.hasher([], 4 * POOL_MIN_BYTES);
    await new Promise<void>((resolve) => h.update(randomBytes(POOL_MIN_BYTES), () => resolve()));
    const [thread] = (pool as unknown as { threads: Array<{ worker: Worker }> }).threads;
    await thread.worker.terminate();
    await assert.rejects(h.finish(), /hashing thread exited/);
    const data = randomBytes(2 * POOL_MIN_BYTES);
    assert.deepEqual(await feed(pool.hasher([], data.length), data, 65_536), await inline(data, []));
  } finally {
    await pool.close();
  }
});

test('closing the pool fails the bodies still being hashed; afterwards bodies are hashed inline', { timeout: 60_000 }, async () => {
  const pool = new HashPool(1);
  const h = pool.hasher([], 4 * POOL_MIN_BYTES);
  await new Promise<void>((resolve) => h.update(randomBytes(POOL_MIN_BYTES), () => resolve()));
  await pool.close();
  await assert.rejects(h.finish(), /closed/);
  assert.ok(pool.hasher([], 4 * POOL_MIN_BYTES) instanceof InlineHasher);
});
