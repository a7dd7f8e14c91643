/** Walking documents of one kind in id order, in batches, for listings and housekeeping scans. */
import type { MetadataReader } from './types';

const BATCH = 200;

/** Documents of `kind` with ids greater than `after`, while `idOf(doc)` starts with `prefix`. */
export async function* scanDocs<T>(
  reader: MetadataReader,
  kind: string,
  idOf: (doc: T) => string,
  range: { after?: string; prefix?: string } = {},
): AsyncGenerator<T> {
  let after = range.after ?? '';
  for (;;) {
    const batch = await reader.listDocs<T>(kind, { after, limit: BATCH });
    for (const doc of batch) {
      if (range.prefix !== undefined && !idOf(doc).startsWith(range.prefix)) return;
      yield doc;
    }
    if (batch.length < BATCH) return;
    after = idOf(batch[batch.length - 1]!);
  }
}

/** Page `pageNumber` (from 1) of `pageSize` items; the store has no offsets, so earlier pages are walked over. */
export async function pageOf<T>(source: AsyncIterable<T> | Iterable<T>, pageNumber: number, pageSize: number): Promise<T[]> {
  const skip = (pageNumber - 1) * pageSize;
  const out: T[] = [];
  let index = 0;
  for await (const item of source) {
    if (index++ < skip) continue;
    out.push(item);
    if (out.length === pageSize) break;
  }
  return out;
}
