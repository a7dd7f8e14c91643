import { invalidArgument } from './auth-errors';
import { type Claim, queryParam, requiredQueryParam } from './claim';
import { headerValue } from './headers';
import { V2_SCHEME, signV2, v2CanonicalResource, v2StringToSign } from './signature-v2';
import { checkNotExpired, checkSkew, parseHttpDate } from './time';
import type { AuthRequest } from './types';

/** `Authorization: OSS2 AccessKeyId:<id>,[AdditionalHeaders:<a;b>,]Signature:<base64>` (fields in any order, spaces allowed). */
export function v2HeaderClaim(req: AuthRequest, authorization: string, now: Date): Claim {
  const fields = new Map<string, string>();
  for (const part of authorization.slice(V2_SCHEME.length + 1).split(',')) {
    const colon = part.indexOf(':');
    if (colon < 0) throw malformed(authorization);
    fields.set(part.slice(0, colon).trim(), part.slice(colon + 1).trim());
  }
  const accessKeyId = fields.get('AccessKeyId');
  const signature = fields.get('Signature');
  if (!accessKeyId || !signature) throw malformed(authorization);
  // oss2 and Go sign the Date header; V1's x-oss-date rule is kept for clients that send only that.
  const dateName = req.headers.date !== undefined ? 'date' : 'x-oss-date';
  const date = headerValue(req.headers, dateName);
  if (date === undefined) throw invalidArgument('Missing Date header.', 'Date', '');
  checkSkew(parseHttpDate(date, dateName), date, now);
  return v2Claim(req, accessKeyId, signature, fields.get('AdditionalHeaders') ?? '', date, req.query, false);
}

/** `?x-oss-signature-version=OSS2&x-oss-expires=<epoch seconds>&x-oss-access-key-id=…[&x-oss-additional-headers=…]&x-oss-signature=…` */
export function v2PresignClaim(req: AuthRequest, now: Date): Claim {
  const accessKeyId = requiredQueryParam(req, 'x-oss-access-key-id');
  const expires = requiredQueryParam(req, 'x-oss-expires');
  const signature = requiredQueryParam(req, 'x-oss-signature');
  if (!/^\d+$/.test(expires)) throw invalidArgument('x-oss-expires must be an epoch time in seconds.', 'x-oss-expires', expires);
  checkNotExpired(Number(expires) * 1000, now);
  // Every parameter but the signature itself is signed, the signing parameters included.
  const signed = req.query.filter(([name]) => name !== 'x-oss-signature');
  return v2Claim(req, accessKeyId, signature, queryParam(req, 'x-oss-additional-headers') ?? '', expires, signed, true);
}

function v2Claim(
  req: AuthRequest,
  accessKeyId: string,
  signature: string,
  additional: string,
  date: string,
  query: Array<[string, string]>,
  presigned: boolean,
): Claim {
  // Go sorts the list it sends; oss2 joins a set, in no particular order.
  const additionalHeaders = [...new Set(additional.split(';').map((h) => h.trim().toLowerCase()))].filter((h) => h !== '').sort();
  return {
    accessKeyId,
    signature,
    version: 'v2',
    presigned,
    stringsToSign: (target) => [v2StringToSign(req.method, req.headers, date, additionalHeaders, v2CanonicalResource(target, query))],
    sign: signV2,
  };
}

function malformed(authorization: string) {
  return invalidArgument(
    'Malformed Authorization header: expected "OSS2 AccessKeyId:…,[AdditionalHeaders:…,]Signature:…".',
    'Authorization',
    authorization,
  );
}
