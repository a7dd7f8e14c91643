/**
 * Storage interfaces. Everything above src/store talks to these, never to a backend: the
 * embedded default is SQLite + files, a cluster uses PostgreSQL + an S3-compatible store, and the
 * conformance suites in test/store run against every implementation.
 * Both are asynchronous although better-sqlite3 is not, because the other backends are not.
 */
import type { Readable, Writable } from 'node:stream';

export type BucketAcl = 'private' | 'public-read' | 'public-read-write';
export type ObjectAcl = BucketAcl | 'default';
export type ObjectType = 'Normal' | 'Multipart' | 'Appendable' | 'Symlink';

/** A bucket's default server-side encryption (PutBucketEncryption). */
export interface EncryptionRule {
  algorithm: 'AES256' | 'SM4' | 'KMS';
  kmsMasterKeyId?: string;
  kmsDataEncryption?: 'SM4';
}

/** One CORS rule (PutBucketCors), values as the bucket owner sent them. */
export interface CorsRule {
  allowedOrigins: string[];
  allowedMethods: string[];
  allowedHeaders: string[];
  exposeHeaders: string[];
  maxAgeSeconds?: number;
}

/** A bucket's CORS configuration: rules tried in order, and whether responses carry Vary: Origin. */
export interface CorsConfiguration {
  rules: CorsRule[];
  responseVary: boolean;
}

/** A lifecycle rule's target classes (see core/lifecycle/rules.ts). */
export type TransitionClass = 'IA' | 'Archive' | 'ColdArchive' | 'DeepColdArchive';

/** When a lifecycle action is due: `days` after the object's last modification, or for objects created before `createdBefore` (Unix ms, midnight UTC). */
export interface Due { days?: number; createdBefore?: number }

/** One lifecycle rule (PutBucketLifecycle), checked by core/lifecycle/rules.ts. */
export interface LifecycleRule {
  id: string;
  status: 'Enabled' | 'Disabled';
  /** Keys the rule applies to start with this ('' for every key). */
  prefix: string;
  /** Objects must carry every one of these tags. */
  tags: ObjectTag[];
  /** Objects under this prefix (longer than `prefix`), with this tag if one is given, are left alone. */
  not?: { prefix: string; tag?: ObjectTag };
  /** Current objects expire when due; `expiredObjectDeleteMarker` removes delete markers that are the only version left. */
  expiration?: Due & { expiredObjectDeleteMarker?: boolean };
  transitions: Array<Due & { storageClass: TransitionClass }>;
  abortMultipartUpload?: Due;
  noncurrentVersionExpiration?: { noncurrentDays: number };
  noncurrentVersionTransitions: Array<{ noncurrentDays: number; storageClass: TransitionClass }>;
}

export interface LifecycleConfiguration { rules: LifecycleRule[] }

export interface BucketRecord {
  name: string;
  owner: string;
  region: string;
  acl: BucketAcl;
  storageClass: string;
  dataRedundancyType: string;
  createdAt: number;
  encryption: EncryptionRule | null;
  /** Absent on records written before CORS existed: same as null. */
  cors?: CorsConfiguration | null;
  /** PutBucketVersioning; absent while the bucket has never been versioned (it can never return to that). */
  versioning?: VersioningStatus;
  /** PutBucketLifecycle; absent (or null once deleted) when the bucket has none. */
  lifecycle?: LifecycleConfiguration | null;
  /** The bucket policy document as put (JSON text, checked then); absent or null: none. */
  policy?: string | null;
  /** The bucket's WORM retention configuration (see src/core/retention.ts); absent or null: none. */
  worm?: WormConfiguration | null;
}

/** A time-based retention policy: InitiateBucketWorm makes it InProgress, CompleteBucketWorm Locked. */
export interface WormConfiguration {
  wormId: string;
  state: 'InProgress' | 'Locked';
  retentionDays: number;
  /** Unix ms; an InProgress configuration lapses one day after it. */
  createdAt: number;
}

export type VersioningStatus = 'Enabled' | 'Suspended';

/** The version id of objects written while a bucket was unversioned or suspended, and of their delete markers. */
export const NULL_VERSION = 'null';

/** One stretch of an object's bytes, kept in one blob (a PUT body, a multipart part, an append). */
export interface Segment {
  blobId: string;
  /** Plaintext length. */
  size: number;
  /** Per-segment salt (base64) of encrypted segments; absent when stored in the clear. */
  salt?: string;
  /**
   * CRC-32 (IEEE) of a segment stored in the clear, checked whenever the whole segment is read;
   * absent on encrypted segments (their packages authenticate themselves) and on segments written
   * before it was kept (their object's CRC-64 is checked instead).
   */
  crc32?: number;
}

