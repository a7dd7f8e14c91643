/**
 * What an S3 request's SigV4 signature asserts: read from the Authorization header or from a
 * presigned URL's X-Amz-* parameters, with S3's errors for each way they can be malformed, stale
 * or premature. Nothing here needs the secret; aws-authenticate.ts checks the signature.
 */
import type { IncomingHttpHeaders } from 'node:http';
import {
  authorizationHeaderMalformed,
  authorizationQueryParametersError,
  awsAccessDenied,
  awsInvalidArgument,
  awsInvalidRequest,
  awsRequestTimeTooSkewed,
  isoSeconds,
} from './aws-errors';
import { AWS4_ALGORITHM, AWS4_TERMINATOR, type AwsScope, type PayloadMode, S3_SERVICE, UNSIGNED_PAYLOAD, payloadModeOf } from './aws-sigv4';
import { MAX_SKEW_MS } from './auth-errors';
import { headerValue } from './headers';

export const MAX_PRESIGN_EXPIRES_S = 604800;

export interface AwsClaim {
  accessKeyId: string;
  /** The signature the client sent. */
  signature: string;
  scope: AwsScope;
  /** The request time as it enters the string to sign (YYYYMMDDTHHMMSSZ). */
  timestamp: string;
  /** The SignedHeaders list exactly as sent: it is itself a line of the canonical request. */
  signedHeaders: string;
  /** Its names, lower-cased, in the order listed. */
  signedNames: string[];
  /** The query parameters that are signed. */
  query: Array<[string, string]>;
  /** The payload hash line of the canonical request. */
  payloadHash: string;
  payload: PayloadMode;
  presigned: boolean;
}

/** The request as the claim readers see it (a subset of AwsAuthRequest). */
interface Signed {
  headers: IncomingHttpHeaders;
  query: Array<[string, string]>;
}

const MALFORMED_CREDENTIAL = 'the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".';
const CONTENT_SHA256 = 'x-amz-content-sha256';
const NO_DATE = 'AWS authentication requires a valid Date or x-amz-date header';

/** `Authorization: AWS4-HMAC-SHA256 Credential=AKID/day/region/s3/aws4_request, SignedHeaders=a;b, Signature=hex` */
export function awsHeaderClaim(req: Signed, authorization: string, now: Date): AwsClaim {
  const { accessKeyId, scope, signedHeaders, signedNames, signature } = authorizationClaim(authorization);

  const { timestamp, requestMs, requestTime } = headerTime(req.headers);
  if (timestamp.slice(0, 8) !== scope.day) {
    throw authorizationHeaderMalformed(`Invalid credential date "${scope.day}". This date is not the same as X-Amz-Date: "${timestamp.slice(0, 8)}".`);
  }
  if (Math.abs(now.getTime() - requestMs) > MAX_SKEW_MS) throw awsRequestTimeTooSkewed(requestTime, now);

  // S3 refuses a header-signed request that does not say what its body is.
  const payloadHash = headerValue(req.headers, CONTENT_SHA256);
  if (payloadHash === undefined) throw awsInvalidRequest(`Missing required header for this request: ${CONTENT_SHA256}`);
  checkAllSigned(req.headers, signedNames);
  return {
    accessKeyId,
    signature,
    scope,
    timestamp,
    signedHeaders,
    signedNames,
    query: req.query,
    payloadHash,
    payload: payloadModeFor(payloadHash),
    presigned: false,
  };
}

const PRESIGN_PARAMS = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-Date', 'X-Amz-SignedHeaders', 'X-Amz-Expires'] as const;

