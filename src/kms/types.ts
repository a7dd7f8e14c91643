/**
 * Requests and responses of the KMS actions, named and shaped as on the wire (Alibaba KMS
 * 2016-01-20, shared/reference/kms-api.md §3), so that the RPC front is a thin mapping: it adds
 * RequestId and serializes. Lists are wrapped as the clients expect ({ Keys: { Key: [...] } }),
 * numbers are numbers, dates are UTC `YYYY-MM-DDTHH:mm:ssZ`.
 *
 * Every request field is optional in the type: required ones are checked by the service, which
 * answers MissingParameter / InvalidParameter naming the field, so the RPC layer passes what it
 * parsed without validating it.
 */

export type KeySpec = 'Aliyun_AES_256' | 'Aliyun_SM4';
export type KeyState = 'Enabled' | 'Disabled' | 'PendingDeletion' | 'PendingImport';
export type KeyOrigin = 'Aliyun_KMS' | 'EXTERNAL';
export type WrappingAlgorithm = 'RSAES_OAEP_SHA_256' | 'RSAES_OAEP_SHA_1' | 'RSAES_PKCS1_V1_5';

export type EncryptionContext = Record<string, string>;
/** A parameter the wire carries as JSON text: accepted parsed or as that text. */
export type JsonParam<T> = T | string;

export interface Tag {
  TagKey: string;
  TagValue: string;
}

/** Actions that answer nothing but RequestId. */
export type EmptyResponse = Record<string, never>;

export interface KeyIdRequest {
  /** Key id, alias name (`alias/…`), or key ARN. */
  KeyId?: string;
}

export interface PageRequest {
  /** ≥ 1, default 1. */
  PageNumber?: number;
  /** 1–100, default 10. */
  PageSize?: number;
}

export interface PageResponse {
  TotalCount: number;
  PageNumber: number;
  PageSize: number;
}

// --- Key lifecycle ---

export interface CreateKeyRequest {
  Description?: string;
  /** Aliyun_AES_256 (default) or Aliyun_SM4; asymmetric specs are refused. */
  KeySpec?: string;
  KeyUsage?: string;
  Origin?: string;
  ProtectionLevel?: string;
  EnableAutomaticRotation?: boolean;
  /** `<n>d|h|m|s`, 7–365 days; required when EnableAutomaticRotation. */
  RotationInterval?: string;
  Tags?: JsonParam<Tag[]>;
}

/** §3.6: every field a string, '' when absent. */
export interface KeyMetadata {
  KeyId: string;
  Arn: string;
  KeyState: KeyState;
  KeySpec: KeySpec;
  KeyUsage: 'ENCRYPT/DECRYPT';
  Origin: KeyOrigin;
  ProtectionLevel: 'SOFTWARE';
  Description: string;
  Creator: string;
  CreationDate: string;
  DeleteDate: string;
  MaterialExpireTime: string;
  PrimaryKeyVersion: string;
  LastRotationDate: string;
  AutomaticRotation: 'Enabled' | 'Disabled' | 'Suspended';
  RotationInterval: string;
  NextRotationDate: string;
}

export interface KeyMetadataResponse {
  KeyMetadata: KeyMetadata;
}

export interface ListKeysResponse extends PageResponse {
  Keys: { Key: { KeyId: string; KeyArn: string }[] };
}

export interface UpdateKeyDescriptionRequest extends KeyIdRequest {
  Description?: string;
}

export interface ScheduleKeyDeletionRequest extends KeyIdRequest {
  /** 7–366. */
  PendingWindowInDays?: number;
}

// --- Aliases ---

export interface AliasRequest extends KeyIdRequest {
  AliasName?: string;
}

export interface DeleteAliasRequest {
  AliasName?: string;
}

export interface AliasEntry {
  KeyId: string;
  AliasName: string;
  AliasArn: string;
}

export interface ListAliasesResponse extends PageResponse {
  Aliases: { Alias: AliasEntry[] };
}

export interface ListAliasesByKeyIdRequest extends KeyIdRequest, PageRequest {}

// --- Cryptographic operations ---

export interface EncryptRequest extends KeyIdRequest {
  /** Encrypted as the exact UTF-8 bytes of this string; Decrypt returns the same string. ≤ 8192 bytes. */
  Plaintext?: string;
  EncryptionContext?: JsonParam<EncryptionContext>;
}

export interface CiphertextResponse {
  CiphertextBlob: string;
  KeyId: string;
  KeyVersionId: string;
}

export interface DecryptRequest {
  CiphertextBlob?: string;
  EncryptionContext?: JsonParam<EncryptionContext>;
}

export interface DecryptResponse {
  Plaintext: string;
  KeyId: string;
  KeyVersionId: string;
}

export interface ReEncryptRequest {
  CiphertextBlob?: string;
  DestinationKeyId?: string;
  SourceEncryptionContext?: JsonParam<EncryptionContext>;
  DestinationEncryptionContext?: JsonParam<EncryptionContext>;
}

export interface GenerateDataKeyRequest extends KeyIdRequest {
  /** AES_256 (32 bytes) or AES_128 (16 bytes); NumberOfBytes wins; default 32 bytes. */
  KeySpec?: string;
  /** 1–1024. */
  NumberOfBytes?: number;
  EncryptionContext?: JsonParam<EncryptionContext>;
}

export interface GenerateDataKeyResponse extends CiphertextResponse {
  /** Base64 of the raw data key. */
  Plaintext: string;
}

// --- BYOK ---

export interface GetParametersForImportRequest extends KeyIdRequest {
  WrappingAlgorithm?: string;
  WrappingKeySpec?: string;
}

export interface GetParametersForImportResponse {
  KeyId: string;
  ImportToken: string;
  /** Base64 DER SubjectPublicKeyInfo of a fresh RSA-2048 key. */
  PublicKey: string;
  TokenExpireTime: string;
}

export interface ImportKeyMaterialRequest extends KeyIdRequest {
  EncryptedKeyMaterial?: string;
  ImportToken?: string;
  /** Unix seconds; 0 or absent = never expires. */
  KeyMaterialExpireUnix?: number;
}

// --- Versions, rotation ---

export interface KeyVersion {
  KeyId: string;
  KeyVersionId: string;
  CreationDate: string;
}

export interface KeyVersionResponse {
  KeyVersion: KeyVersion;
}

export interface DescribeKeyVersionRequest extends KeyIdRequest {
  KeyVersionId?: string;
}

export interface ListKeyVersionsRequest extends KeyIdRequest, PageRequest {}

export interface ListKeyVersionsResponse extends PageResponse {
  KeyVersions: { KeyVersion: KeyVersion[] };
}

export interface UpdateRotationPolicyRequest extends KeyIdRequest {
  EnableAutomaticRotation?: boolean;
  RotationInterval?: string;
}

// --- Tags, misc ---

export interface TagResourceRequest extends KeyIdRequest {
  Tags?: JsonParam<Tag[]>;
}

export interface UntagResourceRequest extends KeyIdRequest {
  TagKeys?: JsonParam<string[]>;
}

export interface ListResourceTagsResponse {
  Tags: { Tag: { KeyId: string; TagKey: string; TagValue: string }[] };
}

export interface DescribeRegionsResponse {
  Regions: { Region: { RegionId: string }[] };
}
