/** PutSymlink, GetSymlink, and the read access a link gives to its target. */
import type { Coffer } from '../core/coffer';
import { CofferError } from '../common/errors';
import { linkTarget, putSymlink, throughLink } from '../core/symlinks';
import type { BucketRecord, ObjectRecord } from '../store/types';
import { authorizeObject } from './access';
import { httpDate, quoteEtag, urlEncodeKey } from './format';
import { objectAttributesFrom } from './object-headers';
import { authorizeObjectWrite, forbidOverwriteFrom } from './object-put';
import { versionIdHeader } from './object-versions';
import { readableObject } from './object-get';
import { header, type OssRequest, type OssResponse } from './request';
import { rejectSseHeaders } from './sse-headers';

/**
 * x-oss-symlink-target is URL-encoded by every SDK: ali-oss and oss2 percent-encode (%2B for '+'),
 * the Go SDK uses url.QueryEscape (space as '+'), so '+' is read as a space, as in a query.
 */
function symlinkTargetOf(req: OssRequest): string {
  const raw = header(req, 'x-oss-symlink-target');
  if (raw === undefined) {
    throw new CofferError('InvalidArgument', 'x-oss-symlink-target is required.', { ArgumentName: 'x-oss-symlink-target' });
  }
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    throw new CofferError('InvalidArgument', 'x-oss-symlink-target is not correctly percent-encoded.', { ArgumentName: 'x-oss-symlink-target', ArgumentValue: raw });
  }
}

export async function PutSymlink(c: Coffer, req: OssRequest): Promise<OssResponse> {
  const bucket = await authorizeObjectWrite(c, req);
  rejectSseHeaders(req);
  const link = await putSymlink(c, {
    bucket: req.bucket!,
    key: req.key!,
    target: symlinkTargetOf(req),
    ...objectAttributesFrom(req),
    forbidOverwrite: forbidOverwriteFrom(req),
  });
  req.body.resume();
  return { status: 200, headers: { ETag: quoteEtag(link.etag), ...versionIdHeader(link, bucket) } };
}

/** GetSymlink needs read access to the link only. Anything but a link is "no such symlink". */
export async function GetSymlink(c: Coffer, req: OssRequest): Promise<OssResponse> {
  const { obj: link } = await readableObject(c, req, { follow: false });
  if (link.type !== 'Symlink') throw new CofferError('NoSuchKey', 'The specified key is not a symlink.', { Key: req.key! });
  return {
    status: 200,
    headers: {
      'x-oss-symlink-target': urlEncodeKey(link.symlinkTarget!).replace(/%2F/g, '/'),
      ETag: quoteEtag(link.etag),
      'Last-Modified': httpDate(link.lastModified),
    },
  };
}

/**
 * A read through a link: the caller must be allowed to read the target too (OSS checks the ACLs of
 * both), decided before a missing target is revealed. Returns what the read serves.
 */
export async function readThroughLink(c: Coffer, req: OssRequest, bucket: BucketRecord, link: ObjectRecord): Promise<ObjectRecord> {
  const target = await c.meta.getObject(bucket.name, link.symlinkTarget!);
  authorizeObject(c, req, 'oss:GetObject', bucket, link.symlinkTarget!, target?.acl);
  return throughLink(link, linkTarget(link, target));
}
