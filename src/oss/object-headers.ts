/** Object attributes from request headers, and the headers GET/HEAD answer with. */
import { CofferError } from '../common/errors';
import { LIMITS } from '../core/coffer';
import { isStorageClass, restoreState } from '../core/storage-class';
import type { ObjectAttributes } from '../core/objects';
import type { BucketAcl, ObjectAcl, ObjectRecord, StoredHeaders } from '../store/types';
import { httpDate, quoteEtag } from './format';
import { taggingCount, taggingHeaderTags } from './object-tagging';
import { header, type OssRequest } from './request';
import { sseResponseHeaders } from './sse-headers';

const BUCKET_ACLS = new Set(['private', 'public-read', 'public-read-write']);
const REDUNDANCY_TYPES = new Set(['LRS', 'ZRS']);
const STORED = ['cache-control', 'content-disposition', 'content-encoding', 'content-language', 'expires'] as const;

function invalid(name: string, value: string): CofferError {
  return new CofferError('InvalidArgument', `The value of ${name} is not valid.`, { ArgumentName: name, ArgumentValue: value });
}

export function bucketAclFrom(req: OssRequest, fallback: BucketAcl | undefined): BucketAcl | undefined {
  const v = header(req, 'x-oss-acl');
  if (v === undefined) return fallback;
  if (!BUCKET_ACLS.has(v)) throw invalid('x-oss-acl', v);
  return v as BucketAcl;
}

export function objectAclFrom(req: OssRequest): ObjectAcl | undefined {
  const v = header(req, 'x-oss-object-acl');
  if (v === undefined) return undefined;
  if (v !== 'default' && !BUCKET_ACLS.has(v)) throw invalid('x-oss-object-acl', v);
  return v as ObjectAcl;
}

/** A storage class named by a header or an XML element (`name`), validated. */
export function checkStorageClass(name: string, v: string): string {
  if (!isStorageClass(v)) throw invalid(name, v);
  return v;
}

export function checkRedundancyType(name: string, v: string): string {
  if (!REDUNDANCY_TYPES.has(v)) throw invalid(name, v);
  return v;
}

export function storageClassFrom(req: OssRequest): string | undefined {
  const v = header(req, 'x-oss-storage-class');
  return v === undefined ? undefined : checkStorageClass('x-oss-storage-class', v);
}

export function storedHeadersFrom(req: OssRequest): StoredHeaders {
  const h: StoredHeaders = { 'content-type': header(req, 'content-type') || 'application/octet-stream' };
  for (const name of STORED) {
    const v = header(req, name);
    if (v !== undefined) h[name] = v;
  }
  return h;
}

export function userMetaFrom(req: OssRequest): Record<string, string> {
  const meta: Record<string, string> = {};
  let bytes = 0;
  for (const [name, value] of Object.entries(req.headers)) {
    if (!name.startsWith('x-oss-meta-') || value === undefined) continue;
    const v = Array.isArray(value) ? value.join(',') : value;
    const short = name.slice('x-oss-meta-'.length);
    meta[short] = v;
    // Values are the bytes as received, one latin1 character each: count those bytes.
    bytes += Buffer.byteLength(name) + Buffer.byteLength(v, 'latin1');
  }
  if (bytes > LIMITS.maxUserMetaBytes) {
    throw new CofferError('InvalidArgument', 'The user metadata of an object must not exceed 8 KB.', { ArgumentName: 'x-oss-meta-*', EC: '0011-00000002' });
  }
  return meta;
}

/** Everything a write may set about an object, with OSS's defaults. */
export function objectAttributesFrom(req: OssRequest): ObjectAttributes {
  return {
    headers: storedHeadersFrom(req),
    userMeta: userMetaFrom(req),
    acl: objectAclFrom(req) ?? 'default',
    storageClass: storageClassFrom(req),
    tags: taggingHeaderTags(req),
  };
}

/**
 * x-oss-restore (HEAD, GET) and RestoreInfo (listings) of an archive-class object with a restore:
 * ongoing-request="true" while it runs, then ongoing-request="false", expiry-date="<HTTP date>".
 */
export function restoreInfo(obj: ObjectRecord, now: number): string | undefined {
  const state = restoreState(obj, now);
  if (!state) return undefined;
  return state.ongoing ? 'ongoing-request="true"' : `ongoing-request="false", expiry-date="${httpDate(state.expiresAt)}"`;
}

/** Headers of GET/HEAD (before response-* overrides and range adjustments), at `now`. */
export function objectHeaders(obj: ObjectRecord, now: number): Record<string, string | number | undefined> {
  const h: Record<string, string | number | undefined> = {
    'Content-Type': obj.headers['content-type'],
    'Cache-Control': obj.headers['cache-control'],
    'Content-Disposition': obj.headers['content-disposition'],
    'Content-Encoding': obj.headers['content-encoding'],
    'Content-Language': obj.headers['content-language'],
    Expires: obj.headers.expires,
    ETag: quoteEtag(obj.etag),
    'Last-Modified': httpDate(obj.lastModified),
    'Accept-Ranges': 'bytes',
    'x-oss-object-type': obj.type,
    'x-oss-storage-class': obj.storageClass,
    'x-oss-restore': restoreInfo(obj, now),
    'x-oss-hash-crc64ecma': obj.crc64,
    'Content-MD5': obj.contentMd5,
    'x-oss-next-append-position': obj.type === 'Appendable' ? obj.size : undefined,
    'x-oss-tagging-count': taggingCount(obj),
    ...sseResponseHeaders(obj.encryption),
  };
  for (const [k, v] of Object.entries(obj.userMeta)) h[`x-oss-meta-${k}`] = v;
  return h;
}
