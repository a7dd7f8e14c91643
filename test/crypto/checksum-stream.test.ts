import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { ChecksumStream, crc32Check, crc64Check, VerifyStream, type StoredCheck } from '../../src/crypto/checksum-stream';
import { crc32 } from '../../src/crypto/crc32';
import { crc64 } from '../../src/crypto/crc64';
import { assertIntegrityError, runTransform } from './helpers';

test('passes bytes through and reports MD5, CRC-64 and length', async () => {
  for (const [size, chunkSize] of [[0, 1], [1, 1], [100_003, 7], [300_000, 65_536]]) {
    const data = randomBytes(size);
    const stream = new ChecksumStream();
    const { output, error } = await runTransform(stream, data, chunkSize);
    assert.equal(error, undefined);
    assert.deepEqual(output, data);
    assert.equal(stream.bytes, size);
    assert.deepEqual(stream.md5(), createHash('md5').update(data).digest());
    assert.equal(stream.crc64(), crc64(data));
  }
});

test('md5() before the stream finished is an error', () => {
  const stream = new ChecksumStream();
  stream.write(Buffer.from('abc'));
  assert.throws(() => stream.md5());
  stream.destroy();
});

const CHECKS: Array<[string, (data: Buffer) => StoredCheck]> = [
  ['CRC-64', (data) => crc64Check(crc64(data))],
  ['CRC-32', (data) => crc32Check(crc32(data))],
];

for (const [name, check] of CHECKS) {
  test(`VerifyStream (${name}) passes every byte through when the checksum matches`, async () => {
    for (const [size, chunkSize] of [[0, 1], [1, 1], [100_003, 7], [300_000, 65_536]]) {
      const data = randomBytes(size);
      const { output, error } = await runTransform(new VerifyStream(check(data), 'data'), data, chunkSize);
      assert.equal(error, undefined);
      assert.deepEqual(output, data);
    }
  });

  test(`VerifyStream (${name}) on a mismatch fails without the last chunk, so the reader never has the whole body`, async () => {
    for (const [size, chunkSize] of [[1, 1], [10, 10], [100_003, 7], [300_000, 65_536]]) {
      const data = randomBytes(size);
      const altered = Buffer.from(data);
      altered[size >> 1] ^= 1;
      const { output, error } = await runTransform(new VerifyStream(check(data), 'data'), altered, chunkSize);
      assertIntegrityError(error);
      assert.match(String(error), new RegExp(`failed its ${name} check`));
      const lastChunk = size % chunkSize || chunkSize;
      assert.deepEqual(output, altered.subarray(0, size - lastChunk));
    }
  });
}
