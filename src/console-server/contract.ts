/**
 * The wire contract between the console's backend and its page (src/console), shared by both:
 * the error every /api/ answer may carry and the shapes both sides name. No Node imports: the
 * page's build compiles this file too.
 */

/** Where an error came from: the console itself, or the API it called on the user's behalf. */
export type ErrorSource = 'console' | 'oss' | 'kms' | 'ram' | 'admin';

/** An error answered as JSON: { error: { source, code, message, requestId? } }. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly source: ErrorSource = 'console',
    readonly requestId?: string,
  ) {
    super(message);
  }
}

/** A bucket's or an upload's encryption as the OSS console presents it. */
export interface EncryptionChoice {
  method: 'None' | 'OSS' | 'KMS';
  /** The data cipher: the SSE-OSS algorithm, or KMS's data encryption (SM4 or the default AES-256). */
  algorithm: 'AES256' | 'SM4';
  /** KMS only; absent for the managed key alias/acs/oss. */
  kmsKeyId?: string;
}

export interface BucketView {
  name: string;
  region: string;
  createdAt: string;
  storageClass: string;
  acl: string;
  encryption: EncryptionChoice;
}

/** The server page: DescribeStatus of the admin API. */
export interface ServerStatusView {
  serverVersion: string;
  startTime: string;
  uptimeSeconds: number;
  buckets: number;
  objects: number;
  bytes: number;
  multipartUploads: number;
  masterKeys: { version: number; createdAt: string; current: boolean }[];
}

/** One RewrapMasterKeys step; the page asks for the next with nextMarker until it is null. */
export interface RewrapStepView {
  masterKeyVersion: number;
  objectsScanned: number;
  objectsRewrapped: number;
  uploadsScanned: number;
  uploadsRewrapped: number;
  nextMarker: string | null;
}

/** Objects, their bytes and unfinished multipart uploads. */
export interface PostureCountsView {
  objects: number;
  bytes: number;
  multipartUploads: number;
}

/** One encryption class: the mode, the data cipher, and what the object keys depend on. */
export interface PostureClassView extends PostureCountsView {
  mode: 'None' | 'SSE-OSS' | 'SSE-KMS' | 'SSE-C' | 'Symlink' | 'Unknown';
  algorithm?: 'AES256' | 'SM4';
  masterKeyVersion?: number;
  kmsKeyId?: string;
}

/** The encryption posture page: DescribeEncryptionPosture of the admin API. */
export interface EncryptionPostureView {
  /** When the counters were read (ISO, milliseconds). */
  computedAt: string;
  /** false while the background count of buckets made by an older release runs. */
  complete: boolean;
  currentMasterKeyVersion: number | null;
  totals: PostureClassView[];
  olderMasterKeyVersions: PostureCountsView;
  masterKeyVersions: Array<PostureCountsView & { version: number; current: boolean }>;
  kmsKeys: Array<PostureCountsView & { keyId: string; buckets: string[] }>;
  buckets: Array<PostureCountsView & { name: string; complete: boolean; classes: PostureClassView[] }>;
}

/** A bucket's GetBucketStat, for the storage chart. */
export interface BucketStorageView {
  name: string;
  objects: number;
  bytes: number;
  multipartUploads: number;
  /** ISO time of the last change counted; empty when nothing was ever written. */
  lastModified: string;
}
