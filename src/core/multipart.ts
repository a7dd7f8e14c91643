/**
 * Multipart upload. The object key is chosen (and sealed) at Initiate, so SSE-KMS costs one
 * data key per upload; each part is encrypted as it arrives with its own salt, so re-uploading a
 * part number never reuses a (key, nonce) pair; Complete writes only metadata. SSE-C: Initiate
 * seals the object key under the customer key, and every part must bring that key again; a part's
 * ETag is then keyed by that object key and it keeps no CRC-64 (see plaintextDigests), so the
 * object's "HEX-N" is formed over keyed ETags and it has no CRC-64 either.
 */
import { createHash, randomBytes } from 'node:crypto';
import { crc64Combine } from '../crypto/crc64';
import type { Caller } from '../common/caller';
import { combineChecksums, compositeChecksum, isChecksumAlgorithm, isCrc, newChecksummer, type ChecksumAlgorithm } from '../crypto/checksums';
import type { ObjectRecord, PartRecord, StoredChecksum, UploadRecord } from '../store/types';
import { requireBucket } from './buckets';
import { FREES_SPACE, LIMITS, type Coffer } from './coffer';
import { evaluateConditions, type Conditions } from './conditions';
import { asObjectEncryption, checkCustomerKey, resolveSse, type SseChoice } from './encryption';
import { CofferError } from '../common/errors';
import { openOnRead } from '../common/streams';
import { listPage, type Page } from './listing';
import { checkObjectKey } from './names';
import { getObjectRecord, objectCipher, objectData, plaintextDigests, type ObjectAttributes } from './objects';
import { settleSegments, writeSegment, type ChecksumRequest, type UploadBody } from './segment-writer';
import { checkTags, tagsField } from './tags';
import { requireReadable } from './storage-class';
import { followLink } from './symlinks';
import { statTransaction } from './bucket-stats';
import { refuseIfRetained } from './retention';
import { putCurrent } from './versions';

const noSuchUpload = (): CofferError => new CofferError('NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.');

export async function requireUpload(c: Coffer, bucket: string, key: string, uploadId: string): Promise<UploadRecord> {
  await requireBucket(c, bucket);
  const upload = await c.meta.getUpload(uploadId);
  if (!upload || upload.bucket !== bucket || upload.key !== key) throw noSuchUpload();
  return upload;
}

export interface InitiateRequest extends ObjectAttributes {
  bucket: string;
  key: string;
  sse: SseChoice | null;
  caller: Caller;
  /** The checksum the object will carry; each part then gets one of this algorithm. */
  checksum?: UploadRecord['checksum'];
}

export async function initiateUpload(c: Coffer, req: InitiateRequest): Promise<UploadRecord> {
  const bucket = await requireBucket(c, req.bucket);
  checkObjectKey(req.key);
  checkTags(req.tags);
  const choice = resolveSse(req.sse, bucket.encryption);
  const enc = choice ? await c.encryption.newObjectKey(choice, req) : null;
  // Only its sealed form is kept; each part unseals it again.
  enc?.objectKey.fill(0);
  const upload: UploadRecord = {
    uploadId: randomBytes(16).toString('hex').toUpperCase(),
    bucket: req.bucket,
    key: req.key,
    initiated: Date.now(),
    storageClass: req.storageClass ?? bucket.storageClass,
    acl: req.acl,
    headers: req.headers,
    userMeta: req.userMeta,
    encryption: enc ? { ...enc.info } : null,
    ...tagsField(req.tags),
    ...(req.checksum && { checksum: checkUploadChecksum(req.checksum) }),
  };
  await statTransaction(c.meta, (tx) => tx.putUpload(upload));
  return upload;
}

/** CRCs combine into a checksum of the whole object; SHA digests only into a composite one. */
function checkUploadChecksum(ck: NonNullable<UploadRecord['checksum']>): NonNullable<UploadRecord['checksum']> {
  if (!isChecksumAlgorithm(ck.algorithm)) throw new CofferError('InvalidArgument', `Unknown checksum algorithm ${ck.algorithm}.`, { ArgumentName: 'x-amz-checksum-algorithm', ArgumentValue: ck.algorithm });
  if (ck.type === 'FULL_OBJECT' && !isCrc(ck.algorithm)) {
    throw new CofferError('InvalidRequest', `The ${ck.algorithm} checksum algorithm cannot be a FULL_OBJECT checksum of a multipart upload; use a CRC or COMPOSITE.`);
  }
  if (ck.type === 'COMPOSITE' && ck.algorithm === 'CRC64NVME') {
    throw new CofferError('InvalidRequest', 'The CRC64NVME checksum algorithm supports only the FULL_OBJECT checksum type.');
  }
  return ck;
}

