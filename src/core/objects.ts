/**
 * Objects: put, read, copy, append, delete, ACL, listing. Every write streams the body into a
 * new blob first and makes it visible with one metadata transaction, so a failure or a crash
 * leaves either the old object or the new one.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { crc64Check, VerifyStream } from '../crypto/checksum-stream';
import { crc64Combine } from '../crypto/crc64';
import type { Caller } from '../common/caller';
import { isDeleteMarker, NULL_VERSION, versionIdOf, type MetadataTx, type ObjectAcl, type ObjectRecord, type ObjectTag, type StoredHeaders, type VersioningStatus } from '../store/types';
import { requireBucket } from './buckets';
import { FREES_SPACE, LIMITS, type Coffer } from './coffer';
import { evaluateConditions, type Conditions } from './conditions';
import {
  asObjectEncryption, checkCustomerKey, customerKeyedEtag, customerKeyMatches, isCustomerKeyed, resolveSse, suiteOf,
  type KeyContext, type ObjectEncryption, type SseChoice,
} from './encryption';
import { CofferError } from '../common/errors';
import { listPage, type Page } from './listing';
import { checkObjectKey } from './names';
import { readObject } from './object-reader';
import { settleSegments, writeSegment, type SegmentCipher, type UploadBody, type WrittenSegment } from './segment-writer';
import { checkTags, tagsField } from './tags';
import { checkAppendableClass, requireReadable } from './storage-class';
import { followLink } from './symlinks';
import { statTransaction } from './bucket-stats';
import { chain } from '../common/streams';
import { refuseIfRetained } from './retention';
import { checkVersionId, deleteCurrent, deleteVersionById, putCurrent, requireObjectVersion, updateVersion, versioningIn } from './versions';

export interface ObjectAttributes {
  headers: StoredHeaders;
  userMeta: Record<string, string>;
  acl: ObjectAcl;
  /** The bucket's class when absent (objects inherit it, as in OSS). */
  storageClass?: string;
  /** x-oss-tagging: the new object's tags. */
  tags: ObjectTag[];
}

const hex = (b: Buffer): string => b.toString('hex').toUpperCase();

/** What a record keeps of the plaintext a write stored: its ETag, and (not under SSE-C) its CRC-64 and Content-MD5. */
export interface PlaintextDigests {
  etag: string;
  crc64?: string;
  contentMd5?: string;
}

/**
 * The digests of freshly written data for its record. Ordinarily its MD5 (as ETag and Content-MD5)
 * and CRC-64. Under SSE-C nothing that can be checked against a guess of the content without the
 * customer key: the ETag keyed by the object key (customerKeyedEtag), no Content-MD5, no CRC-64.
 * `objectKey` is the key `info` seals (needed only for SSE-C).
 */
export function plaintextDigests(info: ObjectEncryption | null, objectKey: Buffer | undefined, w: Pick<WrittenSegment, 'md5' | 'crc64'>): PlaintextDigests {
  if (isCustomerKeyed(info)) {
    if (!objectKey) throw new Error('an SSE-C ETag needs the object key');
    return { etag: customerKeyedEtag(objectKey, w.md5) };
  }
  return { etag: hex(w.md5), crc64: w.crc64.toString(), contentMd5: w.md5.toString('base64') };
}

/** The current object, or with `versionId` that version of it (see requireObjectVersion). */
export async function getObjectRecord(c: Coffer, bucket: string, key: string, versionId?: string): Promise<ObjectRecord> {
  await requireBucket(c, bucket);
  if (versionId !== undefined) return requireObjectVersion(c, bucket, key, versionId);
  const obj = await c.meta.getObject(bucket, key);
  if (!obj) throw new CofferError('NoSuchKey', 'The specified key does not exist.', { Key: key });
  return obj;
}

/**
 * The data cipher of an object (unsealing its key), or null for a plaintext object. `customerKey`:
 * the SSE-C key the request carried; an SSE-C object needs its own (400 InvalidRequest without one,
 * 403 AccessDenied for another), any other object none (400 InvalidRequest), see checkCustomerKey.
 */
export async function objectCipher(c: Coffer, obj: ObjectRecord, caller: Caller, customerKey?: Buffer): Promise<SegmentCipher | null> {
  checkCustomerKey(obj.encryption, customerKey);
  const info = asObjectEncryption(obj.encryption);
  if (!info) return null;
  const objectKey = await c.encryption.objectKey(info, { bucket: obj.bucket, key: obj.key, caller, customerKey });
  return { suite: info.suite, objectKey };
}

