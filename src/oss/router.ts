/**
 * Request routing: which bucket and key a request names (path or virtual-hosted style, and the
 * forms the SDKs really send), and which OSS operation it is.
 */
import { CofferError } from '../common/errors';

export interface Target { bucket?: string; key?: string }

/** Splits a raw query string; + means space, then percent-decoding (reference §1.3). */
export function parseQuery(raw: string): Array<[string, string]> {
  if (!raw) return [];
  const out: Array<[string, string]> = [];
  for (const part of raw.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? '' : part.slice(eq + 1);
    out.push([decodePart(name), decodePart(value)]);
  }
  return out;
}

/** A query name or value: most have nothing to decode (signatures, dates, ids). */
const decodePart = (s: string): string => (/[%+]/.test(s) ? decode(s.replace(/\+/g, ' ')) : s);

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new CofferError('InvalidArgument', 'The request URI is not correctly percent-encoded.');
  }
}

/** Alibaba's own endpoint names, <bucket>.oss-<region>[-internal].aliyuncs.com: what ali-oss sends as Host to an IP endpoint. */
export const OSS_HOST = /^(?:([^.]*)\.)?oss-[a-z0-9-]+(?:-internal)?\.aliyuncs\.com$/;

/**
 * Every (bucket, key) reading of a request. Virtual-hosted when Host is <bucket>.oss-….aliyuncs.com
 * (what ali-oss sends for an IP endpoint) or <bucket>.<domain>; path style otherwise. When a bucket is
 * named by Host and the path also starts with it (ali-oss with sldEnable on an IP endpoint), both
 * readings are returned and the signature decides.
 */
