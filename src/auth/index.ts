export type { AuthRequest, AuthResult, AuthTarget, Credential, CredentialLookup } from './types';
export { authenticate } from './authenticate';
export { SUB_RESOURCES } from './sub-resources';
export { resourcePath, uriEncode, v1CanonicalResource, v4CanonicalQuery, v4CanonicalUri } from './canonical-resource';
export { signV1, v1StringToSign } from './signature-v1';
export { V2_SCHEME, signV2, v2CanonicalResource, v2StringToSign } from './signature-v2';
export { V4_ALGORITHM, type V4Scope, signV4, v4CanonicalRequest, v4ScopeString, v4StringToSign } from './signature-v4';
export { signaturesEqual } from './constant-time';
export { type AwsAuthRequest, type AwsAuthResult, authenticateAws, isAwsRequest } from './aws-authenticate';
export {
  AWS4_ALGORITHM,
  type AwsChunkSigner,
  type AwsScope,
  type PayloadMode,
  awsCanonicalHeaders,
  awsCanonicalQuery,
  awsCanonicalRequest,
  awsCanonicalUris,
  awsChunkSigner,
  awsSign,
  awsSigningKey,
  awsStringToSign,
} from './aws-sigv4';
