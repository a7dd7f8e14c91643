import { createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { compareCodeUnits, resourcePath, uriEncode } from './canonical-resource';
import { canonicalHeaderLines, headerValue, ossHeaderNames } from './headers';
import type { AuthTarget } from './types';

/** The Authorization scheme and the x-oss-signature-version of signature V2. */
export const V2_SCHEME = 'OSS2';

/**
 * V2 CanonicalizedResource (oss2 ProviderAuthV2, Go getResource for AuthV2): the whole resource
 * path uri-encoded, '/' included, then '?' and every query parameter, name and value encoded,
 * sorted by encoded name, an empty value written as the bare name.
 */
export function v2CanonicalResource(target: AuthTarget, query: Array<[string, string]>): string {
  const params = query
    .map(([name, value]) => [uriEncode(name), uriEncode(value)] as const)
    .sort(([a, av], [b, bv]) => compareCodeUnits(a, b) || compareCodeUnits(av, bv))
    .map(([name, value]) => (value === '' ? name : `${name}=${value}`));
  const path = uriEncode(resourcePath(target));
  return params.length === 0 ? path : `${path}?${params.join('&')}`;
}

/**
 * V2 StringToSign: V1's first four lines, then the x-oss-* and additional headers as
 * `name:value\n` (sorted), the additional header names joined by ';', a newline and the resource.
 * `additionalHeaders` must be lower-case, unique and sorted.
 */
export function v2StringToSign(
  method: string,
  headers: IncomingHttpHeaders,
  date: string,
  additionalHeaders: readonly string[],
  resource: string,
): string {
  return [
    method.toUpperCase(),
    headerValue(headers, 'content-md5') ?? '',
    headerValue(headers, 'content-type') ?? '',
    date,
    canonicalHeaderLines(headers, [...ossHeaderNames(headers), ...additionalHeaders]) + additionalHeaders.join(';'),
    resource,
  ].join('\n');
}

/** base64(HMAC-SHA256(secret, UTF-8(stringToSign))). */
export function signV2(secret: string, stringToSign: string): string {
  return createHmac('sha256', secret).update(stringToSign, 'utf8').digest('base64');
}
