/**
 * Which S3 operation a request is (by AWS's operation names), and which OSS operation carries it
 * out. Most S3 operations are an OSS operation under another name; a few are answered by the S3
 * layer itself (s3/bucket-config.ts), and what neither API layer has is NotImplemented.
 */
import { CofferError } from '../common/errors';
import type { Operation } from '../oss/router';
import type { Target } from '../oss/router';

/** S3 operations that map onto one OSS operation. */
export const S3_TO_OSS = {
  ListBuckets: 'ListBuckets',
  CreateBucket: 'PutBucket',
  DeleteBucket: 'DeleteBucket',
  HeadBucket: 'GetBucketInfo',
  GetBucketLocation: 'GetBucketLocation',
  GetBucketAcl: 'GetBucketAcl',
  PutBucketAcl: 'PutBucketAcl',
  GetBucketCors: 'GetBucketCors',
  PutBucketCors: 'PutBucketCors',
  DeleteBucketCors: 'DeleteBucketCors',
  GetBucketEncryption: 'GetBucketEncryption',
  PutBucketEncryption: 'PutBucketEncryption',
  DeleteBucketEncryption: 'DeleteBucketEncryption',
  PutBucketVersioning: 'PutBucketVersioning',
  GetBucketVersioning: 'GetBucketVersioning',
  ListObjectVersions: 'ListObjectVersions',
  GetBucketLifecycleConfiguration: 'GetBucketLifecycle',
  PutBucketLifecycleConfiguration: 'PutBucketLifecycle',
  DeleteBucketLifecycle: 'DeleteBucketLifecycle',
  GetBucketPolicy: 'GetBucketPolicy',
  PutBucketPolicy: 'PutBucketPolicy',
  DeleteBucketPolicy: 'DeleteBucketPolicy',
  ListObjects: 'ListObjects',
  ListObjectsV2: 'ListObjectsV2',
  DeleteObjects: 'DeleteMultipleObjects',
  ListMultipartUploads: 'ListMultipartUploads',
  PutObject: 'PutObject',
  CopyObject: 'CopyObject',
  GetObject: 'GetObject',
  HeadObject: 'HeadObject',
  DeleteObject: 'DeleteObject',
  GetObjectAcl: 'GetObjectAcl',
  PutObjectAcl: 'PutObjectAcl',
  GetObjectTagging: 'GetObjectTagging',
  PutObjectTagging: 'PutObjectTagging',
  DeleteObjectTagging: 'DeleteObjectTagging',
  CreateMultipartUpload: 'InitiateMultipartUpload',
  UploadPart: 'UploadPart',
  UploadPartCopy: 'UploadPartCopy',
  CompleteMultipartUpload: 'CompleteMultipartUpload',
  AbortMultipartUpload: 'AbortMultipartUpload',
  ListParts: 'ListParts',
  RestoreObject: 'RestoreObject',
} as const satisfies Record<string, Operation>;

export type MappedOperation = keyof typeof S3_TO_OSS;

/**
 * Bucket configurations Coffer does not keep: reading one answers S3's "not configured" error,
 * which is the truth; writing one is NotImplemented. Value: [RAM action of the read, S3 error code of "none"].
 */
export const UNCONFIGURED = {
  tagging: ['oss:GetBucketTagging', 'NoSuchTagSet'],
  website: ['oss:GetBucketWebsite', 'NoSuchWebsiteConfiguration'],
  'object-lock': ['oss:GetBucketWorm', 'ObjectLockConfigurationNotFoundError'],
  ownershipControls: ['oss:GetBucketInfo', 'OwnershipControlsNotFoundError'],
  publicAccessBlock: ['oss:GetBucketInfo', 'NoSuchPublicAccessBlockConfiguration'],
  replication: ['oss:GetBucketReplication', 'ReplicationConfigurationNotFoundError'],
} as const satisfies Record<string, readonly [string, string]>;

export type Unconfigured = keyof typeof UNCONFIGURED;

/** Bucket sub-resources S3 has and Coffer does not: refused whatever the method (reads of UNCONFIGURED excepted). */
const UNSUPPORTED_BUCKET = ['logging', 'notification', 'accelerate', 'requestPayment', 'analytics', 'metrics',
  'inventory', 'intelligent-tiering', 'metadataTable', 'metadataConfiguration', 'session', ...Object.keys(UNCONFIGURED)];
