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
import { header, type OssRequest, type OssResponse } from '../oss/request';
import { isXmlDoc, xmlDoc, type XmlObject, type XmlValue } from '../oss/xml';
import { checkCreateBucketConfiguration, cannedAclOfPolicy, encryptionRuleDocument, ossLanguagePolicy, versioningDocument } from './request-documents';
import { completeChecksum, smallBodyChecksum, uploadChecksum, writeChecksum } from './checksums';
import { ossLifecycleDocument } from './lifecycle';
import type { DecodedPayload } from './payload';
import type { MappedOperation } from './router';

/**
 * S3 lists up to 1000 entries by default and answers at most 1000 for any larger max-keys. For
 * max-keys=0, which OSS refuses, S3 answers an empty page that is not truncated: the listing runs
 * (its checks and errors are the operation's) and its entries are dropped.
 */
function listLimit(req: OssRequest, name: string): Reshape | undefined {
  const v = req.query.get(name);
  if (v === undefined || v === '') req.query.set(name, '1000');
  else if (/^\d+$/.test(v) && Number(v) > 1000) req.query.set(name, '1000');
  else if (/^0+$/.test(v) && name === 'max-keys') {
    req.query.set(name, '1');
    return (r) => (isXmlDoc(r.body) ? { ...r, body: xmlDoc(r.body.root, emptyPage(r.body.value)) } : r);
  }
  return undefined;
}

function emptyPage(value: XmlValue): XmlValue {
  const {
    Contents: _c, Version: _v, DeleteMarker: _d, CommonPrefixes: _p, NextMarker: _m, NextContinuationToken: _t,
    NextKeyMarker: _k, NextVersionIdMarker: _i, ...rest
  } = value as XmlObject;
  return { ...rest, MaxKeys: 0, IsTruncated: false, ...(rest.KeyCount !== undefined && { KeyCount: 0 }) };
}

/** A change to the operation's answer that the S3 rules need. */
export type Reshape = (r: OssResponse) => OssResponse;

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

/** Adjusts the request for the operation; answers how to reshape its answer, if S3 needs that. */
export async function prepare(c: Coffer, op: MappedOperation, req: OssRequest, payload: DecodedPayload): Promise<Reshape | undefined> {
  if (op === 'ListObjects' || op === 'ListObjectsV2' || op === 'ListObjectVersions') return listLimit(req, 'max-keys');
  await adjust(c, op, req, payload);
  return undefined;
}

async function adjust(c: Coffer, op: MappedOperation, req: OssRequest, payload: DecodedPayload): Promise<void> {
  switch (op) {
    case 'ListMultipartUploads':
      listLimit(req, 'max-uploads');
      return;
    case 'ListParts':
      listLimit(req, 'max-parts');
      return;
    case 'CreateBucket':
      checkCreateBucketConfiguration(await readSmallBody(req), c.region);
      // OSS answers 200 for a bucket its owner already has; S3 (outside us-east-1) 409.
      if (await c.meta.getBucket(req.bucket!)) throw new CofferError('BucketAlreadyExists', 'The bucket exists.', { BucketName: req.bucket! });
      return replaceBody(req, '');
    case 'PutBucketEncryption':
      return replaceBody(req, encryptionRuleDocument(await readSmallBody(req)));
    case 'PutBucketVersioning':
      return replaceBody(req, versioningDocument(await readSmallBody(req)));
    case 'PutBucketLifecycleConfiguration':
      // S3 requires Content-MD5 or a flexible checksum on this one.
      await smallBodyChecksum(req);
      return replaceBody(req, ossLifecycleDocument(await readSmallBody(req)));
    case 'PutBucketPolicy':
      return replaceBody(req, ossLanguagePolicy(await readSmallBody(req)));
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
