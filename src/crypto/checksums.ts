import { createHash, type Hash } from 'node:crypto';
import * as zlib from 'node:zlib';
import { Crc32, crc32Combine } from './crc32';
import { Crc64, crc64Combine } from './crc64';

/*
 * The S3 "flexible checksum" algorithms (x-amz-checksum-crc32, -crc32c, -crc64nvme, -sha1,
 * -sha256). On the wire each is the base64 of the raw digest, CRCs as big-endian integers; here
 * digests are those raw bytes, and callers base64 them at the protocol edge.
 *
 * Multipart uploads get one of two object checksums:
 *  - COMPOSITE: the algorithm applied to the concatenated raw part digests, then "-<parts>";
 *  - FULL_OBJECT (CRCs only): the CRC of the whole object, combined from the part CRCs and sizes.
 */

export type ChecksumAlgorithm = 'CRC32' | 'CRC32C' | 'CRC64NVME' | 'SHA1' | 'SHA256';

export const CHECKSUM_ALGORITHMS: readonly ChecksumAlgorithm[] = Object.freeze(['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256']);

const DIGEST_LENGTHS: Readonly<Record<ChecksumAlgorithm, number>> = {
  CRC32: 4,
  CRC32C: 4,
  CRC64NVME: 8,
  SHA1: 20,
  SHA256: 32,
};

/** Exact upper-case names only, as S3 spells them in x-amz-checksum-algorithm and XML. */
export function isChecksumAlgorithm(s: string): s is ChecksumAlgorithm {
  return Object.hasOwn(DIGEST_LENGTHS, s);
}

/** Incremental hasher; digest() returns the raw big-endian digest bytes (4 for CRC32/CRC32C, 8 for CRC64NVME, 20/32 for SHA). */
export interface Checksummer {
  update(chunk: Uint8Array): this;
  digest(): Buffer;
}

/** Node's native IEEE CRC-32 (zlib.crc32(data, previous), Node ≥ 20.15); @types/node 20 may not declare it. */
type NativeCrc32 = (data: Uint8Array, value?: number) => number;
const nativeCrc32 = (zlib as unknown as { crc32?: unknown }).crc32;
const zlibCrc32: NativeCrc32 | undefined = typeof nativeCrc32 === 'function' ? (nativeCrc32 as NativeCrc32) : undefined;

function uint32Digest(value: number): Buffer {
  const out = Buffer.allocUnsafe(4);
  out.writeUInt32BE(value >>> 0, 0);
  return out;
}

function uint64Digest(value: bigint): Buffer {
  const out = Buffer.allocUnsafe(8);
  out.writeBigUInt64BE(value, 0);
  return out;
}

class ZlibCrc32Checksummer implements Checksummer {
  private crc = 0;

  constructor(private readonly fn: NativeCrc32) {}

  update(chunk: Uint8Array): this {
    // Not for empty chunks: for a view of a zero-length ArrayBuffer (randomBytes(0) is one) Node
    // hands zlib a NULL pointer, and zlib's crc32 then returns 0 instead of the running value.
    if (chunk.length > 0) this.crc = this.fn(chunk, this.crc);
    return this;
  }

  digest(): Buffer {
    return uint32Digest(this.crc);
  }
}

class TableCrc32Checksummer implements Checksummer {
  private readonly crc: Crc32;

  constructor(variant: 'CRC32' | 'CRC32C') {
    this.crc = new Crc32(0, variant);
  }

  update(chunk: Uint8Array): this {
    this.crc.update(chunk);
    return this;
  }

  digest(): Buffer {
    return uint32Digest(this.crc.digest());
  }
}

class Crc64NvmeChecksummer implements Checksummer {
  private readonly crc = new Crc64(0n, 'NVME');

  update(chunk: Uint8Array): this {
    this.crc.update(chunk);
    return this;
  }

  digest(): Buffer {
    return uint64Digest(this.crc.digest());
  }
}

/** digest() finishes the hash: later calls return the same bytes, and update() after it throws. */
class HashChecksummer implements Checksummer {
  private readonly hash: Hash;
  private result: Buffer | undefined;

  constructor(name: 'sha1' | 'sha256') {
    this.hash = createHash(name);
  }

  update(chunk: Uint8Array): this {
    if (this.result) throw new Error('Checksummer.update() after digest()');
    this.hash.update(chunk);
    return this;
  }

  digest(): Buffer {
    this.result ??= this.hash.digest();
    return Buffer.from(this.result);
  }
}

/**
 * A fresh hasher for `alg`. CRC digests can be taken at any point and hashing continued;
 * SHA ones finish the hash.
 */
export function newChecksummer(alg: ChecksumAlgorithm): Checksummer {
  switch (alg) {
    case 'CRC32':
      return zlibCrc32 ? new ZlibCrc32Checksummer(zlibCrc32) : new TableCrc32Checksummer('CRC32');
    case 'CRC32C':
      return new TableCrc32Checksummer('CRC32C');
    case 'CRC64NVME':
      return new Crc64NvmeChecksummer();
    case 'SHA1':
      return new HashChecksummer('sha1');
    case 'SHA256':
      return new HashChecksummer('sha256');
    default:
      throw new TypeError(`unknown checksum algorithm ${String(alg)}`);
  }
}

export function digestLength(alg: ChecksumAlgorithm): number {
  const length = DIGEST_LENGTHS[alg];
  if (length === undefined) throw new TypeError(`unknown checksum algorithm ${String(alg)}`);
  return length;
}

/** Whether `alg` is a CRC (can be combined into a full-object checksum). */
export function isCrc(alg: ChecksumAlgorithm): boolean {
  return alg === 'CRC32' || alg === 'CRC32C' || alg === 'CRC64NVME';
}

function checkDigest(alg: ChecksumAlgorithm, digest: Buffer, what: string): void {
  if (digest.length !== digestLength(alg)) {
    throw new RangeError(`${what}: a ${alg} digest is ${digestLength(alg)} bytes, got ${digest.length}`);
  }
}

/** The CRC of A‖B from crc(A), crc(B) and len(B) (raw big-endian digests in and out). Throws for SHA algorithms. */
export function combineChecksums(alg: ChecksumAlgorithm, a: Buffer, b: Buffer, lengthB: number): Buffer {
  if (!isCrc(alg)) throw new TypeError(`${alg} checksums cannot be combined`);
  checkDigest(alg, a, 'combineChecksums first digest');
  checkDigest(alg, b, 'combineChecksums second digest');
  if (alg === 'CRC64NVME') {
    return uint64Digest(crc64Combine(a.readBigUInt64BE(0), b.readBigUInt64BE(0), lengthB, 'NVME'));
  }
  return uint32Digest(crc32Combine(a.readUInt32BE(0), b.readUInt32BE(0), lengthB, alg === 'CRC32' ? 'CRC32' : 'CRC32C'));
}

/**
 * S3 composite multipart checksum: base64(H(concat raw part digests))+'-'+N, H being `alg`
 * itself (a CRC of the part CRCs for the CRC algorithms). At least one part.
 */
export function compositeChecksum(alg: ChecksumAlgorithm, partDigests: Buffer[]): string {
  if (partDigests.length === 0) throw new RangeError('compositeChecksum needs at least one part');
  const hasher = newChecksummer(alg);
  partDigests.forEach((digest, i) => {
    checkDigest(alg, digest, `compositeChecksum part ${i + 1}`);
    hasher.update(digest);
  });
  return `${hasher.digest().toString('base64')}-${partDigests.length}`;
}