const UNSUPPORTED_OBJECT = ['retention', 'legal-hold', 'torrent', 'select', 'attributes', 'renameObject'];

export type S3Route = { op: MappedOperation } | { op: 'GetBucketConfiguration'; resource: Unconfigured };

export function routeS3(method: string, t: Target, q: Map<string, string>, copySource: boolean): S3Route {
  const has = (n: string): boolean => q.has(n);
  const route = (op: MappedOperation): S3Route => ({ op });
  const notImplemented = (what: string): never => {
    throw new CofferError('NotImplemented', `${what} is not implemented by Coffer.`);
  };
  const notAllowed = (): never => {
    throw new CofferError('MethodNotAllowed', 'The specified method is not allowed against this resource.', { Method: method, ResourceType: t.key === undefined ? 'BUCKET' : 'OBJECT' });
  };
  if (!t.bucket) return method === 'GET' ? route('ListBuckets') : notAllowed();
  if (t.key === undefined) {
    const configuration = Object.keys(UNCONFIGURED).find(has) as Unconfigured | undefined;
    if (configuration && method === 'GET') return { op: 'GetBucketConfiguration', resource: configuration };
    const unsupported = UNSUPPORTED_BUCKET.find(has);
    if (unsupported) return notImplemented(`The bucket sub-resource "${unsupported}" (${method})`);
    switch (method) {
      case 'PUT':
        if (has('acl')) return route('PutBucketAcl');
        if (has('cors')) return route('PutBucketCors');
        if (has('encryption')) return route('PutBucketEncryption');
        if (has('versioning')) return route('PutBucketVersioning');
        if (has('lifecycle')) return route('PutBucketLifecycleConfiguration');
        if (has('policy')) return route('PutBucketPolicy');
        return route('CreateBucket');
      case 'GET':
        if (has('acl')) return route('GetBucketAcl');
        if (has('cors')) return route('GetBucketCors');
        if (has('encryption')) return route('GetBucketEncryption');
        if (has('policy')) return route('GetBucketPolicy');
        if (has('location')) return route('GetBucketLocation');
        if (has('versioning')) return route('GetBucketVersioning');
        if (has('versions')) return route('ListObjectVersions');
        if (has('lifecycle')) return route('GetBucketLifecycleConfiguration');
        if (has('uploads')) return route('ListMultipartUploads');
        return route(q.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects');
      case 'HEAD':
        return route('HeadBucket');
      case 'DELETE':
        if (has('cors')) return route('DeleteBucketCors');
        if (has('encryption')) return route('DeleteBucketEncryption');
        if (has('lifecycle')) return route('DeleteBucketLifecycle');
        if (has('policy')) return route('DeleteBucketPolicy');
        return route('DeleteBucket');
      case 'POST':
        if (has('delete')) return route('DeleteObjects');
        return notImplemented('Browser form uploads (POST Object) through the S3 dialect');
      default:
        return notAllowed();
    }
  }
  const unsupported = UNSUPPORTED_OBJECT.find(has);
  if (unsupported) return notImplemented(`The object sub-resource "${unsupported}"`);
  switch (method) {
    case 'PUT':
      if (has('acl')) return route('PutObjectAcl');
      if (has('tagging')) return route('PutObjectTagging');
      if (has('uploadId') || has('partNumber')) return route(copySource ? 'UploadPartCopy' : 'UploadPart');
      return route(copySource ? 'CopyObject' : 'PutObject');
    case 'GET':
      if (has('acl')) return route('GetObjectAcl');
      if (has('tagging')) return route('GetObjectTagging');
      if (has('uploadId')) return route('ListParts');
      return route('GetObject');
    case 'HEAD':
      return route('HeadObject');
    case 'DELETE':
      if (has('tagging')) return route('DeleteObjectTagging');
      return route(has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject');
    case 'POST':
      if (has('uploads')) return route('CreateMultipartUpload');
      if (has('uploadId')) return route('CompleteMultipartUpload');
      if (has('restore')) return route('RestoreObject');
      return notAllowed();
    default:
      return notAllowed();
  }
}
