import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { unwrapObjectKey, wrapObjectKey, type WrappedKey } from '../../src/crypto/key-wrap';
import { generateObjectKey } from '../../src/crypto/package-format';
import { SUITES } from '../../src/crypto/suites';
import { assertIntegrityError } from './helpers';

function assertUnwrapFails(fn: () => unknown): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assertIntegrityError(caught);
}

/** Flips one bit of a base64 field. */
function flip(field: string, index: number): string {
  const bytes = Buffer.from(field, 'base64');
  bytes[index] ^= 1;
  return bytes.toString('base64');
}

for (const suite of SUITES) {
  test(`${suite}: wrap/unwrap round trip with a fresh salt each time`, () => {
    const material = randomBytes(32);
    const objectKey = generateObjectKey();
    const a = wrapObjectKey(suite, material, 'bucket/a.txt', objectKey);
    const b = wrapObjectKey(suite, material, 'bucket/a.txt', objectKey);
    assert.equal(Buffer.from(a.salt, 'base64').length, 32);
    assert.equal(Buffer.from(a.sealed, 'base64').length, 32 + 16);
    assert.notEqual(a.salt, b.salt);
    assert.notEqual(a.sealed, b.sealed);
    assert.deepEqual(unwrapObjectKey(suite, material, 'bucket/a.txt', a), objectKey);
    assert.deepEqual(unwrapObjectKey(suite, material, 'bucket/a.txt', b), objectKey);
    assert.ok(!Buffer.from(a.sealed, 'base64').includes(objectKey.subarray(0, 8)), 'key is not in the clear');
  });

  test(`${suite}: wrong material, context, suite or tampering fails`, () => {
    const material = randomBytes(32);
    const context = 'bucket/a.txt';
    const wrapped = wrapObjectKey(suite, material, context, generateObjectKey());
    const otherSuite = SUITES.find((s) => s !== suite)!;
    const broken: [what: string, fn: () => unknown][] = [
      ['material', () => unwrapObjectKey(suite, randomBytes(32), context, wrapped)],
      ['context', () => unwrapObjectKey(suite, material, 'bucket/b.txt', wrapped)],
      ['context prefix', () => unwrapObjectKey(suite, material, 'bucket/a.tx', wrapped)],
      ['suite', () => unwrapObjectKey(otherSuite, material, context, wrapped)],
      ['sealed', () => unwrapObjectKey(suite, material, context, { ...wrapped, sealed: flip(wrapped.sealed, 5) })],
      ['tag', () => unwrapObjectKey(suite, material, context, { ...wrapped, sealed: flip(wrapped.sealed, 40) })],
      ['salt', () => unwrapObjectKey(suite, material, context, { ...wrapped, salt: flip(wrapped.salt, 0) })],
      ['short', () => unwrapObjectKey(suite, material, context, { ...wrapped, sealed: 'AAAA' })],
      ['garbage', () => unwrapObjectKey(suite, material, context, { salt: '', sealed: '' } as WrappedKey)],
    ];
    assert.equal(unwrapObjectKey(suite, material, context, wrapped).length, 32, 'the untouched key still opens');
    for (const [, fn] of broken) assertUnwrapFails(fn);
  });
}

for (const suite of SUITES) {
  test(`${suite}: contexts longer than HKDF's info limit still bind`, () => {
    const material = randomBytes(32);
    const objectKey = generateObjectKey();
    const longName = `${'b'.repeat(63)}/${'k'.repeat(1022)}`;
    const context = `${longName}é`; // multi-byte, well past 1024 bytes
    const wrapped = wrapObjectKey(suite, material, context, objectKey);
    assert.deepEqual(unwrapObjectKey(suite, material, context, wrapped), objectKey);
    assertUnwrapFails(() => unwrapObjectKey(suite, material, `${longName}e`, wrapped));
  });
}
