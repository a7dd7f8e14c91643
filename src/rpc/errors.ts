/**
 * The RPC error catalogue (code → HTTP status and default message) and the JSON error body.
 * Services throw CofferError(code, message); a code missing here is a bug and is answered as
 * InternalFailure, so every code a service throws must be listed.
 */
import { CofferError } from '../core/errors';

interface Entry { status: number; message: string }

const CATALOGUE: Record<string, Entry> = {
  // Request, signature and dispatch (reference kms-api.md §1.5, §2.1).
  MissingParameter: { status: 400, message: 'A required parameter is missing.' },
  InvalidParameter: { status: 400, message: 'A parameter is invalid.' },
  ParseRequestParameterException: { status: 400, message: 'The request parameters cannot be parsed.' },
  IncompleteSignature: { status: 400, message: 'The request signature does not conform to Alibaba Cloud standards.' },
  SignatureDoesNotMatch: { status: 400, message: 'Specified signature is not matched with our calculation.' },
  IllegalTimestamp: { status: 400, message: 'The input parameter Timestamp is not in the correct format.' },
  'InvalidTimeStamp.Expired': { status: 400, message: 'Specified time stamp or date value is expired.' },
  SignatureNonceUsed: { status: 400, message: 'Specified signature nonce was used already.' },
  'InvalidAccessKeyId.NotFound': { status: 404, message: 'Specified access key is not found.' },
  UnsupportedHTTPMethod: { status: 403, message: 'The HTTP method is not supported; use GET or POST.' },
  // Unknown version: the whole API is unknown, as POP answers. Unknown action of a known version: 404.
  InvalidVersion: { status: 400, message: 'Specified parameter Version is not valid.' },
  'InvalidAction.NotFound': { status: 404, message: 'Specified api is not found, please check your url and method.' },
  'Forbidden.AccessKey': { status: 403, message: 'The access key is disabled.' },
  'Forbidden.NoPermission': { status: 403, message: 'You are not authorized to perform this operation.' },
  'Forbidden.RAM': { status: 403, message: 'User not authorized to operate on the specified resource.' },
  Throttling: { status: 400, message: 'Request was denied due to request throttling.' },
  'Rejected.Throttling': { status: 429, message: 'Request was denied due to request throttling.' },
  InternalFailure: { status: 500, message: 'The request processing has failed due to some unknown error.' },
  ServiceUnavailableTemporary: { status: 503, message: 'The service is temporarily unavailable.' },
  // KMS keys, versions, aliases, import and key states (§2.1).
  'Forbidden.KeyNotFound': { status: 404, message: 'The specified key is not found.' },
  'Forbidden.KeyVersionNotFound': { status: 404, message: 'The specified key version is not found.' },
  'Forbidden.AliasNotFound': { status: 404, message: 'The specified alias is not found.' },
  AliasAlreadyExists: { status: 400, message: 'The specified alias already exists.' },
  'Rejected.LimitExceeded': { status: 400, message: 'The resource quota is exceeded.' },
  InvalidKeyMaterial: { status: 400, message: 'The key material is invalid.' },
  InvalidImportToken: { status: 400, message: 'The import token is invalid.' },
  ExpiredImportToken: { status: 400, message: 'The import token has expired.' },
  'Unsupported.Origin': { status: 400, message: 'The operation is not supported for keys of this origin.' },
  'Unsupported.Alias': { status: 400, message: 'An alias is not accepted here; specify the key id.' },
  'Unsupported.ProtectionLevel': { status: 400, message: 'The protection level is not supported.' },
  'Rejected.UnsupportedOperation': { status: 400, message: 'The operation is not supported for this key.' },
  'Rejected.StateModifiedFailed': { status: 409, message: 'The key state does not allow this change.' },
  'Rejected.Disabled': { status: 409, message: 'The key is disabled.' },
  'Rejected.PendingDeletion': { status: 409, message: 'The key is pending deletion.' },
  'Rejected.PendingImport': { status: 409, message: 'The key has no usable key material.' },
  'Rejected.Enabled': { status: 409, message: 'The key is enabled.' },
  // RAM (2015-05-01) codes join here when that service is plugged in.
};

export interface RenderedRpcError {
  status: number;
  body: { RequestId: string; HostId: string; Code: string; Message: string };
}

export function renderRpcError(err: unknown, requestId: string, hostId: string): RenderedRpcError {
  const known = err instanceof CofferError && CATALOGUE[err.code] ? err : null;
  const code = known?.code ?? 'InternalFailure';
  const entry = CATALOGUE[code]!;
  return {
    status: entry.status,
    body: { RequestId: requestId, HostId: hostId, Code: code, Message: known?.message || entry.message },
  };
}