/**
 * How an object's data is encrypted: opaque to the store, owned by src/core/encryption.ts.
 * Stored as JSON with the object (object metadata itself is not encrypted, as in OSS).
 */
export type EncryptionInfo = Record<string, unknown>;

/** Standard HTTP headers stored with an object and returned on GET/HEAD. */
export interface StoredHeaders {
  'content-type': string;
  'cache-control'?: string;
  'content-disposition'?: string;
  'content-encoding'?: string;
  'content-language'?: string;
  expires?: string;
}

/** One object tag (PutObjectTagging, x-oss-tagging): kept in the order the request gave them. */
export interface ObjectTag {
  key: string;
  value: string;
}

/**
 * An S3 flexible checksum of an object (base64 of the raw digest): of its whole content
 * (FULL_OBJECT), or S3's COMPOSITE checksum of a multipart object's part checksums ("…-N").
 */
export interface StoredChecksum { algorithm: string; value: string; type: 'FULL_OBJECT' | 'COMPOSITE' }

export interface ObjectRecord {
  bucket: string;
  key: string;
  size: number;
  /**
   * Upper-case hex, without quotes; "HEX-N" for multipart. The plaintext's MD5 for a Normal object,
   * except under SSE-C: a value keyed by the object key (core/encryption.ts, customerKeyedEtag).
   */
  etag: string;
  /** CRC-64/ECMA of the plaintext, unsigned decimal; absent for SSE-C (a digest of the plaintext). */
  crc64?: string;
  /** Base64 MD5 of the plaintext, for Normal objects; absent for SSE-C. */
  contentMd5?: string;
  type: ObjectType;
  storageClass: string;
  acl: ObjectAcl;
  lastModified: number;
  /** Header values here and in userMeta are the bytes the client sent, one latin1 character per byte (as Node reads them and writes them back). */
  headers: StoredHeaders;
  /** x-oss-meta-* without the prefix, names lower-case. */
  userMeta: Record<string, string>;
  encryption: EncryptionInfo | null;
  segments: Segment[];
  /** Absent when the object has no tags (and on records written before tagging existed). */
  tags?: ObjectTag[];
  /**
   * RestoreObject of an archive-class object: its bytes may be read from readyAt until expiresAt
   * (Unix ms); the restore priority asked for, for the cold classes. Absent when never restored.
   */
  restore?: { readyAt: number; expiresAt: number; tier?: string };
  /** A Symlink's target key (in the same bucket); Symlinks have no segments. */
  symlinkTarget?: string;
  /** Absent unless a client asked for one (S3's x-amz-checksum-*). */
  checksum?: StoredChecksum;
  /** Absent for the null version (every object of a bucket never versioned). */
  versionId?: string;
}

/** What DeleteObject leaves in a versioned bucket: a version that says the key is gone. */
export interface DeleteMarkerRecord {
  bucket: string;
  key: string;
  deleteMarker: true;
  /** Absent for the null version (a delete while versioning is suspended). */
  versionId?: string;
  lastModified: number;
}

/** One version of a key: an object or a delete marker. */
export type VersionRecord = ObjectRecord | DeleteMarkerRecord;

export const isDeleteMarker = (v: VersionRecord): v is DeleteMarkerRecord => (v as DeleteMarkerRecord).deleteMarker === true;
export const versionIdOf = (v: VersionRecord): string => v.versionId ?? NULL_VERSION;

/**
 * A version in listing order, which is by key, then newest first. `seq` orders a key's versions:
 * CURRENT_SEQ for the current object, smaller numbers for older versions and delete markers.
 */
export interface VersionEntry { seq: number; record: VersionRecord }
export const CURRENT_SEQ = Number.MAX_SAFE_INTEGER;

export interface UploadRecord {
  uploadId: string;
  bucket: string;
  key: string;
  initiated: number;
  storageClass: string;
  acl: ObjectAcl;
  headers: StoredHeaders;
  userMeta: Record<string, string>;
  encryption: EncryptionInfo | null;
  /** The object's tags from x-oss-tagging at Initiate; they land on it at Complete. */
  tags?: ObjectTag[];
  /** The checksum the upload's object will carry (S3's x-amz-checksum-algorithm/-type at Create); every part gets one of its algorithm. */
  checksum?: { algorithm: string; type: 'FULL_OBJECT' | 'COMPOSITE' };
}

export interface PartRecord {
  uploadId: string;
  partNumber: number;
  /** The part's plaintext MD5 in upper-case hex; keyed by the upload's object key under SSE-C. */
  etag: string;
  size: number;
  /** CRC-64/ECMA of the part's plaintext; absent under SSE-C. */
  crc64?: string;
  lastModified: number;
  segment: Segment;
  /** The part's flexible checksum (base64), when the upload or the part asked for one. */
  checksum?: { algorithm: string; value: string };
}

