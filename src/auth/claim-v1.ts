import { invalidArgument } from './auth-errors';
import { v1CanonicalResource } from './canonical-resource';
import { type Claim, requiredQueryParam } from './claim';
import { headerValue } from './headers';
import { signV1, v1StringToSign } from './signature-v1';
import { checkNotExpired, checkSkew, parseHttpDate } from './time';
import type { AuthRequest } from './types';

/** `Authorization: OSS <AccessKeyId>:<Signature>` */
export function v1HeaderClaim(req: AuthRequest, authorization: string, now: Date): Claim {
  const m = /^OSS ([^:\s]+):(\S+)$/.exec(authorization.trim());
  if (!m) throw invalidArgument('Malformed Authorization header: expected "OSS AccessKeyId:Signature".', 'Authorization', authorization);
  // ali-oss signs x-oss-date and sends no Date; oss2 and Go send Date.
  const dateName = req.headers['x-oss-date'] !== undefined ? 'x-oss-date' : 'date';
  const date = headerValue(req.headers, dateName);
  if (date === undefined) throw invalidArgument('Missing Date or x-oss-date header.', 'Date', '');
  checkSkew(parseHttpDate(date, dateName), date, now);
  return v1Claim(req, m[1]!, m[2]!, date, false);
}

/** `?OSSAccessKeyId=…&Expires=<epoch seconds>&Signature=…` */
export function v1PresignClaim(req: AuthRequest, now: Date): Claim {
  const accessKeyId = requiredQueryParam(req, 'OSSAccessKeyId');
  const expires = requiredQueryParam(req, 'Expires');
  const signature = requiredQueryParam(req, 'Signature');
  if (!/^\d+$/.test(expires)) throw invalidArgument('Expires must be an epoch time in seconds.', 'Expires', expires);
  checkNotExpired(Number(expires) * 1000, now);
  return v1Claim(req, accessKeyId, signature, expires, true);
}

function v1Claim(req: AuthRequest, accessKeyId: string, signature: string, date: string, presigned: boolean): Claim {
  return {
    accessKeyId,
    signature,
    version: 'v1',
    presigned,
    stringsToSign: (target) => [v1StringToSign(req.method, req.headers, date, v1CanonicalResource(target, req.query))],
    sign: signV1,
  };
}
