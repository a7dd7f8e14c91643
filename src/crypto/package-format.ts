import { Transform, type TransformCallback } from 'node:stream';
import { CofferError } from '../common/errors';
import { randomBytes } from './random';
import { packageCipher, TAG_SIZE, type PackageCipher, type Suite } from './suites';

export { TAG_SIZE } from './suites';

/*
 * Encrypted segment format v1. A segment's plaintext is cut into packages of PACKAGE_SIZE bytes
 * (the last one shorter; an empty segment is one empty package), each sealed on its own as
 * ciphertext ‖ tag. Package i therefore starts at stored offset i·(PACKAGE_SIZE + TAG_SIZE),
 * and a range read only needs the packages it overlaps.
 */

export const PACKAGE_SIZE = 65536;
const STORED_PACKAGE_SIZE = PACKAGE_SIZE + TAG_SIZE;
const KEY_SIZE = 32;

export function generateObjectKey(): Buffer {
  return randomBytes(KEY_SIZE);
}

export function generateSalt(): Buffer {
  return randomBytes(KEY_SIZE);
}

function packageCount(plainSize: number): number {
  return Math.max(1, Math.ceil(plainSize / PACKAGE_SIZE));
}

/** Bytes on disk for a segment of plainSize (0 → TAG_SIZE). */
export function storedSize(plainSize: number): number {
  return plainSize + packageCount(plainSize) * TAG_SIZE;
}

function segmentCipher(suite: Suite, objectKey: Buffer, salt: Buffer): PackageCipher {
  if (objectKey.length !== KEY_SIZE) throw new RangeError(`object key must be ${KEY_SIZE} bytes`);
  if (salt.length !== KEY_SIZE) throw new RangeError(`segment salt must be ${KEY_SIZE} bytes`);
  return packageCipher(suite, objectKey, salt, `coffer/v1/segment/${suite}`);
}

/**
 * Cuts a byte stream into packages. A package is handed on only once a later byte (or the end of
 * input) arrives, which is what lets the encryptor mark the last package final. Packages lying
 * wholly inside a chunk are passed as views; only bytes straddling chunk boundaries, plus the
 * held-back package, are copied, and at most one package is buffered. What output() collects
 * from the packages of one input chunk goes on as one buffer: a push per 64 KiB package made the
 * read path pay stream and socket overhead eight times per 512 KiB read.
 *
 * The buffer grows as bytes are held back, up to one package: allocated whole up front, it cost a
 * 64 KiB allocation per small object read or written, and the garbage collector's work with it.
 */
abstract class PackageStream extends Transform {
  private buf: Buffer = Buffer.alloc(0);
  private bufLen = 0;
  private readonly out: Buffer[] = [];

  constructor(private readonly capacity: number) {
    super();
  }

  /**
   * Whether each package's size (and so which one is last) is known up front, so that a complete
   * package in a chunk is handed on at once: the decryptor's are, the encryptor learns that a
   * package is the last one only from the end of input.
   */
  protected abstract sizesKnown(): boolean;

  /** Room for n more held-back bytes (n never takes bufLen past the package size). */
  private reserve(n: number): void {
    const needed = this.bufLen + n;
    if (needed <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.min(this.capacity, Math.max(needed, 2 * this.buf.length)));
    this.buf.copy(grown, 0, 0, this.bufLen);
    this.buf = grown;
  }

  /** Size of the package currently being collected. */
  protected abstract packageSize(): number;
  /** A complete package, with more input after it. The view is only valid during the call. */
  protected abstract onPackage(pkg: Buffer): void;
  /** The bytes left when input ends: the last package, possibly empty or incomplete. */
  protected abstract onEnd(rest: Buffer): void;

  /** Output of the current input chunk, passed on when the chunk is done. */
  protected output(bytes: Buffer): void {
    if (bytes.length > 0) this.out.push(bytes);
  }

  private pushOut(): void {
    if (this.out.length === 0) return;
    this.push(this.out.length === 1 ? this.out[0] : Buffer.concat(this.out));
    this.out.length = 0;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      let off = 0;
      while (off < chunk.length) {
        const size = this.packageSize();
        if (this.bufLen === size) {
          this.onPackage(this.buf.subarray(0, size));
          this.bufLen = 0;
        } else if (this.bufLen === 0 && (chunk.length - off > size || (chunk.length - off === size && this.sizesKnown()))) {
          this.onPackage(chunk.subarray(off, off + size));
          off += size;
        } else {
          this.reserve(Math.min(chunk.length - off, size - this.bufLen));
          const copied = chunk.copy(this.buf, this.bufLen, off, Math.min(chunk.length, off + size - this.bufLen));
          this.bufLen += copied;
          off += copied;
        }
      }
      this.pushOut();
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.onEnd(this.buf.subarray(0, this.bufLen));
      this.pushOut();
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }
}

