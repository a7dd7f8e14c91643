import type { IncomingHttpHeaders } from 'node:http';
import { compareCodeUnits } from './canonical-resource';

/**
 * A header's value as one string; Node only gives arrays for a few names (e.g. set-cookie).
 * `name` may come from the request (AdditionalHeaders): only own properties count, or
 * "__proto__" would read Object.prototype.
 */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  if (!Object.hasOwn(headers, name)) return undefined;
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** `name:trimmed-value\n` lines for the given (lower-case) names present in headers, sorted by name. */
export function canonicalHeaderLines(headers: IncomingHttpHeaders, names: Iterable<string>): string {
  return [...new Set(names)]
    .sort(compareCodeUnits)
    .map((name) => `${name}:${(headerValue(headers, name) ?? '').trim()}\n`)
    .join('');
}

/** Names of all x-oss-* headers present. */
export function ossHeaderNames(headers: IncomingHttpHeaders): string[] {
  return Object.keys(headers).filter((name) => name.startsWith('x-oss-'));
}
