/** HTTP preconditions (If-Match and friends), for GetObject/HeadObject and copy sources. */
import type { ObjectRecord } from '../store/types';
import { CofferError } from '../common/errors';

export interface Conditions {
  ifMatch?: string;
  ifNoneMatch?: string;
  ifModifiedSince?: string;
  ifUnmodifiedSince?: string;
}

const unquote = (etag: string): string => etag.trim().replace(/^W\//, '').replace(/^"|"$/g, '').toUpperCase();
const matches = (list: string, etag: string): boolean =>
  list.split(',').some((e) => e.trim() === '*' || unquote(e) === etag);

/** HTTP dates have one-second resolution, so compare whole seconds. */
const seconds = (ms: number): number => Math.floor(ms / 1000);

function parseDate(value: string | undefined): number | null {
  if (!value) return null;
  const t = Date.parse(value);
  return Number.isNaN(t) ? null : t;
}

/** Returns 'not-modified' for a 304, throws PreconditionFailed for a 412, else 'ok'. */
export function evaluateConditions(c: Conditions, obj: ObjectRecord): 'ok' | 'not-modified' {
  const modified = seconds(obj.lastModified);
  if (c.ifMatch !== undefined && !matches(c.ifMatch, obj.etag)) {
    throw new CofferError('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold.', { Condition: 'If-Match' });
  }
  const unmodifiedSince = parseDate(c.ifUnmodifiedSince);
  if (c.ifMatch === undefined && unmodifiedSince !== null && modified > seconds(unmodifiedSince)) {
    throw new CofferError('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold.', { Condition: 'If-Unmodified-Since' });
  }
  if (c.ifNoneMatch !== undefined && matches(c.ifNoneMatch, obj.etag)) return 'not-modified';
  const modifiedSince = parseDate(c.ifModifiedSince);
  if (c.ifNoneMatch === undefined && modifiedSince !== null && modified <= seconds(modifiedSince)) return 'not-modified';
  return 'ok';
}