class EncryptStream extends PackageStream {
  private index = 0;

  constructor(private readonly cipher: PackageCipher) {
    super(PACKAGE_SIZE);
  }

  protected packageSize(): number {
    return PACKAGE_SIZE;
  }

  protected sizesKnown(): boolean {
    return false;
  }

  protected onPackage(pkg: Buffer): void {
    this.seal(pkg, false);
  }

  protected onEnd(rest: Buffer): void {
    this.seal(rest, true);
  }

  private seal(plaintext: Buffer, final: boolean): void {
    const [ciphertext, tag] = this.cipher.seal(this.index++, final, plaintext);
    if (final) {
      // One buffer: pushed apart, the tag was a second write to the blob file (the first one was
      // under way), which for a small object cost as much as the data's.
      this.push(Buffer.concat([ciphertext, tag]));
      return;
    }
    // Straight on, unbatched: the blob file's writev takes the pieces without a copy.
    this.push(ciphertext);
    this.push(tag);
  }
}

/** Transform: plaintext in → sealed packages out; the last package (even if empty or full-size) is final. */
export function createEncryptStream(suite: Suite, objectKey: Buffer, salt: Buffer): Transform {
  return new EncryptStream(segmentCipher(suite, objectKey, salt));
}

function integrityError(message: string): CofferError {
  return new CofferError('DataIntegrityError', message);
}

class DecryptStream extends PackageStream {
  private readonly segmentLast: number;

  constructor(
    private readonly cipher: PackageCipher,
    private readonly plainSize: number,
    /** Plaintext bytes to emit, inclusive. */
    private readonly rangeStart: number,
    private readonly rangeEnd: number,
    /** Next package expected, and the last one to read. */
    private index: number,
    private readonly last: number,
  ) {
    super(STORED_PACKAGE_SIZE);
    this.segmentLast = packageCount(plainSize) - 1;
  }

  protected packageSize(): number {
    if (this.index > this.last) throw integrityError('encrypted segment is longer than expected');
    const plainLength = this.index < this.segmentLast ? PACKAGE_SIZE : this.plainSize - this.segmentLast * PACKAGE_SIZE;
    return plainLength + TAG_SIZE;
  }

  /** Package sizes are known: a complete one is opened at once, without being copied first. */
  protected sizesKnown(): boolean {
    return true;
  }

  protected onPackage(sealed: Buffer): void {
    const index = this.index;
    const tagAt = sealed.length - TAG_SIZE;
    const plaintext = this.cipher.open(index, index === this.segmentLast, sealed.subarray(0, tagAt), sealed.subarray(tagAt));
    const offset = index * PACKAGE_SIZE;
    const from = Math.max(0, this.rangeStart - offset);
    const to = Math.min(plaintext.length, this.rangeEnd + 1 - offset);
    if (to > from) this.output(plaintext.subarray(from, to));
    this.index++;
  }

  protected onEnd(rest: Buffer): void {
    // Every package was opened as it completed; the last one may have been held back whole.
    if (this.index === this.last + 1 && rest.length === 0) return;
    if (this.index !== this.last || rest.length !== this.packageSize()) {
      throw integrityError('encrypted segment is truncated');
    }
    this.onPackage(rest);
  }
}

/**
 * Plan for reading plaintext bytes [start, end] (inclusive) of a segment; plainSize 0 with
 * start 0, end -1 reads nothing but still verifies the single empty package.
 */
export function planRangeDecrypt(
  suite: Suite,
  objectKey: Buffer,
  salt: Buffer,
  plainSize: number,
  start: number,
  end: number,
): { storedStart: number; storedEnd: number; readChunk: number; decrypt: Transform } {
  const valid =
    Number.isSafeInteger(plainSize) && Number.isSafeInteger(start) && Number.isSafeInteger(end) &&
    (plainSize === 0 ? start === 0 && end === -1 : 0 <= start && start <= end && end < plainSize);
  if (!valid) throw new RangeError(`invalid range ${start}-${end} of a ${plainSize}-byte segment`);
  const first = Math.floor(start / PACKAGE_SIZE);
  const last = Math.max(first, Math.floor(end / PACKAGE_SIZE));
  return {
    storedStart: first * STORED_PACKAGE_SIZE,
    storedEnd: Math.min(storedSize(plainSize), (last + 1) * STORED_PACKAGE_SIZE) - 1,
    /** Chunks of whole packages (storedStart is a package boundary): about 512 KiB. */
    readChunk: 8 * STORED_PACKAGE_SIZE,
    decrypt: new DecryptStream(segmentCipher(suite, objectKey, salt), plainSize, start, end, first, last),
  };
}
