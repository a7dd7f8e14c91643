import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from '../../src/crypto/random';

test('random: sizes as asked, each buffer its own, none repeated over many refills', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 5000; i++) {
    const b = randomBytes(32);
    assert.equal(b.length, 32);
    assert.equal(b.byteOffset, 0);
    assert.equal(b.buffer.byteLength, 32);
    const hex = b.toString('hex');
    assert.ok(!seen.has(hex));
    seen.add(hex);
  }
  for (const size of [0, 1, 12, 16, 255, 256, 257, 5000]) assert.equal(randomBytes(size).length, size);
});

test('random: wiping a value leaves the next ones alone', () => {
  const a = randomBytes(16);
  a.fill(0);
  const b = randomBytes(16);
  assert.notDeepEqual(b, Buffer.alloc(16));
});

test('random: refuses sizes that are not byte counts', () => {
  assert.throws(() => randomBytes(-1), RangeError);
  assert.throws(() => randomBytes(1.5), RangeError);
});
