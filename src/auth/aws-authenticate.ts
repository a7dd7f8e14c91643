/**
 * Authentication of S3-dialect requests: AWS Signature Version 4 in the Authorization header or
 * in a presigned URL. SigV2 is recognised only to be refused the way S3 refuses it.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { type AwsClaim, awsHeaderClaim, awsPresignClaim } from './aws-claim';
import { awsInvalidAccessKeyId, awsInvalidArgument, awsSignatureDoesNotMatch, signatureV2NotSupported } from './aws-errors';
import {
  AWS4_ALGORITHM,
  type AwsChunkSigner,
  type PayloadMode,
  awsCanonicalHeaders,
  awsCanonicalQuery,
  awsCanonicalRequest,
  awsCanonicalUris,
  awsChunkSigner,
  awsSign,
  awsSigningKey,
  awsStringToSign,
} from './aws-sigv4';
import { signaturesEqual } from './constant-time';
import { headerReadings } from './header-readings';
import { headerValue } from './headers';
import type { CredentialLookup } from './types';

export interface AwsAuthRequest {
  method: string;
  /** Lower-cased names, as Node gives them. */
  headers: IncomingHttpHeaders;
  /** Request path exactly as received, still percent-encoded, without the query. */
  rawPath: string;
  /** Query parameters in received order, decoded; no '=' means value ''. */
  query: Array<[string, string]>;
}

export type AwsAuthResult =
  | { kind: 'anonymous' }
  | {
      kind: 'signed';
      accessKeyId: string;
      presigned: boolean;
      /** The region of the credential scope the client signed with. */
      region: string;
      payload: PayloadMode;
      /** Present when the body is aws-chunked with signed chunks. */
      chunkSigner?: AwsChunkSigner;
    };

const SIGV2_SCHEME = 'AWS ';
const SIGV4_SCHEME = `${AWS4_ALGORITHM} `;

/**
 * Whether a request is in the S3 dialect: AWS4-HMAC-SHA256 Authorization, X-Amz-Algorithm query,
 * AWS (SigV2) Authorization or AWSAccessKeyId query, or (unsigned) any x-amz-* header.
 */
export function isAwsRequest(headers: IncomingHttpHeaders, query: Array<[string, string]>): boolean {
  const authorization = headerValue(headers, 'authorization');
  if (authorization !== undefined) return authorization.startsWith(SIGV4_SCHEME) || authorization.startsWith(SIGV2_SCHEME);
  if (query.some(([name]) => name === 'X-Amz-Algorithm' || name === 'AWSAccessKeyId')) return true;
  // An OSS presigned URL stays OSS even when its request carries an x-amz-* header.
  if (query.some(([name]) => OSS_SIGNATURE_PARAMS.has(name))) return false;
  return Object.keys(headers).some((name) => name.startsWith('x-amz-'));
}

/** The parameters that make a URL an OSS V1, V2 or V4 signed one (src/auth/authenticate.ts). */
const OSS_SIGNATURE_PARAMS: ReadonlySet<string> = new Set(['OSSAccessKeyId', 'x-oss-signature', 'x-oss-credential', 'x-oss-access-key-id']);

/**
 * Verifies an S3 request's SigV4 signature. Throws CofferError: AuthorizationHeaderMalformed,
 * AuthorizationQueryParametersError, InvalidArgument, InvalidRequest, AccessDenied,
 * RequestTimeTooSkewed, InvalidAccessKeyId, SignatureDoesNotMatch.
 * A sha256 payload is not checked here: the body has not been read; the caller compares.
 */
export async function authenticateAws(req: AwsAuthRequest, lookup: CredentialLookup, now: Date = new Date()): Promise<AwsAuthResult> {
  const claim = readClaim(req, now);
  if (claim === null) return { kind: 'anonymous' };
  const credential = await lookup(claim.accessKeyId);
  if (credential === null) throw awsInvalidAccessKeyId(claim.accessKeyId);

  const key = awsSigningKey(credential.secret, claim.scope);
  const query = awsCanonicalQuery(claim.query);
  const uris = awsCanonicalUris(req.rawPath);
  let reported: { canonicalRequest: string; stringToSign: string } | undefined;
  // Non-ASCII header values may have been signed as the bytes sent or as their UTF-8 text (see headerReadings).
  for (const headers of headerReadings(req.headers)) {
    const canonicalHeaders = awsCanonicalHeaders(headers, claim.signedNames);
    for (const uri of uris) {
      const canonicalRequest = awsCanonicalRequest(req.method, uri, query, canonicalHeaders, claim.signedHeaders, claim.payloadHash);
      const stringToSign = awsStringToSign(claim.timestamp, claim.scope, canonicalRequest);
      if (signaturesEqual(awsSign(key, stringToSign), claim.signature)) return signedResult(claim, key);
      reported ??= { canonicalRequest, stringToSign };
    }
  }
  throw awsSignatureDoesNotMatch(claim.accessKeyId, claim.signature, reported!.stringToSign, reported!.canonicalRequest);
}

function signedResult(claim: AwsClaim, key: Buffer): AwsAuthResult {
  const streamingSigned = claim.payload.kind === 'streaming' && claim.payload.signed;
  return {
    kind: 'signed',
    accessKeyId: claim.accessKeyId,
    presigned: claim.presigned,
    region: claim.scope.region,
    payload: claim.payload,
    // The verified request signature seeds the chain of chunk signatures.
    ...(streamingSigned && { chunkSigner: awsChunkSigner(key, claim.timestamp, claim.scope, claim.signature) }),
  };
}

/** The signature the request carries, or null when it is anonymous. */
function readClaim(req: AwsAuthRequest, now: Date): AwsClaim | null {
  const authorization = headerValue(req.headers, 'authorization');
  const presigned = req.query.some(([name]) => name === 'X-Amz-Algorithm');
  const v2Presigned = req.query.some(([name]) => name === 'AWSAccessKeyId') && req.query.some(([name]) => name === 'Signature');
  if (authorization !== undefined) {
    if (presigned || v2Presigned) {
      throw awsInvalidArgument(
        'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified',
        'Authorization',
        authorization,
      );
    }
    if (authorization.startsWith(SIGV4_SCHEME)) return awsHeaderClaim(req, authorization, now);
    if (authorization.startsWith(SIGV2_SCHEME)) throw signatureV2NotSupported();
    throw awsInvalidArgument('Unsupported Authorization Type', 'Authorization', authorization);
  }
  if (presigned) return awsPresignClaim(req, now);
  if (v2Presigned) throw signatureV2NotSupported();
  return null;
}
