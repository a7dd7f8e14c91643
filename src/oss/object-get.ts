/** GetObject, HeadObject, GetObjectMeta. */
import { requireBucket } from '../core/buckets';
import type { Coffer } from '../core/coffer';
import { evaluateConditions } from '../core/conditions';
import { asObjectEncryption, checkCustomerKey } from '../core/encryption';
import { CofferError } from '../common/errors';
import { objectCipher, objectData } from '../core/objects';
import { requireReadable } from '../core/storage-class';
import { currentDeleteMarker, requireObjectVersion } from '../core/versions';
import { isDeleteMarker, versionIdOf, type BucketRecord, type ObjectRecord } from '../store/types';
import { requestedVersionId, versionAction, versionIdHeader } from './object-versions';
import { authorizeObject } from './access';
import { existingTagValues } from './object-tagging';
import { httpDate, quoteEtag } from './format';
import { checksumHeaders } from './checksum-headers';
import { objectHeaders } from './object-headers';
import { readThroughLink } from './symlink';
import { header, isHeaderValue, param, type OssRequest, type OssResponse } from './request';

/**
 * Loads the object a read names, checking access first so that a missing key is not revealed to
 * those who may not read it. A link is followed (what the read serves, see symlink.ts) unless
 * `follow` is false. An SSE-C object (written through the S3 dialect) needs its customer key,
 * which OSS has no way to send: GetObject, HeadObject and GetObjectMeta of one are 400
 * InvalidRequest, before any condition is evaluated, as S3 answers a read without the key.
 * Answers the object with its bucket (whose versioning decides what x-oss-version-id says).
 */
export async function readableObject(c: Coffer, req: OssRequest, opts = { follow: true }): Promise<{ obj: ObjectRecord; bucket: BucketRecord }> {
  const bucket = await requireBucket(c, req.bucket!);
  const versionId = requestedVersionId(req);
  // With a versionId, that version (oss:GetObjectVersion); a delete marker has no ACL or tags.
  const named = versionId === undefined ? null : await c.meta.getVersion(req.bucket!, req.key!, versionId);
  let obj = versionId === undefined ? await c.meta.getObject(req.bucket!, req.key!)
    : named && !isDeleteMarker(named.record) ? named.record : null;
  authorizeObject(c, req, versionAction('oss:GetObject', versionId), bucket, req.key!, obj?.acl, existingTagValues(obj));
  if (versionId !== undefined && !obj) await requireObjectVersion(c, req.bucket!, req.key!, versionId);
  if (!obj) throw await noSuchKey(c, bucket, req.key!);
  if (obj.type === 'Symlink' && opts.follow) obj = await readThroughLink(c, req, bucket, obj);
  if (req.caller.principal.kind === 'anonymous' && asObjectEncryption(obj.encryption)?.algorithm === 'KMS') {
    throw new CofferError('AccessDenied', 'Anonymous requests cannot use SSE-KMS encrypted objects.');
  }
  checkCustomerKey(obj.encryption, req.customerKey);
  return { obj, bucket };
}

/** NoSuchKey, saying so when the key's newest version is a delete marker (only a versioned bucket has any). */
async function noSuchKey(c: Coffer, bucket: BucketRecord, key: string): Promise<CofferError> {
  const marker = bucket.versioning ? await currentDeleteMarker(c, bucket.name, key) : null;
  return new CofferError('NoSuchKey', 'The specified key does not exist.', {
    Key: key, ...(marker && { DeleteMarker: 'true', VersionId: versionIdOf(marker) }),
  });
}

/** Evaluates If-* headers: a 304 response, or null to go on (412 is thrown). */
function preconditions(req: OssRequest, obj: ObjectRecord): OssResponse | null {
  const outcome = evaluateConditions({
    ifMatch: header(req, 'if-match'),
    ifNoneMatch: header(req, 'if-none-match'),
    ifModifiedSince: header(req, 'if-modified-since'),
    ifUnmodifiedSince: header(req, 'if-unmodified-since'),
  }, obj);
  if (outcome === 'ok') return null;
  return { status: 304, headers: { ETag: quoteEtag(obj.etag), 'Last-Modified': httpDate(obj.lastModified) } };
}

