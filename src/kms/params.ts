/** Request-parameter checks shared by the actions, and the date format of responses. */
import type { EncryptionContext, JsonParam, PageRequest } from './types';
import { invalidParameter, missingParameter } from './errors';

export function requireString(value: string | undefined, name: string): string {
  if (value === undefined || value === '') throw missingParameter(name);
  if (typeof value !== 'string') throw invalidParameter(name, 'it must be a string');
  return value;
}

/** An optional integer in [min, max]; `fallback` when absent. */
export function integerParam(value: number | undefined, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw invalidParameter(name, `it must be an integer from ${min} to ${max}`);
  }
  return value;
}

export function pageParams(req: PageRequest): { pageNumber: number; pageSize: number } {
  return {
    pageNumber: integerParam(req.PageNumber, 'PageNumber', 1, Number.MAX_SAFE_INTEGER, 1),
    pageSize: integerParam(req.PageSize, 'PageSize', 1, 100, 10),
  };
}

/** Parses a JSON-typed parameter given as text; a parsed value passes through for the caller to check. */
export function jsonParam<T>(value: JsonParam<T> | undefined, name: string): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    throw invalidParameter(name, 'it is not valid JSON');
  }
}

const MAX_CONTEXT_CHARS = 8192;

/**
 * The canonical bytes of an EncryptionContext: a JSON array of [key, value] pairs sorted by key,
 * so that two maps with the same entries in any order give the same bytes. Absent = empty map.
 */
export function canonicalContext(value: JsonParam<EncryptionContext> | undefined, name: string): Buffer {
  const parsed = value === '' ? undefined : jsonParam(value, name);
  if (parsed === undefined || parsed === null) return Buffer.from('[]');
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw invalidParameter(name, 'it must be a JSON object');
  const entries = Object.entries(parsed as Record<string, unknown>);
  for (const [k, v] of entries) {
    if (typeof v !== 'string') throw invalidParameter(name, `the value of "${k}" is not a string`);
  }
  const text = JSON.stringify(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  if (text.length > MAX_CONTEXT_CHARS) throw invalidParameter(name, `it exceeds ${MAX_CONTEXT_CHARS} characters`);
  return Buffer.from(text, 'utf8');
}
