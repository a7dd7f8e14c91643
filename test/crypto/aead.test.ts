import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { open, seal } from '../../src/crypto/aead';
import { assertIntegrityError } from './helpers';

function assertOpenFails(fn: () => unknown): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assertIntegrityError(caught);
}

test('seal/open round trip, random nonce', () => {
  const key = randomBytes(32);
  const aad = Buffer.from('coffer/test');
  for (const size of [0, 1, 32, 1000]) {
    const plaintext = randomBytes(size);
    const a = seal(key, plaintext, aad);
    const b = seal(key, plaintext, aad);
    assert.equal(a.length, 12 + size + 16);
    assert.notDeepEqual(a, b);
    assert.deepEqual(open(key, a, aad), plaintext);
    assert.deepEqual(open(key, b, aad), plaintext);
  }
});

test('open fails on wrong key, wrong aad, tampering or short input', () => {
  const key = randomBytes(32);
  const aad = Buffer.from('purpose-a');
  const sealed = seal(key, Buffer.from('secret material'), aad);
  assertOpenFails(() => open(randomBytes(32), sealed, aad));
  assertOpenFails(() => open(key, sealed, Buffer.from('purpose-b')));
  for (const position of [0, 11, 12, sealed.length - 17, sealed.length - 1]) {
    const tampered = Buffer.from(sealed);
    tampered[position] ^= 0x80;
    assertOpenFails(() => open(key, tampered, aad));
  }
  assertOpenFails(() => open(key, sealed.subarray(0, 27), aad));
  assertOpenFails(() => open(key, sealed.subarray(0, sealed.length - 1), aad));
});
