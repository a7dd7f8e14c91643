import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hkdfSync, randomBytes } from 'node:crypto';
import { hkdf } from '../../src/crypto/hkdf';

test('hkdf: RFC 5869 test case 3 (SHA-256, no salt, no info)', () => {
  const okm = hkdf('sha256', Buffer.alloc(22, 0x0b), Buffer.alloc(0), '', 42);
  assert.equal(okm.toString('hex'), '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8');
});

test('hkdf: the same bytes as crypto.hkdfSync, both hashes, every length the suites use and more', () => {
  for (const hash of ['sha256', 'sm3'] as const) {
    for (const length of [1, 16, 31, 32, 33, 44, 56, 64, 65, 100, 255 * 32]) {
      for (const saltSize of [0, 16, 32, 100]) {
        const ikm = randomBytes(32);
        const salt = randomBytes(saltSize);
        const info = `coffer/v1/test|${randomBytes(8).toString('hex')}|é`;
        assert.deepEqual(hkdf(hash, ikm, salt, info, length), Buffer.from(hkdfSync(hash, ikm, salt, info, length)), `${hash} ${length} ${saltSize}`);
      }
    }
  }
});

test('hkdf: refuses lengths HKDF cannot give', () => {
  assert.throws(() => hkdf('sha256', randomBytes(32), randomBytes(32), 'x', 0), RangeError);
  assert.throws(() => hkdf('sha256', randomBytes(32), randomBytes(32), 'x', 255 * 32 + 1), RangeError);
});
