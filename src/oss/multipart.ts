/** InitiateMultipartUpload, UploadPart, UploadPartCopy, CompleteMultipartUpload, AbortMultipartUpload, ListParts, ListMultipartUploads. */
import { requireBucket } from '../core/buckets';
import type { Coffer } from '../core/coffer';
import { CofferError } from '../common/errors';
import {
  abortUpload, completeUpload, initiateUpload, listParts, listUploads, uploadPart, uploadPartCopy, type SourceRange,
} from '../core/multipart';
import type { PartRecord, UploadRecord } from '../store/types';
import { authorizeBucket, authorizeObject } from './access';
import { uploadLength, readSmallBody } from './body';
import { checksumElements, checksumHeaders } from './checksum-headers';
import { authorizeCopySource, copySourceConditions, copySourceOf } from './copy-source';
import { isoTime, keyEncoding, quoteEtag, urlEncodeKey, type KeyEncoding } from './format';
import { objectAclFrom, objectAttributesFrom } from './object-headers';
import { authorizeObjectWrite, forbidOverwriteFrom } from './object-put';
import { versionIdHeader } from './object-versions';
import { requestTagValues, taggingHeaderTags } from './object-tagging';
import { header, param, type OssRequest, type OssResponse } from './request';
import { maxKeysParam } from './service';
import { rejectSseHeaders, requestedEncryption, sseResponseHeaders } from './sse-headers';
import { parseXml, textOf, xmlDoc, tokenOf, type XmlDoc } from './xml';

/**
 * Upload operations act on the object being uploaded (an existing object's ACL plays no part).
 * `values` are condition values the request does not carry itself (see uploadValues).
 */
async function authorizeUpload(c: Coffer, req: OssRequest, action = 'oss:PutObject', values?: Readonly<Record<string, string>>): Promise<void> {
  authorizeObject(c, req, action, await requireBucket(c, req.bucket!), req.key!, undefined, values);
}

function uploadIdOf(req: OssRequest): string {
  return req.query.get('uploadId') ?? '';
}

/**
 * What the request's upload will give the object (set at Initiate), as condition values: its tags
 * (oss:RequestObjectTag/…) and its encryption (oss:x-oss-server-side-encryption…). Parts and
 * Complete carry neither, and a policy asking for them on PutObject must not refuse them for that.
 */
async function uploadValues(c: Coffer, req: OssRequest): Promise<Record<string, string>> {
  const upload = await c.meta.getUpload(uploadIdOf(req));
  if (!upload || upload.bucket !== req.bucket || upload.key !== req.key) return {};
  const values = requestTagValues(upload.tags);
  for (const [name, value] of Object.entries(sseResponseHeaders(upload.encryption))) if (value !== undefined) values[`oss:${name}`] = value;
  return values;
}

/** How this response writes the keys it names (see keyEncoding). */
function encoder(req: OssRequest, names: Array<string | undefined>): KeyEncoding {
  return keyEncoding(param(req, 'encoding-type'), names);
}

export async function InitiateMultipartUpload(c: Coffer, req: OssRequest): Promise<OssResponse> {
  await authorizeUpload(c, req, 'oss:PutObject', requestTagValues(taggingHeaderTags(req)));
  const upload = await initiateUpload(c, {
    bucket: req.bucket!, key: req.key!, ...objectAttributesFrom(req), sse: requestedEncryption(req), caller: req.caller, checksum: req.uploadChecksum,
  });
  const { encodingType, encode } = encoder(req, [upload.key]);
  return {
    status: 200,
    headers: { ...sseResponseHeaders(upload.encryption), 'x-oss-checksum-algorithm': upload.checksum?.algorithm, 'x-oss-checksum-type': upload.checksum?.type },
    body: xmlDoc('InitiateMultipartUploadResult', { EncodingType: encodingType, Bucket: upload.bucket, Key: encode(upload.key), UploadId: upload.uploadId }),
  };
}

function partNumberOf(req: OssRequest): number {
  const raw = req.query.get('partNumber') ?? '';
  return /^\d+$/.test(raw) ? Number(raw) : NaN;
}

function partResponse(part: PartRecord, upload: UploadRecord, body?: XmlDoc): OssResponse {
  return {
    status: 200,
    headers: { ETag: quoteEtag(part.etag), 'x-oss-hash-crc64ecma': part.crc64, ...sseResponseHeaders(upload.encryption), ...checksumHeaders(part.checksum) },
    body,
  };
}

