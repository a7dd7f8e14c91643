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

/** Reads after a jump over a large prefix are this small. */
const MIN_BATCH = 16;
/** Prefixes of more keys than this are jumped over rather than read through. */
const JUMP_ROWS = 64;
/** The most rows one read asks for. */
const MAX_BATCH = 4096;

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
  let size = maxKeys + 1;
  for (;;) {
    const limit = size;
    const batch = await fetch(last, skip, limit);
    // Keys under a prefix just rolled up are passed over here, in the batch already read; only a
    // prefix that runs past the batch costs a jump (a new read starting after it).
    let rolled: string | undefined;
    let entries = 0;
    for (const item of batch) {
      const key = keyOf(item);
      if (rolled !== undefined && key.startsWith(rolled)) continue;
      const at = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
      const entry = at >= 0 ? key.slice(0, at + delimiter.length) : key;
      if (count === maxKeys) {
        page.truncated = true;
        return page;
      }
      count++;
      entries++;
      page.next = entry;
      if (at >= 0) {
        page.commonPrefixes.push(entry);
        rolled = entry;
        continue;
      }
      rolled = undefined;
      page.items.push(item);
      last = item;
    }
    if (batch.length < limit) return page;
    const endedInside = rolled !== undefined && keyOf(batch[batch.length - 1]).startsWith(rolled);
    skip = endedInside ? rolled : undefined;
    // Size the next read by the rows this one needed per entry: where prefixes are large, reading
    // their keys costs more than a jump (a round trip) over each, so read a little and jump;
    // where they are small, read enough rows for the entries still wanted.
    const rowsPerEntry = batch.length / Math.max(entries, 1);
    size = (endedInside && entries <= 1) || rowsPerEntry > JUMP_ROWS
      ? MIN_BATCH
      : Math.min(MAX_BATCH, Math.ceil((maxKeys - count + 1) * rowsPerEntry));
  }
}
