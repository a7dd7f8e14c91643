/**
 * The S3 error catalogue: the operations fail with Coffer's (OSS-named) codes; this renders each as
 * the S3 code, status and body an S3 client expects (AWS's "Error responses" list). Codes the two
 * APIs share keep their name.
 */
import { CofferError, isStorageFull } from '../common/errors';
import { toXml } from '../oss/xml';

const STATUS: Record<string, number> = {
  AccessDenied: 403, AccessForbidden: 403, InvalidAccessKeyId: 403, SignatureDoesNotMatch: 403, RequestTimeTooSkewed: 403,
  InvalidObjectState: 403,
  AuthorizationHeaderMalformed: 400, AuthorizationQueryParametersError: 400, BadDigest: 400, EntityTooLarge: 400,
  EntityTooSmall: 400, IncompleteBody: 400, InvalidArgument: 400, InvalidBucketName: 400, InvalidDigest: 400,
  InvalidEncryptionAlgorithmError: 400, InvalidPart: 400, InvalidPartOrder: 400, InvalidRequest: 400,
  InvalidStorageClass: 400, InvalidTag: 400, KeyTooLongError: 400, MalformedXML: 400, MalformedTrailerError: 400,
  MissingSecurityHeader: 400, XAmzContentSHA256Mismatch: 400, TooManyBuckets: 400, InvalidLocationConstraint: 400,
  IllegalLocationConstraintException: 400, MalformedPolicy: 400, MalformedPOSTRequest: 400, BadRequest: 400, UnexpectedContent: 400,
  MethodNotAllowed: 405,
  NoSuchBucket: 404, NoSuchKey: 404, NoSuchVersion: 404, NoSuchUpload: 404, NoSuchCORSConfiguration: 404, NoSuchTagSet: 404,
  ServerSideEncryptionConfigurationNotFoundError: 404, NoSuchLifecycleConfiguration: 404, NoSuchBucketPolicy: 404,
  NoSuchWebsiteConfiguration: 404, ObjectLockConfigurationNotFoundError: 404, OwnershipControlsNotFoundError: 404,
  NoSuchPublicAccessBlockConfiguration: 404, ReplicationConfigurationNotFoundError: 404,
  BucketAlreadyOwnedByYou: 409, BucketNotEmpty: 409, RestoreAlreadyInProgress: 409, OperationAborted: 409,
  MissingContentLength: 411,
  PreconditionFailed: 412,
  InvalidRange: 416,
  InternalError: 500,
  NotImplemented: 501,
  ServiceUnavailable: 503, SlowDown: 503,
  InsufficientStorage: 507,
};

/** The S3 reading of a Coffer error: its code, and the extras the S3 body carries instead. */
function asS3(e: CofferError): { code: string; message: string; extras: Record<string, string> } {
  const { EC: _ec, OSSAccessKeyId, ...extras } = e.extras;
  if (OSSAccessKeyId !== undefined) extras.AWSAccessKeyId = OSSAccessKeyId;
  const same = { code: e.code, message: e.message, extras };
  switch (e.code) {
    // OSS names a Content-MD5 that does not match the body InvalidDigest; S3 BadDigest (InvalidDigest is a malformed one).
    case 'InvalidDigest': return /did not match/.test(e.message) ? { ...same, code: 'BadDigest' } : same;
    // Every bucket belongs to the one account: a name that is taken is the caller's own.
    case 'BucketAlreadyExists': return { ...same, code: 'BucketAlreadyOwnedByYou', message: 'Your previous request to create the named bucket succeeded and you already own it.' };
    // x-oss-forbid-overwrite is how an S3 If-None-Match: * write reaches the operation.
    case 'FileAlreadyExists': return { code: 'PreconditionFailed', message: 'At least one of the pre-conditions you specified did not hold', extras: { Condition: 'If-None-Match' } };
    case 'NoSuchLifecycle': return { ...same, code: 'NoSuchLifecycleConfiguration', message: 'The lifecycle configuration does not exist' };
    case 'NoSuchServerSideEncryptionRule': return { ...same, code: 'ServerSideEncryptionConfigurationNotFoundError', message: 'The server side encryption configuration was not found' };
    case 'InvalidObjectName': return { ...same, code: 'KeyTooLongError', message: 'Your key is too long, empty, or starts with a slash.' };
    case 'SymlinkTargetNotExist': return { ...same, code: 'NoSuchKey', message: 'The specified key does not exist.' };
    // A bucket policy that does not check out (S3 PostObject, OSS's other user of the code, is not served).
    case 'InvalidPolicyDocument': return { ...same, code: 'MalformedPolicy' };
    case 'DataIntegrityError': return { ...same, code: 'InternalError' };
    default: return same;
  }
}

export interface S3ErrorAnswer { status: number; code: string; body: string; headers: Record<string, string> }

/** Renders any failure as an S3 error; `resource` is the request path (S3's <Resource>). */
export function renderS3Error(err: unknown, requestId: string, resource: string): S3ErrorAnswer {
  const e = err instanceof CofferError ? err
    : isStorageFull(err) ? new CofferError('InsufficientStorage', 'The server has no space left to store this request; delete objects to free space.')
      : new CofferError('InternalError', 'We encountered an internal error. Please try again.');
  const { code, message, extras } = asS3(e);
  const body = toXml('Error', { Code: code, Message: message, ...extras, Resource: resource, RequestId: requestId, HostId: requestId });
  return { status: STATUS[code] ?? 500, code, body, headers: versionHeaders(extras) };
}

/** A delete marker in the way of a read says so, as S3 does, in x-amz-delete-marker and x-amz-version-id. */
function versionHeaders(extras: Record<string, string>): Record<string, string> {
  const headers: Record<string, string> = {};
  if (extras.DeleteMarker !== undefined) headers['x-amz-delete-marker'] = extras.DeleteMarker;
  if (extras.DeleteMarker !== undefined && extras.VersionId !== undefined) headers['x-amz-version-id'] = extras.VersionId;
  if (extras.LastModified !== undefined) headers['Last-Modified'] = extras.LastModified;
  return headers;
}