export async function UploadPart(c: Coffer, req: OssRequest): Promise<OssResponse> {
  await authorizeUpload(c, req, 'oss:PutObject', await uploadValues(c, req));
  rejectSseHeaders(req);
  const { part, upload } = await uploadPart(c, {
    bucket: req.bucket!, key: req.key!, uploadId: uploadIdOf(req), partNumber: partNumberOf(req),
    body: req.body, contentMd5: header(req, 'content-md5'), ...uploadLength(req), caller: req.caller, checksum: req.checksum, customerKey: req.customerKey,
  });
  return partResponse(part, upload);
}

/**
 * x-oss-copy-source-range: bytes=first-last, bytes=first- (oss2 sends it for the last part) or
 * bytes=-n, one range, as the Range header writes them. Malformed values are refused rather than
 * ignored: a whole-object copy instead of the part asked for would corrupt the upload silently.
 */
function copyRange(req: OssRequest): SourceRange | undefined {
  const raw = header(req, 'x-oss-copy-source-range');
  if (raw === undefined) return undefined;
  const m = /^bytes=(\d{0,15})-(\d{0,15})$/.exec(raw.trim());
  if (!m || (m[1] === '' && m[2] === '')) {
    throw new CofferError('InvalidArgument', 'x-oss-copy-source-range must be bytes=first-last, bytes=first- or bytes=-length.', {
      ArgumentName: 'x-oss-copy-source-range', ArgumentValue: raw,
    });
  }
  if (m[1] === '') return { suffix: Number(m[2]) };
  return { first: Number(m[1]), last: m[2] === '' ? undefined : Number(m[2]) };
}

export async function UploadPartCopy(c: Coffer, req: OssRequest): Promise<OssResponse> {
  await authorizeUpload(c, req, 'oss:PutObject', await uploadValues(c, req));
  rejectSseHeaders(req);
  const source = copySourceOf(req);
  await authorizeCopySource(c, req, source);
  const { part, upload } = await uploadPartCopy(c, {
    bucket: req.bucket!, key: req.key!, uploadId: uploadIdOf(req), partNumber: partNumberOf(req),
    source, range: copyRange(req), rangeText: header(req, 'x-oss-copy-source-range'), conditions: copySourceConditions(req), caller: req.caller,
    customerKey: req.customerKey, sourceCustomerKey: req.sourceCustomerKey,
  });
  return partResponse(part, upload, xmlDoc('CopyPartResult', { LastModified: isoTime(part.lastModified), ETag: quoteEtag(part.etag), ...checksumElements(part.checksum) }));
}

export async function CompleteMultipartUpload(c: Coffer, req: OssRequest): Promise<OssResponse> {
  const bucket = await authorizeObjectWrite(c, req, await uploadValues(c, req));
  rejectSseHeaders(req);
  const body = await readSmallBody(req);
  const all = (header(req, 'x-oss-complete-all') ?? '').toLowerCase() === 'yes';
  if (all && body.trim()) {
    throw new CofferError('InvalidArgument', 'x-oss-complete-all cannot be used together with a part list.', { ArgumentName: 'x-oss-complete-all', EC: '0042-00000216' });
  }
  let parts: Array<{ partNumber: number; etag: string }> | 'all' = 'all';
  if (!all) {
    const doc = parseXml(body, 'CompleteMultipartUpload', ['Part']);
    parts = ((doc.Part ?? []) as unknown[]).map((p) => {
      const fields = (typeof p === 'object' && p !== null ? p : {}) as Record<string, unknown>;
      const n = tokenOf(fields, 'PartNumber') ?? '';
      const etag = textOf(fields, 'ETag');
      if (!/^\d+$/.test(n) || etag === undefined) {
        throw new CofferError('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema: every <Part> needs <PartNumber> and <ETag>.');
      }
      // A part's flexible checksum (S3 clients send Checksum<ALG>) must be the one stored with it.
      const checksumName = Object.keys(fields).find((name) => name.startsWith('Checksum') && name !== 'ChecksumType');
      return { partNumber: Number(n), etag, checksum: checksumName ? tokenOf(fields, checksumName) : undefined };
    });
  }
  const { object } = await completeUpload(c, {
    bucket: req.bucket!, key: req.key!, uploadId: uploadIdOf(req), parts,
    acl: objectAclFrom(req), forbidOverwrite: forbidOverwriteFrom(req), checksum: req.checksum?.expected(), customerKey: req.customerKey,
  });
  const { encodingType, encode } = encoder(req, [object.key]);
  return {
    status: 200,
    headers: {
      ETag: quoteEtag(object.etag), 'x-oss-hash-crc64ecma': object.crc64, ...sseResponseHeaders(object.encryption), ...checksumHeaders(object.checksum),
      ...versionIdHeader(object, bucket),
    },
    body: xmlDoc('CompleteMultipartUploadResult', {
      EncodingType: encodingType,
      Location: `${'encrypted' in req.raw.socket ? 'https' : 'http'}://${req.endpoint}/${object.bucket}/${urlEncodeKey(object.key).replace(/%2F/g, '/')}`,
      Bucket: object.bucket,
      Key: encode(object.key),
      ETag: quoteEtag(object.etag),
      ...checksumElements(object.checksum),
    }),
  };
}

