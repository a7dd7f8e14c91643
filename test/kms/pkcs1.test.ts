import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { unpadPkcs1v15 } from '../../src/kms/pkcs1';

/** 00 ‖ 02 ‖ nonzero PS ‖ 00 ‖ message, k bytes long. */
function encode(message: Buffer, k = 256): Buffer {
  const ps = Buffer.from(Array.from(randomBytes(k - 3 - message.length), (b) => b || 1));
  return Buffer.concat([Buffer.of(0, 2), ps, Buffer.of(0), message]);
}

test('unpads a well-formed block of the expected message length', () => {
  const message = randomBytes(32);
  assert.deepEqual(unpadPkcs1v15(encode(message), 32), message);
  assert.deepEqual(unpadPkcs1v15(encode(message.subarray(0, 16)), 16), message.subarray(0, 16));
  // The shortest padding allowed: 8 bytes.
  const longest = randomBytes(256 - 11);
  assert.deepEqual(unpadPkcs1v15(encode(longest), longest.length), longest);
});

test('rejects every malformed block alike', () => {
  const message = randomBytes(32);
  const broken = (mutate: (em: Buffer) => void): Buffer => {
    const em = encode(message);
    mutate(em);
    return em;
  };
  const cases: [string, Buffer, number][] = [
    ['leading byte not 0', broken((em) => { em[0] = 1; }), 32],
    ['block type 1', broken((em) => { em[1] = 1; }), 32],
    ['zero inside the padding', broken((em) => { em[100] = 0; }), 32],
    ['zero as the first padding byte', broken((em) => { em[2] = 0; }), 32],
    ['no separator before the message', broken((em) => { em[256 - 33] = 7; }), 32],
    ['message shorter than expected', encode(randomBytes(31)), 32],
    ['message longer than expected', encode(randomBytes(33)), 32],
    ['padding shorter than 8 bytes', encode(randomBytes(246)), 246],
  ];
  for (const [what, em, expected] of cases) assert.equal(unpadPkcs1v15(em, expected), null, what);
});