/**
 * The checksum a part is written with: the upload's algorithm when it has one (a part naming
 * another is refused), else what the part asked for.
 */
function partChecksum(upload: UploadRecord, asked: ChecksumRequest | undefined): ChecksumRequest | undefined {
  const algorithm = upload.checksum?.algorithm;
  if (!algorithm) return asked;
  if (asked && asked.algorithm !== algorithm) {
    throw new CofferError('InvalidRequest', `Checksum Type mismatch occurred, expected checksum Type: ${algorithm.toLowerCase()}, actual checksum Type: ${asked.algorithm.toLowerCase()}`);
  }
  return asked ?? { algorithm: algorithm as ChecksumAlgorithm, expected: () => undefined };
}

function checkPartNumber(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > LIMITS.maxPartNumber) {
    throw new CofferError('InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive.', {
      ArgumentName: 'partNumber', ArgumentValue: String(n), EC: '0017-00000220',
    });
  }
}

export interface UploadPartRequest extends UploadBody {
  bucket: string;
  key: string;
  uploadId: string;
  partNumber: number;
  caller: Caller;
  /** SSE-C upload: the customer key it was initiated with (required for one, refused for any other upload). */
  customerKey?: Buffer;
}

export async function uploadPart(c: Coffer, req: UploadPartRequest): Promise<{ part: PartRecord; upload: UploadRecord }> {
  checkPartNumber(req.partNumber);
  const upload = await requireUpload(c, req.bucket, req.key, req.uploadId);
  // Before the body is read: a refused part stores nothing.
  checkCustomerKey(upload.encryption, req.customerKey, 'upload');
  const info = asObjectEncryption(upload.encryption);
  const cipher = info
    ? { suite: info.suite, objectKey: await c.encryption.objectKey(info, { bucket: upload.bucket, key: upload.key, caller: req.caller, customerKey: req.customerKey }) }
    : null;
  const w = await writeSegment(c, { ...req, checksum: partChecksum(upload, req.checksum) }, cipher);
  const { etag, crc64 } = plaintextDigests(info, cipher?.objectKey, w);
  const part: PartRecord = {
    uploadId: req.uploadId,
    partNumber: req.partNumber,
    etag,
    size: w.segment.size,
    ...(crc64 !== undefined && { crc64 }),
    lastModified: Date.now(),
    segment: w.segment,
    ...(w.checksum && { checksum: w.checksum }),
  };
  let committed = false;
  try {
    await statTransaction(c.meta, async (tx) => {
      if (!(await tx.getUpload(req.uploadId))) throw noSuchUpload();
      await tx.putPart(part);
    });
    committed = true;
  } finally {
    await settleSegments(c, [w], committed);
  }
  c.collector.sweepSoon();
  return { part, upload };
}

/** Bytes of a copy source: first-last, first- (to the end), or -suffix (the last `suffix` bytes). */
export type SourceRange = { first: number; last?: number } | { suffix: number };

export interface UploadPartCopyRequest extends Omit<UploadPartRequest, keyof UploadBody> {
  source: { bucket: string; key: string; versionId?: string };
  /** Whole object when absent. */
  range?: SourceRange;
  /** The range as the client wrote it, for the error that refuses it. */
  rangeText?: string;
  conditions: Conditions;
  /** SSE-C source: the key it was stored with (required for one, refused for any other source). */
  sourceCustomerKey?: Buffer;
}

/** The inclusive byte range a SourceRange names in an object of `size` bytes, or null if it names none. */
function resolveRange(r: SourceRange, size: number): { start: number; end: number } | null {
  if ('suffix' in r) return r.suffix > 0 && size > 0 ? { start: Math.max(0, size - r.suffix), end: size - 1 } : null;
  const end = r.last ?? size - 1;
  return r.first <= end && end < size ? { start: r.first, end } : null;
}