/** One KMS audit record: who used or changed which key, never key material. */
export interface AuditRecord {
  time: string;
  /** The node that served the call. */
  node: string;
  identity: string;
  action: string;
  keyId: string;
  keyVersionId?: string;
  via: string;
  bucket?: string;
  object?: string;
  outcome: string;
}

/** An audit record with its place in the cluster-wide order. */
export interface AuditEntry extends AuditRecord {
  seq: number;
}

export type BlobState = 'live' | 'retired' | null;

export interface ListObjectsQuery {
  prefix?: string;
  /** Exclusive lower bound. */
  after?: string;
  /** Skip every key that starts with this (used to jump over a common prefix). */
  skipPrefix?: string;
  limit: number;
}

export interface ListVersionsQuery {
  prefix?: string;
  /** Exclusive: after every version of `key`, or, with `seq`, after that version of it. */
  after?: { key: string; seq?: number };
  skipPrefix?: string;
  limit: number;
}

export interface ListUploadsQuery {
  prefix?: string;
  keyMarker?: string;
  uploadIdMarker?: string;
  skipPrefix?: string;
  limit: number;
}

/** Reads see committed state only. Keys compare bytewise (UTF-8), as OSS orders them. */
export interface MetadataReader {
  getBucket(name: string): Promise<BucketRecord | null>;
  listBuckets(query: { prefix?: string; after?: string; limit: number }): Promise<BucketRecord[]>;
  countBuckets(): Promise<number>;
  /** True when the bucket holds no object, no version or delete marker and no unfinished multipart upload. */
  bucketIsEmpty(name: string): Promise<boolean>;
  /** The current version of a key (never a delete marker). */
  getObject(bucket: string, key: string): Promise<ObjectRecord | null>;
  listObjects(bucket: string, query: ListObjectsQuery): Promise<ObjectRecord[]>;
  // Versioning. A key's versions are its current object (getObject), if any, and its noncurrent
  // versions and delete markers. When a key has no current object, its newest version, if any, is
  // a delete marker (the core keeps this so; the store does not check it).
  /** A version by id, the current object included; versionId 'null' is the null version. */
  getVersion(bucket: string, key: string, versionId: string): Promise<VersionEntry | null>;
  /** The newest noncurrent version or delete marker of a key. */
  newestNoncurrent(bucket: string, key: string): Promise<VersionEntry | null>;
  /** Every version (current ones too) in listing order: by key, then newest first. */
  listVersions(bucket: string, query: ListVersionsQuery): Promise<VersionEntry[]>;
  getUpload(uploadId: string): Promise<UploadRecord | null>;
  listUploads(bucket: string, query: ListUploadsQuery): Promise<UploadRecord[]>;
  getPart(uploadId: string, partNumber: number): Promise<PartRecord | null>;
  listParts(uploadId: string, query: { after?: number; limit: number }): Promise<PartRecord[]>;
  getSetting(name: string): Promise<string | null>;
  /**
   * Documents: small JSON records of other services (KMS keys and aliases, RAM users and
   * policies, …), addressed by kind and id, listed in id order.
   */
  getDoc<T>(kind: string, id: string): Promise<T | null>;
  listDocs<T>(kind: string, query: { after?: string; limit: number }): Promise<T[]>;
  /** Documents with their ids (for copying a store). */
  listDocEntries<T>(kind: string, query: { after?: string; limit: number }): Promise<Array<{ id: string; doc: T }>>;
  /** The kinds that have at least one document (for copying a store). */
  docKinds(): Promise<string[]>;
  countDocs(kind: string): Promise<number>;
  /** Every setting (for copying a store). */
  listSettings(): Promise<Array<{ name: string; value: string }>>;
  /**
   * Blob ids retired by committed transactions at or before `retiredBefore` (Unix ms; default:
   * any time) and not yet removed from the blob store.
   */
  retiredBlobs(limit: number, retiredBefore?: number): Promise<string[]>;
  /** 'live' when a committed record names the blob, 'retired' when one did, null when none ever did. */
  blobState(blobId: string): Promise<BlobState>;
  /** The KMS audit trail in its one cluster-wide order, after `after` (a seq). */
  listAudit(query: { after?: number; limit: number }): Promise<AuditEntry[]>;
  /** Storage use, for status reporting. */
  stats(): Promise<{ buckets: number; objects: number; bytes: number; uploads: number }>;
}

/**
 * A write transaction. Blob bookkeeping is part of the same commit: storing an object or part
 * registers its segments' blobs as live, and whatever it replaces or deletes is retired, so that a
 * crash can never leave a visible object without its data or data without an owner.
 */
