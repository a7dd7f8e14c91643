import { Transform, type TransformCallback } from 'node:stream';
import { CofferError } from '../common/errors';
import { InlineHasher, type BodyDigests, type BodyHasher } from './body-hasher';
import { newChecksummer } from './checksums';
import { Crc64 } from './crc64';

/**
 * Passes bytes through unchanged while `hasher` computes their MD5, CRC-64 and any extra
 * checksums (inline, or on a thread: hash-pool.ts); read the results after 'finish'/'end'.
 */
export class ChecksumStream extends Transform {
  private count = 0;
  private result: BodyDigests | undefined;

  constructor(private readonly hasher: BodyHasher = new InlineHasher([])) {
    super();
  }

  get bytes(): number {
    return this.count;
  }

  digests(): BodyDigests {
    if (!this.result) throw new Error('ChecksumStream digests read before the stream finished');
    return this.result;
  }

  md5(): Buffer {
    return this.digests().md5;
  }

  crc64(): bigint {
    return this.digests().crc64;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.count += chunk.length;
    this.hasher.update(chunk, (err) => (err ? callback(err) : callback(null, chunk)));
  }

  override _flush(callback: TransformCallback): void {
    this.hasher.finish().then((d) => {
      this.result = d;
      callback();
    }, callback);
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.result) this.hasher.abort();
    callback(err);
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
