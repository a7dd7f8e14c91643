import { Readable, Writable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import assert from 'node:assert/strict';
import { CofferError } from '../../src/common/errors';

/** Output of a transform fed `input` in chunks of `chunkSize`, plus the error it ended with, if any. */
export async function runTransform(
  transform: Transform,
  input: Buffer,
  chunkSize: number,
): Promise<{ output: Buffer; error: unknown }> {
  const parts: Buffer[] = [];
  function* chunks(): Generator<Buffer> {
    for (let off = 0; off < input.length; off += chunkSize) yield input.subarray(off, off + chunkSize);
  }
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      parts.push(chunk);
      callback();
    },
  });
  let error: unknown;
  try {
    await pipeline(Readable.from(chunks()), transform, sink);
  } catch (err) {
    error = err;
  }
  return { output: Buffer.concat(parts), error };
}

export function assertIntegrityError(error: unknown): void {
  assert.ok(error instanceof CofferError, `expected a CofferError, got ${String(error)}`);
  assert.equal(error.code, 'DataIntegrityError');
}
