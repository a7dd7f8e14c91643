/** Shapes of the console backend's answers (src/console-server/routes/*). */

import type { BucketView, EncryptionChoice } from '../../console-server/contract';

export type {
  BucketStorageView, BucketView, EncryptionChoice, EncryptionPostureView, PostureClassView, PostureCountsView, RewrapStepView, ServerStatusView,
} from '../../console-server/contract';

export interface ErrorInfo { source: string; code: string; message: string; requestId?: string }

/** A bucket row: its info, or the error GetBucketInfo answered. */
export type BucketRow = BucketView | { name: string; error: ErrorInfo };

export interface ObjectSummary { key: string; size: number; lastModified: string; etag: string; type: string; storageClass: string }

/** One version of an object, or a delete marker (ListObjectVersions). */
export interface ObjectVersion {
  versionId: string;
  latest: boolean;
  deleteMarker: boolean;
  lastModified: string;
  size?: number;
  etag?: string;
}

export interface ObjectDetail {
  key: string;
  size: number;
  etag: string;
  crc64?: string;
  contentMd5?: string;
  contentType?: string;
  lastModified?: string;
  objectType?: string;
  storageClass?: string;
  acl: string;
  meta: Record<string, string>;
  encryption: EncryptionChoice;
}

/** DescribeKey's KeyMetadata as the kms20160120 client names it, plus the key's aliases. */
export interface KeyMetadata {
  keyId: string;
  arn: string;
  keyState: string;
  keySpec: string;
  origin: string;
  description: string;
  creationDate: string;
  deleteDate: string;
  materialExpireTime: string;
  primaryKeyVersion: string;
  automaticRotation: string;
  rotationInterval: string;
  lastRotationDate: string;
  nextRotationDate: string;
  protectionLevel: string;
  keyUsage: string;
}

export interface KeyRow extends KeyMetadata { aliases: string[] }

export interface KeyVersion { keyId: string; keyVersionId: string; creationDate: string }

export interface RamUser { userName: string; userId?: string; displayName?: string; comments?: string; createDate?: string }
export interface RamAccessKey { accessKeyId: string; status: string; createDate?: string }
export interface RamPolicy { policyName: string; policyType: 'System' | 'Custom'; description?: string; defaultVersion?: string; attachDate?: string; createDate?: string; attachmentCount?: number }
