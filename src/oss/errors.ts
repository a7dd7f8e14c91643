/** The OSS error catalogue: HTTP status and default message for each code, and error rendering. */
import { CofferError, isStorageFull } from '../common/errors';
import { toXml } from './xml';

interface Entry {
  status: number;
  message: string;
  ec?: string;
  /** Error extras that clients read from a response header instead of the body. */
  headers?: Record<string, string>;
}

/** A delete marker in the way (a read of a deleted key, an operation on a marker's version) says so in headers. */
const VERSION_HEADERS = { DeleteMarker: 'x-oss-delete-marker', VersionId: 'x-oss-version-id' };

const CATALOGUE: Record<string, Entry> = {
  AccessDenied: { status: 403, message: 'You have no right to access this object because of bucket acl.', ec: '0003-00000001' },
  // A preflight no CORS rule allows (the 403 page of the OSS docs names the code and message).
  AccessForbidden: { status: 403, message: 'CORSResponse: This CORS request is not allowed.' },
  InvalidAccessKeyId: { status: 403, message: 'The OSS Access Key Id you provided does not exist in our records.', ec: '0002-00000902' },
  SignatureDoesNotMatch: { status: 403, message: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', ec: '0002-00000040' },
  RequestTimeTooSkewed: { status: 403, message: 'The difference between the request time and the current time is too large.', ec: '0002-00000504' },
  InvalidArgument: { status: 400, message: 'Invalid argument.', ec: '0005-00000002' },
  // A flexible checksum (S3 clients only) that does not match the body.
  BadDigest: { status: 400, message: 'The checksum you specified did not match the calculated checksum.' },
  InvalidDigest: { status: 400, message: 'The Content-MD5 you specified is not valid.', ec: '0016-00000702' },
  MalformedXML: { status: 400, message: 'The XML you provided was not well-formed or did not validate against our published schema.', ec: '0016-00000601' },
  InvalidBucketName: { status: 400, message: 'The specified bucket is not valid.', ec: '0015-00000001' },
  InvalidObjectName: { status: 400, message: 'The specified object is not valid.', ec: '0016-00000005' },
  TooManyBuckets: { status: 400, message: 'You have attempted to create more buckets than allowed.', ec: '0015-00000203' },
  EntityTooLarge: { status: 400, message: 'Your proposed upload exceeds the maximum allowed size.' },
  EntityTooSmall: { status: 400, message: 'Your proposed upload smaller than the minimum allowed size.', ec: '0042-00000213' },
  InvalidPart: { status: 400, message: 'One or more of the specified parts could not be found or the specified entity tag might not have matched the part\'s entity tag.', ec: '0042-00000210' },
  InvalidPartOrder: { status: 400, message: 'The list of parts was not in ascending order. Parts list must specified in order by part number.', ec: '0042-00000209' },
  InvalidEncryptionAlgorithmError: { status: 400, message: 'The encryption request you specified is not valid. Supported value: AES256/KMS/SM4.', ec: '0005-00000003' },
  InvalidRequest: { status: 400, message: 'Invalid request.' },
  BadRequest: { status: 400, message: 'Bad request.' },
  InvalidTag: { status: 400, message: 'The tag you provided is invalid.' },
  InvalidPolicyDocument: { status: 400, message: 'Invalid Policy.' },
  InvalidTargetBucketForLogging: { status: 400, message: 'Invalid target bucket.' },
  MissingContentLength: { status: 411, message: 'You must provide the Content-Length HTTP header.' },
  NotImplemented: { status: 400, message: 'This operation is not implemented.' },
  MethodNotAllowed: { status: 405, message: 'The specified method is not allowed against this resource.', headers: { ...VERSION_HEADERS, LastModified: 'Last-Modified' } },
  InvalidRange: { status: 416, message: 'The requested range cannot be satisfied.' },
  NoSuchBucket: { status: 404, message: 'The specified bucket does not exist.', ec: '0015-00000101' },
  NoSuchKey: { status: 404, message: 'The specified key does not exist.', ec: '0026-00000001', headers: VERSION_HEADERS },
  NoSuchVersion: { status: 404, message: 'The specified version does not exist.' },
  NoSuchUpload: { status: 404, message: 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.', ec: '0042-00000002' },
  NoSuchWORMConfiguration: { status: 404, message: 'The WORM Configuration does not exist.' },
  WORMConfigurationLocked: { status: 409, message: 'The WORM Configuration is locked.' },
  InvalidWORMConfiguration: { status: 400, message: 'The WORM Configuration is invalid.' },
  NoSuchBucketPolicy: { status: 404, message: 'The bucket policy does not exist.', ec: '0030-00000006' },
  NoSuchCORSConfiguration: { status: 404, message: 'The CORS Configuration does not exist.', ec: '0034-00000001' },
  NoSuchLifecycle: { status: 404, message: 'No Row found in Lifecycle Table.' },
  NoSuchServerSideEncryptionRule: { status: 404, message: 'The server side encryption configuration was not found', ec: '0005-00000004' },
  BucketAlreadyExists: { status: 409, message: 'The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.', ec: '0015-00000102' },
  BucketNotEmpty: { status: 409, message: 'The bucket you tried to delete is not empty.', ec: '0015-00000301' },
  // oss2 reads x-oss-next-append-position from every PositionNotEqualToLength.
  PositionNotEqualToLength: { status: 409, message: 'Position is not equal to file length', ec: '0026-00000016', headers: { NextAppendPosition: 'x-oss-next-append-position' } },
  ObjectNotAppendable: { status: 409, message: 'The object is not appendable', ec: '0026-00000015' },
  FileAlreadyExists: { status: 409, message: 'The object you specified already exists and can not be overwritten.', ec: '0026-00000005' },
  InvalidObjectState: { status: 403, message: "The operation is not valid for the object's state" },
  RestoreAlreadyInProgress: { status: 409, message: 'The restore operation is in progress.', ec: '0016-00000701' },
  OperationNotSupported: { status: 400, message: 'The operation is not supported for this resource.' },
  // HeadObject/GetObject pages: a link whose target is missing, a link to a link.
  SymlinkTargetNotExist: { status: 404, message: 'The symlink target object does not exist.', ec: '0026-00000012' },
  InvalidTargetType: { status: 400, message: 'The symlink target object is itself a symlink.' },
  PreconditionFailed: { status: 412, message: 'At least one of the pre-conditions you specified did not hold.', ec: '0026-00000004' },
  DataIntegrityError: { status: 500, message: 'Stored data failed its integrity check.' },
  InternalError: { status: 500, message: 'We encountered an internal error. Please try again.' },
  // No OSS code covers a self-hosted disk running full; 507 is HTTP's own status for it.
  InsufficientStorage: { status: 507, message: 'The server has no space left to store this request; delete objects to free space.' },
  ServiceUnavailable: { status: 503, message: 'Please reduce your request rate.' },
};

export function statusOf(code: string): number {
  return CATALOGUE[code]?.status ?? 500;
}

/** A system error from the stores (EIO, ENOENT of a blob, …) named in the message: an operator can act on it. */
function storageFailure(err: unknown): string | null {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(E[A-Z]+|SQLITE_[A-Z_]+)$/.test(code)
    ? `The server's storage failed (${code}); the request was not completed.`
    : null;
}

export interface RenderedError { status: number; body: string; code: string; headers: Record<string, string> }

export function renderError(err: unknown, requestId: string, hostId: string): RenderedError {
  const e = err instanceof CofferError ? err
    : isStorageFull(err) ? new CofferError('InsufficientStorage', CATALOGUE.InsufficientStorage.message)
      : new CofferError('InternalError', storageFailure(err) ?? CATALOGUE.InternalError.message);
  const entry = CATALOGUE[e.code] ?? CATALOGUE.InternalError;
  const ec = e.extras.EC ?? entry.ec;
  const fields: Record<string, string> = {
    Code: e.code,
    Message: e.message || entry.message,
    RequestId: requestId,
    HostId: hostId,
  };
  for (const [k, v] of Object.entries(e.extras)) if (k !== 'EC') fields[k] = v;
  if (ec) {
    fields.EC = ec;
    fields.RecommendDoc = `https://api.aliyun.com/troubleshoot?q=${ec}`;
  }
  const headers: Record<string, string> = {};
  for (const [extra, name] of Object.entries(entry.headers ?? {})) {
    if (e.extras[extra] !== undefined) headers[name] = e.extras[extra];
  }
  return { status: entry.status, body: toXml('Error', fields), code: e.code, headers };
}
