/**
 * Authenticates an RPC-style request signed with V1 (HMAC-SHA1 params) or V3
 * (ACS3-HMAC-SHA256 Authorization header): freshness, access key, signature, nonce — in that
 * order, so that only correctly signed requests spend a nonce slot.
 */
import { MAX_SKEW_MS } from '../auth/auth-errors';
import { signaturesEqual } from '../auth/constant-time';
import { CofferError } from '../common/errors';
import type { AccessKey } from '../iam/credentials';
import type { NonceCache } from './nonces';
import type { RpcHttpRequest } from './request';
import {
  V3_ALGORITHM, sha256Hex, v1Signature, v1StringToSign, v3CanonicalRequest, v3Signature, v3StringToSign,
} from './signature';

export type SignatureStyle = 'v1' | 'v3';

export interface RpcAuthOptions {
  lookup(accessKeyId: string): Promise<AccessKey | null>;
  nonces: NonceCache;
}

/** What a signature claims, before the secret is known. */
interface Claim {
  style: SignatureStyle;
  accessKeyId: string;
  /** Timestamp (V1) or x-acs-date (V3), as sent. */
  time: string | undefined;
  nonce: string;
  stringToSign: string;
  provided: string;
  sign(secret: string, stringToSign: string): string;
}

/** Headers every V3 request must sign (Alibaba's V3 doc: all common headers but Authorization). */
const V3_REQUIRED_SIGNED_HEADERS = [
  'host', 'x-acs-action', 'x-acs-content-sha256', 'x-acs-date', 'x-acs-signature-nonce', 'x-acs-version',
] as const;

const incomplete = (message: string): CofferError => new CofferError('IncompleteSignature', message);

/** The one value of a header, or undefined when it is absent or repeated. */
export function singleHeader(req: Pick<RpcHttpRequest, 'headers'>, name: string): string | undefined {
  const values = req.headers[name];
  return values?.length === 1 ? values[0] : undefined;
}

function v1Claim(req: RpcHttpRequest, params: ReadonlyMap<string, string>): Claim {
  const required = (name: string): string => {
    const value = params.get(name);
    if (!value) throw incomplete(`The signature parameter ${name} is missing.`);
    return value;
  };
  const provided = required('Signature');
  const accessKeyId = required('AccessKeyId');
  if (required('SignatureMethod') !== 'HMAC-SHA1') throw incomplete('SignatureMethod must be HMAC-SHA1.');
  if (required('SignatureVersion') !== '1.0') throw incomplete('SignatureVersion must be 1.0.');
  return {
    style: 'v1',
    accessKeyId,
    time: params.get('Timestamp'),
    nonce: required('SignatureNonce'),
    stringToSign: v1StringToSign(req.method, params),
    provided,
    sign: v1Signature,
  };
}

function v3Claim(req: RpcHttpRequest, authorization: string): Claim {
  const fields = new Map<string, string>();
  for (const part of authorization.slice(V3_ALGORITHM.length).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const accessKeyId = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders')?.split(';') ?? [];
  const provided = fields.get('Signature');
  if (!accessKeyId || !provided || signedHeaders.length === 0) {
    throw incomplete(`The Authorization header must be "${V3_ALGORITHM} Credential=…,SignedHeaders=…,Signature=…".`);
  }
  const unsigned = V3_REQUIRED_SIGNED_HEADERS.filter((h) => !signedHeaders.includes(h));
  if (unsigned.length > 0) throw incomplete(`SignedHeaders must include ${unsigned.join(', ')}.`);
  const nonce = singleHeader(req, 'x-acs-signature-nonce');
  if (!nonce) throw incomplete('The x-acs-signature-nonce header is missing.');
  const hashedPayload = singleHeader(req, 'x-acs-content-sha256') ?? '';
  if (hashedPayload !== sha256Hex(req.body)) {
    throw new CofferError('SignatureDoesNotMatch', 'The x-acs-content-sha256 header is not the SHA-256 of the request body.');
  }
  return {
    style: 'v3',
    accessKeyId,
    time: singleHeader(req, 'x-acs-date'),
    nonce,
    stringToSign: v3StringToSign(v3CanonicalRequest({
      method: req.method, path: req.path, query: req.query, headers: req.headers, signedHeaders, hashedPayload,
    })),
    provided,
    sign: v3Signature,
  };
}

function claimOf(req: RpcHttpRequest, params: ReadonlyMap<string, string>): Claim {
  const authorization = singleHeader(req, 'authorization');
  if (authorization === undefined) return v1Claim(req, params);
  if (authorization.startsWith(`${V3_ALGORITHM} `)) return v3Claim(req, authorization);
  throw incomplete(`Only ${V3_ALGORITHM} Authorization headers and V1 (HMAC-SHA1) signed parameters are supported.`);
}

const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z$/;

function checkTime(claim: Claim, now: Date): void {
  const name = claim.style === 'v1' ? 'Timestamp' : 'x-acs-date';
  const ms = claim.time !== undefined && TIME.test(claim.time) ? Date.parse(claim.time) : NaN;
  if (Number.isNaN(ms)) {
    throw new CofferError('IllegalTimestamp', `${name} must be a UTC time as YYYY-MM-DDThh:mm:ssZ; got ${JSON.stringify(claim.time ?? '')}.`);
  }
  if (Math.abs(now.getTime() - ms) > MAX_SKEW_MS) {
    throw new CofferError('InvalidTimeStamp.Expired',
      `${name} ${claim.time} is more than 15 minutes away from the server time ${now.toISOString()}.`);
  }
}

export async function authenticateRpc(
  req: RpcHttpRequest,
  params: ReadonlyMap<string, string>,
  opts: RpcAuthOptions,
): Promise<{ key: AccessKey; style: SignatureStyle }> {
  const claim = claimOf(req, params);
  const now = new Date();
  checkTime(claim, now);
  const key = await opts.lookup(claim.accessKeyId);
  if (!key) throw new CofferError('InvalidAccessKeyId.NotFound', `Specified access key ${claim.accessKeyId} is not found.`);
  if (!signaturesEqual(claim.sign(key.secret, claim.stringToSign), claim.provided)) {
    throw new CofferError('SignatureDoesNotMatch',
      `Specified signature is not matched with our calculation. server string to sign is:${claim.stringToSign}`);
  }
  // An Inactive RAM key still signs correctly; it authenticates nothing.
  if (!key.active) throw new CofferError('Forbidden.AccessKey', `Specified access key ${claim.accessKeyId} is disabled.`);
  switch (opts.nonces.claim(claim.accessKeyId, claim.nonce, now.getTime())) {
    case 'replayed': throw new CofferError('SignatureNonceUsed', `Specified signature nonce ${claim.nonce} was used already.`);
    case 'full': throw new CofferError('Rejected.Throttling', 'Too many signed requests within the replay window; retry later.');
    case 'fresh': return { key, style: claim.style };
  }
}
