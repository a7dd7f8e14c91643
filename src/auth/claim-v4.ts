import { CofferError } from '../common/errors';
import { invalidArgument, signingRegionInvalid } from './auth-errors';
import { v4CanonicalQuery, v4CanonicalUri } from './canonical-resource';
import { type Claim, queryParam, requiredQueryParam } from './claim';
import { headerValue } from './headers';
import { V4_ALGORITHM, type V4Scope, signV4, v4CanonicalRequest, v4StringToSign } from './signature-v4';
import { SUB_RESOURCES } from './sub-resources';
import { checkPresignWindow, checkSkew, parseV4Date } from './time';
import type { AuthRequest } from './types';

const MAX_PRESIGN_EXPIRES_S = 604800;

/** `Authorization: OSS4-HMAC-SHA256 Credential=…,[AdditionalHeaders=…,]Signature=…` (any order, optional spaces). */
export function v4HeaderClaim(req: AuthRequest, authorization: string, now: Date): Claim {
  const fields = new Map<string, string>();
  for (const part of authorization.slice(V4_ALGORITHM.length + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) throw malformedAuthorization(authorization);
    fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential');
  const signature = fields.get('Signature');
  if (!credential || !signature) throw malformedAuthorization(authorization);
  const date = headerValue(req.headers, 'x-oss-date');
  if (date === undefined) throw invalidArgument('Missing x-oss-date header.', 'x-oss-date', '');
  checkSkew(parseV4Date(date, 'x-oss-date'), date, now);
  return v4Claim(req, {
    credential,
    credentialName: 'Credential',
    signature,
    additionalHeaders: fields.get('AdditionalHeaders') ?? '',
    date,
    query: req.query,
    presigned: false,
  });
}

/** `?x-oss-signature-version=OSS4-HMAC-SHA256&x-oss-credential=…&x-oss-date=…&x-oss-expires=…&x-oss-signature=…` */
export function v4PresignClaim(req: AuthRequest, now: Date): Claim {
  const version = queryParam(req, 'x-oss-signature-version') ?? '';
  if (version !== V4_ALGORITHM) {
    throw invalidArgument(`x-oss-signature-version must be ${V4_ALGORITHM}.`, 'x-oss-signature-version', version);
  }
  const credential = requiredQueryParam(req, 'x-oss-credential');
  const date = requiredQueryParam(req, 'x-oss-date');
  const expires = requiredQueryParam(req, 'x-oss-expires');
  const signature = requiredQueryParam(req, 'x-oss-signature');
  const expiresS = /^\d+$/.test(expires) ? Number(expires) : NaN;
  if (!(expiresS >= 1 && expiresS <= MAX_PRESIGN_EXPIRES_S)) {
    throw invalidArgument(`x-oss-expires must be an integer from 1 to ${MAX_PRESIGN_EXPIRES_S}.`, 'x-oss-expires', expires);
  }
  checkPresignWindow(parseV4Date(date, 'x-oss-date'), expiresS, now);
  return v4Claim(req, {
    credential,
    credentialName: 'x-oss-credential',
    signature,
    additionalHeaders: queryParam(req, 'x-oss-additional-headers') ?? '',
    date,
    query: req.query.filter(([name]) => name !== 'x-oss-signature'),
    presigned: true,
  });
}

interface V4Fields {
  credential: string;
  /** Where the credential came from, for error reports. */
  credentialName: 'Credential' | 'x-oss-credential';
  signature: string;
  /** ';'-separated header names as sent. */
  additionalHeaders: string;
  date: string;
  /** The query parameters that are signed. */
  query: Array<[string, string]>;
  presigned: boolean;
}

function v4Claim(req: AuthRequest, f: V4Fields): Claim {
  const { accessKeyId, scope } = parseCredential(f.credential);
  if (!scope.region || (req.region !== undefined && scope.region !== req.region)) {
    throw signingRegionInvalid(f.credentialName, f.credential, f.credentialName === 'Credential' ? '0002-00000228' : '0002-00000226');
  }
  if (f.date.slice(0, 8) !== scope.day) {
    throw invalidArgument('x-oss-date does not fall on the day of the credential scope.', 'x-oss-date', f.date);
  }
  checkPayloadHash(req);
  // oss2 sends AdditionalHeaders only partly sorted.
  const additionalHeaders = [...new Set(f.additionalHeaders.split(';').map((h) => h.trim().toLowerCase()))]
    .filter((h) => h !== '')
    .sort();
  // The two ways clients write empty values (see v4CanonicalQuery); identical when nothing is empty.
  const queries = [...new Set([
    v4CanonicalQuery(f.query, () => true),
    v4CanonicalQuery(f.query, (name) => SUB_RESOURCES.has(name)),
  ])];
  return {
    accessKeyId,
    signature: f.signature,
    version: 'v4',
    presigned: f.presigned,
    region: scope.region,
    stringsToSign: (target) =>
      queries.map((query) =>
        v4StringToSign(f.date, scope, v4CanonicalRequest(req.method, v4CanonicalUri(target), query, req.headers, additionalHeaders)),
      ),
    sign: (secret, stringToSign) => signV4(secret, scope, stringToSign),
  };
}

/** `<AccessKeyId>/<YYYYMMDD>/<region>/oss/aliyun_v4_request` */
function parseCredential(credential: string): { accessKeyId: string; scope: V4Scope } {
  const parts = credential.split('/');
  const [accessKeyId, day, region, product, terminator] = parts;
  if (parts.length !== 5 || !accessKeyId || !/^\d{8}$/.test(day!) || terminator !== 'aliyun_v4_request') {
    throw invalidArgument('Malformed credential: expected AccessKeyId/YYYYMMDD/region/oss/aliyun_v4_request.', 'Credential', credential);
  }
  if (product !== 'oss') throw new CofferError('AccessDenied', `Unsupported product in credential scope: ${product}.`);
  return { accessKeyId, scope: { day: day!, region: region!, product } };
}

/**
 * x-oss-content-sha256 is signed as the payload hash, so any value but UNSIGNED-PAYLOAD would claim
 * an integrity the body was never checked for. OSS accepts only UNSIGNED-PAYLOAD (EC 0002-00000214,
 * "Set the header to UNSIGNED-PAYLOAD"), and every SDK's V4 signer (ali-oss signUtils, oss2
 * ProviderAuthV4, the Go v2 signer) sends exactly that, so Coffer refuses the rest as OSS does
 * rather than hashing bodies no client ever signs.
 */
function checkPayloadHash(req: AuthRequest): void {
  const value = headerValue(req.headers, 'x-oss-content-sha256');
  if (value !== undefined && value !== 'UNSIGNED-PAYLOAD') {
    throw new CofferError('InvalidArgument', 'The value of the x-oss-content-sha256 header is invalid.', {
      ArgumentName: 'x-oss-content-sha256', ArgumentValue: value, EC: '0002-00000214',
    });
  }
}

function malformedAuthorization(authorization: string) {
  return invalidArgument(
    'Malformed Authorization header: expected "OSS4-HMAC-SHA256 Credential=…,Signature=…".',
    'Authorization',
    authorization,
  );
}