export async function uploadPartCopy(c: Coffer, req: UploadPartCopyRequest): Promise<{ part: PartRecord; upload: UploadRecord }> {
  checkPartNumber(req.partNumber);
  const upload = await requireUpload(c, req.bucket, req.key, req.uploadId);
  checkCustomerKey(upload.encryption, req.customerKey, 'upload');
  const src = await followLink(c, await getObjectRecord(c, req.source.bucket, req.source.key, req.source.versionId));
  requireReadable(c, src);
  // Before the conditions: they would tell a caller without the key about the object.
  checkCustomerKey(src.encryption, req.sourceCustomerKey);
  if (src.type === 'Appendable') throw new CofferError('InvalidArgument', 'An appendable object cannot be the source of UploadPartCopy.');
  if (evaluateConditions(req.conditions, src) === 'not-modified') {
    throw new CofferError('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold.');
  }
  const range = req.range ? resolveRange(req.range, src.size) : { start: 0, end: src.size - 1 };
  if (!range) {
    throw new CofferError('InvalidArgument', 'The x-oss-copy-source-range is out of the source object.', {
      ArgumentName: 'x-oss-copy-source-range', ArgumentValue: req.rangeText ?? '',
    });
  }
  const { start, end } = range;
  const cipher = await objectCipher(c, src, req.caller, req.sourceCustomerKey);
  const body = openOnRead(() => objectData(c, src, cipher, start, end));
  return uploadPart(c, { ...req, body, sizeHint: end - start + 1 });
}

export interface CompleteRequest {
  bucket: string;
  key: string;
  uploadId: string;
  /** The client's part list, or 'all' for x-oss-complete-all; a part's checksum, when given, must be the stored one. */
  parts: Array<{ partNumber: number; etag: string; checksum?: string }> | 'all';
  /** The whole object's checksum the client claims (base64), for a FULL_OBJECT upload. */
  checksum?: string;
  acl?: ObjectRecord['acl'];
  forbidOverwrite: boolean;
  /**
   * SSE-C upload: optional (Complete reads no data), but when given it must be the upload's key
   * (another: 403 AccessDenied); refused for an upload that is not SSE-C.
   */
  customerKey?: Buffer;
}

const normEtag = (e: string): string => e.trim().replace(/^"|"$/g, '').toUpperCase();

export async function completeUpload(c: Coffer, req: CompleteRequest): Promise<{ object: ObjectRecord; upload: UploadRecord }> {
  const upload = await requireUpload(c, req.bucket, req.key, req.uploadId);
  if (req.customerKey !== undefined) checkCustomerKey(upload.encryption, req.customerKey, 'upload');
  const stored = await c.meta.listParts(req.uploadId, { limit: LIMITS.maxPartNumber });
  let chosen: PartRecord[];
  if (req.parts === 'all') {
    chosen = stored;
  } else {
    const byNumber = new Map(stored.map((p) => [p.partNumber, p]));
    const list = req.parts;
    chosen = list.map((p, i) => {
      if (i > 0 && p.partNumber <= list[i - 1].partNumber) {
        throw new CofferError('InvalidPartOrder', 'The list of parts was not in ascending order. Parts list must specified in order by part number.');
      }
      const part = byNumber.get(p.partNumber);
      if (!part || part.etag !== normEtag(p.etag) || (p.checksum !== undefined && p.checksum !== part.checksum?.value)) {
        throw new CofferError('InvalidPart', 'One or more of the specified parts could not be found or the specified entity tag might not have matched the part\'s entity tag.', {
          PartNumber: String(p.partNumber), ETag: p.etag,
        });
      }
      return part;
    });
  }
  if (chosen.length === 0) throw new CofferError('InvalidPart', 'A multipart upload needs at least one part.');
  chosen.forEach((p, i) => {
    if (i < chosen.length - 1 && p.size < LIMITS.minPartSize) {
      throw new CofferError('EntityTooSmall', 'Your proposed upload smaller than the minimum allowed size.', {
        PartNumber: String(p.partNumber), MinSizeAllowed: String(LIMITS.minPartSize), ProposedSize: String(p.size),
      });
    }
  });
  const md5s = createHash('md5');
  // Parts of an SSE-C upload have no CRC-64, so neither has its object.
  let crc: bigint | undefined = 0n;
  let size = 0;
  for (const p of chosen) {
    md5s.update(Buffer.from(p.etag, 'hex'));
    crc = crc === undefined || p.crc64 === undefined ? undefined : crc64Combine(crc, BigInt(p.crc64), p.size);
    size += p.size;
  }
  const checksum = uploadChecksum(upload, chosen, req.checksum);
  const object: ObjectRecord = {
    bucket: req.bucket,
    key: req.key,
    size,
    etag: `${md5s.digest('hex').toUpperCase()}-${chosen.length}`,
    ...(crc !== undefined && { crc64: crc.toString() }),
    type: 'Multipart',
    storageClass: upload.storageClass,
    acl: req.acl ?? upload.acl,
    lastModified: Date.now(),
    headers: upload.headers,
    userMeta: upload.userMeta,
    encryption: upload.encryption,
    segments: chosen.map((p) => p.segment),
    ...tagsField(upload.tags),
    ...(checksum && { checksum }),
  };
  const keep = new Set(object.segments.map((s) => s.blobId));
  const completed = await statTransaction(c.meta, async (tx) => {
    const current = await tx.getUpload(req.uploadId);
    if (!current) throw noSuchUpload();
    for (const p of chosen) {
      if ((await tx.getPart(req.uploadId, p.partNumber))?.segment.blobId !== p.segment.blobId) {
        throw new CofferError('InvalidPart', 'A part changed while the upload was being completed; retry.', { PartNumber: String(p.partNumber) });
      }
    }
    if (req.forbidOverwrite && (await tx.getObject(req.bucket, req.key))) {
      throw new CofferError('FileAlreadyExists', 'The object you specified already exists and can not be overwritten.', { Key: req.key });
    }
    const put = await putCurrent(tx, object);
    // What the new object does away with (not a version it keeps) must not be retained.
    await refuseIfRetained(c, tx, put.replaced);
    await tx.deleteUpload(req.uploadId, keep);
    return put.stored;
  });
  c.collector.sweepSoon();
  return { object: completed, upload };
}

