/**
 * The body of an S3 request as the operations get it: for a signed payload hash, the bytes pass
 * through while hashed and the stream fails at its end if the hash differs (before anything is
 * committed: every write commits only after its body ended cleanly); for aws-chunked bodies, the
 * decoded payload (framing removed, each chunk's signature verified before it passes).
 */
import { createHash, type Hash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import type { AwsChunkSigner, PayloadMode } from '../auth/aws-sigv4';
import { headerValue } from '../auth/headers';
import { CofferError } from '../common/errors';
import { awsChunkedDecoder } from './aws-chunked';

class Sha256Check extends Transform {
  private readonly hash: Hash = createHash('sha256');
  constructor(private readonly expected: string) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    cb(null, chunk);
  }
  override _flush(cb: TransformCallback): void {
    const actual = this.hash.digest('hex');
    if (actual === this.expected.toLowerCase()) cb();
    else cb(new CofferError('XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.", { ClientComputedContentSHA256: this.expected, S3ComputedContentSHA256: actual }));
  }
}

export interface DecodedPayload {
  body: Readable;
  /** Trailing headers of an aws-chunked body (x-amz-checksum-*), readable once the body ended. */
  trailers(): Map<string, string>;
  /** The payload length when known up front (Content-Length, or x-amz-decoded-content-length). */
  length?: number;
}

export function decodePayload(raw: IncomingMessage, mode: PayloadMode, signer?: AwsChunkSigner): DecodedPayload {
  const none = (): Map<string, string> => new Map();
  const contentLength = headerValue(raw.headers, 'content-length');
  if (mode.kind === 'unsigned') return { body: raw, trailers: none, length: contentLength === undefined ? undefined : Number(contentLength) };
  if (mode.kind === 'sha256') {
    // As below: an error before the operation reads is kept for its reader.
    return { body: raw.pipe(new Sha256Check(mode.hex)).on('error', () => raw.resume()), trailers: none, length: contentLength === undefined ? undefined : Number(contentLength) };
  }
  const decodedLength = headerValue(raw.headers, 'x-amz-decoded-content-length');
  if (decodedLength !== undefined && !/^\d+$/.test(decodedLength)) {
    throw new CofferError('InvalidArgument', 'x-amz-decoded-content-length must be a number of bytes.', { ArgumentName: 'x-amz-decoded-content-length', ArgumentValue: decodedLength });
  }
  if (decodedLength === undefined && !mode.trailer) {
    throw new CofferError('MissingContentLength', 'You must provide the x-amz-decoded-content-length header with an aws-chunked body.');
  }
  const trailers = (headerValue(raw.headers, 'x-amz-trailer') ?? '').split(',').map((t) => t.trim().toLowerCase()).filter((t) => t !== '');
  const decoder = awsChunkedDecoder({
    signer: mode.signed ? signer : undefined,
    trailers,
    signedTrailer: mode.signed && mode.trailer,
    decodedLength: decodedLength === undefined ? undefined : Number(decodedLength),
  });
  raw.on('error', (err) => decoder.destroy(err));
  // The body flows into the decoder before the operation reads it: a chunk that fails may do so
  // before anyone listens. The stream keeps the error for its reader; the rest is discarded.
  decoder.on('error', () => raw.resume());
  return { body: raw.pipe(decoder), trailers: () => decoder.trailers(), length: decodedLength === undefined ? undefined : Number(decodedLength) };
}