/**
 * Plaintext bytes [start, end] of an object; the stream errors if stored data fails authentication
 * or a checksum. Encrypted packages authenticate themselves; a plain segment read whole is checked
 * against its CRC-32 (object-reader.ts). Segments written before they kept one are covered by the
 * object's CRC-64 when the whole object is read. A range within a plain segment cannot be verified
 * and is served as stored (`coffer admin check` finds such damage).
 */
export function objectData(c: Coffer, obj: ObjectRecord, cipher: SegmentCipher | null, start: number, end: number): Readable {
  const data = readObject(c.blobs, c.collector, { segments: obj.segments, cipher, start, end });
  if (cipher || start !== 0 || end !== obj.size - 1 || obj.crc64 === undefined || !/^\d+$/.test(obj.crc64)) return data;
  if (obj.segments.every((s) => s.crc32 !== undefined)) return data;
  // An error either side ends both, so a client hanging up releases the blob lease.
  return chain(data, new VerifyStream(crc64Check(BigInt(obj.crc64)), `object ${obj.bucket}/${obj.key}`));
}

/** A new object's key and cipher, when the request or the bucket default asks for encryption. */
async function newCipher(c: Coffer, choice: SseChoice | null, ctx: KeyContext): Promise<{ info: ObjectEncryption; cipher: SegmentCipher } | null> {
  if (!choice) return null;
  const { info, objectKey } = await c.encryption.newObjectKey(choice, ctx);
  return { info, cipher: { suite: info.suite, objectKey } };
}

/**
 * Makes `record` visible as a new version of its key (see putCurrent), or with `inPlace` as a
 * change of the current one that keeps its version (an append). `unversioned`: only while the
 * bucket is not versioned (a record that shares the current one's blobs: two versions must not
 * share one). `fresh` are the segments this request wrote: if the commit fails they are deleted at
 * once (nobody else can reference them). `check` runs inside the transaction; so does the
 * retention check of whatever the write does away with (an unversioned overwrite, a suspended
 * bucket's null version, an appended object's former state; a new version keeps the old one).
 * Answers the record as stored (with its version id).
 */
export async function commitObject(
  c: Coffer,
  record: ObjectRecord,
  fresh: WrittenSegment[],
  check?: (current: ObjectRecord | null) => void,
  opts: { inPlace?: boolean; unversioned?: boolean } = {},
): Promise<ObjectRecord> {
  let committed = false;
  try {
    const { stored, replaced } = await statTransaction(c.meta, async (tx) => {
      check?.(await tx.getObject(record.bucket, record.key));
      if (opts.unversioned && (await versioningIn(tx, record.bucket))) {
        throw new CofferError('PreconditionFailed', "The bucket's versioning changed during the copy; send it again.");
      }
      const result = opts.inPlace ? { stored: record, replaced: await tx.putObject(record) } : await putCurrent(tx, record);
      // Thrown here, the transaction rolls back: nothing retained is ever gone.
      await refuseIfRetained(c, tx, result.replaced);
      return result;
    });
    committed = true;
    if (replaced) c.collector.sweepSoon();
    return stored;
  } finally {
    await settleSegments(c, fresh, committed);
  }
}

export const forbidOverwrite = (key: string) => (current: ObjectRecord | null): void => {
  if (current) throw new CofferError('FileAlreadyExists', 'The object you specified already exists and can not be overwritten.', { Key: key });
};

export interface PutObjectRequest extends ObjectAttributes, UploadBody {
  bucket: string;
  key: string;
  sse: SseChoice | null;
  forbidOverwrite: boolean;
  caller: Caller;
}

