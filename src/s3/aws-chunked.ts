/**
 * The aws-chunked body of S3 streaming uploads (x-amz-content-sha256: STREAMING-*), decoded as it
 * arrives:
 *
 *   <hex size>[;chunk-signature=<64 hex>]\r\n<data>\r\n   … repeated, then a 0-size chunk, then
 *   \r\n                                                  (no trailer), or
 *   <name>:<value>\r\n … [x-amz-trailer-signature:<hex>\r\n] \r\n
 *
 * Signed chunks are held until their signature verifies, so a forged chunk never reaches the
 * store; unsigned chunks pass through as they arrive. Memory is bounded by the largest chunk
 * accepted (16 MiB) and the longest line (4 KiB). Every failure is a CofferError with the code
 * S3 answers: IncompleteBody (framing, early end, length), InvalidRequest (a bound exceeded),
 * MalformedTrailerError (trailer lines), SignatureDoesNotMatch (a chunk or the trailer).
 */
import { Transform, type TransformCallback } from 'node:stream';
import type { AwsChunkSigner } from '../auth/aws-sigv4';
import { signaturesEqual } from '../auth/constant-time';
import { CofferError, isCofferError } from '../common/errors';

export interface AwsChunkedOptions {
  /** Present for signed streaming: each chunk is verified before any of its bytes are passed on. */
  signer?: AwsChunkSigner;
  /** Trailing headers expected (names from x-amz-trailer, lower-case); empty for none. */
  trailers: string[];
  /** Whether the trailer block itself carries x-amz-trailer-signature (signed + trailer). */
  signedTrailer: boolean;
  /** x-amz-decoded-content-length when sent: total payload bytes must equal it (else 400 IncompleteBody). */
  decodedLength?: number;
}

/** Larger than any SDK's chunk (64 KiB signed, a few MiB unsigned), small enough to hold one. */
export const MAX_CHUNK_SIZE = 16 * 1024 * 1024;
/** A chunk header is ~90 bytes and a trailer line about as long; this is generous. */
export const MAX_LINE_LENGTH = 4096;

const TRAILER_SIGNATURE = 'x-amz-trailer-signature';
const CR = 0x0d;
const LF = 0x0a;

type State = 'size' | 'data' | 'data-end' | 'trailer' | 'done';

export function awsChunkedDecoder(opts: AwsChunkedOptions): Transform & { trailers(): Map<string, string> } {
  return new AwsChunkedDecoder(opts);
}

class AwsChunkedDecoder extends Transform {
  readonly #opts: AwsChunkedOptions;
  #state: State = 'size';
  /** The line being read (chunk header or trailer), with its CR. */
  readonly #line = Buffer.allocUnsafe(MAX_LINE_LENGTH + 1);
  #lineLength = 0;
  #chunkSize = 0;
  #remaining = 0;
  #chunkSignature = '';
  /** Signed: the current chunk's data, as slices of what arrived, until it verifies. */
  #held: Buffer[] = [];
  /** Bytes of the CRLF after a chunk's data seen so far. */
  #crlfSeen = 0;
  #previousSignature: string;
  #total = 0;
  readonly #trailers = new Map<string, string>();
  #trailerVerified = false;

  constructor(opts: AwsChunkedOptions) {
    super();
    if (opts.signedTrailer && opts.signer === undefined) throw new Error('awsChunkedDecoder: a signed trailer needs a signer');
    this.#opts = opts;
    this.#previousSignature = opts.signer?.seedSignature ?? '';
  }

  /** The trailing headers received (lower-case names); complete once the stream has ended. */
  trailers(): Map<string, string> {
    return new Map(this.#trailers);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.#consume(chunk);
      callback();
    } catch (err) {
      callback(asCofferError(err));
    }
  }

