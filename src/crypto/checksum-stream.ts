import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { CofferError } from '../common/errors';
import { newChecksummer, type Checksummer } from './checksums';
import { Crc64 } from './crc64';

/**
 * Passes bytes through unchanged while computing their MD5 and CRC-64, and feeding the same chunks
 * in the same pass to `extras` (their owner reads them); read the results after 'finish'/'end'.
 */
export class ChecksumStream extends Transform {
  private readonly hash: Hash = createHash('md5');
  private readonly crc = new Crc64();
  private count = 0;
  private md5Digest: Buffer | undefined;

  constructor(private readonly extras: readonly Checksummer[] = []) {
    super();
  }

  get bytes(): number {
    return this.count;
  }

  md5(): Buffer {
    if (!this.md5Digest) throw new Error('ChecksumStream.md5() called before the stream finished');
    return this.md5Digest;
  }

  crc64(): bigint {
    return this.crc.digest();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.crc.update(chunk);
    for (const extra of this.extras) extra.update(chunk);
    this.count += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.md5Digest = this.hash.digest();
    callback();
  }
}

/** A running checksum that a VerifyStream compares with the value stored for the data. */
export interface StoredCheck {
  /** e.g. "CRC-64", for the error message. */
  readonly name: string;
  /** The stored value, as the message shows it. */
  readonly expected: string;
  update(chunk: Buffer): void;
  /** The value of the bytes seen so far, in the form of `expected`. */
  actual(): string;
}

/** CRC-64/ECMA, kept for whole objects (x-oss-hash-crc64ecma), in unsigned decimal. */
export function crc64Check(expected: bigint): StoredCheck {
  const crc = new Crc64();
  return { name: 'CRC-64', expected: String(expected), update: (chunk) => crc.update(chunk), actual: () => String(crc.digest()) };
}

/** CRC-32 (IEEE, zlib's: several times faster than the CRC-64 in JS), kept per plain segment. */
export function crc32Check(expected: number): StoredCheck {
  const sum = newChecksummer('CRC32');
  return { name: 'CRC-32', expected: String(expected), update: (chunk) => sum.update(chunk), actual: () => String(sum.digest().readUInt32BE(0)) };
}

/**
 * Passes bytes through unchanged while computing a checksum, and always holds the latest chunk
 * back until the next one arrives: the last chunk is released only once the checksum of
 * everything matches the stored one. On a mismatch the stream fails without it, so a reader (an
 * HTTP response with a Content-Length) gets a short body and an error, never the whole body with
 * altered bytes.
 */
export class VerifyStream extends Transform {
  private held: Buffer | undefined;

  /** `what` names the data in the error, e.g. "object bucket/key". */
  constructor(private readonly check: StoredCheck, private readonly what: string) {
    // Room for the chunk held back and the one passed on (object reads come in 512 KiB chunks).
    super({ highWaterMark: 1024 * 1024 });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.check.update(chunk);
    const ready = this.held;
    this.held = chunk;
    callback(null, ready);
  }

  override _flush(callback: TransformCallback): void {
    const { name, expected } = this.check;
    const actual = this.check.actual();
    if (actual !== expected) {
      callback(new CofferError('DataIntegrityError', `${this.what} failed its ${name} check: stored ${expected}, read ${actual}`));
      return;
    }
    callback(null, this.held);
  }
}
