/**
 * The scrub behind `coffer admin check` (admin API CheckObjects): reads every object, and every
 * part of every unfinished multipart upload, once, and reports what is missing or damaged:
 *  - a blob the metadata names that is absent, or whose length is not what the metadata implies
 *    (the plaintext size, or for an encrypted segment the size of its sealed packages);
 *  - an encrypted segment whose packages do not authenticate (decrypted through the normal read
 *    path, the plaintext discarded);
 *  - data whose CRC-64 differs from the stored one (plain objects; encrypted ones too, since the
 *    plaintext passes by anyway).
 * It changes nothing. SSE-KMS keys are unsealed as the caller (the account root), so each one is a
 * KMS Decrypt in the audit trail under the admin's name; an object whose key KMS refuses to
 * unseal (disabled, pending deletion, no material) is reported as not verified, not as damaged.
 * SSE-C objects and uploads are never decrypted: their key is the customer's and the server does
 * not have it. Their blobs are checked for presence and length, and they are reported as not
 * verified (without the key their packages' tags cannot be checked; they keep no CRC-64).
 *
 * A pass goes in bounded steps, as the master-key rewrap does (keys/rewrap.ts): each reads up to
 * maxObjects objects or maxBytes of their data and returns the last object as a marker
 * (bucket/key; bucket names have no '/') to resume after. A bucket's unfinished uploads are
 * checked when the pass enters the bucket. Objects are read one at a time, so a scrub costs the
 * server one reader.
 */
import { isCofferError } from '../common/errors';
import { Crc64 } from '../crypto/crc64';
import { storedSize } from '../crypto/package-format';
import type { Caller } from '../common/caller';
import { isDeleteMarker, versionIdOf, type EncryptionInfo, type MetadataReader, type ObjectRecord, type Segment, type UploadRecord, type VersionRecord } from '../store/types';
import type { Coffer } from './coffer';
import { asObjectEncryption, isCustomerKeyed } from './encryption';
import { readObject } from './object-reader';
import { stepOverVersions } from './walk';

export type ProblemKind = 'missing' | 'wrong-length' | 'corrupt' | 'crc32-mismatch' | 'crc64-mismatch' | 'unreadable';

/** Where a finding is: an object (one version of it, when noncurrent), or a part of an unfinished multipart upload. */
export interface ScrubLocation {
  bucket: string;
  key: string;
  versionId?: string;
  uploadId?: string;
  partNumber?: number;
}

export interface ScrubProblem extends ScrubLocation {
  kind: ProblemKind;
  /** The blob at fault, when one is. */
  blobId?: string;
  detail: string;
}

export interface ScrubUnverified extends ScrubLocation {
  /** Why its data could not be checked (the KMS refusal, or SSE-C). Its blobs' presence and lengths were. */
  reason: string;
}

export const SSE_C_UNVERIFIED = 'encrypted with a customer-provided key (SSE-C), which the server does not keep: '
  + 'its data cannot be authenticated without the key';

export interface ScrubStep {
  /** Resume after this object (bucket/key), from a previous step's nextMarker; absent: from the start. */
  marker?: string;
  maxObjects: number;
  /** Plaintext bytes read per step, at most (the object that crosses it is finished). */
  maxBytes: number;
  /** Who reads: SSE-KMS keys are unsealed with this caller's rights and in its name. */
  caller: Caller;
}

export interface ScrubResult {
  objects: { scanned: number; bytes: number };
  uploads: { scanned: number; parts: number };
  problems: ScrubProblem[];
  unverified: ScrubUnverified[];
  /** Where the next step starts; null when this step finished the pass. */
  nextMarker: string | null;
}

const PAGE = 200;

/** What one check reads: an object's segments, or one part, with the key context it was sealed for. */
interface Item {
  where: ScrubLocation;
  /** The object's or the upload's encryption (parts are sealed under the upload's object key, for its bucket and key). */
  encryption: EncryptionInfo | null;
  segments: Segment[];
  /** Absent for SSE-C, which keeps no CRC-64 (and is not read here anyway). */
  crc64?: string;
  /** The blob ids the store names for it now; null when it is gone. */
  current(): Promise<string[] | null>;
}

type Finding = { problem: Omit<ScrubProblem, keyof ScrubLocation> } | { unverified: string } | null;

