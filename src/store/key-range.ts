/**
 * Where a listing starts and ends, as byte strings, for every backend alike: object and upload
 * keys are compared as their UTF-8 bytes (OSS's order), and a listing is one range of the key
 * index — from a lower bound (prefix, marker, or past a rolled-up common prefix) to the end of
 * the prefix.
 */
import { CURRENT_SEQ, type ListObjectsQuery, type ListUploadsQuery, type ListVersionsQuery, type ObjectRecord, type VersionEntry } from './types';

export const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');

/** The smallest byte string greater than every string starting with `prefix`; null when none is. */
export function prefixEnd(prefix: Buffer): Buffer | null {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] !== 0xff) {
      end[i]++;
      return end.subarray(0, i + 1);
    }
  }
  return null;
}

/** key `loOp` lo [AND key < hi]; null when nothing can match. */
export interface KeyRange { lo: Buffer; loOp: '>=' | '>'; hi: Buffer | null }

export function objectKeyRange(q: ListObjectsQuery): KeyRange | null {
  let after: Buffer | null = q.after !== undefined ? utf8(q.after) : null;
  let afterOp: '>=' | '>' = '>';
  if (q.skipPrefix !== undefined) {
    const end = prefixEnd(utf8(q.skipPrefix));
    if (!end) return null;
    if (!after || Buffer.compare(end, after) > 0) {
      after = end;
      afterOp = '>=';
    }
  }
  const p = utf8(q.prefix ?? '');
  const hi = p.length ? prefixEnd(p) : null;
  if (after && Buffer.compare(after, p) >= 0) return { lo: after, loOp: afterOp, hi };
  return { lo: p, loOp: '>=', hi };
}

/** Uploads are ordered by (key, upload id): after a key marker with an upload id marker, the range starts inside that key. */
export interface UploadRange extends KeyRange { idAfter: string }

export function uploadKeyRange(q: ListUploadsQuery): UploadRange | null {
  const p = utf8(q.prefix ?? '');
  const hi = p.length ? prefixEnd(p) : null;
  let lo = p;
  let idAfter = '';
  let loOp: '>=' | '>' = '>=';
  if (q.keyMarker !== undefined && Buffer.compare(utf8(q.keyMarker), lo) >= 0) {
    lo = utf8(q.keyMarker);
    if (q.uploadIdMarker) idAfter = q.uploadIdMarker;
    else loOp = '>';
  }
  if (q.skipPrefix !== undefined) {
    const end = prefixEnd(utf8(q.skipPrefix));
    if (!end) return null;
    if (Buffer.compare(end, lo) > 0) {
      lo = end;
      loOp = '>=';
      idAfter = '';
    }
  }
  return { lo, loOp, hi, idAfter };
}

/**
 * Where a version listing starts: past `after`, as a range of whole keys (`after` as an object
 * listing's marker) and, when `after` names one version, the older versions of its key before it.
 */
export function versionRanges(q: ListVersionsQuery): { within?: { key: Buffer; seqBelow: number }; keys: ListObjectsQuery } {
  const keys: ListObjectsQuery = { prefix: q.prefix, after: q.after?.key, skipPrefix: q.skipPrefix, limit: q.limit };
  const a = q.after;
  if (!a || a.seq === undefined || !a.key.startsWith(q.prefix ?? '')) return { keys };
  if (q.skipPrefix !== undefined && a.key.startsWith(q.skipPrefix)) return { keys };
  return { within: { key: utf8(a.key), seqBelow: a.seq }, keys };
}

/**
 * Interleaves a key range's current objects (key order) with its noncurrent versions (key order,
 * newest first): a key's current object comes before its other versions. At most `limit`.
 */
export function mergeVersions(current: ObjectRecord[], noncurrent: VersionEntry[], limit: number): VersionEntry[] {
  const out: VersionEntry[] = [];
  let i = 0;
  let j = 0;
  while (out.length < limit && (i < current.length || j < noncurrent.length)) {
    const takeCurrent = j === noncurrent.length
      || (i < current.length && Buffer.compare(utf8(current[i].key), utf8(noncurrent[j].record.key)) <= 0);
    out.push(takeCurrent ? { seq: CURRENT_SEQ, record: current[i++] } : noncurrent[j++]);
  }
  return out;
}
