/**
 * The write side of a blob file. Besides writing each chunk through the descriptor, every
 * WRITEBACK_BYTES it starts an fdatasync in the background, so that the disk writes the blob
 * back while the body is still arriving and commit's fsync has only the tail left: waiting for one
 * fsync of the whole body at the end cost a 64 MiB PUT a quarter of its time.
 */
import { fdatasync, writev } from 'node:fs';
import { Writable } from 'node:stream';

const WRITEBACK_BYTES = 8 * 1024 * 1024;

type Callback = (err?: Error | null) => void;

/** `buffers` without their first `n` bytes. */
function skip(buffers: Buffer[], n: number): Buffer[] {
  const rest: Buffer[] = [];
  for (const b of buffers) {
    if (n >= b.length) n -= b.length;
    else {
      rest.push(n > 0 ? b.subarray(n) : b);
      n = 0;
    }
  }
  return rest;
}

export class BlobFileStream extends Writable {
  bytesWritten = 0;
  private writtenBackTo = 0;
  private writeback: Promise<void> | null = null;
  /** A failed background writeback: the kernel reports it once, so commit must hear it from here. */
  private writebackError: Error | null = null;

  constructor(private readonly fd: number, highWaterMark: number) {
    super({ highWaterMark });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: Callback): void {
    this.writeAll([chunk], callback);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: Callback): void {
    this.writeAll(chunks.map((c) => c.chunk), callback);
  }

  private writeAll(buffers: Buffer[], callback: Callback): void {
    writev(this.fd, buffers, (err, written) => {
      if (err) return callback(err);
      this.bytesWritten += written;
      const rest = skip(buffers, written);
      if (rest.length > 0) return this.writeAll(rest, callback); // a short write: go on from there
      this.startWriteback();
      callback();
    });
  }

  private startWriteback(): void {
    if (this.writeback || this.bytesWritten - this.writtenBackTo < WRITEBACK_BYTES) return;
    this.writtenBackTo = this.bytesWritten;
    this.writeback = new Promise((resolve) => {
      fdatasync(this.fd, (err) => {
        if (err) this.writebackError ??= err;
        this.writeback = null;
        resolve();
      });
    });
  }

  /** Resolves once no background writeback is running; rejects if one failed. */
  async settled(): Promise<void> {
    await this.writeback;
    if (this.writebackError) throw this.writebackError;
  }
}