const errorCode = (err: unknown): string | undefined => (err as { code?: unknown } | null)?.code as string | undefined;
const describe = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Blob presence and lengths, then the data itself through the read path. */
async function inspect(c: Coffer, item: Item, caller: Caller): Promise<Finding> {
  const info = asObjectEncryption(item.encryption);
  for (const seg of item.segments) {
    const expected = info ? storedSize(seg.size) : seg.size;
    let actual: number;
    try {
      actual = await c.blobs.size(seg.blobId);
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return { problem: { kind: 'missing', blobId: seg.blobId, detail: `blob ${seg.blobId} is missing` } };
      return { problem: { kind: 'unreadable', blobId: seg.blobId, detail: `blob ${seg.blobId} cannot be examined: ${describe(err)}` } };
    }
    if (actual !== expected) {
      return { problem: { kind: 'wrong-length', blobId: seg.blobId, detail: `blob ${seg.blobId} holds ${actual} bytes; the metadata implies ${expected}` } };
    }
  }
  if (isCustomerKeyed(info)) return { unverified: SSE_C_UNVERIFIED };
  let objectKey: Buffer | null = null;
  if (info) {
    try {
      objectKey = await c.encryption.objectKey(info, { bucket: item.where.bucket, key: item.where.key, caller });
    } catch (err) {
      // KMS declining to unseal says nothing about the stored bytes.
      if (isCofferError(err) && err.extras.KmsErrorCode) return { unverified: err.message };
      return { problem: { kind: 'unreadable', detail: `the object key does not unseal: ${describe(err)}` } };
    }
  }
  try {
    // One running CRC across the segments is the object's CRC; segment by segment, so a failure names its blob.
    const crc = new Crc64();
    for (const seg of item.segments) {
      if (seg.size === 0) continue;
      const cipher = info && objectKey ? { suite: info.suite, objectKey } : null;
      try {
        for await (const chunk of readObject(c.blobs, c.collector, { segments: [seg], cipher, start: 0, end: seg.size - 1 })) crc.update(chunk as Buffer);
      } catch (err) {
        if (isCofferError(err) && err.code === 'DataIntegrityError') {
          // A plain segment's only check is its CRC-32 (object-reader.ts).
          return cipher
            ? { problem: { kind: 'corrupt', blobId: seg.blobId, detail: `blob ${seg.blobId} does not authenticate: ${err.message}` } }
            : { problem: { kind: 'crc32-mismatch', blobId: seg.blobId, detail: err.message } };
        }
        if (errorCode(err) === 'ENOENT') return { problem: { kind: 'missing', blobId: seg.blobId, detail: `blob ${seg.blobId} is missing` } };
        return { problem: { kind: 'unreadable', blobId: seg.blobId, detail: `blob ${seg.blobId} cannot be read: ${describe(err)}` } };
      }
    }
    if (item.crc64 !== undefined && crc.toString() !== item.crc64) {
      return { problem: { kind: 'crc64-mismatch', detail: `the data's CRC-64 is ${crc.toString()}; the metadata says ${item.crc64}` } };
    }
    return null;
  } finally {
    objectKey?.fill(0);
  }
}

/**
 * Checks one item with its blobs leased against collection here; a finding counts only if the
 * store still names the same blobs afterwards, since a writer may have replaced or deleted the
 * object since it was listed (and its old blobs be gone by right).
 */
async function check(c: Coffer, item: Item, caller: Caller, result: ScrubResult): Promise<void> {
  const ids = item.segments.map((s) => s.blobId);
  const release = c.collector.lease(ids);
  try {
    const finding = await inspect(c, item, caller);
    if (!finding) return;
    const now = await item.current();
    if (!now || now.join('/') !== ids.join('/')) return;
    if ('problem' in finding) result.problems.push({ ...item.where, ...finding.problem });
    else result.unverified.push({ ...item.where, reason: finding.unverified });
  } finally {
    release();
  }
}

function objectItem(meta: MetadataReader, o: ObjectRecord): Item {
  const found = async (): Promise<VersionRecord | null> => (await meta.getVersion(o.bucket, o.key, versionIdOf(o)))?.record ?? null;
  return {
    where: { bucket: o.bucket, key: o.key, ...(o.versionId !== undefined && { versionId: o.versionId }) },
    encryption: o.encryption,
    segments: o.segments,
    crc64: o.crc64,
    current: async () => {
      const now = await found();
      return now && !isDeleteMarker(now) ? now.segments.map((s) => s.blobId) : null;
    },
  };
}

async function checkUploads(c: Coffer, bucket: string, caller: Caller, result: ScrubResult): Promise<void> {
  let marker: { keyMarker: string; uploadIdMarker: string } | undefined;
  for (;;) {
    const page: UploadRecord[] = await c.meta.listUploads(bucket, { ...marker, limit: PAGE });
    for (const u of page) {
      result.uploads.scanned++;
      for (let after: number | undefined; ;) {
        const parts = await c.meta.listParts(u.uploadId, { after, limit: PAGE });
        for (const p of parts) {
          result.uploads.parts++;
          await check(c, {
            where: { bucket, key: u.key, uploadId: u.uploadId, partNumber: p.partNumber },
            encryption: u.encryption,
            segments: [p.segment],
            crc64: p.crc64,
            current: async () => {
              const now = await c.meta.getPart(u.uploadId, p.partNumber);
              return now ? [now.segment.blobId] : null;
            },
          }, caller, result);
        }
        if (parts.length < PAGE) break;
        after = parts.at(-1)!.partNumber;
      }
    }
    if (page.length < PAGE) return;
    marker = { keyMarker: page.at(-1)!.key, uploadIdMarker: page.at(-1)!.uploadId };
  }
}

/** One step of a scrub pass. */
export async function scrubStep(c: Coffer, step: ScrubStep): Promise<ScrubResult> {
  const result: ScrubResult = { objects: { scanned: 0, bytes: 0 }, uploads: { scanned: 0, parts: 0 }, problems: [], unverified: [], nextMarker: null };
  result.nextMarker = await stepOverVersions(c.meta, {
    marker: step.marker,
    spent: () => result.objects.scanned >= step.maxObjects || result.objects.bytes >= step.maxBytes,
    // Entering a bucket (not resuming inside it): its unfinished uploads first.
    enterBucket: (bucket) => checkUploads(c, bucket, step.caller, result),
    visit: async (o) => {
      result.objects.scanned++;
      result.objects.bytes += o.size;
      await check(c, objectItem(c.meta, o), step.caller, result);
    },
  });
  return result;
}