export async function putObject(c: Coffer, req: PutObjectRequest): Promise<ObjectRecord> {
  const bucket = await requireBucket(c, req.bucket);
  checkObjectKey(req.key);
  checkTags(req.tags);
  const check = req.forbidOverwrite ? forbidOverwrite(req.key) : undefined;
  if (check) check(await c.meta.getObject(req.bucket, req.key));
  const enc = await newCipher(c, resolveSse(req.sse, bucket.encryption), req);
  const w = await writeSegment(c, req, enc?.cipher ?? null);
  const record: ObjectRecord = {
    bucket: req.bucket,
    key: req.key,
    size: w.segment.size,
    ...plaintextDigests(enc?.info ?? null, enc?.cipher.objectKey, w),
    type: 'Normal',
    storageClass: req.storageClass ?? bucket.storageClass,
    acl: req.acl,
    lastModified: Date.now(),
    headers: req.headers,
    userMeta: req.userMeta,
    encryption: enc ? { ...enc.info } : null,
    segments: [w.segment],
    ...tagsField(req.tags),
    ...(w.checksum && { checksum: { ...w.checksum, type: 'FULL_OBJECT' } }),
  };
  return commitObject(c, record, [w], check);
}

/**
 * One object (or one version of it) to delete. `ifLastModified` (lifecycle): only while the
 * object or version still has this Last-Modified, i.e. is the one judged due; otherwise `skipped`.
 */
export interface DeleteTarget { key: string; versionId?: string; ifLastModified?: number }

/**
 * What a delete did, for x-oss-version-id / x-oss-delete-marker: the delete marker it made, or the
 * version it removed (reported also when there was none, as OSS does); nothing when unversioned.
 * `refused`: the bucket's retention policy keeps what the delete would have removed.
 */
export interface DeleteOutcome {
  key: string;
  versionId?: string;
  deleteMarker: boolean;
  markerVersionId?: string;
  skipped?: boolean;
  refused?: CofferError;
}

/** DeleteObject: the object (unversioned), a new delete marker (versioned), or with `versionId` that version, permanently. */
export async function deleteObject(c: Coffer, bucket: string, target: DeleteTarget): Promise<DeleteOutcome> {
  const [outcome] = await deleteObjects(c, bucket, [target]);
  if (outcome.refused) throw outcome.refused;
  return outcome;
}

/**
 * DeleteMultipleObjects: every key is reported deleted, existing or not (as OSS does), unless
 * retention keeps what its delete would remove (`refused`; the other keys still go); one transaction.
 */
export async function deleteObjects(c: Coffer, bucket: string, targets: DeleteTarget[]): Promise<DeleteOutcome[]> {
  await requireBucket(c, bucket);
  if (targets.length > LIMITS.maxDeleteKeys) throw new CofferError('MalformedXML', 'The number of keys in a delete request must not exceed 1000.');
  for (const t of targets) if (t.versionId !== undefined) checkVersionId(t.versionId);
  const { outcomes, removed } = await statTransaction(c.meta, async (tx) => {
    const done: DeleteOutcome[] = [];
    const status = await versioningIn(tx, bucket);
    let n = 0;
    for (const { key, versionId, ifLastModified } of targets) {
      if (ifLastModified !== undefined && (await lastModifiedIn(tx, bucket, key, versionId)) !== ifLastModified) {
        done.push({ key, versionId, deleteMarker: false, skipped: true });
        continue;
      }
      try {
        await refuseIfRetained(c, tx, await removedBy(tx, bucket, key, versionId, status));
      } catch (err) {
        if (!(err instanceof CofferError)) throw err;
        done.push({ key, versionId, deleteMarker: false, refused: err });
        continue;
      }
      if (versionId !== undefined) {
        const gone = await deleteVersionById(tx, bucket, key, versionId);
        if (gone && !isDeleteMarker(gone)) n++;
        done.push({ key, versionId, deleteMarker: !!gone && isDeleteMarker(gone) });
        continue;
      }
      const { marker, removed: r } = await deleteCurrent(tx, bucket, key, status);
      if (r) n++;
      done.push(marker ? { key, deleteMarker: true, markerVersionId: versionIdOf(marker) } : { key, deleteMarker: false });
    }
    return { outcomes: done, removed: n };
  }, FREES_SPACE);
  if (removed) c.collector.sweepSoon();
  return outcomes;
}

/**
 * The object version a delete would remove for good, as the transaction sees it: the one named;
 * without a version id the current object when unversioned, the null version when suspended, and
 * nothing when enabled (a delete marker removes no data). Delete markers hold no data either.
 */
