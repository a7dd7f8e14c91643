/**
 * The read half of the data path: plaintext bytes [start, end] of an object, from the segments
 * that cover them, decrypting only the packages the range needs.
 */
import { Readable } from 'node:stream';
import { crc32Check, VerifyStream } from '../crypto/checksum-stream';
import { planRangeDecrypt } from '../crypto/package-format';
import type { Suite } from '../crypto/suites';
import type { BlobStore, Segment } from '../store/types';
import type { BlobCollector } from './blob-collector';
import { chain } from '../common/streams';

export interface ReadPlan {
  segments: Segment[];
  cipher: { suite: Suite; objectKey: Buffer } | null;
  /** Inclusive plaintext range; end < start means an empty read. */
  start: number;
  end: number;
}

function segmentStream(blobs: BlobStore, seg: Segment, cipher: ReadPlan['cipher'], s: number, e: number): Readable {
  if (!cipher) {
    const stored = blobs.read(seg.blobId, { start: s, end: e });
    // Only a whole segment can be checked against its CRC-32; a range of one is served as stored.
    if (seg.crc32 === undefined || s !== 0 || e !== seg.size - 1) return stored;
    return chain(stored, new VerifyStream(crc32Check(seg.crc32), `blob ${seg.blobId}`));
  }
  const plan = planRangeDecrypt(cipher.suite, cipher.objectKey, Buffer.from(seg.salt!, 'base64'), seg.size, s, e);
  // Reads of whole packages: no package straddles two chunks, so none is copied together first.
  return chain(blobs.read(seg.blobId, { start: plan.storedStart, end: plan.storedEnd }, plan.readChunk), plan.decrypt);
}

/** The segments' streams one after another, each opened when the one before has ended. */
class Concatenation extends Readable {
  private current: Readable | null = null;
  private next = 0;

  constructor(private readonly open: Array<() => Readable>) {
    super({ highWaterMark: 512 * 1024 });
  }

  override _read(): void {
    if (this.current) {
      this.current.resume();
      return;
    }
    if (this.next === this.open.length) {
      this.push(null);
      return;
    }
    const source = this.open[this.next++]();
    this.current = source;
    source.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) source.pause();
    });
    source.once('end', () => {
      this.current = null;
      this._read();
    });
    source.once('error', (err) => this.destroy(err));
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.current?.destroy();
    cb(err);
  }
}

export function readObject(blobs: BlobStore, collector: BlobCollector, plan: ReadPlan): Readable {
  const wanted: Array<{ seg: Segment; s: number; e: number }> = [];
  let offset = 0;
  for (const seg of plan.segments) {
    const segEnd = offset + seg.size - 1;
    if (seg.size > 0 && segEnd >= plan.start && offset <= plan.end) {
      wanted.push({ seg, s: Math.max(plan.start, offset) - offset, e: Math.min(plan.end, segEnd) - offset });
    }
    offset += seg.size;
  }
  const release = collector.lease(wanted.map((w) => w.seg.blobId));
  // One segment (every object but a multipart or appended one) is its own stream.
  const out = wanted.length === 1
    ? segmentStream(blobs, wanted[0].seg, plan.cipher, wanted[0].s, wanted[0].e)
    : new Concatenation(wanted.map((w) => () => segmentStream(blobs, w.seg, plan.cipher, w.s, w.e)));
  out.once('close', release);
  return out;
}