/** `?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=…&X-Amz-Date=…&X-Amz-Expires=…&X-Amz-SignedHeaders=…&X-Amz-Signature=…` */
export function awsPresignClaim(req: Signed, now: Date): AwsClaim {
  const params = new Map<string, string>();
  for (const name of PRESIGN_PARAMS) {
    const value = req.query.find(([n]) => n === name)?.[1];
    if (value === undefined) {
      throw authorizationQueryParametersError(
        'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.',
      );
    }
    params.set(name, value);
  }
  if (params.get('X-Amz-Algorithm') !== AWS4_ALGORITHM) {
    throw authorizationQueryParametersError(`X-Amz-Algorithm only supports "${AWS4_ALGORITHM}"`);
  }
  const { accessKeyId, scope } = parseCredential(params.get('X-Amz-Credential')!, (detail) =>
    authorizationQueryParametersError(`Error parsing the X-Amz-Credential parameter; ${detail}`),
  );
  const timestamp = params.get('X-Amz-Date')!;
  const signedMs = parseIsoBasic(timestamp);
  if (Number.isNaN(signedMs)) {
    throw authorizationQueryParametersError('X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd\'T\'HHmmss\'Z\'"');
  }
  if (timestamp.slice(0, 8) !== scope.day) {
    throw authorizationQueryParametersError(`Invalid credential date "${scope.day}". This date is not the same as X-Amz-Date: "${timestamp.slice(0, 8)}".`);
  }
  const expires = params.get('X-Amz-Expires')!;
  if (!/^-?\d+$/.test(expires)) throw authorizationQueryParametersError('X-Amz-Expires should be a number');
  const expiresS = Number(expires);
  if (expiresS < 0) throw authorizationQueryParametersError('X-Amz-Expires must be non-negative');
  if (expiresS > MAX_PRESIGN_EXPIRES_S) {
    throw authorizationQueryParametersError(
      `X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than ${MAX_PRESIGN_EXPIRES_S} seconds`,
    );
  }
  // Valid from X-Amz-Date (less the usual skew, for a signer whose clock runs ahead) up to and
  // including X-Amz-Date + X-Amz-Expires; checking only the end would let a URL dated ahead
  // outlive the week.
  if (now.getTime() < signedMs - MAX_SKEW_MS) throw awsAccessDenied('Request is not valid yet');
  const expiresMs = signedMs + expiresS * 1000;
  if (now.getTime() > expiresMs) {
    throw awsAccessDenied('Request has expired', {
      'X-Amz-Expires': expires,
      Expires: isoSeconds(expiresMs),
      ServerTime: isoSeconds(now.getTime()),
    });
  }

  const signedHeaders = params.get('X-Amz-SignedHeaders')!;
  const signedNames = parseSignedHeaders(signedHeaders, authorizationQueryParametersError);
  checkAllSigned(req.headers, signedNames);
  // A URL does not sign its body unless the signer put a hash in it (a header, or the header
  // hoisted into the query as the SDKs' presigners do).
  const payloadHash =
    headerValue(req.headers, CONTENT_SHA256) ??
    req.query.find(([n]) => n.toLowerCase() === CONTENT_SHA256)?.[1] ??
    UNSIGNED_PAYLOAD;
  return {
    accessKeyId,
    signature: params.get('X-Amz-Signature')!,
    scope,
    timestamp,
    signedHeaders,
    signedNames,
    query: req.query.filter(([name]) => name !== 'X-Amz-Signature'),
    payloadHash,
    payload: payloadModeFor(payloadHash),
    presigned: true,
  };
}

/**
 * The Authorization header as every SDK writes it, read by one regex on each request: lower-case
 * signed header names, a hex signature. Anything else takes the field-by-field reading below,
 * which accepts what S3 accepts and names what is wrong; both give the same claim.
 */
const USUAL_AUTHORIZATION = /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/s3\/aws4_request, ?SignedHeaders=([a-z0-9-]+(?:;[a-z0-9-]+)*), ?Signature=([0-9a-f]{64})$/;

interface AuthorizationClaim { accessKeyId: string; scope: AwsScope; signedHeaders: string; signedNames: string[]; signature: string }

function authorizationClaim(authorization: string): AuthorizationClaim {
  const m = USUAL_AUTHORIZATION.exec(authorization);
  if (m) return { accessKeyId: m[1], scope: { day: m[2], region: m[3] }, signedHeaders: m[4], signedNames: m[4].split(';'), signature: m[5] };
  const fields = authorizationFields(authorization.slice(AWS4_ALGORITHM.length + 1));
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (credential === undefined || signedHeaders === undefined || signature === undefined) {
    throw authorizationHeaderMalformed('the authorization header requires three components: Credential, SignedHeaders, and Signature.');
  }
  const { accessKeyId, scope } = parseCredential(credential, authorizationHeaderMalformed);
  return { accessKeyId, scope, signedHeaders, signedNames: parseSignedHeaders(signedHeaders, authorizationHeaderMalformed), signature };
}

const AUTHORIZATION_FIELDS: ReadonlySet<string> = new Set(['Credential', 'SignedHeaders', 'Signature']);

/** `Credential=…, SignedHeaders=…, Signature=…`: each exactly once, in any order, blanks around commas allowed. */
function authorizationFields(rest: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const part of rest.split(',')) {
    const component = part.trim();
    const eq = component.indexOf('=');
    const name = component.slice(0, eq);
    if (eq <= 0 || fields.has(name) || !AUTHORIZATION_FIELDS.has(name)) {
      throw authorizationHeaderMalformed(`the authorization component "${component}" is malformed.`);
    }
    fields.set(name, component.slice(eq + 1));
  }
  return fields;
}