async function removedBy(tx: MetadataTx, bucket: string, key: string, versionId: string | undefined, status: VersioningStatus | undefined): Promise<ObjectRecord | null> {
  if (versionId === undefined && !status) return tx.getObject(bucket, key);
  if (versionId === undefined && status === 'Enabled') return null;
  const found = await tx.getVersion(bucket, key, versionId ?? NULL_VERSION);
  return found && !isDeleteMarker(found.record) ? found.record : null;
}

/** The Last-Modified of the current object, or of the version named, as the transaction sees it. */
async function lastModifiedIn(tx: MetadataTx, bucket: string, key: string, versionId: string | undefined): Promise<number | undefined> {
  if (versionId === undefined) return (await tx.getObject(bucket, key))?.lastModified;
  return (await tx.getVersion(bucket, key, versionId))?.record.lastModified;
}

/** PutObjectACL, of the current object or of one version. */
export async function setObjectAcl(c: Coffer, bucket: string, key: string, acl: ObjectAcl, versionId?: string): Promise<void> {
  await requireBucket(c, bucket);
  await statTransaction(c.meta, (tx) => updateVersion(tx, bucket, key, versionId, (obj) => ({ ...obj, acl })));
}

export interface CopyObjectRequest {
  /** `versionId`: copy that version (restoring an old version is a copy of it onto its key). */
  source: { bucket: string; key: string; versionId?: string };
  target: { bucket: string; key: string };
  /** REPLACE: headers and user metadata come from `attributes`; COPY: from the source. */
  directive: 'COPY' | 'REPLACE';
  /** The same for tags (x-oss-tagging-directive). */
  taggingDirective: 'COPY' | 'REPLACE';
  attributes: ObjectAttributes;
  sse: SseChoice | null;
  /** SSE-C source: the key it was stored with (required for one, refused for any other source). */
  sourceCustomerKey?: Buffer;
  conditions: Conditions;
  forbidOverwrite: boolean;
  caller: Caller;
}

export type CopyResult = { notModified: true } | { notModified: false; object: ObjectRecord };

/**
 * CopyObject. Encryption is never inherited: the target gets what the request or the target
 * bucket's default asks for. A copy onto itself that keeps the data cipher only re-seals the
 * object key (or just replaces metadata); anything else re-encrypts the plaintext into a new blob.
 * With SSE-C on either side, the object key is kept only from SSE-C to SSE-C under the same
 * customer key: a new customer key, or a move between SSE-C and a server-held key, must leave
 * nothing readable with the old key material, so the data is re-encrypted under a new object key.
 * The digests follow the target: an SSE-C target gets an ETag keyed by its own object key and no
 * CRC-64 or Content-MD5 (kept object key: the ETag stays valid); any other, its ordinary ones.
 */
