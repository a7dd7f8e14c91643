/** Passes over the whole store in bounded steps (rewrap, scrub): every bucket name and object version, from where a step left off. */
import { isDeleteMarker, type MetadataReader, type ObjectRecord } from '../store/types';

const PAGE = 1000;

/** Bucket names in order, starting with `first` itself (the bucket a step was in) when it still exists. */
export async function* bucketsFrom(meta: MetadataReader, first: string | undefined): AsyncGenerator<string> {
  if (first && (await meta.getBucket(first))) yield first;
  for (let after = first; ;) {
    const page = await meta.listBuckets({ after, limit: PAGE });
    for (const b of page) yield b.name;
    if (page.length < PAGE) return;
    after = page.at(-1)!.name;
  }
}

/**
 * Every object version of a bucket (current and noncurrent; delete markers hold no data and are
 * left out), by key and newest first, after all versions of `afterKey`. A step that stops only
 * between keys can resume from a "bucket/key" marker without losing a version.
 */
export async function* objectVersionsAfter(meta: MetadataReader, bucket: string, afterKey: string | undefined): AsyncGenerator<{ seq: number; record: ObjectRecord }> {
  let after: { key: string; seq?: number } | undefined = afterKey === undefined ? undefined : { key: afterKey };
  for (;;) {
    const page = await meta.listVersions(bucket, { after, limit: PAGE });
    for (const e of page) if (!isDeleteMarker(e.record)) yield { seq: e.seq, record: e.record };
    if (page.length < PAGE) return;
    after = { key: page.at(-1)!.record.key, seq: page.at(-1)!.seq };
  }
}
