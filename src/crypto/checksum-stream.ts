import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { CofferError } from '../common/errors';
import type { Checksummer } from './checksums';
import { Crc64 } from './crc64';

/**
 * Passes bytes through unchanged while computing their MD5 and CRC-64, and optionally one more
 * checksum (`extra`, fed the same chunks in the same pass); read the results after 'finish'/'end'.
 */
export class ChecksumStream extends Transform {
  private readonly hash: Hash = createHash('md5');
  private readonly crc = new Crc64();
  private count = 0;
  private md5Digest: Buffer | undefined;

  constructor(private readonly extra?: Checksummer) {
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
    this.extra?.update(chunk);
    this.count += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.md5Digest = this.hash.digest();
    callback();
  }
}

/**
 * Passes bytes through unchanged while computing their CRC-64, and always holds the latest chunk
 * back until the next one arrives: the last chunk is released only once the CRC of everything
 * matches `expected`. On a mismatch the stream fails without it, so a reader (an HTTP response
 * with a Content-Length) gets a short body and an error, never the whole body with altered bytes.
 */
export class Crc64VerifyStream extends Transform {
  private readonly crc = new Crc64();
  private held: Buffer | undefined;

  /** `what` names the data in the error, e.g. "object bucket/key". */
  constructor(private readonly expected: bigint, private readonly what: string) {
    // Room for the chunk held back and the one passed on (object reads come in 512 KiB chunks).
    super({ highWaterMark: 1024 * 1024 });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.crc.update(chunk);
    const ready = this.held;
    this.held = chunk;
    callback(null, ready);
  }

  override _flush(callback: TransformCallback): void {
    const actual = this.crc.digest();
    if (actual !== this.expected) {
      callback(new CofferError('DataIntegrityError', `${this.what} failed its CRC-64 check: stored ${this.expected}, read ${actual}`));
      return;
    }
    callback(null, this.held);
  }
}
