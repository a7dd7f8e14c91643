/** The parsed view of an OSS request that operation handlers work with, and what they return. */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type { ChecksumRequest } from '../core/segment-writer';
import type { Caller } from '../common/caller';
import type { UploadRecord } from '../store/types';
import type { XmlDoc } from './xml';

export interface OssRequest {
  id: string;
  method: string;
  raw: IncomingMessage;
  /**
   * The headers operations read: the request's own for OSS; for the S3 dialect, its x-amz-* headers
   * under their OSS names (see s3/request-headers.ts).
   */
  headers: IncomingHttpHeaders;
  /** The request body: the raw stream for OSS; for S3, the payload with aws-chunked framing removed and verified. */
  body: Readable;
  /** Decoded query parameters; the first occurrence of a name wins. */
  query: Map<string, string>;
  bucket?: string;
  key?: string;
  /** SSE-C (S3 dialect only): the customer's key for the object written or read, 32 bytes; never stored. */
  customerKey?: Buffer;
  /** SSE-C: the key of a copy's source object. */
  sourceCustomerKey?: Buffer;
  /** SSE-KMS (S3 dialect only): encryption context the caller adds to the data key's. */
  kmsContext?: Record<string, string>;
  /** A flexible checksum (S3 dialect only): of a write's body; of the whole object on CompleteMultipartUpload. */
  checksum?: ChecksumRequest;
  /** CreateMultipartUpload (S3 dialect only): the checksum the object will carry. */
  uploadChecksum?: UploadRecord['checksum'];
  /** GetObject/HeadObject (S3 dialect only): answer the stored checksum (x-amz-checksum-mode: ENABLED). */
  checksumMode?: boolean;
  /** This server's endpoint as OSS reports endpoints (host[:port]): see endpoint.ts. */
  endpoint: string;
  /** Who asks (principal, policies), from where, over what: what authorization decides on. */
  caller: Caller;
  /**
   * The caller a signature inside the request body names (PostObject's form), with the key's
   * secret to verify it; throws InvalidAccessKeyId for an unknown or inactive key.
   */
  callerFor(accessKeyId: string): Promise<{ caller: Caller; secret: string }>;
}

export interface OssResponse {
  status: number;
  headers?: Record<string, string | number | undefined>;
  body?: string | Buffer | Readable | XmlDoc;
}

export function header(req: OssRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Whether `value` can go out as a response header: no CR, LF or other control character but tab,
 * nothing beyond Latin-1 (Node refuses to send anything else, and CR/LF would split the response).
 * Every header value that comes from request input other than a request header is checked with it.
 */
export function isHeaderValue(value: string): boolean {
  return /^[\t\x20-\x7e\x80-\xff]*$/.test(value);
}

export function hasParam(req: OssRequest, name: string): boolean {
  return req.query.has(name);
}

/** A query parameter; empty values count as absent (oss2 sends empty `prefix=`, `marker=`, …). */
export function param(req: OssRequest, name: string): string | undefined {
  const v = req.query.get(name);
  return v === undefined || v === '' ? undefined : v;
}
