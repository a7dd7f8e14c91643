/**
 * The PostObject policy: base64 JSON `{ expiration, conditions }`, which the form's signature
 * covers, and the checks it asks for (OSS "Appendix: Policy"):
 *   { "field": "value" } and ["eq", "$field", "value"]   exact match
 *   ["starts-with", "$field", "prefix"]                 prefix match ("" allows anything)
 *   ["in", "$field", [..]] / ["not-in", "$field", [..]] membership
 *   ["content-length-range", min, max]                   the file's size in bytes
 * Field names are case-insensitive; `bucket` is the bucket posted to; `key` is the key after
 * ${filename} is replaced.
 */
import { CofferError } from '../common/errors';

type Condition =
  | { op: 'eq' | 'starts-with'; field: string; value: string; source: unknown }
  | { op: 'in' | 'not-in'; field: string; values: string[]; source: unknown };

export interface PostPolicy {
  expiration: number;
  conditions: Condition[];
  /** The content-length-range, if the policy has one. */
  length?: { min: number; max: number };
  /** Lower-case names of the fields the policy says something about. */
  names: Set<string>;
}

const invalid = (why: string): CofferError => new CofferError('InvalidPolicyDocument', `Invalid Policy: ${why}`);

const failed = (source: unknown): CofferError =>
  new CofferError('AccessDenied', `Invalid according to Policy: Policy Condition failed: ${JSON.stringify(source)}`);

export function parsePolicy(base64: string): PostPolicy {
  const text = base64.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) throw invalid('the policy is not base64.');
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(text, 'base64').toString('utf8'));
  } catch {
    throw invalid('the policy is not JSON.');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw invalid('the policy must be a JSON object.');
  const { expiration, conditions } = doc as { expiration?: unknown; conditions?: unknown };
  const expires = typeof expiration === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(expiration) ? Date.parse(expiration) : NaN;
  if (Number.isNaN(expires)) throw invalid('expiration must be an ISO 8601 time.');
  if (!Array.isArray(conditions)) throw invalid('conditions must be an array.');
  const policy: PostPolicy = { expiration: expires, conditions: [], names: new Set() };
  for (const c of conditions) {
    if (Array.isArray(c)) parseArrayCondition(c, policy);
    else if (typeof c === 'object' && c !== null) {
      const entries = Object.entries(c as Record<string, unknown>);
      if (entries.length !== 1 || typeof entries[0]![1] !== 'string') throw invalid(`condition ${JSON.stringify(c)} must name one field and a string.`);
      const [field, value] = entries[0] as [string, string];
      policy.conditions.push({ op: 'eq', field: field.toLowerCase(), value, source: c });
      policy.names.add(field.toLowerCase());
    } else {
      throw invalid(`condition ${JSON.stringify(c)} is neither an object nor an array.`);
    }
  }
  return policy;
}

function parseArrayCondition(c: unknown[], policy: PostPolicy): void {
  const [op, a, b] = c;
  const opName = typeof op === 'string' ? op.toLowerCase() : '';
  if (opName === 'content-length-range') {
    if (c.length !== 3 || !isSize(a) || !isSize(b) || a > b) throw invalid(`${JSON.stringify(c)}: min and max must be integers, min ≤ max.`);
    policy.length = { min: a, max: b };
    return;
  }
  if (c.length !== 3 || typeof a !== 'string' || !a.startsWith('$')) throw invalid(`condition ${JSON.stringify(c)} is not [operator, "$field", value].`);
  const field = a.slice(1).toLowerCase();
  policy.names.add(field);
  if ((opName === 'eq' || opName === 'starts-with') && typeof b === 'string') {
    policy.conditions.push({ op: opName, field, value: b, source: c });
  } else if ((opName === 'in' || opName === 'not-in') && Array.isArray(b) && b.every((v) => typeof v === 'string')) {
    policy.conditions.push({ op: opName, field, values: b as string[], source: c });
  } else {
    throw invalid(`condition ${JSON.stringify(c)} has an unknown operator or a value of the wrong type.`);
  }
}

const isSize = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/** Throws AccessDenied unless the policy is in force and every condition holds for the form's values. */
export function checkPolicy(policy: PostPolicy, value: (field: string) => string | undefined, now: Date): void {
  if (now.getTime() > policy.expiration) throw new CofferError('AccessDenied', 'Invalid according to Policy: Policy expired.');
  for (const c of policy.conditions) {
    const v = value(c.field) ?? '';
    const holds = 'values' in c ? c.values.includes(v) === (c.op === 'in')
      : c.op === 'eq' ? v === c.value : v.startsWith(c.value);
    if (!holds) throw failed(c.source);
  }
}
