import { invalidArgument, invalidAccessKeyId, signatureDoesNotMatch } from './auth-errors';
import type { Claim } from './claim';
import { v1HeaderClaim, v1PresignClaim } from './claim-v1';
import { v2HeaderClaim, v2PresignClaim } from './claim-v2';
import { v4HeaderClaim, v4PresignClaim } from './claim-v4';
import { signaturesEqual } from './constant-time';
import { headerReadings } from './header-readings';
import { headerValue } from './headers';
import { V2_SCHEME } from './signature-v2';
import { V4_ALGORITHM } from './signature-v4';
import type { AuthRequest, AuthResult, CredentialLookup } from './types';

const V1_QUERY_PARAMS = ['OSSAccessKeyId', 'Signature'];
const V4_QUERY_PARAMS = ['x-oss-signature', 'x-oss-credential'];
const V2_QUERY_PARAMS = ['x-oss-access-key-id'];

/**
 * Verifies a request's V1/V2/V4 header or presigned-URL signature against each of its targets.
 * Throws CofferError (InvalidArgument, InvalidAccessKeyId, SignatureDoesNotMatch,
 * RequestTimeTooSkewed, AccessDenied) when it does not authenticate.
 */
export async function authenticate(
  req: AuthRequest,
  lookup: CredentialLookup,
  now: Date = new Date(),
): Promise<AuthResult> {
  const claim = readClaim(req, now);
  if (claim === null) return { kind: 'anonymous' };
  const credential = await lookup(claim.accessKeyId);
  if (credential === null) throw invalidAccessKeyId(claim.accessKeyId);
  if (req.targets.length === 0) throw new Error('authenticate: the router supplied no targets');
  // Non-ASCII header values may have been signed in two ways (see headerReadings).
  const claims = headerReadings(req.headers).map((headers) => (headers === req.headers ? claim : readClaim({ ...req, headers }, now)!));

  let reported: string | undefined;
  for (const c of claims) {
    for (const target of req.targets) {
      for (const stringToSign of c.stringsToSign(target)) {
        if (signaturesEqual(c.sign(credential.secret, stringToSign), c.signature)) {
          return {
            kind: 'signed',
            accessKeyId: c.accessKeyId,
            version: c.version,
            presigned: c.presigned,
            target,
            ...(c.region !== undefined && { region: c.region }),
          };
        }
        reported ??= stringToSign;
      }
    }
  }
  throw signatureDoesNotMatch(claim.accessKeyId, claim.signature, reported!);
}

/** The signature the request carries, or null when it is anonymous. */
function readClaim(req: AuthRequest, now: Date): Claim | null {
  const authorization = headerValue(req.headers, 'authorization');
  const has = (names: string[]) => names.some((name) => req.query.some(([n]) => n === name));
  const v1Query = has(V1_QUERY_PARAMS);
  // V2 and V4 URLs share x-oss-signature; the version parameter tells them apart.
  const v2Query = has(V2_QUERY_PARAMS) || req.query.some(([n, v]) => n === 'x-oss-signature-version' && v === V2_SCHEME);
  const v4Query = !v2Query && has(V4_QUERY_PARAMS);

  if (authorization !== undefined) {
    if (v1Query || v2Query || v4Query) {
      throw invalidArgument('Use either the Authorization header or signature query parameters, not both.', 'Authorization', authorization);
    }
    if (authorization.startsWith('OSS ')) return v1HeaderClaim(req, authorization, now);
    if (authorization.startsWith(`${V2_SCHEME} `)) return v2HeaderClaim(req, authorization, now);
    if (authorization.startsWith(`${V4_ALGORITHM} `)) return v4HeaderClaim(req, authorization, now);
    throw invalidArgument('Unsupported Authorization scheme.', 'Authorization', authorization);
  }
  if (v1Query && (v2Query || v4Query)) {
    throw invalidArgument('The URL mixes signature parameters of different versions.', 'x-oss-signature', '');
  }
  if (v1Query) return v1PresignClaim(req, now);
  if (v2Query) return v2PresignClaim(req, now);
  if (v4Query) return v4PresignClaim(req, now);
  return null;
}
