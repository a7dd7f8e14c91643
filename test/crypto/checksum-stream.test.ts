import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { ChecksumStream } from '../../src/crypto/checksum-stream';
import { crc64 } from '../../src/crypto/crc64';
import { runTransform } from './helpers';

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
