import { CofferError } from '../common/errors';

export const MAX_SKEW_MS = 15 * 60 * 1000;

export function invalidArgument(message: string, name: string, value: string): CofferError {
  return new CofferError('InvalidArgument', message, { ArgumentName: name, ArgumentValue: value });
}

export function invalidAccessKeyId(accessKeyId: string): CofferError {
  return new CofferError(
    'InvalidAccessKeyId',
    'The OSS Access Key Id you provided does not exist in our records.',
    { OSSAccessKeyId: accessKeyId },
  );
}

export function signatureDoesNotMatch(accessKeyId: string, provided: string, stringToSign: string): CofferError {
  return new CofferError(
    'SignatureDoesNotMatch',
    'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    {
      OSSAccessKeyId: accessKeyId,
      SignatureProvided: provided,
      StringToSign: stringToSign,
      StringToSignBytes: [...Buffer.from(stringToSign, 'utf8')]
        .map((byte) => byte.toString(16).toUpperCase().padStart(2, '0'))
        .join(' '),
    },
  );
}

export function requestTimeTooSkewed(requestTime: string, now: Date): CofferError {
  return new CofferError(
    'RequestTimeTooSkewed',
    'The difference between the request time and the current time is too large.',
    {
      RequestTime: requestTime,
      // Clients parse this; §0.7 of the reference: timestamps end in literally ".000Z".
      ServerTime: new Date(Math.floor(now.getTime() / 1000) * 1000).toISOString(),
      MaxAllowedSkewMilliseconds: String(MAX_SKEW_MS),
    },
  );
}

export function requestExpired(ec?: string): CofferError {
  return new CofferError('AccessDenied', 'Request has expired.', ec ? { EC: ec } : {});
}

/** A V4 presigned URL used more than the allowed skew before its x-oss-date (EC 0002-00000235). */
export function requestNotYetValid(): CofferError {
  return new CofferError('AccessDenied', 'Request is not yet valid.', { EC: '0002-00000235' });
}

/** OSS's answer to a V4 credential scope whose region is empty or not the server's. */
export function signingRegionInvalid(name: string, credential: string, ec: string): CofferError {
  return new CofferError('InvalidArgument', 'The signing region in credential is invalid.', { ArgumentName: name, ArgumentValue: credential, EC: ec });
}