/**
 * The object checksum of a completed upload that asked for one: the parts' CRCs combined (FULL_OBJECT)
 * or S3's composite of the part digests. A value the client claims for the whole object must match.
 */
function uploadChecksum(upload: UploadRecord, parts: PartRecord[], claimed: string | undefined): StoredChecksum | undefined {
  const ck = upload.checksum;
  if (!ck) return undefined;
  const algorithm = ck.algorithm as ChecksumAlgorithm;
  const digests = parts.map((p) => {
    if (p.checksum?.algorithm !== algorithm) {
      throw new CofferError('InvalidPart', `Part ${p.partNumber} has no ${algorithm} checksum; upload it again.`, { PartNumber: String(p.partNumber) });
    }
    return Buffer.from(p.checksum.value, 'base64');
  });
  let value: string;
  if (ck.type === 'COMPOSITE') {
    value = compositeChecksum(algorithm, digests);
  } else {
    let crc = newChecksummer(algorithm).digest();
    parts.forEach((p, i) => { crc = combineChecksums(algorithm, crc, digests[i], p.size); });
    value = crc.toString('base64');
  }
  if (claimed !== undefined && claimed !== value) throw new CofferError('BadDigest', `The ${algorithm} you specified did not match the calculated checksum.`);
  return { algorithm, value, type: ck.type };
}

export async function abortUpload(c: Coffer, bucket: string, key: string, uploadId: string): Promise<void> {
  await requireUpload(c, bucket, key, uploadId);
  await statTransaction(c.meta, async (tx) => {
    if (!(await tx.getUpload(uploadId))) throw noSuchUpload();
    await tx.deleteUpload(uploadId);
  }, FREES_SPACE);
  c.collector.sweepSoon();
}

export async function listParts(
  c: Coffer,
  req: { bucket: string; key: string; uploadId: string; marker: number; maxParts: number },
): Promise<{ upload: UploadRecord; parts: PartRecord[]; truncated: boolean }> {
  const upload = await requireUpload(c, req.bucket, req.key, req.uploadId);
  const rows = await c.meta.listParts(req.uploadId, { after: req.marker, limit: req.maxParts + 1 });
  return { upload, parts: rows.slice(0, req.maxParts), truncated: rows.length > req.maxParts };
}

export async function listUploads(
  c: Coffer,
  bucket: string,
  q: { prefix: string; delimiter: string; keyMarker: string; uploadIdMarker: string; maxUploads: number },
): Promise<Page<UploadRecord>> {
  await requireBucket(c, bucket);
  return listPage(
    (last, skipPrefix, limit) => c.meta.listUploads(bucket, {
      prefix: q.prefix,
      keyMarker: last ? last.key : q.keyMarker || undefined,
      uploadIdMarker: last ? last.uploadId : q.uploadIdMarker || undefined,
      skipPrefix,
      limit,
    }),
    (u) => u.key,
    { prefix: q.prefix, delimiter: q.delimiter, marker: q.keyMarker, maxKeys: q.maxUploads },
  );
}
