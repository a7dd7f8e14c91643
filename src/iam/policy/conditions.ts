/**
 * The Condition block of a RAM policy statement: operators by category (string, numeric, date,
 * Boolean, IP address), each compiled once into a test of the request's value for its key.
 * Within one key, any listed value may match; every key of every operator must hold. A "Not"
 * operator holds when the request has no value for its key, as the positive one then fails.
 */
import { BlockList, isIP } from 'node:net';
import { malformed } from './errors';
import { anyOf, compileWildcard } from './wildcard';
import type { ConditionValues } from '../../common/caller';

export interface CompiledCondition {
  /** Lower-case: condition keys are case-insensitive. */
  readonly key: string;
  holds(values: ConditionValues): boolean;
}

type Test = (value: string) => boolean;
type Build = (values: string[], fault: (why: string) => never) => Test;

// Request values are parsed by hand, not by regular expressions: policy evaluation stays linear
// in what the request chose (see wildcard.ts).
const isDigit = (s: string, i: number): boolean => i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57;
/** Index after the run of digits starting at `i`. */
const digitsFrom = (s: string, i: number): number => { while (isDigit(s, i)) i++; return i; };
const allDigits = (s: string): boolean => s.length > 0 && digitsFrom(s, 0) === s.length;

/** `-?digits(.digits)?`, surrounding white space allowed. */
function numberOf(s: string): number {
  const t = s.trim();
  const start = t.startsWith('-') ? 1 : 0;
  let i = digitsFrom(t, start);
  if (i === start) return NaN;
  if (i < t.length && t[i] === '.') {
    const fraction = i + 1;
    i = digitsFrom(t, fraction);
    if (i === fraction) return NaN;
  }
  return i === t.length ? Number(t) : NaN;
}

/** ISO 8601 times (starting YYYY-MM-DD), or Unix seconds. */
function timeOf(s: string): number {
  if (allDigits(s)) return Number(s) * 1000;
  const isoDate = digitsFrom(s, 0) === 4 && s[4] === '-' && digitsFrom(s, 5) === 7 && s[7] === '-' && digitsFrom(s, 8) >= 10;
  return isoDate ? Date.parse(s) : NaN;
}

/** Numeric and date operators: the policy's values and the request's value parsed alike, then compared. */
const compared = (parse: (s: string) => number, what: string) => (cmp: (a: number, b: number) => boolean): Build => (values, fault) => {
  const xs = values.map((v) => {
    const n = parse(v);
    if (Number.isNaN(n)) fault(`${JSON.stringify(v)} is not ${what}`);
    return n;
  });
  return (v) => {
    const n = parse(v);
    return xs.some((x) => cmp(n, x));
  };
};
const numeric = compared(numberOf, 'a number');
const date = compared(timeOf, 'an ISO 8601 time (e.g. 2026-01-01T00:00:00Z)');

/** A dotted-quad IPv4 address as an unsigned 32-bit number, or -1 if it is not one. */
function ipv4(address: string): number {
  let n = 0;
  let byte = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i <= address.length; i++) {
    const c = i < address.length ? address.charCodeAt(i) : 46;
    if (c >= 48 && c <= 57) {
      byte = byte * 10 + c - 48;
      if (++digits > 3 || byte > 255) return -1;
    } else if (c === 46 && digits > 0 && dots < 4) {
      n = n * 256 + byte;
      byte = 0;
      digits = 0;
      dots++;
    } else {
      return -1;
    }
  }
  return dots === 4 ? n : -1;
}

/** IPv4-mapped IPv6 addresses (how Node reports IPv4 peers on dual-stack sockets) count as IPv4. */
export function normalizeIp(address: string): string {
  return address.startsWith('::ffff:') && ipv4(address.slice(7)) >= 0 ? address.slice(7) : address;
}

/**
 * IPv4 blocks are compared as numbers (a request's address is checked on every request that
 * reaches the condition); IPv6 ones through node's BlockList.
 */
const ipAddress: Build = (values, fault) => {
  const v4: Array<{ network: number; size: number }> = [];
  const v6 = new BlockList();
  let anyV6 = false;
  for (const v of values) {
    const [address, prefix, extra] = v.split('/');
    const family = isIP(address!);
    if (!family || extra !== undefined) fault(`${JSON.stringify(v)} is not an IP address or CIDR block`);
    const max = family === 4 ? 32 : 128;
    const bits = prefix === undefined ? max : /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN;
    if (!(bits >= 0 && bits <= max)) fault(`${JSON.stringify(v)} has an invalid prefix length`);
    if (family === 4) {
      const size = 2 ** (32 - bits);
      v4.push({ network: Math.floor(ipv4(address!) / size) * size, size });
    } else {
      v6.addSubnet(address!, bits, 'ipv6');
      anyV6 = true;
    }
  }
  return (v) => {
    const ip = normalizeIp(v);
    const n = ipv4(ip);
    if (n >= 0) return v4.some((b) => n >= b.network && n < b.network + b.size);
    return anyV6 && isIP(ip) === 6 && v6.check(ip, 'ipv6');
  };
};