export async function copyObject(c: Coffer, req: CopyObjectRequest): Promise<CopyResult> {
  // A link as the source: the copy reads (and its conditions test) the target.
  const src = await followLink(c, await getObjectRecord(c, req.source.bucket, req.source.key, req.source.versionId));
  requireReadable(c, src);
  // Before the conditions: they would tell a caller without the key about the object.
  checkCustomerKey(src.encryption, req.sourceCustomerKey);
  if (evaluateConditions(req.conditions, src) === 'not-modified') return { notModified: true };
  const targetBucket = await requireBucket(c, req.target.bucket);
  checkObjectKey(req.target.key);
  const tags = copiedTags(src, req);
  const check = req.forbidOverwrite ? forbidOverwrite(req.target.key) : undefined;
  // In a versioned bucket the copy is a new version, which must not share the source's blobs: the
  // store retires a version's blobs when that version goes, whatever else names them.
  const self = src.bucket === req.target.bucket && src.key === req.target.key && !targetBucket.versioning;
  const choice = resolveSse(req.sse, targetBucket.encryption);
  const srcEnc = asObjectEncryption(src.encryption);
  const ctx: KeyContext = { ...req.target, caller: req.caller };
  const base = {
    bucket: req.target.bucket,
    key: req.target.key,
    acl: req.attributes.acl,
    storageClass: req.attributes.storageClass ?? targetBucket.storageClass,
    lastModified: Date.now(),
    headers: req.directive === 'REPLACE' ? req.attributes.headers : src.headers,
    userMeta: req.directive === 'REPLACE' ? req.attributes.userMeta : src.userMeta,
    // A copy is a new object: an archive-class one starts frozen.
    restore: undefined,
  };

  const sameCipher = choice ? !!srcEnc && suiteOf(choice) === srcEnc.suite : !srcEnc;
  const keepsObjectKey = isCustomerKeyed(srcEnc) || choice?.algorithm === 'SSE-C'
    ? isCustomerKeyed(srcEnc) && choice?.algorithm === 'SSE-C' && customerKeyMatches(srcEnc.kek, choice.customerKey)
    : true;
  if (self && !check && sameCipher && keepsObjectKey) {
    // Same bytes, same cipher: metadata change, or a new envelope around the same object key.
    let encryption: ObjectEncryption | null = null;
    if (choice && srcEnc) {
      const objectKey = await c.encryption.objectKey(srcEnc, { bucket: src.bucket, key: src.key, caller: req.caller, customerKey: req.sourceCustomerKey });
      try {
        encryption = await c.encryption.seal(choice, objectKey, ctx);
      } finally {
        objectKey.fill(0);
      }
    }
    const { tags: _srcTags, ...unchanged } = src;
    const record: ObjectRecord = { ...unchanged, ...base, encryption: encryption ? { ...encryption } : null, ...tagsField(tags) };
    const stored = await commitObject(c, record, [], (current) => {
      if (!current || current.segments[0]?.blobId !== src.segments[0]?.blobId) {
        throw new CofferError('PreconditionFailed', 'The source object changed during the copy.');
      }
    }, { inPlace: true, unversioned: true });
    return { notModified: false, object: stored };
  }

  if (check) check(await c.meta.getObject(req.target.bucket, req.target.key));
  const srcCipher = await objectCipher(c, src, req.caller, req.sourceCustomerKey);
  const enc = await newCipher(c, choice, ctx);
  const w = await writeSegment(c, { body: objectData(c, src, srcCipher, 0, src.size - 1), sizeHint: src.size }, enc?.cipher ?? null);
  if (!copiedIntact(src, srcCipher, w)) {
    await settleSegments(c, [w], false);
    throw new CofferError('DataIntegrityError', 'The source object failed its checksum while being copied.');
  }
  const digests = plaintextDigests(enc?.info ?? null, enc?.cipher.objectKey, w);
  const multipart = src.type === 'Multipart';
  const record: ObjectRecord = {
    ...base,
    size: src.size,
    // A multipart source's "HEX-N" stays, as it always has; but an SSE-C copy of one must not keep
    // an ETag made of the plaintext's part MD5s (nor one keyed by another object's key): its own
    // keyed ETag of the whole content, in the multipart shape.
    etag: !multipart ? digests.etag : isCustomerKeyed(enc?.info) ? `${digests.etag}-${partCount(src)}` : src.etag,
    // The copy's own CRC-64 (none under SSE-C); a source under SSE-C kept none to carry over.
    ...(digests.crc64 !== undefined && { crc64: digests.crc64 }),
    ...(!multipart && digests.contentMd5 !== undefined && { contentMd5: digests.contentMd5 }),
    type: multipart ? 'Multipart' : 'Normal',
    encryption: enc ? { ...enc.info } : null,
    segments: [w.segment],
    ...tagsField(tags),
    // The same plaintext: the source's checksum holds for the copy.
    ...(src.checksum && { checksum: src.checksum }),
  };
  return { notModified: false, object: await commitObject(c, record, [w], check) };
}

/**
 * Whether the plaintext a copy read and re-wrote is the source's, by what the source's record still
 * allows comparing. Ordinarily its CRC-64, and for a Normal object its MD5 (the ETag). An SSE-C
 * source keeps neither (they would be digests of its plaintext, see plaintextDigests); there the
 * AEAD packages authenticated every byte read (a failed tag ends the read with DataIntegrityError
 * before this), so what remains to compare is the length and, for a Normal object, the keyed ETag,
 * which the source's object key (unsealed for the read) recomputes from the MD5 just taken.
 */
function copiedIntact(src: ObjectRecord, srcCipher: SegmentCipher | null, w: WrittenSegment): boolean {
  if (w.segment.size !== src.size) return false;
  if (isCustomerKeyed(asObjectEncryption(src.encryption))) {
    return src.type !== 'Normal' || (!!srcCipher && customerKeyedEtag(srcCipher.objectKey, w.md5) === src.etag);
  }
  return w.crc64.toString() === src.crc64 && (src.type !== 'Normal' || hex(w.md5) === src.etag);
}

