import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MATERIAL_TTL_MS, MaterialCache } from '../../src/kms/material-cache';

test('unsealed material is served for MATERIAL_TTL_MS after it was cached, then dropped', () => {
  assert.equal(MATERIAL_TTL_MS, 30_000);
  const cache = new MaterialCache();
  const material = Buffer.from('material');
  cache.set('k1/v1', material, 1000);
  assert.equal(cache.get('k1/v1', 1000 + MATERIAL_TTL_MS - 1), material);
  assert.equal(cache.get('k1/v1', 1000 + MATERIAL_TTL_MS), undefined);
  // Expired and never re-set: a later set of another entry does not bring it back.
  cache.set('k2/v1', material, 1000 + MATERIAL_TTL_MS + 1);
  assert.equal(cache.get('k1/v1', 1000), undefined);
});

test('forget drops every version of one key only', () => {
  const cache = new MaterialCache();
  for (const id of ['a/1', 'a/2', 'ab/1']) cache.set(id, Buffer.from(id), 0);
  cache.forget('a/');
  assert.deepEqual(['a/1', 'a/2', 'ab/1'].map((id) => cache.get(id, 0)?.toString()), [undefined, undefined, 'ab/1']);
});