/** `<AKID>/<YYYYMMDD>/<region>/s3/aws4_request`; any region is accepted, the signature proves it. */
function parseCredential(credential: string, malformed: (detail: string) => Error): { accessKeyId: string; scope: AwsScope } {
  const parts = credential.split('/');
  if (parts.length !== 5) throw malformed(MALFORMED_CREDENTIAL);
  const [accessKeyId, day, region, service, terminator] = parts as [string, string, string, string, string];
  if (accessKeyId === '') throw malformed('a non-empty Access Key (AKID) must be provided in the credential.');
  if (day.length !== 8 || Number.isNaN(digits(day, 0, 8))) {
    throw malformed(`incorrect date format "${day}". This date in the credential must be in the format "yyyyMMdd".`);
  }
  if (region === '') throw malformed(MALFORMED_CREDENTIAL);
  if (service !== S3_SERVICE) throw malformed(`incorrect service "${service}". This endpoint belongs to "${S3_SERVICE}".`);
  if (terminator !== AWS4_TERMINATOR) {
    throw malformed(`incorrect terminal "${terminator}". This endpoint uses "${AWS4_TERMINATOR}".`);
  }
  return { accessKeyId, scope: { day, region } };
}

function parseSignedHeaders(list: string, malformed: (detail: string) => Error): string[] {
  const names = list.split(';').map((name) => name.toLowerCase());
  if (names.some((name) => name === '' || /[\s,]/.test(name))) {
    throw malformed(`the authorization component "SignedHeaders=${list}" is malformed.`);
  }
  return names;
}

/**
 * S3 refuses a request carrying x-amz-* headers the signature does not cover (they change what
 * the request does: ACL, storage class, copy source, …), and one whose signature does not cover
 * host (it could be replayed against another bucket of a virtual-hosted endpoint).
 */
function checkAllSigned(headers: IncomingHttpHeaders, signedNames: readonly string[]): void {
  // A handful of names each side: includes() beats building a Set on every request.
  const unsigned = Object.keys(headers).filter((name) => name.startsWith('x-amz-') && !signedNames.includes(name));
  if (!signedNames.includes('host')) unsigned.unshift('host');
  if (unsigned.length > 0) {
    throw awsAccessDenied('There were headers present in the request which were not signed', {
      HeadersNotSigned: unsigned.join(', '),
    });
  }
}

function payloadModeFor(value: string): PayloadMode {
  const mode = payloadModeOf(value);
  if (mode === null) {
    throw awsInvalidArgument(
      `x-amz-content-sha256 must be ${UNSIGNED_PAYLOAD}, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.`,
      CONTENT_SHA256,
      value,
    );
  }
  return mode;
}

/** The number the decimal digits value[from, to) spell, or NaN when one is not a digit. */
function digits(value: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = value.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return NaN;
    n = n * 10 + d;
  }
  return n;
}

/** The last time read: requests of the same second carry the same x-amz-date. */
let lastIso = '';
let lastIsoMs = NaN;

/** Milliseconds of YYYYMMDDTHHMMSSZ, NaN when it is not one (or not a real date). Read on every request: no regex. */
function parseIsoBasic(value: string): number {
  if (value === lastIso) return lastIsoMs;
  lastIsoMs = readIsoBasic(value);
  lastIso = value;
  return lastIsoMs;
}

function readIsoBasic(value: string): number {
  if (value.length !== 16 || value[8] !== 'T' || value[15] !== 'Z') return NaN;
  const year = digits(value, 0, 4);
  const month = digits(value, 4, 6);
  const day = digits(value, 6, 8);
  const hour = digits(value, 9, 11);
  const minute = digits(value, 11, 13);
  const second = digits(value, 13, 15);
  // NaN fails every comparison, so a non-digit anywhere ends here.
  if (!(hour <= 23 && minute <= 59 && second <= 59 && month >= 1 && month <= 12 && day >= 1 && day <= 31)) return NaN;
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC rolls 20130230 over into March; a signer never writes such a date.
  const d = new Date(ms);
  return d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day ? ms : NaN;
}

function toIsoBasic(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/**
 * The request time: x-amz-date (ISO basic), else the Date header (an HTTP date, which enters the
 * string to sign in ISO basic form). Neither, or an unreadable one, is S3's AccessDenied.
 */
function headerTime(headers: IncomingHttpHeaders): { timestamp: string; requestMs: number; requestTime: string } {
  const amzDate = headerValue(headers, 'x-amz-date');
  if (amzDate !== undefined) {
    const ms = parseIsoBasic(amzDate);
    if (Number.isNaN(ms)) throw awsAccessDenied(NO_DATE);
    return { timestamp: amzDate, requestMs: ms, requestTime: amzDate };
  }
  const date = headerValue(headers, 'date');
  const ms = date === undefined ? NaN : Date.parse(date);
  if (Number.isNaN(ms)) throw awsAccessDenied(NO_DATE);
  return { timestamp: toIsoBasic(ms), requestMs: ms, requestTime: date! };
}
