/**
 * What an S3 request needs before the OSS operation runs it, where S3's rules differ from OSS's:
 * defaults and limits of listings, request documents in S3's shape, conditional writes, and
 * S3's refusal of a copy that changes nothing.
 */
import { Readable } from 'node:stream';
import { CofferError } from '../common/errors';
import { requireBucket } from '../core/buckets';
import type { Coffer } from '../core/coffer';
import { readSmallBody } from '../oss/body';
import { header, type OssRequest } from '../oss/request';
import { checkCreateBucketConfiguration, cannedAclOfPolicy, encryptionRuleDocument } from './request-documents';
import { completeChecksum, smallBodyChecksum, uploadChecksum, writeChecksum } from './checksums';
import type { DecodedPayload } from './payload';
import type { MappedOperation } from './router';

/** S3 lists up to 1000 entries by default and answers at most 1000 for any larger max-keys. */
function listLimit(req: OssRequest, name: string): void {
  const v = req.query.get(name);
  if (v === undefined || v === '') req.query.set(name, '1000');
  else if (/^\d+$/.test(v) && Number(v) > 1000) req.query.set(name, '1000');
}

function replaceBody(req: OssRequest, body: string): void {
  req.body = Readable.from([Buffer.from(body, 'utf8')]);
  delete req.headers['content-md5'];
}

/**
 * If-None-Match: * on a write is S3's "only if nothing is there", which OSS spells
 * x-oss-forbid-overwrite. If-Match on a write is not implemented (refused, not ignored).
 */
function conditionalWrite(req: OssRequest): void {
  const none = header(req, 'if-none-match');
  if (none !== undefined) {
    if (none.trim() !== '*') throw new CofferError('NotImplemented', 'If-None-Match on a write supports only "*".');
    req.headers['x-oss-forbid-overwrite'] = 'true';
    delete req.headers['if-none-match'];
  }
  if (header(req, 'if-match') !== undefined) throw new CofferError('NotImplemented', 'If-Match on a write is not implemented by Coffer.');
}

/**
 * S3 refuses a copy of an object onto itself that changes nothing (OSS lets it through: that is how
 * OSS clients rewrite metadata, which S3 clients do with REPLACE).
 */
function checkSelfCopy(req: OssRequest): void {
  const source = header(req, 'x-oss-copy-source') ?? '';
  let path: string;
  try {
    path = decodeURIComponent(source);
  } catch {
    return; // the operation refuses a malformed source itself
  }
  if (path !== `/${req.bucket}/${req.key}`) return;
  const changes = (header(req, 'x-oss-metadata-directive') ?? '').toUpperCase() === 'REPLACE'
    || header(req, 'x-oss-server-side-encryption') !== undefined
    || header(req, 'x-oss-storage-class') !== undefined
    || req.customerKey !== undefined;
  if (!changes) {
    throw new CofferError('InvalidRequest', "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.");
  }
}

export async function prepare(c: Coffer, op: MappedOperation, req: OssRequest, payload: DecodedPayload): Promise<void> {
  switch (op) {
    case 'ListObjects':
    case 'ListObjectsV2':
      return listLimit(req, 'max-keys');
    case 'ListMultipartUploads':
      return listLimit(req, 'max-uploads');
    case 'ListParts':
      return listLimit(req, 'max-parts');
    case 'CreateBucket':
      checkCreateBucketConfiguration(await readSmallBody(req), c.region);
      // OSS answers 200 for a bucket its owner already has; S3 (outside us-east-1) 409.
      if (await c.meta.getBucket(req.bucket!)) throw new CofferError('BucketAlreadyExists', 'The bucket exists.', { BucketName: req.bucket! });
      return replaceBody(req, '');
    case 'PutBucketEncryption':
      return replaceBody(req, encryptionRuleDocument(await readSmallBody(req)));
    case 'PutBucketAcl':
    case 'PutObjectAcl': {
      // OSS's PutBucketAcl creates a missing bucket; S3's does not.
      await requireBucket(c, req.bucket!);
      const body = await readSmallBody(req);
      const name = op === 'PutBucketAcl' ? 'x-oss-acl' : 'x-oss-object-acl';
      if (body.trim()) {
        if (req.headers[name] !== undefined) throw new CofferError('UnexpectedContent', 'Specify an ACL either by x-amz-acl or in the body, not both.');
        req.headers[name] = cannedAclOfPolicy(body, c.accountId);
      } else if (req.headers[name] === undefined) {
        throw new CofferError('MissingSecurityHeader', 'Your request was missing a required header: x-amz-acl.', { MissingHeaderName: 'x-amz-acl' });
      }
      return replaceBody(req, '');
    }
    case 'PutObject':
      conditionalWrite(req);
      return writeChecksum(req, payload);
    case 'UploadPart':
      return writeChecksum(req, payload);
    case 'CreateMultipartUpload':
      return uploadChecksum(req);
    case 'CompleteMultipartUpload':
      conditionalWrite(req);
      return completeChecksum(req);
    case 'DeleteObjects':
      return smallBodyChecksum(req);
    case 'CopyObject':
      return checkSelfCopy(req);
    case 'GetObject':
    case 'HeadObject':
      if (req.query.has('partNumber')) throw new CofferError('NotImplemented', 'Reading one part of an object (partNumber) is not implemented by Coffer; use Range.');
      req.checksumMode = req.raw.headers['x-amz-checksum-mode'] === 'ENABLED';
      return;
    default:
      return;
  }
}
