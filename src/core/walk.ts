/** Passes over the whole store in bounded steps (rewrap, scrub): every bucket name and object version, from where a step left off. */
import { isDeleteMarker, type MetadataReader, type ObjectRecord } from '../store/types';

const PAGE = 1000;

/** Bucket names in order, starting with `first` itself (the bucket a step was in) when it still exists. */
async function* bucketsFrom(meta: MetadataReader, first: string | undefined): AsyncGenerator<string> {
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
async function* objectVersionsAfter(meta: MetadataReader, bucket: string, afterKey: string | undefined): AsyncGenerator<{ seq: number; record: ObjectRecord }> {
  let after: { key: string; seq?: number } | undefined = afterKey === undefined ? undefined : { key: afterKey };
  for (;;) {
    const page = await meta.listVersions(bucket, { after, limit: PAGE });
    for (const e of page) if (!isDeleteMarker(e.record)) yield { seq: e.seq, record: e.record };
    if (page.length < PAGE) return;
    after = { key: page.at(-1)!.record.key, seq: page.at(-1)!.seq };
  }
}

/** What one step of a store-wide pass does (see stepOverVersions). */
export interface VersionStep {
  /** Where the previous step ended (bucket/key; bucket names have no '/'); absent: from the start. */
  marker?: string;
  /** Whether the step's budget is used: checked between keys and before entering a bucket. */
  spent(): boolean;
  /** Entering a bucket (not on resuming inside it): its unfinished uploads, say. */
  enterBucket(bucket: string): Promise<void>;
  visit(version: ObjectRecord): Promise<void>;
}

/**
 * One bounded step over every object version of the store, bucket by bucket: it ends between two
 * keys (after every version of the last one) or before entering a bucket, once the budget is
 * spent, so the marker it answers (null: the pass is over) loses no version and no bucket's
 * uploads are entered twice.
 */
export async function stepOverVersions(meta: MetadataReader, step: VersionStep): Promise<string | null> {
  const slash = step.marker ? step.marker.indexOf('/') : -1;
  const resume = slash > 0 ? { bucket: step.marker!.slice(0, slash), key: step.marker!.slice(slash + 1) } : undefined;
  let last: string | undefined;
  const spent = (): boolean => last !== undefined && step.spent();
  for await (const bucket of bucketsFrom(meta, resume?.bucket)) {
    const afterKey = bucket === resume?.bucket ? resume.key : undefined;
    if (afterKey === undefined) {
      if (spent()) return last!;
      await step.enterBucket(bucket);
    }
    for await (const { record } of objectVersionsAfter(meta, bucket, afterKey)) {
      const where = `${bucket}/${record.key}`;
      if (where !== last && spent()) return last!;
      last = where;
      await step.visit(record);
    }
  }
  return null;
}