const bool: Build = (values, fault) => {
  const wanted = values.map((v) => v.toLowerCase());
  for (const v of wanted) if (v !== 'true' && v !== 'false') fault(`${JSON.stringify(v)} is not true or false`);
  return (v) => wanted.includes(v.toLowerCase());
};

const stringEquals: Build = (values) => (v) => values.includes(v);
const stringEqualsIgnoreCase: Build = (values) => {
  const lower = values.map((x) => x.toLowerCase());
  return (v) => lower.includes(v.toLowerCase());
};
const stringLike: Build = (values) => anyOf(values.map(compileWildcard));

/** Every operator RAM defines, with whether it is the negation of its positive twin. */
const OPERATORS: Readonly<Record<string, { build: Build; negated: boolean }>> = {
  StringEquals: { build: stringEquals, negated: false },
  StringNotEquals: { build: stringEquals, negated: true },
  StringEqualsIgnoreCase: { build: stringEqualsIgnoreCase, negated: false },
  StringNotEqualsIgnoreCase: { build: stringEqualsIgnoreCase, negated: true },
  StringLike: { build: stringLike, negated: false },
  StringNotLike: { build: stringLike, negated: true },
  NumericEquals: { build: numeric((a, b) => a === b), negated: false },
  NumericNotEquals: { build: numeric((a, b) => a === b), negated: true },
  NumericLessThan: { build: numeric((a, b) => a < b), negated: false },
  NumericLessThanEquals: { build: numeric((a, b) => a <= b), negated: false },
  NumericGreaterThan: { build: numeric((a, b) => a > b), negated: false },
  NumericGreaterThanEquals: { build: numeric((a, b) => a >= b), negated: false },
  DateEquals: { build: date((a, b) => a === b), negated: false },
  DateNotEquals: { build: date((a, b) => a === b), negated: true },
  DateLessThan: { build: date((a, b) => a < b), negated: false },
  DateLessThanEquals: { build: date((a, b) => a <= b), negated: false },
  DateGreaterThan: { build: date((a, b) => a > b), negated: false },
  DateGreaterThanEquals: { build: date((a, b) => a >= b), negated: false },
  Bool: { build: bool, negated: false },
  IpAddress: { build: ipAddress, negated: false },
  NotIpAddress: { build: ipAddress, negated: true },
};

const CONDITION_KEY = /^[A-Za-z0-9-]+:\S+$/;

/** A condition's values: one scalar or a non-empty list of them; numbers and Booleans count as their text. */
function valueList(raw: unknown, fault: (why: string) => never): string[] {
  const list = Array.isArray(raw) ? raw : [raw];
  if (list.length === 0) fault('it lists no value');
  return list.map((v) => {
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    return fault('values must be strings, numbers or Booleans');
  });
}

/** Compiles a statement's Condition block; `where` names the statement in error messages. */
export function compileConditions(block: unknown, where: string): CompiledCondition[] {
  if (typeof block !== 'object' || block === null || Array.isArray(block)) {
    malformed(`${where}: Condition must be an object of condition operators`);
  }
  const out: CompiledCondition[] = [];
  for (const [operator, keys] of Object.entries(block as Record<string, unknown>)) {
    const spec = Object.hasOwn(OPERATORS, operator) ? OPERATORS[operator]! : undefined;
    if (!spec) malformed(`${where}: unknown condition operator ${JSON.stringify(operator)}; expected one of ${Object.keys(OPERATORS).join(', ')}`);
    if (typeof keys !== 'object' || keys === null || Array.isArray(keys) || Object.keys(keys).length === 0) {
      malformed(`${where}: condition operator ${operator} must map condition keys to values`);
    }
    for (const [key, raw] of Object.entries(keys as Record<string, unknown>)) {
      const fault = (why: string): never => malformed(`${where}: condition ${operator} on ${JSON.stringify(key)}: ${why}`);
      if (!CONDITION_KEY.test(key)) fault('a condition key has the form <service>:<name>, e.g. acs:SourceIp');
      const test = spec.build(valueList(raw, fault), fault);
      const lower = key.toLowerCase();
      out.push({
        key: lower,
        holds: spec.negated
          ? (values) => { const v = values(lower); return v === undefined || !test(v); }
          : (values) => { const v = values(lower); return v !== undefined && test(v); },
      });
    }
  }
  return out;
}
