import { createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { canonicalHeaderLines, headerValue, ossHeaderNames } from './headers';

/**
 * V1 StringToSign. `headers` have lower-case names; `date` is the x-oss-date/Date value for header
 * signatures or the Expires value for presigned URLs; `resource` is the CanonicalizedResource.
 */
export function v1StringToSign(
  method: string,
  headers: IncomingHttpHeaders,
  date: string,
  resource: string,
): string {
  return [
    method.toUpperCase(),
    headerValue(headers, 'content-md5') ?? '',
    headerValue(headers, 'content-type') ?? '',
    date,
    canonicalHeaderLines(headers, ossHeaderNames(headers)) + resource,
  ].join('\n');
}

/** base64(HMAC-SHA1(secret, UTF-8(stringToSign))). */
export function signV1(secret: string, stringToSign: string): string {
  return createHmac('sha1', secret).update(stringToSign, 'utf8').digest('base64');
}
