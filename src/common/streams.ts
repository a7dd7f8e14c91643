/**
 * Stream plumbing for the per-request data path. node:stream's pipeline() costs ~20 µs a call
 * (it aborts an AbortController at the end, and the DOMException that makes captures a stack),
 * and async-iterator adapters cost promise round trips per chunk; a small object's GET or PUT
 * paid for several of each. These do the same wiring with plain pipe() and finished().
 */
import { IncomingMessage } from 'node:http';
import { finished, Readable, type Writable } from 'node:stream';

type Stage = NodeJS.ReadableStream | NodeJS.ReadWriteStream | NodeJS.WritableStream;

/**
 * Gives up on a stream of a failed transfer, releasing what it holds (files, leases). A request
 * body is drained, not destroyed: that would close the connection, and the client is still to get
 * the error response on it.
 */
export function abandon(s: Stage, err: Error): void {
  if (s instanceof IncomingMessage) s.unpipe().resume();
  else (s as Readable | Writable).destroy(err);
}

/**
 * Pipes each stream into the next and resolves when the last has finished. Any stream failing or
 * closing early destroys them all (so a client hanging up releases files and leases) and rejects
 * with that error, as pipeline() would.
 */
export function pump(streams: readonly Stage[]): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const done = streams.map(() => false);
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      streams.forEach((s, i) => {
        if (!done[i]) abandon(s, err);
      });
      reject(err);
    };
    const last = streams.length - 1;
    streams.forEach((s, i) => {
      finished(s, (err) => {
        if (err) return fail(err);
        done[i] = true;
        if (i === last && !settled) {
          settled = true;
          resolve();
        }
      });
      if (i < last) (s as Readable).pipe(streams[i + 1] as Writable);
    });
  });
}

/**
 * `source` piped into `dest`, returning `dest`: a source error destroys dest with it, and dest
 * ending or being destroyed (its reader gone) destroys the source.
 */
export function chain<T extends NodeJS.WritableStream>(source: Readable, dest: T): T {
  source.on('error', (err) => (dest as unknown as Writable).destroy(err));
  (dest as unknown as Writable).once('close', () => source.destroy());
  return source.pipe(dest);
}

/**
 * Resolves with the stream once it has data buffered (or has ended), without consuming any:
 * a failure before the first byte (a missing blob, a first package failing authentication)
 * rejects, so it can still become an error response.
 */
export function firstReadable(stream: Readable): Promise<Readable> {
  return new Promise((resolve, reject) => {
    const onReadable = (): void => {
      stream.off('readable', onReadable);
      resolve(stream);
    };
    stream.on('readable', onReadable);
    // Stays on: an error after this resolves but before the caller pipes the stream on would
    // otherwise be uncaught; finished() still reports it, from the stream's errored state.
    stream.on('error', reject);
  });
}

/**
 * A stream of what `open()` returns, opened on the first read: a body that is still waiting for
 * its consumer (an UploadPartCopy's source, while the upload and keys are looked up) holds no
 * blob lease and decrypts nothing, so a request that fails first leaves nothing open, and a
 * failing source has a listener from the start.
 */
class OpenOnRead extends Readable {
  private source: Readable | null = null;

  constructor(private readonly open: () => Readable) {
    super({ highWaterMark: 512 * 1024 });
  }

  override _read(): void {
    if (this.source) {
      this.source.resume();
      return;
    }
    const source = (this.source = this.open());
    source.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) source.pause();
    });
    // Its end, or its error (a source closed before its end counts as one).
    finished(source, { writable: false }, (err) => (err ? this.destroy(err) : this.push(null)));
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.source?.destroy();
    callback(err);
  }
}

export function openOnRead(open: () => Readable): Readable {
  return new OpenOnRead(open);
}
