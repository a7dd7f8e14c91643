/**
 * CORS at request time: the preflight `OPTIONS /<bucket>[/<key>]` answered from the bucket's
 * rules, and the Access-Control-* headers of actual requests. The first rule whose AllowedOrigin,
 * AllowedMethod and (for a preflight) AllowedHeader entries all match decides. A preflight is
 * never authenticated (browsers send no credentials with it); actual requests are authorized as
 * usual, and their CORS headers are added to error responses too, so a page can read the error.
 */
import type { IncomingMessage } from 'node:http';
import { requireBucket } from '../core/buckets';
import type { Coffer } from '../core/coffer';
import { CofferError } from '../common/errors';
import type { CorsConfiguration, CorsRule } from '../store/types';
import type { OssResponse } from './request';

/**
 * `*` matches any run of characters (also none), everything else itself. Patterns are checked
 * piece by piece from the left, so the cost stays linear in the pattern and the value.
 */
export function starMatch(pattern: string, value: string): boolean {
  const parts = pattern.split('*');
  if (parts.length === 1) return pattern === value;
  const first = parts[0];
  const last = parts[parts.length - 1];
  if (value.length < first.length + last.length || !value.startsWith(first) || !value.endsWith(last)) return false;
  let at = first.length;
  const end = value.length - last.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const found = value.indexOf(parts[i], at);
    if (found < 0 || found + parts[i].length > end) return false;
    at = found + parts[i].length;
  }
  return true;
}

const lower = (s: string): string => s.toLowerCase();

/** The first rule allowing `origin` to use `method` with `headers` (lower-case names). */
function matchRule(cors: CorsConfiguration, origin: string, method: string, headers: string[]): CorsRule | undefined {
  return cors.rules.find((r) =>
    r.allowedOrigins.some((o) => starMatch(o, origin))
    && r.allowedMethods.includes(method)
    && headers.every((h) => r.allowedHeaders.some((a) => starMatch(lower(a), h))));
}

/** The headers a matched rule grants; Vary: Origin whenever the bucket asks for it. */
function grantedHeaders(cors: CorsConfiguration, rule: CorsRule | undefined, origin: string, requestHeaders?: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (cors.responseVary) out.Vary = 'Origin';
  if (!rule) return out;
  // The request's own Origin, also for a "*" rule: what OSS documents, and what a browser accepts.
  out['Access-Control-Allow-Origin'] = origin;
  out['Access-Control-Allow-Methods'] = rule.allowedMethods.join(', ');
  if (requestHeaders?.length) out['Access-Control-Allow-Headers'] = requestHeaders.join(', ');
  if (rule.exposeHeaders.length) out['Access-Control-Expose-Headers'] = rule.exposeHeaders.join(', ');
  if (rule.maxAgeSeconds !== undefined) out['Access-Control-Max-Age'] = String(rule.maxAgeSeconds);
  return out;
}

function single(raw: IncomingMessage, name: string): string | undefined {
  const v = raw.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

const forbidden = (why: string): CofferError => new CofferError('AccessForbidden', `CORSResponse: ${why}`);

/** The preflight: 200 with the rule's headers, or an error naming what is missing or refused. */
export async function Options(c: Coffer, raw: IncomingMessage, bucket: string): Promise<OssResponse> {
  const origin = single(raw, 'origin');
  if (origin === undefined) throw new CofferError('BadRequest', 'Insufficient information. Origin request header needed.');
  const method = single(raw, 'access-control-request-method');
  if (method === undefined) throw new CofferError('BadRequest', 'Insufficient information. Request Access-Control-Request-Method header needed.');
  const b = await requireBucket(c, bucket);
  if (!b.cors) throw forbidden('CORS is not enabled for this bucket.');
  const headers = (single(raw, 'access-control-request-headers') ?? '').split(',').map((h) => lower(h.trim())).filter((h) => h !== '');
  const rule = matchRule(b.cors, origin, method, headers);
  if (!rule) {
    throw forbidden('This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Requet-Headers are not whitelisted by the resource\'s CORS spec.');
  }
  return { status: 200, headers: grantedHeaders(b.cors, rule, origin, headers) };
}

/**
 * The CORS headers of an actual request with an Origin header to `bucket`: none when the bucket
 * does not exist or has no rules, Vary alone when no rule matches. Never throws: a lookup failure
 * must not replace the response (or the error) the request itself gets.
 */
export async function corsResponseHeaders(c: Coffer, raw: IncomingMessage, bucket: string): Promise<Record<string, string>> {
  const origin = single(raw, 'origin');
  if (origin === undefined) return {};
  const b = await c.meta.getBucket(bucket).catch(() => null);
  if (!b?.cors) return {};
  return grantedHeaders(b.cors, matchRule(b.cors, origin, raw.method ?? 'GET', []), origin);
}
