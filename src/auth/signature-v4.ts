import { createHash, createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { canonicalHeaderLines, headerValue, ossHeaderNames } from './headers';

export const V4_ALGORITHM = 'OSS4-HMAC-SHA256';
const V4_TERMINATOR = 'aliyun_v4_request';

export interface V4Scope {
  /** YYYYMMDD */
  day: string;
  region: string;
  product: string;
}

export function v4ScopeString(scope: V4Scope): string {
  return `${scope.day}/${scope.region}/${scope.product}/${V4_TERMINATOR}`;
}

/**
 * V4 CanonicalRequest. `additionalHeaders` must already be lower-case, unique and sorted; they are
 * signed along with content-type, content-md5 and every x-oss-* header that is present.
 */
export function v4CanonicalRequest(
  method: string,
  canonicalUri: string,
  canonicalQuery: string,
  headers: IncomingHttpHeaders,
  additionalHeaders: readonly string[],
): string {
  const signed = ['content-type', 'content-md5']
    .filter((name) => headers[name] !== undefined)
    .concat(ossHeaderNames(headers), additionalHeaders);
  return [
    method.toUpperCase(),
    canonicalUri,
    canonicalQuery,
    canonicalHeaderLines(headers, signed),
    additionalHeaders.join(';'),
    headerValue(headers, 'x-oss-content-sha256') ?? 'UNSIGNED-PAYLOAD',
  ].join('\n');
}

/** `date` is the x-oss-date value (YYYYMMDDTHHMMSSZ). */
export function v4StringToSign(date: string, scope: V4Scope, canonicalRequest: string): string {
  const hashed = createHash('sha256').update(canonicalRequest, 'utf8').digest('hex');
  return [V4_ALGORITHM, date, v4ScopeString(scope), hashed].join('\n');
}

/** hex(HMAC-SHA256(signing key, stringToSign)); key chain "aliyun_v4"+secret → day → region → product → terminator. */
export function signV4(secret: string, scope: V4Scope, stringToSign: string): string {
  const key = [scope.day, scope.region, scope.product, V4_TERMINATOR].reduce<Buffer | string>(
    (k, part) => createHmac('sha256', k).update(part, 'utf8').digest(),
    `aliyun_v4${secret}`,
  );
  return createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
}
