/** Passes over the whole store in bounded steps (rewrap, scrub): every bucket name, from where a step left off. */
import type { MetadataReader } from '../store/types';

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
