/** AppendObject. */
import type { Coffer } from '../core/coffer';
import { CofferError } from '../common/errors';
import { appendObject } from '../core/objects';
import { uploadLength } from './body';
import { quoteEtag } from './format';
import { objectAttributesFrom } from './object-headers';
import { authorizeObjectWrite } from './object-put';
import { versionIdHeader } from './object-versions';
import { requestTagValues, taggingHeaderTags } from './object-tagging';
import { header, type OssRequest, type OssResponse } from './request';
import { requestedSse, sseResponseHeaders } from './sse-headers';

export async function AppendObject(c: Coffer, req: OssRequest): Promise<OssResponse> {
  const bucket = await authorizeObjectWrite(c, req, requestTagValues(taggingHeaderTags(req)));
  const raw = req.query.get('position') ?? '';
  if (!/^\d+$/.test(raw)) throw new CofferError('InvalidArgument', 'position must be a non-negative integer.', { ArgumentName: 'position', ArgumentValue: raw });
  // Later appends ignore SSE headers (the first append decides), but invalid ones are still refused.
  const sse = requestedSse(req);
  const obj = await appendObject(c, {
    bucket: req.bucket!,
    key: req.key!,
    position: Number(raw),
    body: req.body,
    contentMd5: header(req, 'content-md5'),
    ...uploadLength(req),
    ...objectAttributesFrom(req),
    sse,
    caller: req.caller,
  });
  return {
    status: 200,
    headers: {
      ETag: quoteEtag(obj.etag),
      'x-oss-next-append-position': obj.size,
      'x-oss-hash-crc64ecma': obj.crc64,
      ...sseResponseHeaders(obj.encryption),
      ...versionIdHeader(obj, bucket),
    },
  };
}
