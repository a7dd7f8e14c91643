/**
 * RAM's request parameters, with RAM's codes for each fault (InvalidParameter.<Name>.Length,
 * .InvalidChars, .Format, naming the parameter), paging (Marker, MaxItems) and response dates.
 */
import { randomBytes } from 'node:crypto';
import { CofferError } from '../common/errors';
import { enumParam, integerParam, missingParameter, requiredParam, type Params } from '../rpc';
import { POLICY_TYPES, type PolicyType } from '../iam/ram/records';

export { isoDate as ramDate } from '../rpc';

function checkLength(name: string, v: string, max: number): string {
  if (v.length > max) throw new CofferError(`InvalidParameter.${name}.Length`, `The parameter - "${name}" beyond the length limit: at most ${max} characters.`);
  return v;
}

function nameParam(p: Params, param: string, max: number, chars: RegExp, allowed: string): string {
  const v = checkLength(param, requiredParam(p, param), max);
  if (!chars.test(v)) throw new CofferError(`InvalidParameter.${param}.InvalidChars`, `The parameter - "${param}" contains invalid chars: use ${allowed}.`);
  return v;
}

export const userNameParam = (p: Params, param = 'UserName'): string =>
  nameParam(p, param, 64, /^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" and "-"');
export const groupNameParam = (p: Params, param = 'GroupName'): string =>
  nameParam(p, param, 64, /^[A-Za-z0-9-]+$/, 'letters, digits and "-"');
export const policyNameParam = (p: Params): string =>
  nameParam(p, 'PolicyName', 128, /^[A-Za-z0-9-]+$/, 'letters, digits and "-"');

/** An optional free text of at most `max` characters; undefined when absent. */
export function textParam(p: Params, param: string, max: number): string | undefined {
  const v = p.get(param);
  return v === undefined ? undefined : checkLength(param, v, max);
}

/** An optional value that must match `format` (InvalidParameter.<Name>.Format); undefined when absent or empty. */
export function formatParam(p: Params, param: string, format: RegExp, example: string): string | undefined {
  const v = p.get(param);
  if (!v) return undefined;
  if (!format.test(v)) throw new CofferError(`InvalidParameter.${param}.Format`, `The format of the parameter - "${param}" is incorrect, e.g. ${example}.`);
  return v;
}

/** PolicyType: System or Custom; undefined when absent and not required. */
export function policyTypeParam(p: Params, needed: boolean): PolicyType | undefined {
  const v = p.get('PolicyType');
  if (!v) {
    if (needed) throw missingParameter('PolicyType');
    return undefined;
  }
  if (!(POLICY_TYPES as readonly string[]).includes(v)) {
    throw new CofferError('InvalidParameter.PolicyType', `The parameter - "PolicyType" is incorrect: it must be System or Custom, got ${JSON.stringify(v)}.`);
  }
  return v as PolicyType;
}

export function versionIdParam(p: Params): string {
  const v = requiredParam(p, 'VersionId');
  if (!/^v\d+$/.test(v)) throw new CofferError('InvalidParameter.VersionId.Format', `The format of the parameter - "VersionId" is incorrect: versions are named v1, v2, …; got ${JSON.stringify(v)}.`);
  return v;
}

export const boolParam = (p: Params, param: string): boolean => enumParam(p, param, ['true', 'false'], 'false') === 'true';

export interface PageQuery { marker: string; maxItems: number }

export function pageParams(p: Params): PageQuery {
  return { marker: p.get('Marker') ?? '', maxItems: integerParam(p, 'MaxItems', { min: 1, max: 1000 }, 100) };
}

/** A page from `items` fetched one past the page size, and its response fields: IsTruncated, and the Marker to go on from. */
export function pageOf<T>(items: T[], q: PageQuery, markerOf: (item: T) => string): { items: T[]; paging: { IsTruncated: boolean; Marker?: string } } {
  const truncated = items.length > q.maxItems;
  const page = items.slice(0, q.maxItems);
  return { items: page, paging: truncated ? { IsTruncated: true, Marker: markerOf(page[page.length - 1]!) } : { IsTruncated: false } };
}

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** n uniformly random base62 characters (bytes ≥ 248 are dropped, so none is more likely than another). */
export function randomBase62(n: number): string {
  let out = '';
  while (out.length < n) {
    for (const b of randomBytes(n * 2)) {
      if (b < 248 && out.length < n) out += BASE62[b % 62];
    }
  }
  return out;
}

/** Numeric ids as RAM gives users and groups (16 digits, no leading zero). */
export function numericId(): string {
  const digits = Array.from(randomBytes(16), (b) => b % 10);
  digits[0] = (digits[0]! % 9) + 1;
  return digits.join('');
}
