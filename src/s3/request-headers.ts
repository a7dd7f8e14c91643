/**
 * An S3 request's headers under the names the operations read: x-amz-* headers become their x-oss-*
 * twins (values translated where the dialects spell them differently), x-oss-* headers an S3 client
 * sent are dropped (S3 requests speak S3 only), and headers for features Coffer does not have are
 * refused rather than ignored, so nothing a client asked for is silently left undone.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { CofferError } from '../common/errors';
import { kmsKeyFromS3, ossSseAlgorithm, ossStorageClass } from './names';

/** Renamed as they are: same meaning, same value syntax. */
const RENAMED: Record<string, string> = {
  'x-amz-copy-source-if-match': 'x-oss-copy-source-if-match',
  'x-amz-copy-source-if-none-match': 'x-oss-copy-source-if-none-match',
  'x-amz-copy-source-if-modified-since': 'x-oss-copy-source-if-modified-since',
  'x-amz-copy-source-if-unmodified-since': 'x-oss-copy-source-if-unmodified-since',
  'x-amz-copy-source-range': 'x-oss-copy-source-range',
  'x-amz-metadata-directive': 'x-oss-metadata-directive',
  'x-amz-tagging-directive': 'x-oss-tagging-directive',
  'x-amz-tagging': 'x-oss-tagging',
};

/** What Coffer lacks: refused with NotImplemented when sent. */
const UNSUPPORTED: Record<string, string> = {
  'x-amz-website-redirect-location': 'website redirects',
  'x-amz-object-lock-mode': 'object lock',
  'x-amz-object-lock-retain-until-date': 'object lock',
  'x-amz-object-lock-legal-hold': 'object lock',
  'x-amz-bypass-governance-retention': 'object lock',
  'x-amz-grant-read': 'grant headers (use x-amz-acl)',
  'x-amz-grant-write': 'grant headers (use x-amz-acl)',
  'x-amz-grant-read-acp': 'grant headers (use x-amz-acl)',
  'x-amz-grant-write-acp': 'grant headers (use x-amz-acl)',
  'x-amz-grant-full-control': 'grant headers (use x-amz-acl)',
  'x-amz-write-offset-bytes': 'appends through S3',
};

/**
 * Canned ACLs. With one account, the bucket owner is every object's owner, so the bucket-owner-*
 * ACLs give the owner what it has anyway: private.
 */
const CANNED_ACL: Record<string, string> = {
  private: 'private',
  'public-read': 'public-read',
  'public-read-write': 'public-read-write',
  'bucket-owner-full-control': 'private',
  'bucket-owner-read': 'private',
};

export function cannedAcl(value: string): string {
  const acl = CANNED_ACL[value];
  if (acl) return acl;
  if (value === 'authenticated-read' || value === 'aws-exec-read' || value === 'log-delivery-write') {
    throw new CofferError('NotImplemented', `The canned ACL ${value} has no meaning in Coffer (it names AWS-wide groups).`);
  }
  throw new CofferError('InvalidArgument', `${value} is not a canned ACL.`, { ArgumentName: 'x-amz-acl', ArgumentValue: value });
}

/** x-amz-copy-source: [/]bucket/key[?versionId=…], percent-encoded; to OSS's /bucket/key[?versionId=…]. */
function copySource(value: string): string {
  const q = value.indexOf('?');
  const path = q < 0 ? value : value.slice(0, q);
  const version = q < 0 ? null : new URLSearchParams(value.slice(q + 1)).get('versionId');
  // The operation validates the id (InvalidArgument for one that cannot be a version id).
  return `/${path.replace(/^\//, '')}${version === null ? '' : `?versionId=${version}`}`;
}

/**
 * The request's headers translated for the OSS operations. `objectLevel` tells which ACL header
 * x-amz-acl stands for (x-oss-object-acl on objects, x-oss-acl on buckets).
 */
export function translateRequestHeaders(raw: IncomingHttpHeaders, objectLevel: boolean): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined || name.startsWith('x-oss-')) continue;
    if (!name.startsWith('x-amz-')) {
      out[name] = value;
      continue;
    }
    const v = Array.isArray(value) ? value.join(', ') : value;
    if (name.startsWith('x-amz-meta-')) {
      out[`x-oss-meta-${name.slice('x-amz-meta-'.length)}`] = value;
    } else if (RENAMED[name]) {
      out[RENAMED[name]] = v;
    } else if (name === 'x-amz-copy-source') {
      out['x-oss-copy-source'] = copySource(v);
    } else if (name === 'x-amz-acl') {
      out[objectLevel ? 'x-oss-object-acl' : 'x-oss-acl'] = cannedAcl(v);
    } else if (name === 'x-amz-storage-class') {
      out['x-oss-storage-class'] = ossStorageClass(v);
    } else if (name === 'x-amz-server-side-encryption') {
      out['x-oss-server-side-encryption'] = ossSseAlgorithm(v, name);
    } else if (name === 'x-amz-server-side-encryption-aws-kms-key-id') {
      out['x-oss-server-side-encryption-key-id'] = kmsKeyFromS3(v);
    } else if (UNSUPPORTED[name]) {
      throw new CofferError('NotImplemented', `${name}: ${UNSUPPORTED[name]} are not implemented by Coffer.`);
    } else if (name === 'x-amz-bucket-object-lock-enabled' && v.toLowerCase() === 'true') {
      throw new CofferError('NotImplemented', 'Object lock is not implemented by Coffer.');
    }
    // The rest (signing, payload, checksum and SSE-C headers) the S3 layer reads itself; headers S3
    // does not define are ignored, as S3 ignores them.
  }
  // S3 answers an unsatisfiable range with 416; OSS does so only when asked.
  if (out.range !== undefined) out['x-oss-range-behavior'] = 'standard';
  return out;
}
