/** PutObject. */
import { requireBucket } from '../core/buckets';
import type { Coffer } from '../core/coffer';
import { putObject } from '../core/objects';
import type { BucketRecord } from '../store/types';
import { authorizeStoredObject } from './access';
import { uploadLength } from './body';
import { checksumHeaders } from './checksum-headers';
import { quoteEtag } from './format';
import { objectAttributesFrom } from './object-headers';
import { versionIdHeader } from './object-versions';
import { requestTagValues, taggingHeaderTags } from './object-tagging';
import { header, type OssRequest, type OssResponse } from './request';
import { requestedEncryption, sseResponseHeaders } from './sse-headers';

export const forbidOverwriteFrom = (req: OssRequest): boolean => header(req, 'x-oss-forbid-overwrite') === 'true';

/**
 * Write access to the request's key. An existing object's own ACL overrides the bucket's, for
 * writes as for reads (a private object in a public-read-write bucket is not anyone's to replace).
 * `values` are condition values the request does not carry itself, e.g. the tags the object
 * will have (oss:RequestObjectTag/<key>, see requestTagValues).
 */
export async function authorizeObjectWrite(c: Coffer, req: OssRequest, values?: Readonly<Record<string, string>>): Promise<BucketRecord> {
  const bucket = await requireBucket(c, req.bucket!);
  await authorizeStoredObject(c, req, 'oss:PutObject', bucket, req.key!, values);
  return bucket;
}

export async function PutObject(c: Coffer, req: OssRequest): Promise<OssResponse> {
  const bucket = await authorizeObjectWrite(c, req, requestTagValues(taggingHeaderTags(req)));
  const sse = requestedEncryption(req);
  const obj = await putObject(c, {
    bucket: req.bucket!,
    key: req.key!,
    body: req.body,
    contentMd5: header(req, 'content-md5'),
    ...uploadLength(req),
    ...objectAttributesFrom(req),
    sse,
    forbidOverwrite: forbidOverwriteFrom(req),
    caller: req.caller,
    checksum: req.checksum,
  });
  return {
    status: 200,
    headers: {
      ETag: quoteEtag(obj.etag),
      'x-oss-hash-crc64ecma': obj.crc64,
      'Content-MD5': obj.contentMd5,
      ...sseResponseHeaders(obj.encryption),
      ...checksumHeaders(obj.checksum),
      ...versionIdHeader(obj, bucket),
    },
  };
}
