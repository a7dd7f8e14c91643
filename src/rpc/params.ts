/** Reading action parameters with the KMS-style errors: MissingParameter / InvalidParameter naming the param. */
import { CofferError } from '../common/errors';

export type Params = ReadonlyMap<string, string>;

export function missingParameter(name: string): CofferError {
  return new CofferError('MissingParameter', `The input parameter ${name} that is mandatory for processing this request is not supplied.`);
}

export function invalidParameter(name: string, why: string): CofferError {
  return new CofferError('InvalidParameter', `The parameter ${name} is invalid: ${why}.`);
}

/** A present, non-empty value (clients send an unset optional param as empty or not at all). */
export function requiredParam(params: Params, name: string): string {
  const value = params.get(name);
  if (!value) throw missingParameter(name);
  return value;
}

/** A decimal integer within [min, max]; `fallback` when absent or empty, else it is required. */
export function integerParam(params: Params, name: string, range: { min: number; max: number }, fallback?: number): number {
  const raw = params.get(name);
  if (!raw && fallback !== undefined) return fallback;
  const text = requiredParam(params, name);
  const n = /^-?\d{1,16}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < range.min || n > range.max) {
    throw invalidParameter(name, `expected an integer from ${range.min} to ${range.max}, got ${JSON.stringify(text)}`);
  }
  return n;
}

/** One of `allowed` (exact spelling); `fallback` when absent or empty, else it is required. */
export function enumParam<T extends string>(params: Params, name: string, allowed: readonly T[], fallback?: T): T {
  const raw = params.get(name);
  if (!raw && fallback !== undefined) return fallback;
  const text = requiredParam(params, name);
  if (!(allowed as readonly string[]).includes(text)) {
    throw invalidParameter(name, `expected one of ${allowed.join(', ')}, got ${JSON.stringify(text)}`);
  }
  return text as T;
}

/** UTC `YYYY-MM-DDTHH:mm:ssZ`, as KMS and RAM responses carry dates. */
export function isoDate(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
