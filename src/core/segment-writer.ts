/**
 * The write half of the data path: body → MD5 + CRC-64 of the plaintext → (encryption) → blob.
 * Streams end to end, so memory does not grow with object size. The blob is durable when this
 * returns, but owned by nobody until a metadata transaction names it.
 */
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ChecksumStream } from '../crypto/checksum-stream';
import { createEncryptStream, generateSalt } from '../crypto/package-format';
import type { Suite } from '../crypto/suites';
import type { BlobStore, Segment } from '../store/types';
import { CofferError } from './errors';

export interface SegmentCipher { suite: Suite; objectKey: Buffer }

export interface WrittenSegment {
  segment: Segment;
  md5: Buffer;
  crc64: bigint;
}

/** A request body to store, and what is known about it up front. */
export interface UploadBody {
  body: Readable;
  /** Base64 Content-MD5 the client sent; a mismatch fails with InvalidDigest and keeps nothing. */
  contentMd5?: string;
  /** Bytes beyond this fail with EntityTooLarge (for bodies without Content-Length). */
  maxSize?: number;
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

export async function writeSegment(blobs: BlobStore, input: UploadBody, cipher: SegmentCipher | null): Promise<WrittenSegment> {
  const writer = await blobs.create();
  const checksum = new ChecksumStream();
  const salt = cipher ? generateSalt() : undefined;
  const stages: Array<NodeJS.ReadableStream | NodeJS.ReadWriteStream> = [input.body];
  if (input.maxSize !== undefined) stages.push(new SizeLimit(input.maxSize));
  stages.push(checksum);
  if (cipher) stages.push(createEncryptStream(cipher.suite, cipher.objectKey, salt!));
  try {
    await pipeline([...stages, writer.stream]);
    const md5 = checksum.md5();
    if (input.contentMd5 !== undefined && md5.toString('base64') !== input.contentMd5) {
      throw new CofferError('InvalidDigest', 'The Content-MD5 you specified did not match what we received.');
    }
    await writer.commit();
    return {
      segment: { blobId: writer.blobId, size: checksum.bytes, salt: salt?.toString('base64') },
      md5,
      crc64: checksum.crc64(),
    };
  } catch (err) {
    await writer.abort();
    throw err;
  }
}

/** For segments written by a request whose metadata commit then failed: nobody owns them. */
export async function discardSegments(blobs: BlobStore, segments: Segment[]): Promise<void> {
  await Promise.all(segments.map((s) => blobs.delete(s.blobId).catch(() => undefined)));
}
