/**
 * AWS Signature Version 4 as S3 applies it: canonical request, string to sign, signing key, and
 * the chained signatures of aws-chunked bodies. Pure functions; aws-authenticate.ts decides what
 * a request claims and which readings of it to try.
 */
import * as crypto from 'node:crypto';
import { createHash, createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { v4CanonicalQuery } from './canonical-resource';

export const AWS4_ALGORITHM = 'AWS4-HMAC-SHA256';
export const AWS4_TERMINATOR = 'aws4_request';
export const S3_SERVICE = 's3';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
export const STREAMING_SIGNED = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
export const STREAMING_SIGNED_TRAILER = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER';
export const STREAMING_UNSIGNED_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';
/** sha256 of no bytes: the "hash of the (empty) chunk headers" in every chunk's string to sign. */
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export type PayloadMode =
  | { kind: 'unsigned' } // UNSIGNED-PAYLOAD (or presigned URL)
  | { kind: 'sha256'; hex: string } // body must hash to this (verified later by the caller)
  | { kind: 'streaming'; signed: boolean; trailer: boolean }; // STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER], STREAMING-UNSIGNED-PAYLOAD-TRAILER

export interface AwsChunkSigner {
  /** Expected signature of one aws-chunked chunk given the previous signature (the seed is the request's). */
  chunk(previousSignature: string, chunkData: Buffer): string;
  /** Expected signature of the trailer block (STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER). */
  trailer(previousSignature: string, trailerText: string): string;
  seedSignature: string;
}

/** `<YYYYMMDD>/<region>/s3/aws4_request` */
export interface AwsScope {
  day: string;
  region: string;
}

export function awsScopeString(scope: AwsScope): string {
  return `${scope.day}/${scope.region}/${S3_SERVICE}/${AWS4_TERMINATOR}`;
}

/** What an x-amz-content-sha256 value says about the body, or null when S3 would refuse it. */
export function payloadModeOf(value: string): PayloadMode | null {
  switch (value) {
    case UNSIGNED_PAYLOAD: return { kind: 'unsigned' };
    case STREAMING_SIGNED: return { kind: 'streaming', signed: true, trailer: false };
    case STREAMING_SIGNED_TRAILER: return { kind: 'streaming', signed: true, trailer: true };
    case STREAMING_UNSIGNED_TRAILER: return { kind: 'streaming', signed: false, trailer: true };
  }
  // The value as sent is what was signed; the caller compares the body's digest in lower case.
  return /^[0-9a-fA-F]{64}$/.test(value) ? { kind: 'sha256', hex: value.toLowerCase() } : null;
}

const UNRESERVED = /[A-Za-z0-9\-._~]/;
const PLAIN_PATH = /^[A-Za-z0-9\-._~/]*$/;

/** URI-encodes bytes the S3 way: all but A–Z a–z 0–9 - . _ ~ and '/', upper-case hex. */
function encodePathBytes(bytes: Buffer): string {
  let out = '';
  for (const byte of bytes) {
    const ch = String.fromCharCode(byte);
    out += UNRESERVED.test(ch) || ch === '/' ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const isHexDigit = (code: number): boolean =>
  (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x46) || (code >= 0x61 && code <= 0x66);

/**
 * The bytes a received path stands for: %XX escapes decoded once. Node's HTTP parser refuses a
 * request target with bytes outside ASCII, so other characters are ASCII bytes; a non-ASCII
 * character (a caller that built the path itself) is taken as its UTF-8. A '%' not followed by
 * two hex digits stays a '%' (re-encoded as %25), as a lenient decoder would leave it.
 */
function decodePathBytes(path: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < path.length; i++) {
    const code = path.charCodeAt(i);
    if (code === 0x25 && i + 2 < path.length && isHexDigit(path.charCodeAt(i + 1)) && isHexDigit(path.charCodeAt(i + 2))) {
      bytes.push(parseInt(path.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (code < 0x80) {
      bytes.push(code);
    } else {
      const char = String.fromCodePoint(path.codePointAt(i)!);
      bytes.push(...Buffer.from(char, 'utf8'));
      i += char.length - 1;
    }
  }
  return Buffer.from(bytes);
}

/**
 * Canonical URIs to try, in order. S3 signs the path un-normalized and encoded once, but clients
 * differ in how they put a key on the wire (some leave `!*'()` or `+` bare, some send `%2F` for a
 * slash in a key): the canonical form is rebuilt from the decoded path, and the path exactly as
 * received is tried as well when it differs. Either way the bytes named are the ones received.
 */
export function awsCanonicalUris(rawPath: string): string[] {
  const path = rawPath === '' ? '/' : rawPath;
  // The usual path (unreserved characters and slashes) is its own canonical form.
  if (PLAIN_PATH.test(path)) return [path];
  const canonical = encodePathBytes(decodePathBytes(path));
  return canonical === path ? [canonical] : [canonical, path];
}

/** Every parameter (the caller leaves X-Amz-Signature out), encoded, sorted by name then value; a bare name is `name=`. */
export function awsCanonicalQuery(query: Array<[string, string]>): string {
  return v4CanonicalQuery(query, () => false);
}

/**
 * SigV4's "trimall": leading and trailing blanks removed and inner runs collapsed to one space.
 * Only SP and HTAB count: the value may be latin1 text standing for UTF-8 bytes, where JavaScript's
 * \s and trim() would also take the byte 0xA0 (the tail of à, for one) for a space.
 */
function trimAll(value: string): string {
  // Most values have nothing to trim: one test instead of two replacements.
  if (!NEEDS_TRIM.test(value)) return value;
  return value.replace(/^[ \t]+|[ \t]+$/g, '').replace(/[ \t]+/g, ' ');
}
const NEEDS_TRIM = /^[ \t]|[ \t]$|[ \t][ \t]|\t/;

/**
 * `name:value\n` for each signed header, in the order SignedHeaders lists them (sorted, by every
 * signer). A header sent more than once is its values joined by ','. A signed header that is
 * absent is signed as empty, which only a signer that saw it so will match.
 */
export function awsCanonicalHeaders(headers: IncomingHttpHeaders, signedNames: readonly string[]): string {
  let out = '';
  for (const name of signedNames) {
    // Names come from the request: only own properties, or "__proto__" would read Object.prototype.
    const value = Object.hasOwn(headers, name) ? headers[name] : undefined;
    const text = Array.isArray(value) ? value.map(trimAll).join(',') : trimAll(value ?? '');
    out += `${name}:${text}\n`;
  }
  return out;
}

export function awsCanonicalRequest(
  method: string,
  canonicalUri: string,
  canonicalQuery: string,
  canonicalHeaders: string,
  signedHeaders: string,
  payloadHash: string,
): string {
  return [method, canonicalUri, canonicalQuery, canonicalHeaders, signedHeaders, payloadHash].join('\n');
}

/** Node's one-shot crypto.hash (Node ≥ 20.12): a third of createHash's cost on the short inputs signing hashes. */
const oneShotHash = (crypto as { hash?: (algorithm: string, data: string | Buffer, encoding: 'hex') => string }).hash;

export function sha256Hex(data: string | Buffer): string {
  return oneShotHash ? oneShotHash('sha256', data, 'hex') : createHash('sha256').update(data).digest('hex');
}

/** `timestamp` is the request's time in ISO basic form (YYYYMMDDTHHMMSSZ), as the signer used it. */
export function awsStringToSign(timestamp: string, scope: AwsScope, canonicalRequest: string): string {
  return [AWS4_ALGORITHM, timestamp, awsScopeString(scope), sha256Hex(canonicalRequest)].join('\n');
}

/**
 * Derived signing keys, as AWS suggests caching them: one per secret, day and region, so a
 * request costs one HMAC of its own instead of five. Bounded; the oldest entry goes first.
 */
const signingKeys = new Map<string, Buffer>();
const MAX_SIGNING_KEYS = 1024;

/** HMAC("AWS4"+secret, day) → region → "s3" → "aws4_request". */
export function awsSigningKey(secret: string, scope: AwsScope): Buffer {
  const id = `${scope.day}\n${scope.region}\n${secret}`;
  const cached = signingKeys.get(id);
  if (cached) return cached;
  const key = [scope.day, scope.region, S3_SERVICE, AWS4_TERMINATOR].reduce<Buffer | string>(
    (k, part) => createHmac('sha256', k).update(part, 'utf8').digest(),
    `AWS4${secret}`,
  ) as Buffer;
  if (signingKeys.size >= MAX_SIGNING_KEYS) signingKeys.delete(signingKeys.keys().next().value!);
  signingKeys.set(id, key);
  return key;
}

export function awsSign(signingKey: Buffer, stringToSign: string): string {
  return createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex');
}

export function awsChunkStringToSign(timestamp: string, scope: AwsScope, previousSignature: string, chunkData: Buffer): string {
  return ['AWS4-HMAC-SHA256-PAYLOAD', timestamp, awsScopeString(scope), previousSignature, EMPTY_SHA256, sha256Hex(chunkData)].join('\n');
}

/** `trailerText` is the trailing header lines as signed: `name:value\n` each, the signature line excluded. */
export function awsTrailerStringToSign(timestamp: string, scope: AwsScope, previousSignature: string, trailerText: string): string {
  return ['AWS4-HMAC-SHA256-TRAILER', timestamp, awsScopeString(scope), previousSignature, sha256Hex(trailerText)].join('\n');
}

/** The signer of an aws-chunked body whose request signature (the seed) has verified. */
export function awsChunkSigner(signingKey: Buffer, timestamp: string, scope: AwsScope, seedSignature: string): AwsChunkSigner {
  return {
    seedSignature,
    chunk: (previous, data) => awsSign(signingKey, awsChunkStringToSign(timestamp, scope, previous, data)),
    trailer: (previous, text) => awsSign(signingKey, awsTrailerStringToSign(timestamp, scope, previous, text)),
  };
}
