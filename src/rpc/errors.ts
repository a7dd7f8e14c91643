/**
 * The RPC error catalogue (code → HTTP status and default message) and the JSON error body.
 * Services throw CofferError(code, message); a code missing here is a bug and is answered as
 * InternalFailure, so every code a service throws must be listed.
 */
import { CofferError } from '../common/errors';

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
  'Rejected.KeyInUse': { status: 409, message: 'The key protects data that must be kept.' },
  'Rejected.Disabled': { status: 409, message: 'The key is disabled.' },
  'Rejected.PendingDeletion': { status: 409, message: 'The key is pending deletion.' },
  'Rejected.PendingImport': { status: 409, message: 'The key has no usable key material.' },
  'Rejected.Enabled': { status: 409, message: 'The key is enabled.' },
  // RAM (2015-05-01), as RAM's error reference lists them; parameter faults are generated below.
  MalformedPolicyDocument: { status: 400, message: 'The policy document is malformed.' },
  'EntityNotExist.User': { status: 404, message: 'The user does not exist.' },
  'EntityNotExist.User.AccessKey': { status: 404, message: 'The user access key does not exist.' },
  'EntityNotExist.User.Policy': { status: 404, message: 'The policy is not attached to the user.' },
  'EntityNotExist.User.Group': { status: 404, message: 'The user has not joined the group.' },
  'EntityNotExist.Group': { status: 404, message: 'The group does not exist.' },
  'EntityNotExist.Group.Policy': { status: 404, message: 'The policy is not attached to the group.' },
  'EntityNotExist.Policy': { status: 404, message: 'The policy does not exist.' },
  'EntityNotExist.Policy.Version': { status: 404, message: 'The policy version does not exist.' },
  'EntityAlreadyExists.User': { status: 409, message: 'The user already exists.' },
  'EntityAlreadyExists.User.Group': { status: 409, message: 'The user has already joined the group.' },
  'EntityAlreadyExists.User.Policy': { status: 409, message: 'The policy is already attached to the user.' },
  'EntityAlreadyExists.Group': { status: 409, message: 'The group already exists.' },
  'EntityAlreadyExists.Group.Policy': { status: 409, message: 'The policy is already attached to the group.' },
  'EntityAlreadyExists.Policy': { status: 409, message: 'The policy already exists.' },
  'DeleteConflict.User.AccessKey': { status: 409, message: 'The user cannot be deleted while it has access keys.' },
  'DeleteConflict.User.Policy': { status: 409, message: 'The user cannot be deleted while it has attached policies.' },
  'DeleteConflict.User.Group': { status: 409, message: 'The user cannot be deleted while it is in a group.' },
  'DeleteConflict.Group.User': { status: 409, message: 'The group cannot be deleted while it has members.' },
  'DeleteConflict.Group.Policy': { status: 409, message: 'The group cannot be deleted while it has attached policies.' },
  'DeleteConflict.Policy.User': { status: 409, message: 'The policy cannot be deleted while it is attached to a user.' },
  'DeleteConflict.Policy.Group': { status: 409, message: 'The policy cannot be deleted while it is attached to a group.' },
  'DeleteConflict.Policy.Version': { status: 409, message: 'The policy cannot be deleted while it has versions besides the default one.' },
  'DeleteConflict.Policy.Version.Default': { status: 409, message: 'The default policy version cannot be deleted.' },
  'LimitExceeded.User': { status: 409, message: 'The number of users exceeds the limit.' },
  'LimitExceeded.User.AccessKey': { status: 409, message: 'The number of access keys of the user exceeds the limit.' },
  'LimitExceeded.User.Group': { status: 409, message: 'The number of groups the user joined exceeds the limit.' },
  'LimitExceeded.User.Policy': { status: 409, message: 'The number of policies attached to the user exceeds the limit.' },
  'LimitExceeded.Group': { status: 409, message: 'The number of groups exceeds the limit.' },
  'LimitExceeded.Group.Policy': { status: 409, message: 'The number of policies attached to the group exceeds the limit.' },
  'LimitExceeded.Policy': { status: 409, message: 'The number of custom policies exceeds the limit.' },
  'LimitExceeded.Policy.Version': { status: 409, message: 'The number of policy versions exceeds the limit.' },
  'InvalidParameter.PolicyType': { status: 400, message: 'The parameter PolicyType must be System or Custom.' },
  ...ramParameterFaults({
    Length: ['UserName', 'NewUserName', 'DisplayName', 'NewDisplayName', 'Comments', 'NewComments', 'GroupName', 'NewGroupName',
      'PolicyName', 'PolicyDocument', 'Description'],
    InvalidChars: ['UserName', 'NewUserName', 'GroupName', 'NewGroupName', 'PolicyName'],
    Format: ['Email', 'NewEmail', 'MobilePhone', 'NewMobilePhone', 'VersionId'],
  }),
};

/** RAM names the parameter and the fault in the code: InvalidParameter.<Param>.<Fault>, all 400. */
function ramParameterFaults(faults: Record<'Length' | 'InvalidChars' | 'Format', string[]>): Record<string, Entry> {
  const message = { Length: 'is too long', InvalidChars: 'contains invalid characters', Format: 'is not in the correct format' };
  const entries: Record<string, Entry> = {};
  for (const [fault, params] of Object.entries(faults) as Array<[keyof typeof message, string[]]>) {
    for (const param of params) entries[`InvalidParameter.${param}.${fault}`] = { status: 400, message: `The parameter ${param} ${message[fault]}.` };
  }
  return entries;
}

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
