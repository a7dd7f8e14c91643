/** ListObjects (v1) and ListObjectsV2. */
import { requireBucket } from '../core/buckets';
import type { Coffer } from '../core/coffer';
import { CofferError } from '../common/errors';
import { listObjects } from '../core/objects';
import type { ObjectRecord } from '../store/types';
import { authorizeBucket } from './access';
import { owner } from './bucket';
import { isoTime, keyEncoding, quoteEtag, type KeyEncoding } from './format';
import { restoreInfo } from './object-headers';
import { param, type OssRequest, type OssResponse } from './request';
import { maxKeysParam } from './service';
import { xmlDoc, type XmlObject } from './xml';

export interface ListParams { prefix: string; delimiter: string; encodingType?: string; maxKeys: number }

/** A listing's parameters (ListObjects, ListObjectVersions), after `action` on the bucket is authorized. */
export async function listParams(c: Coffer, req: OssRequest, action = 'oss:ListObjects'): Promise<ListParams> {
  const prefix = param(req, 'prefix') ?? '';
  const delimiter = param(req, 'delimiter') ?? '';
  // A listing without prefix is one of the prefix "", as RAM conditions on oss:Prefix see it.
  authorizeBucket(c, req, action, await requireBucket(c, req.bucket!), { 'oss:prefix': prefix, 'oss:delimiter': delimiter });
  const encodingType = param(req, 'encoding-type');
  if (encodingType !== undefined && encodingType !== 'url') {
    throw new CofferError('InvalidArgument', 'encoding-type must be url.', { ArgumentName: 'encoding-type', ArgumentValue: encodingType });
  }
  return { prefix, delimiter, encodingType, maxKeys: maxKeysParam(req, 'max-keys', 100) };
}

type Page = Awaited<ReturnType<typeof listObjects>>;

/** The encoding of one page: every name it writes counts (see keyEncoding). */
function pageEncoding(p: ListParams, page: Page, echoed: string[]): KeyEncoding {
  return keyEncoding(p.encodingType, [p.prefix, p.delimiter, page.next, ...echoed, ...page.items.map((o) => o.key), ...page.commonPrefixes]);
}

function contents(c: Coffer, objects: ObjectRecord[], e: KeyEncoding, withOwner: boolean): XmlObject[] {
  const now = c.now();
  return objects.map((o) => ({
    Key: e.encode(o.key),
    LastModified: isoTime(o.lastModified),
    ETag: quoteEtag(o.etag),
    Type: o.type,
    Size: o.size,
    StorageClass: o.storageClass,
    Owner: withOwner ? owner(c) : undefined,
    RestoreInfo: restoreInfo(o, now),
  }));
}

export async function ListObjects(c: Coffer, req: OssRequest): Promise<OssResponse> {
  const p = await listParams(c, req);
  const marker = param(req, 'marker') ?? '';
  const page = await listObjects(c, req.bucket!, { ...p, marker });
  const e = pageEncoding(p, page, [marker]);
  return {
    status: 200,
    body: xmlDoc('ListBucketResult', {
      Name: req.bucket,
      Prefix: e.encode(p.prefix),
      Marker: e.encode(marker),
      MaxKeys: p.maxKeys,
      Delimiter: e.encode(p.delimiter),
      EncodingType: e.encodingType,
      IsTruncated: page.truncated,
      NextMarker: page.truncated ? e.encode(page.next!) : undefined,
      Contents: contents(c, page.items, e, true),
      CommonPrefixes: page.commonPrefixes.map((cp) => ({ Prefix: e.encode(cp) })),
    }),
  };
}

/** Continuation tokens are hex, so they survive oss2's URL-decoding untouched. */
const encodeToken = (marker: string): string => Buffer.from(marker, 'utf8').toString('hex');
function decodeToken(token: string): string {
  if (!/^([0-9a-f]{2})*$/.test(token)) {
    throw new CofferError('InvalidArgument', 'The continuation token is not valid.', { ArgumentName: 'continuation-token', ArgumentValue: token });
  }
  return Buffer.from(token, 'hex').toString('utf8');
}

export async function ListObjectsV2(c: Coffer, req: OssRequest): Promise<OssResponse> {
  const p = await listParams(c, req);
  const token = param(req, 'continuation-token');
  const startAfter = param(req, 'start-after') ?? '';
  const fromToken = token !== undefined ? decodeToken(token) : '';
  const marker = fromToken > startAfter ? fromToken : startAfter;
  const page = await listObjects(c, req.bucket!, { ...p, marker });
  const e = pageEncoding(p, page, [startAfter]);
  return {
    status: 200,
    body: xmlDoc('ListBucketResult', {
      Name: req.bucket,
      Prefix: e.encode(p.prefix),
      StartAfter: startAfter ? e.encode(startAfter) : undefined,
      ContinuationToken: token,
      MaxKeys: p.maxKeys,
      Delimiter: e.encode(p.delimiter),
      EncodingType: e.encodingType,
      IsTruncated: page.truncated,
      NextContinuationToken: page.truncated ? encodeToken(page.next!) : undefined,
      KeyCount: page.items.length + page.commonPrefixes.length,
      Contents: contents(c, page.items, e, param(req, 'fetch-owner') === 'true'),
      CommonPrefixes: page.commonPrefixes.map((cp) => ({ Prefix: e.encode(cp) })),
    }),
  };
}