export function targetsOf(hostHeader: string | undefined, rawPath: string, domain?: string): Target[] {
  const host = (hostHeader ?? '').toLowerCase().replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
  const path = decode(rawPath);
  let hostBucket: string | undefined;
  let virtual = false;
  const m = OSS_HOST.exec(host);
  if (m) {
    virtual = true;
    hostBucket = m[1] || undefined;
  } else if (domain && host.endsWith(`.${domain}`)) {
    virtual = true;
    hostBucket = host.slice(0, -domain.length - 1) || undefined;
  }
  const pathStyle = (): Target => {
    const rest = path.replace(/^\//, '');
    const slash = rest.indexOf('/');
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    const key = slash < 0 ? '' : rest.slice(slash + 1);
    return { bucket: bucket || undefined, key: bucket && key ? key : undefined };
  };
  if (!virtual) return [pathStyle()];
  const key = path.replace(/^\//, '');
  const hosted: Target = { bucket: hostBucket, key: hostBucket && key ? key : undefined };
  if (!hostBucket) {
    // ali-oss ListBuckets on an IP endpoint sends Host ".oss-cn-hangzhou.aliyuncs.com"; path style may still name a bucket.
    const p = pathStyle();
    return p.bucket ? [p] : [hosted];
  }
  if (path === `/${hostBucket}` || path.startsWith(`/${hostBucket}/`)) return [hosted, pathStyle()];
  return [hosted];
}

export type Operation =
  | 'ListBuckets'
  | 'PutBucket' | 'DeleteBucket' | 'GetBucketInfo' | 'GetBucketLocation'
  | 'PutBucketAcl' | 'GetBucketAcl'
  | 'PutBucketEncryption' | 'GetBucketEncryption' | 'DeleteBucketEncryption'
  | 'PutBucketCors' | 'GetBucketCors' | 'DeleteBucketCors'
  | 'PutBucketVersioning' | 'GetBucketVersioning' | 'ListObjectVersions'
  | 'PutBucketLifecycle' | 'GetBucketLifecycle' | 'DeleteBucketLifecycle'
  | 'PutBucketPolicy' | 'GetBucketPolicy' | 'DeleteBucketPolicy'
  | 'InitiateBucketWorm' | 'AbortBucketWorm' | 'CompleteBucketWorm' | 'ExtendBucketWorm' | 'GetBucketWorm'
  | 'ListObjects' | 'ListObjectsV2' | 'DeleteMultipleObjects' | 'ListMultipartUploads'
  | 'PutObject' | 'PostObject' | 'CopyObject' | 'GetObject' | 'HeadObject' | 'GetObjectMeta' | 'DeleteObject' | 'AppendObject'
  | 'PutObjectAcl' | 'GetObjectAcl'
  | 'PutObjectTagging' | 'GetObjectTagging' | 'DeleteObjectTagging'
  | 'InitiateMultipartUpload' | 'UploadPart' | 'UploadPartCopy' | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload' | 'ListParts'
  | 'RestoreObject' | 'PutSymlink' | 'GetSymlink' | 'GetBucketStat';

/** Bucket sub-resources OSS has that Coffer does not implement: answered with NotImplemented, not misread as a listing. */
const UNSUPPORTED_BUCKET = ['logging', 'website', 'referer', 'tagging', 'replication', 'inventory', 'cname', 'requestPayment', 'transferAcceleration', 'qos',
  'resourceGroup', 'httpsConfig', 'metaQuery', 'accessPoint', 'publicAccessBlock', 'regionList'];
const UNSUPPORTED_OBJECT = ['x-oss-process', 'selectObject', 'x-oss-async-process'];
/** Object operations that act on one version when the request names a versionId. */
const VERSIONED: ReadonlySet<Operation> = new Set<Operation>([
  'GetObject', 'HeadObject', 'GetObjectMeta', 'DeleteObject', 'PutObjectAcl', 'GetObjectAcl',
  'PutObjectTagging', 'GetObjectTagging', 'DeleteObjectTagging',
]);

export function operationOf(method: string, t: Target, q: Map<string, string>, copySource: boolean): Operation {
  const has = (n: string): boolean => q.has(n);
  const notImplemented = (what: string): never => {
    throw new CofferError('NotImplemented', `${what} is not implemented by Coffer.`);
  };
  const notAllowed = (): never => {
    throw new CofferError('MethodNotAllowed', 'The specified method is not allowed against this resource.', { Method: method });
  };
  if (!t.bucket) {
    if (method === 'GET') return 'ListBuckets';
    return notAllowed();
  }
  if (t.key === undefined) {
    const unsupported = UNSUPPORTED_BUCKET.find(has);
    if (unsupported) return notImplemented(`The bucket sub-resource "${unsupported}"`);
    switch (method) {
      case 'PUT':
        if (has('acl')) return 'PutBucketAcl';
        if (has('encryption')) return 'PutBucketEncryption';
        if (has('cors')) return 'PutBucketCors';
        if (has('versioning')) return 'PutBucketVersioning';
        if (has('lifecycle')) return 'PutBucketLifecycle';
        if (has('policy')) return 'PutBucketPolicy';
        return 'PutBucket';
      case 'GET':
        if (has('acl')) return 'GetBucketAcl';
        if (has('encryption')) return 'GetBucketEncryption';
        if (has('cors')) return 'GetBucketCors';
        if (has('versioning')) return 'GetBucketVersioning';
        if (has('lifecycle')) return 'GetBucketLifecycle';
        if (has('versions')) return 'ListObjectVersions';
        if (has('policy')) return 'GetBucketPolicy';
        if (has('worm')) return 'GetBucketWorm';
        if (has('bucketInfo')) return 'GetBucketInfo';
        if (has('stat')) return 'GetBucketStat';
        if (has('location')) return 'GetBucketLocation';
        if (has('uploads')) return 'ListMultipartUploads';
        return q.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects';
      case 'DELETE':
        if (has('encryption')) return 'DeleteBucketEncryption';
        if (has('cors')) return 'DeleteBucketCors';
        if (has('lifecycle')) return 'DeleteBucketLifecycle';
        if (has('policy')) return 'DeleteBucketPolicy';
        if (has('worm')) return 'AbortBucketWorm';
        return 'DeleteBucket';
      case 'POST':
        if (has('delete')) return 'DeleteMultipleObjects';
        if (has('worm')) return 'InitiateBucketWorm';
        if (has('wormExtend')) return 'ExtendBucketWorm';
        if (has('wormId')) return 'CompleteBucketWorm';
        // A browser form upload; PostObject refuses anything that is not multipart/form-data.
        return 'PostObject';
      default:
        return notAllowed();
    }
  }
  const unsupported = UNSUPPORTED_OBJECT.find(has);
  if (unsupported) return notImplemented(`The object sub-resource "${unsupported}"`);
  const op = objectOperation(method, q, copySource, notAllowed);
  // OSS refuses a versionId where an operation has no use for one (AppendObject: EC 0016-00000504).
  if (has('versionId') && !VERSIONED.has(op)) {
    throw new CofferError('InvalidArgument', `${op} does not take a versionId.`, { ArgumentName: 'versionId', ArgumentValue: q.get('versionId')! });
  }
  return op;
}

function objectOperation(method: string, q: Map<string, string>, copySource: boolean, notAllowed: () => never): Operation {
  const has = (n: string): boolean => q.has(n);
  switch (method) {
    case 'PUT':
      if (has('acl')) return 'PutObjectAcl';
      if (has('tagging')) return 'PutObjectTagging';
      if (has('symlink')) return 'PutSymlink';
      if (has('uploadId') || has('partNumber')) return copySource ? 'UploadPartCopy' : 'UploadPart';
      return copySource ? 'CopyObject' : 'PutObject';
    case 'GET':
      if (has('acl')) return 'GetObjectAcl';
      if (has('tagging')) return 'GetObjectTagging';
      if (has('symlink')) return 'GetSymlink';
      if (has('uploadId')) return 'ListParts';
      return 'GetObject';
    case 'HEAD':
      return has('objectMeta') ? 'GetObjectMeta' : 'HeadObject';
    case 'DELETE':
      if (has('tagging')) return 'DeleteObjectTagging';
      return has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject';
    case 'POST':
      if (has('uploads')) return 'InitiateMultipartUpload';
      if (has('uploadId')) return 'CompleteMultipartUpload';
      if (has('append')) return 'AppendObject';
      if (has('restore')) return 'RestoreObject';
      return notAllowed();
    default:
      return notAllowed();
  }
}
