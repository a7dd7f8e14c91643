/** PutObject. */
import { requireBucket } from '../core/buckets';
import type { Coffer } from '../core/coffer';
import { putObject } from '../core/objects';
import { authorize } from '../iam/authorize';
import { uploadLength } from './body';
import { quoteEtag } from './format';
import { objectAttributesFrom } from './object-headers';
import { header, type OssRequest, type OssResponse } from './request';
import { requestedSse, sseResponseHeaders } from './sse-headers';

export const forbidOverwriteFrom = (req: OssRequest): boolean => header(req, 'x-oss-forbid-overwrite') === 'true';

export async function PutObject(c: Coffer, req: OssRequest): Promise<OssResponse> {
  authorize(req.principal, 'oss:PutObject', await requireBucket(c, req.bucket!));
  const sse = requestedSse(req);
  const obj = await putObject(c, {
    bucket: req.bucket!,
    key: req.key!,
    body: req.raw,
    contentMd5: header(req, 'content-md5'),
    ...uploadLength(req),
    ...objectAttributesFrom(req),
    sse,
    forbidOverwrite: forbidOverwriteFrom(req),
    principal: req.principal,
  });
  return {
    status: 200,
    headers: {
      ETag: quoteEtag(obj.etag),
      'x-oss-hash-crc64ecma': obj.crc64,
      'Content-MD5': obj.contentMd5,
      ...sseResponseHeaders(obj.encryption),
    },
  };
}
