/** NonceCache: replay refusal within the TTL, forgetting after it, and the memory bound. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NonceCache } from '../../src/rpc/nonces';

test('a nonce is refused while remembered, per access key, and accepted again after the TTL', () => {
  const cache = new NonceCache(1000, 10);
  assert.equal(cache.claim('ak1', 'n', 0), 'fresh');
  assert.equal(cache.claim('ak1', 'n', 999), 'replayed');
  assert.equal(cache.claim('ak2', 'n', 999), 'fresh');
  assert.equal(cache.claim('ak1', 'n', 1000), 'fresh');
});

test('when full, new nonces are refused (not older ones forgotten) until entries expire', () => {
  const cache = new NonceCache(1000, 2);
  assert.equal(cache.claim('ak', 'a', 0), 'fresh');
  assert.equal(cache.claim('ak', 'b', 500), 'fresh');
  assert.equal(cache.claim('ak', 'c', 600), 'full');
  assert.equal(cache.claim('ak', 'a', 600), 'replayed');
  // 'a' expires at 1000, making room; 'b' is still remembered.
  assert.equal(cache.claim('ak', 'c', 1000), 'fresh');
  assert.equal(cache.claim('ak', 'b', 1000), 'replayed');
});

test('access key and nonce are kept apart (no collision through concatenation)', () => {
  const cache = new NonceCache(1000, 10);
  assert.equal(cache.claim('ab', 'c', 0), 'fresh');
  assert.equal(cache.claim('a', 'bc', 0), 'fresh');
});