export interface MetadataTx extends MetadataReader {
  putBucket(bucket: BucketRecord): Promise<void>;
  deleteBucket(name: string): Promise<void>;
  /** Inserts or replaces; returns the replaced record. */
  putObject(object: ObjectRecord): Promise<ObjectRecord | null>;
  deleteObject(bucket: string, key: string): Promise<ObjectRecord | null>;
  /**
   * Stores a noncurrent version or delete marker: it replaces the one of the same id (keeping its
   * place), or else becomes the key's newest noncurrent version. Its blobs are live, the replaced
   * one's retired; returns the replaced one.
   */
  putVersion(version: VersionRecord): Promise<VersionRecord | null>;
  /** Removes a noncurrent version or delete marker, retiring its blobs. */
  deleteVersion(bucket: string, key: string, versionId: string): Promise<VersionRecord | null>;
  /** Inserts or replaces (a rewrap re-seals an unfinished upload's key). */
  putUpload(upload: UploadRecord): Promise<void>;
  /**
   * Removes the upload and its parts. Blobs of parts listed in `keepBlobs` stay live (they now
   * belong to the completed object); the rest are retired.
   */
  deleteUpload(uploadId: string, keepBlobs?: ReadonlySet<string>): Promise<void>;
  /** Inserts or replaces a part; the replaced part's blob is retired. */
  putPart(part: PartRecord): Promise<void>;
  setSetting(name: string, value: string): Promise<void>;
  putDoc<T>(kind: string, id: string, doc: T): Promise<void>;
  /** Returns whether a document was removed. */
  deleteDoc(kind: string, id: string): Promise<boolean>;
  /** Marks blobs written but not kept (e.g. a failed request) for collection, retired now. */
  retireBlobs(blobIds: string[]): Promise<void>;
  /** Forgets retired blobs once their files are gone. */
  forgetBlobs(blobIds: string[]): Promise<void>;
  /**
   * Tells every process watching this store (this one included) after the transaction commits;
   * nothing when it rolls back. Used to drop caches (credentials, master keys, KMS keys).
   */
  notify(channel: string, message: string): Promise<void>;
  appendAudit(records: AuditRecord[]): Promise<void>;
}

export interface TransactionOptions {
  /**
   * The transaction deletes (objects, uploads, buckets, blob records). On a full disk a store may
   * spend space it holds in reserve on it, so that space can always be freed through the API.
   */
  freesSpace?: boolean;
}

export interface MetadataStore extends MetadataReader {
  /** 'sqlite' | 'postgres': for status reports only; nothing decides on it. */
  readonly backend: string;
  /**
   * Runs fn in one serializable write transaction: its outcome is as if no other transaction, in
   * any process, ran at the same time. A backend may run fn again after a conflict, so fn must
   * only await tx calls (no network or file I/O, no side effects outside tx); it commits when fn
   * resolves and rolls back when it throws.
   */
  transaction<T>(fn: (tx: MetadataTx) => Promise<T>, opts?: TransactionOptions): Promise<T>;
  /**
   * Calls listener for every notify() committed by any process on this store, this one included,
   * in commit order per process, within about a second. Returns the unsubscribe function.
   */
  watch(listener: (channel: string, message: string) => void): () => void;
  close(): Promise<void>;
}

/** A blob being written; nothing is visible under its id until commit() resolves. */
export interface BlobWriter {
  readonly blobId: string;
  readonly stream: Writable;
  /** Call after the stream finished: makes the blob durable (fsync; an S3 PUT or multipart completion). */
  commit(): Promise<{ size: number }>;
  /** Discards whatever was written. Safe to call at any point, also after commit() failed. */
  abort(): Promise<void>;
}

export interface ListedBlob {
  blobId: string;
  /** When the blob was last written (Unix ms): an upload in flight looks young. */
  modifiedAt: number;
}

export interface BlobStore {
  /** 'fs' | 's3': for status reports only. */
  readonly backend: string;
  /** A new blob under a random id, or under `blobId` when copying a store (it must not exist yet). */
  create(blobId?: string): Promise<BlobWriter>;
  /**
   * Reads bytes [start, end] inclusive; the whole blob when omitted. `chunkSize` asks for chunks
   * of that size (the last one shorter), e.g. whole encrypted packages.
   */
  read(blobId: string, range?: { start: number; end: number }, chunkSize?: number): Readable;
  size(blobId: string): Promise<number>;
  delete(blobId: string): Promise<void>;
  /** Every blob present, in blob id order, starting after `after`: the orphan scan walks it in steps. */
  list(after?: string): AsyncIterable<ListedBlob>;
  /**
   * Removes what writes that never reached commit() or abort() left outside list() (an S3 store's
   * incomplete multipart uploads) when started before `startedBefore` (Unix ms); returns how many.
   */
  collectPartial(startedBefore: number): Promise<number>;
  close(): Promise<void>;
}
