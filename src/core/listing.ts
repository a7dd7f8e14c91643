/**
 * Delimiter listing shared by ListObjects (v1, v2) and ListMultipartUploads: rolls keys that
 * contain the delimiter after the prefix into common prefixes, and jumps over each rolled-up
 * prefix in the store instead of reading every key under it.
 */
export interface Page<T> {
  items: T[];
  commonPrefixes: string[];
  truncated: boolean;
  /** The last key or common prefix returned, when truncated. */
  next?: string;
}

/**
 * Reads up to `limit` entries in key order after `last` (the last item returned so far; when
 * undefined, after the caller's own starting marker) and past every key starting with skipPrefix.
 */
export type Fetch<T> = (last: T | undefined, skipPrefix: string | undefined, limit: number) => Promise<T[]>;

export async function listPage<T>(
  fetch: Fetch<T>,
  keyOf: (item: T) => string,
  opts: { prefix: string; delimiter: string; marker?: string; maxKeys: number },
): Promise<Page<T>> {
  const { prefix, delimiter, maxKeys } = opts;
  const page: Page<T> = { items: [], commonPrefixes: [], truncated: false };
  const marker = opts.marker ?? '';
  let last: T | undefined;
  // A marker that is itself a common prefix (the previous page's NextMarker) resumes after it.
  let skip = delimiter && marker.startsWith(prefix) && marker.endsWith(delimiter)
    && marker.indexOf(delimiter, prefix.length) === marker.length - delimiter.length ? marker : undefined;
  let count = 0;
  for (;;) {
    const limit = maxKeys - count + 1;
    const batch = await fetch(last, skip, limit);
    let jumped = false;
    for (const item of batch) {
      const key = keyOf(item);
      const at = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
      const entry = at >= 0 ? key.slice(0, at + delimiter.length) : key;
      if (count === maxKeys) {
        page.truncated = true;
        return page;
      }
      count++;
      page.next = entry;
      if (at >= 0) {
        page.commonPrefixes.push(entry);
        skip = entry;
        jumped = true;
        break;
      }
      page.items.push(item);
      last = item;
      skip = undefined;
    }
    if (!jumped && batch.length < limit) return page;
  }
}