  override _flush(callback: TransformCallback): void {
    callback(this.#state === 'done' ? null : incompleteBody());
  }

  #consume(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length) {
      switch (this.#state) {
        case 'size':
        case 'trailer':
          pos = this.#readLine(chunk, pos);
          break;
        case 'data':
          pos = this.#readData(chunk, pos);
          break;
        case 'data-end':
          pos = this.#readDataEnd(chunk, pos);
          break;
        case 'done':
          throw incompleteBody();
      }
    }
  }

  /** Gathers a line up to its LF (it may straddle reads); acts on it when complete. */
  #readLine(chunk: Buffer, pos: number): number {
    const lf = chunk.indexOf(LF, pos);
    const end = lf < 0 ? chunk.length : lf;
    if (this.#lineLength + (end - pos) > this.#line.length) {
      throw new CofferError('InvalidRequest', `An aws-chunked chunk header or trailer line is longer than ${MAX_LINE_LENGTH} bytes.`);
    }
    chunk.copy(this.#line, this.#lineLength, pos, end);
    this.#lineLength += end - pos;
    if (lf < 0) return end;

    const length = this.#lineLength;
    this.#lineLength = 0;
    const inTrailer = this.#state === 'trailer';
    if (length === 0 || this.#line[length - 1] !== CR) throw inTrailer ? malformedTrailer() : incompleteBody();
    const text = this.#line.toString('latin1', 0, length - 1);
    if (inTrailer) this.#onTrailerLine(text);
    else this.#onChunkHeader(text);
    return lf + 1;
  }

  #onChunkHeader(text: string): void {
    const [sizeText = '', ...extensions] = text.split(';');
    if (!/^[0-9a-fA-F]+$/.test(sizeText)) throw incompleteBody();
    const digits = sizeText.replace(/^0+(?=.)/, '');
    const size = digits.length > 8 ? Infinity : parseInt(digits, 16);
    if (size > MAX_CHUNK_SIZE) {
      throw new CofferError('InvalidRequest', `An aws-chunked chunk of 0x${sizeText} bytes is larger than the ${MAX_CHUNK_SIZE} bytes accepted.`);
    }
    const decodedLength = this.#opts.decodedLength;
    if (decodedLength !== undefined && this.#total + size > decodedLength) throw decodedLengthMismatch();

    let signature: string | undefined;
    for (const extension of extensions) {
      if (extension.startsWith('chunk-signature=')) signature = extension.slice('chunk-signature='.length);
    }
    // Unsigned streaming carries no chunk signatures; one sent anyway proves nothing and is ignored.
    if (this.#opts.signer !== undefined && signature === undefined) throw chunkSignatureMismatch('');
    this.#chunkSignature = signature ?? '';

    if (size > 0) {
      this.#chunkSize = this.#remaining = size;
      this.#state = 'data';
      return;
    }
    // The 0-size chunk ends the payload; it is signed like the others, over no data.
    if (decodedLength !== undefined && this.#total !== decodedLength) throw decodedLengthMismatch();
    this.#verifyChunk(Buffer.alloc(0));
    this.#state = 'trailer';
  }

  #readData(chunk: Buffer, pos: number): number {
    const take = Math.min(this.#remaining, chunk.length - pos);
    const piece = chunk.subarray(pos, pos + take);
    this.#remaining -= take;
    this.#total += take;
    if (this.#opts.signer !== undefined) this.#held.push(piece);
    else this.push(piece);
    if (this.#remaining === 0) {
      this.#state = 'data-end';
      this.#crlfSeen = 0;
    }
    return pos + take;
  }

  /** The CRLF that closes a chunk's data; only then is a signed chunk verified and passed on. */
  #readDataEnd(chunk: Buffer, pos: number): number {
    if (chunk[pos] !== (this.#crlfSeen === 0 ? CR : LF)) throw incompleteBody();
    if (++this.#crlfSeen === 2) {
      if (this.#opts.signer !== undefined) {
        const held = this.#held;
        this.#held = [];
        const data = held.length === 1 ? held[0]! : Buffer.concat(held, this.#chunkSize);
        this.#verifyChunk(data);
        this.push(data);
      }
      this.#state = 'size';
    }
    return pos + 1;
  }

  #verifyChunk(data: Buffer): void {
    const signer = this.#opts.signer;
    if (signer === undefined) return;
    const provided = this.#chunkSignature;
    if (!signaturesEqual(signer.chunk(this.#previousSignature, data), provided)) throw chunkSignatureMismatch(provided);
    this.#previousSignature = provided;
  }

  #onTrailerLine(text: string): void {
    if (text === '') {
      this.#finish();
      return;
    }
    // The trailer signature covers the lines before it and must be the last.
    if (this.#trailerVerified) throw malformedTrailer();
    const colon = text.indexOf(':');
    if (colon <= 0) throw malformedTrailer();
    const name = trimBlanks(text.slice(0, colon)).toLowerCase();
    const value = trimBlanks(text.slice(colon + 1));
    if (name === TRAILER_SIGNATURE && this.#opts.signedTrailer) {
      const expected = this.#opts.signer!.trailer(this.#previousSignature, this.#trailerText());
      if (!signaturesEqual(expected, value)) throw chunkSignatureMismatch(value);
      this.#trailerVerified = true;
      return;
    }
    // Only what x-amz-trailer announced, each once: the announcement is what the request signed.
    if (!this.#opts.trailers.includes(name) || this.#trailers.has(name)) throw malformedTrailer();
    this.#trailers.set(name, value);
  }

  /** The trailing headers as their signature covers them: `name:value\n` each, sorted by name. */
  #trailerText(): string {
    return [...this.#trailers]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, value]) => `${name}:${value}\n`)
      .join('');
  }

  #finish(): void {
    if (this.#opts.signedTrailer && !this.#trailerVerified) throw malformedTrailer();
    if (this.#opts.trailers.some((name) => !this.#trailers.has(name))) throw malformedTrailer();
    this.#state = 'done';
  }
}

/** Blanks only: the value is latin1 text standing for bytes, where trim() would also eat 0xA0. */
function trimBlanks(text: string): string {
  return text.replace(/^[ \t]+|[ \t]+$/g, '');
}

function incompleteBody(): CofferError {
  return new CofferError('IncompleteBody', 'The request body terminated unexpectedly');
}

function decodedLengthMismatch(): CofferError {
  return new CofferError('IncompleteBody', 'You did not provide the number of bytes specified by the x-amz-decoded-content-length HTTP header.');
}

function malformedTrailer(): CofferError {
  return new CofferError('MalformedTrailerError', 'The request contained trailing data that was not well-formed or did not conform to our published schema.');
}

function chunkSignatureMismatch(provided: string): CofferError {
  return new CofferError(
    'SignatureDoesNotMatch',
    'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    { SignatureProvided: provided },
  );
}

/** Whatever went wrong inside the decoder reaches the stream's consumer as a CofferError. */
function asCofferError(err: unknown): CofferError {
  return isCofferError(err) ? err : new CofferError('InternalError', err instanceof Error ? err.message : String(err));
}