/**
 * The byte range a Range header asks for. OSS ignores an invalid or unsatisfiable range and sends
 * the whole object, unless x-oss-range-behavior: standard asks for 416; of several ranges only the
 * first counts.
 */
export function parseRange(value: string | undefined, size: number, standard: boolean): { start: number; end: number } | null {
  if (!value) return null;
  const m = /^bytes=\s*(\d*)\s*-\s*(\d*)\s*(?:,.*)?$/.exec(value.trim());
  const unsatisfiable = (): null => {
    if (standard) throw new CofferError('InvalidRange', 'The requested range cannot be satisfied.', { RangeRequested: value, ActualObjectSize: String(size) });
    return null;
  };
  if (!m || (m[1] === '' && m[2] === '')) return standard && m ? unsatisfiable() : null;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0 || size === 0) return unsatisfiable();
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  let end = m[2] === '' ? size - 1 : Number(m[2]);
  if (start >= size || end < start) return unsatisfiable();
  if (end >= size) {
    if (!standard && m[2] !== '') return null;
    end = size - 1;
  }
  return { start, end };
}

const OVERRIDES: Array<[string, string]> = [
  ['response-content-type', 'Content-Type'],
  ['response-content-language', 'Content-Language'],
  ['response-expires', 'Expires'],
  ['response-cache-control', 'Cache-Control'],
  ['response-content-disposition', 'Content-Disposition'],
  ['response-content-encoding', 'Content-Encoding'],
];

/**
 * The response-* overrides a GetObject asks for, checked before anything is read: OSS honours them
 * only on signed requests (an anonymous link must not make a public object serve as HTML), and
 * their values become response headers.
 */
function requestedOverrides(req: OssRequest): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [q, h] of OVERRIDES) {
    const v = param(req, q);
    if (v === undefined) continue;
    if (req.caller.principal.kind === 'anonymous') {
      throw new CofferError('InvalidRequest', 'Can not override response header for an anonymous user.');
    }
    if (!isHeaderValue(v)) {
      throw new CofferError('InvalidArgument', `${q} must be a valid header value: no control characters but tab, nothing beyond Latin-1.`, { ArgumentName: q, ArgumentValue: v });
    }
    headers[h] = v;
  }
  return headers;
}

export async function GetObject(c: Coffer, req: OssRequest): Promise<OssResponse> {
  const overrides = requestedOverrides(req);
  const { obj, bucket } = await readableObject(c, req);
  requireReadable(c, obj);
  const notModified = preconditions(req, obj);
  if (notModified) return notModified;
  const range = parseRange(header(req, 'range'), obj.size, header(req, 'x-oss-range-behavior') === 'standard');
  const start = range?.start ?? 0;
  const end = range?.end ?? obj.size - 1;
  // Unseal the key before any header is sent, so a key problem becomes a clean error response.
  const cipher = await objectCipher(c, obj, req.caller, req.customerKey);
  const headers = {
    ...objectHeaders(obj, c.now()), ...versionIdHeader(obj, bucket), ...overrides, ...(req.checksumMode && !range && checksumHeaders(obj.checksum)),
  };
  headers['Content-Length'] = end - start + 1;
  if (range) headers['Content-Range'] = `bytes ${start}-${end}/${obj.size}`;
  return { status: range ? 206 : 200, headers, body: objectData(c, obj, cipher, start, end) };
}

export async function HeadObject(c: Coffer, req: OssRequest): Promise<OssResponse> {
  const { obj, bucket } = await readableObject(c, req);
  const notModified = preconditions(req, obj);
  if (notModified) return notModified;
  return {
    status: 200,
    headers: { ...objectHeaders(obj, c.now()), ...versionIdHeader(obj, bucket), ...(req.checksumMode && checksumHeaders(obj.checksum)), 'Content-Length': obj.size },
  };
}

export async function GetObjectMeta(c: Coffer, req: OssRequest): Promise<OssResponse> {
  const { obj, bucket } = await readableObject(c, req);
  return {
    status: 200,
    headers: {
      ETag: quoteEtag(obj.etag),
      'Content-Length': obj.size,
      'Last-Modified': httpDate(obj.lastModified),
      'x-oss-last-access-time': httpDate(obj.lastModified),
      'x-oss-hash-crc64ecma': obj.crc64,
      ...versionIdHeader(obj, bucket),
    },
  };
}
