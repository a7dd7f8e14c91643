/**
 * The S3 dialect's authentication errors, with the codes, messages and extra elements S3 answers
 * (its error bodies echo what it computed, which clients and conformance suites read).
 */
import { CofferError } from '../common/errors';
import { MAX_SKEW_MS } from './auth-errors';

/** S3 writes its timestamps in error bodies without milliseconds. */
export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Space-separated lower-case hex of the UTF-8 bytes, as S3's *Bytes elements are written. */
function hexBytes(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((byte) => byte.toString(16).padStart(2, '0')).join(' ');
}

/** 400; `detail` follows S3's "The authorization header is malformed; " prefix. */
export function authorizationHeaderMalformed(detail: string): CofferError {
  return new CofferError('AuthorizationHeaderMalformed', `The authorization header is malformed; ${detail}`);
}

/** 400; a presigned URL's X-Amz-* parameters are missing or malformed. */
export function authorizationQueryParametersError(message: string): CofferError {
  return new CofferError('AuthorizationQueryParametersError', message);
}

export function awsInvalidArgument(message: string, name: string, value: string): CofferError {
  return new CofferError('InvalidArgument', message, { ArgumentName: name, ArgumentValue: value });
}

export function awsInvalidRequest(message: string): CofferError {
  return new CofferError('InvalidRequest', message);
}

export function awsAccessDenied(message: string, extras: Record<string, string> = {}): CofferError {
  return new CofferError('AccessDenied', message, extras);
}

export function awsInvalidAccessKeyId(accessKeyId: string): CofferError {
  return new CofferError('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', {
    AWSAccessKeyId: accessKeyId,
  });
}

/**
 * 403 with what S3 echoes so a client can find where its signer differs: the StringToSign and
 * CanonicalRequest this server computed (the first reading tried), and their bytes.
 */
export function awsSignatureDoesNotMatch(
  accessKeyId: string,
  provided: string,
  stringToSign: string,
  canonicalRequest?: string,
): CofferError {
  return new CofferError(
    'SignatureDoesNotMatch',
    'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    {
      AWSAccessKeyId: accessKeyId,
      StringToSign: stringToSign,
      SignatureProvided: provided,
      StringToSignBytes: hexBytes(stringToSign),
      ...(canonicalRequest !== undefined && {
        CanonicalRequest: canonicalRequest,
        CanonicalRequestBytes: hexBytes(canonicalRequest),
      }),
    },
  );
}

export function awsRequestTimeTooSkewed(requestTime: string, now: Date): CofferError {
  return new CofferError('RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.', {
    RequestTime: requestTime,
    ServerTime: isoSeconds(now.getTime()),
    MaxAllowedSkewMilliseconds: String(MAX_SKEW_MS),
  });
}

/** SigV2 (`Authorization: AWS AKID:sig`, or AWSAccessKeyId+Signature in the URL): S3's answer in regions that only take V4. */
export function signatureV2NotSupported(): CofferError {
  return awsInvalidRequest('The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.');
}