/** How many parts a multipart object's "HEX-N" ETag names (a copy keeps it; its segments are then one). */
function partCount(obj: ObjectRecord): number {
  const n = /-(\d+)$/.exec(obj.etag);
  return n ? Number(n[1]) : obj.segments.length;
}

/** The tags a copy carries: the source's (COPY, the default), or the request's (REPLACE). */
export function copiedTags(src: ObjectRecord, req: Pick<CopyObjectRequest, 'taggingDirective' | 'attributes'>): ObjectTag[] {
  return req.taggingDirective === 'REPLACE' ? req.attributes.tags : src.tags ?? [];
}

export interface AppendObjectRequest extends ObjectAttributes, UploadBody {
  bucket: string;
  key: string;
  position: number;
  sse: SseChoice | null;
  caller: Caller;
}

const positionError = (next: number): CofferError =>
  new CofferError('PositionNotEqualToLength', 'Position is not equal to file length', { NextAppendPosition: String(next) });

/**
 * AppendObject: each append is a new segment, so nothing already stored is rewritten.
 * The first append decides the encryption; later appends reuse the object key with a fresh salt.
 */
export async function appendObject(c: Coffer, req: AppendObjectRequest): Promise<ObjectRecord> {
  const bucket = await requireBucket(c, req.bucket);
  if (req.sse?.algorithm === 'SSE-C') {
    throw new CofferError('InvalidArgument', 'An appendable object cannot be encrypted with a customer-provided key (SSE-C).');
  }
  checkObjectKey(req.key);
  checkTags(req.tags);
  const existing = await c.meta.getObject(req.bucket, req.key);
  if (existing && existing.type !== 'Appendable') throw new CofferError('ObjectNotAppendable', 'The object is not appendable');
  const length = existing?.size ?? 0;
  if (req.position !== length) throw positionError(length);
  const storageClass = existing?.storageClass ?? req.storageClass ?? bucket.storageClass;
  checkAppendableClass(storageClass);

  let encryption: ObjectEncryption | null;
  let cipher: SegmentCipher | null;
  if (existing) {
    encryption = asObjectEncryption(existing.encryption);
    cipher = await objectCipher(c, existing, req.caller);
  } else {
    const enc = await newCipher(c, resolveSse(req.sse, bucket.encryption), req);
    encryption = enc?.info ?? null;
    cipher = enc?.cipher ?? null;
  }
  const w = await writeSegment(c, req, cipher);
  const size = length + w.segment.size;
  // An appendable object is never SSE-C, so it always has its CRC-64.
  const crc = existing ? crc64Combine(BigInt(existing.crc64!), w.crc64, w.segment.size) : w.crc64;
  const record: ObjectRecord = {
    bucket: req.bucket,
    key: req.key,
    size,
    // An appendable object's ETag is not an MD5 of its content (as in OSS); it changes with every append.
    etag: hex(createHash('md5').update(`${crc}:${size}`).digest()),
    crc64: crc.toString(),
    type: 'Appendable',
    storageClass,
    acl: existing?.acl ?? req.acl,
    lastModified: Date.now(),
    headers: existing?.headers ?? req.headers,
    userMeta: existing?.userMeta ?? req.userMeta,
    encryption: encryption ? { ...encryption } : null,
    segments: [...(existing?.segments ?? []), w.segment],
    // Like the encryption, the tags of the first append stay.
    ...tagsField(existing ? existing.tags : req.tags),
    // Appending makes no new version (as in OSS): the object keeps the one its first append got.
    ...(existing?.versionId !== undefined && { versionId: existing.versionId }),
  };
  return commitObject(c, record, [w], (current) => {
    if ((current?.size ?? 0) !== length || (current && current.type !== 'Appendable')) throw positionError(current?.size ?? 0);
  }, { inPlace: !!existing });
}

export async function listObjects(
  c: Coffer,
  bucket: string,
  q: { prefix: string; delimiter: string; marker?: string; maxKeys: number },
): Promise<Page<ObjectRecord>> {
  await requireBucket(c, bucket);
  return listPage(
    (last, skipPrefix, limit) => c.meta.listObjects(bucket, { prefix: q.prefix, after: last ? last.key : q.marker, skipPrefix, limit }),
    (o) => o.key,
    q,
  );
}
