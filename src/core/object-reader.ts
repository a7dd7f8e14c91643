/**
 * The read half of the data path: plaintext bytes [start, end] of an object, from the segments
 * that cover them, decrypting only the packages the range needs.
 */
import { Readable } from 'node:stream';
import { planRangeDecrypt } from '../crypto/package-format';
import type { Suite } from '../crypto/suites';
import type { BlobStore, Segment } from '../store/types';
import type { BlobCollector } from './blob-collector';

export interface ReadPlan {
  segments: Segment[];
  cipher: { suite: Suite; objectKey: Buffer } | null;
  /** Inclusive plaintext range; end < start means an empty read. */
  start: number;
  end: number;
}

function segmentStream(blobs: BlobStore, seg: Segment, cipher: ReadPlan['cipher'], s: number, e: number): Readable {
  if (!cipher) return blobs.read(seg.blobId, { start: s, end: e });
  const plan = planRangeDecrypt(cipher.suite, cipher.objectKey, Buffer.from(seg.salt!, 'base64'), seg.size, s, e);
  // Reads of whole packages: no package straddles two chunks, so none is copied together first.
  const stored = blobs.read(seg.blobId, { start: plan.storedStart, end: plan.storedEnd }, plan.readChunk);
  stored.on('error', (err) => plan.decrypt.destroy(err));
  return stored.pipe(plan.decrypt);
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
  async function* chunks(): AsyncGenerator<Buffer> {
    try {
      for (const w of wanted) {
        for await (const chunk of segmentStream(blobs, w.seg, plan.cipher, w.s, w.e)) yield chunk as Buffer;
      }
    } finally {
      release();
    }
  }
  const out = Readable.from(chunks(), { objectMode: false, highWaterMark: 512 * 1024 });
  out.once('close', release);
  return out;
}
