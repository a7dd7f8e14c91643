/**
 * What every stored body is hashed for: MD5 (the ETag, Content-MD5), CRC-64/ECMA
 * (x-oss-hash-crc64ecma) and any flexible checksums asked for. BodyHasher is the one interface;
 * InlineHasher hashes on the caller's thread, hash-pool.ts on worker threads.
 */
import { createHash, type Hash } from 'node:crypto';
import { newChecksummer, type ChecksumAlgorithm, type Checksummer } from './checksums';
import { Crc64 } from './crc64';

export interface BodyDigests {
  md5: Buffer;
  crc64: bigint;
  /** Raw digests of the extra algorithms, by name. */
  extras: Partial<Record<ChecksumAlgorithm, Buffer>>;
}

export interface BodyHasher {
  /**
   * Takes `chunk` and calls `ready` when more may be fed: at once, or once a hasher that has
   * fallen behind catches up. No reference to `chunk` is kept after `ready`.
   */
  update(chunk: Uint8Array, ready: (err?: Error) => void): void;
  /** The digests of everything fed; no update() after it. */
  finish(): Promise<BodyDigests>;
  /** Drops the work (the body failed); finish() is not called. */
  abort(): void;
}

/** The running sums of one body, wherever they run. */
export class BodySums {
  private readonly md5: Hash = createHash('md5');
  private readonly crc = new Crc64();
  private readonly extras: Array<[ChecksumAlgorithm, Checksummer]>;

  constructor(extras: readonly ChecksumAlgorithm[]) {
    this.extras = extras.map((alg) => [alg, newChecksummer(alg)]);
  }

  update(chunk: Uint8Array): void {
    this.md5.update(chunk);
    this.crc.update(chunk);
    for (const [, sum] of this.extras) sum.update(chunk);
  }

  digests(): BodyDigests {
    const extras: BodyDigests['extras'] = {};
    for (const [alg, sum] of this.extras) extras[alg] = sum.digest();
    return { md5: this.md5.digest(), crc64: this.crc.digest(), extras };
  }
}

export class InlineHasher implements BodyHasher {
  private readonly sums: BodySums;

  constructor(extras: readonly ChecksumAlgorithm[]) {
    this.sums = new BodySums(extras);
  }

  update(chunk: Uint8Array, ready: () => void): void {
    this.sums.update(chunk);
    ready();
  }

  finish(): Promise<BodyDigests> {
    return Promise.resolve(this.sums.digests());
  }

  abort(): void {}
}
