import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { Crc64 } from './crc64';

/** Passes bytes through unchanged while computing their MD5 and CRC-64; read the results after 'finish'/'end'. */
export class ChecksumStream extends Transform {
  private readonly hash: Hash = createHash('md5');
  private readonly crc = new Crc64();
  private count = 0;
  private md5Digest: Buffer | undefined;

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
    this.count += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.md5Digest = this.hash.digest();
    callback();
  }
}