export async function AbortMultipartUpload(c: Coffer, req: OssRequest): Promise<OssResponse> {
  await authorizeUpload(c, req, 'oss:AbortMultipartUpload');
  await abortUpload(c, req.bucket!, req.key!, uploadIdOf(req));
  return { status: 204 };
}

export async function ListParts(c: Coffer, req: OssRequest): Promise<OssResponse> {
  await authorizeUpload(c, req, 'oss:ListParts');
  const marker = Number(param(req, 'part-number-marker') ?? '0') || 0;
  const maxParts = maxKeysParam(req, 'max-parts', 1000);
  const { parts, truncated } = await listParts(c, { bucket: req.bucket!, key: req.key!, uploadId: uploadIdOf(req), marker, maxParts });
  const { encodingType, encode } = encoder(req, [req.key]);
  return {
    status: 200,
    body: xmlDoc('ListPartsResult', {
      EncodingType: encodingType,
      Bucket: req.bucket,
      Key: encode(req.key!),
      UploadId: uploadIdOf(req),
      PartNumberMarker: marker,
      NextPartNumberMarker: parts.length ? parts[parts.length - 1].partNumber : marker,
      MaxParts: maxParts,
      IsTruncated: truncated,
      Part: parts.map((p) => ({
        PartNumber: p.partNumber, LastModified: isoTime(p.lastModified), ETag: quoteEtag(p.etag), HashCrc64ecma: p.crc64, Size: p.size, ...checksumElements(p.checksum),
      })),
    }),
  };
}

export async function ListMultipartUploads(c: Coffer, req: OssRequest): Promise<OssResponse> {
  authorizeBucket(c, req, 'oss:ListMultipartUploads', await requireBucket(c, req.bucket!));
  const prefix = param(req, 'prefix') ?? '';
  const delimiter = param(req, 'delimiter') ?? '';
  const keyMarker = param(req, 'key-marker') ?? '';
  const uploadIdMarker = keyMarker ? param(req, 'upload-id-marker') ?? '' : '';
  const maxUploads = maxKeysParam(req, 'max-uploads', 1000);
  const page = await listUploads(c, req.bucket!, { prefix, delimiter, keyMarker, uploadIdMarker, maxUploads });
  const last = page.items[page.items.length - 1];
  const nextIsPrefix = page.truncated && page.next !== undefined && page.commonPrefixes.includes(page.next) && page.next !== last?.key;
  const { encodingType, encode } = encoder(req, [keyMarker, delimiter, prefix, page.next, ...page.items.map((u) => u.key), ...page.commonPrefixes]);
  return {
    status: 200,
    body: xmlDoc('ListMultipartUploadsResult', {
      EncodingType: encodingType,
      Bucket: req.bucket,
      KeyMarker: encode(keyMarker),
      UploadIdMarker: uploadIdMarker,
      NextKeyMarker: page.truncated ? encode(page.next ?? '') : '',
      NextUploadIdMarker: page.truncated && !nextIsPrefix ? last?.uploadId ?? '' : '',
      Delimiter: encode(delimiter),
      Prefix: encode(prefix),
      MaxUploads: maxUploads,
      IsTruncated: page.truncated,
      Upload: page.items.map((u) => ({ Key: encode(u.key), UploadId: u.uploadId, StorageClass: u.storageClass, Initiated: isoTime(u.initiated) })),
      CommonPrefixes: page.commonPrefixes.map((p) => ({ Prefix: encode(p) })),
    }),
  };
}
