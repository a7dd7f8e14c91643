/**
 * The write half of the data path: body → MD5 + CRC-64 of the plaintext (on a hashing thread when
 * large) → (encryption) → blob.
 * Streams end to end, so memory does not grow with object size. The blob is durable when this
 * returns, but owned by nobody until a metadata transaction names it; until the caller settles
 * it (settleSegments), this process's collector leaves it alone.
 */
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { ChecksumStream } from '../crypto/checksum-stream';
import { InlineHasher } from '../crypto/body-hasher';
import type { ChecksumAlgorithm } from '../crypto/checksums';
import { createEncryptStream, generateSalt } from '../crypto/package-format';
import type { Suite } from '../crypto/suites';
import type { BlobWriter, Segment } from '../store/types';
import type { Coffer } from './coffer';
import { CofferError } from '../common/errors';
import { abandon, pump } from '../common/streams';

export interface SegmentCipher { suite: Suite; objectKey: Buffer }

export interface WrittenSegment {
  segment: Segment;
  md5: Buffer;
  crc64: bigint;
  /** The flexible checksum the body asked for (base64), verified against the client's value when it sent one. */
  checksum?: { algorithm: ChecksumAlgorithm; value: string };
  /** Ends the collector lease taken while the blob was written. */
  release: () => void;
}

/** A request body to store, and what is known about it up front. */
export interface UploadBody {
  body: Readable;
  /** Base64 Content-MD5 the client sent; a mismatch fails with InvalidDigest and keeps nothing. */
  contentMd5?: string;
  /** Bytes beyond this fail with EntityTooLarge (for bodies without Content-Length). */
  maxSize?: number;
  /** A flexible checksum to compute over the body (S3's x-amz-checksum-*). */
  checksum?: ChecksumRequest;
  /** About how many bytes the body holds (its Content-Length), when known: large bodies are hashed off the event loop. */
  sizeHint?: number;
}

export interface ChecksumRequest {
  algorithm: ChecksumAlgorithm;
  /**
   * The client's value (base64), asked once the body has ended, since a trailer arrives after the
   * data; undefined when the client sent none (the checksum is then computed and kept).
   */
  expected(): string | undefined;
}

/** The client's checksum must be the body's: a mismatch fails the write (BadDigest) and keeps nothing. */
function checkChecksum(request: ChecksumRequest, value: string): void {
  const expected = request.expected();
  if (expected !== undefined && expected !== value) {
    throw new CofferError('BadDigest', `The ${request.algorithm} you specified did not match the calculated checksum.`);
  }
}

class SizeLimit extends Transform {
  private seen = 0;
  constructor(private readonly max: number) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.max) cb(new CofferError('EntityTooLarge', ''));
    else cb(null, chunk);
  }
}

/**
 * Keeps an error the body raises before pump() listens from going uncaught (and ending the
 * process): a copy's body is already decrypting its source while the blob file is created, and a
 * tampered package fails there. The stream stays errored, and pump() reports that error.
 */
const heldForPump = (): void => undefined;

export async function writeSegment(c: Pick<Coffer, 'blobs' | 'collector' | 'hashing'>, input: UploadBody, cipher: SegmentCipher | null): Promise<WrittenSegment> {
  input.body.on('error', heldForPump);
  let writer: BlobWriter;
  try {
    writer = await c.blobs.create();
  } catch (err) {
    // As pump() would: a copy's source gives back its file and lease, a request body is drained.
    abandon(input.body, err as Error);
    throw err;
  }
  const release = c.collector.lease([writer.blobId]);
  // A segment stored in the clear keeps a CRC-32 for its reads to check; a client's CRC32 checksum
  // (what the AWS SDKs send by default) is that same value, so it is computed once.
  const algorithms: ChecksumAlgorithm[] = input.checksum ? [input.checksum.algorithm] : [];
  if (!cipher && !algorithms.includes('CRC32')) algorithms.push('CRC32');
  const checksum = new ChecksumStream(c.hashing?.hasher(algorithms, input.sizeHint) ?? new InlineHasher(algorithms));
  const salt = cipher ? generateSalt() : undefined;
  const stages: Array<NodeJS.ReadableStream | NodeJS.ReadWriteStream> = [input.body];
  if (input.maxSize !== undefined) stages.push(new SizeLimit(input.maxSize));
  stages.push(checksum);
  if (cipher) stages.push(createEncryptStream(cipher.suite, cipher.objectKey, salt!));
  try {
    await pump([...stages, writer.stream]);
    const { md5, crc64, extras } = checksum.digests();
    if (input.contentMd5 !== undefined && md5.toString('base64') !== input.contentMd5) {
      throw new CofferError('InvalidDigest', 'The Content-MD5 you specified did not match what we received.');
    }
    const extraValue = input.checksum && extras[input.checksum.algorithm]!.toString('base64');
    if (input.checksum) checkChecksum(input.checksum, extraValue!);
    await writer.commit();
    return {
      segment: { blobId: writer.blobId, size: checksum.bytes, salt: salt?.toString('base64'), ...(!cipher && { crc32: extras.CRC32!.readUInt32BE(0) }) },
      md5,
      crc64,
      checksum: input.checksum ? { algorithm: input.checksum.algorithm, value: extraValue! } : undefined,
      release,
    };
  } catch (err) {
    await writer.abort();
    release();
    throw err;
  }
}

/**
 * After the metadata transaction that was to name freshly written segments: ends their leases,
 * and when it failed hands them to the collector. They are retired only if no record names them,
 * because a failure reported by a remote database can hide a commit that happened; if even that
 * fails, the orphan scan finds them.
 */
export async function settleSegments(c: Pick<Coffer, 'meta' | 'collector'>, written: WrittenSegment[], committed: boolean): Promise<void> {
  try {
    if (committed || written.length === 0) return;
    const ids = written.map((w) => w.segment.blobId);
    await c.meta.transaction(async (tx) => {
      for (const id of ids) if ((await tx.blobState(id)) === null) await tx.retireBlobs([id]);
    }).catch(() => undefined);
    c.collector.sweepSoon();
  } finally {
    for (const w of written) w.release();
  }
}
