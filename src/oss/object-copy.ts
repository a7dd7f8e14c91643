/** CopyObject (also how ali-oss putMeta and oss2 update_object_meta change metadata and encryption). */
import type { Coffer } from '../core/coffer';
import { CofferError } from '../common/errors';
import { copyObject } from '../core/objects';
import { authorizeCopySource, copySourceConditions, copySourceOf } from './copy-source';
import { isoTime, quoteEtag } from './format';
import { objectAttributesFrom } from './object-headers';
import { authorizeObjectWrite, forbidOverwriteFrom } from './object-put';
import { header, type OssRequest, type OssResponse } from './request';
import { requestedSse, sseResponseHeaders } from './sse-headers';
import { toXml } from './xml';

export async function CopyObject(c: Coffer, req: OssRequest): Promise<OssResponse> {
  const source = copySourceOf(req);
  await authorizeObjectWrite(c, req);
  await authorizeCopySource(c, req, source);
  const directive = (header(req, 'x-oss-metadata-directive') ?? 'COPY').toUpperCase();
  if (directive !== 'COPY' && directive !== 'REPLACE') {
    throw new CofferError('InvalidArgument', 'x-oss-metadata-directive must be COPY or REPLACE.', { ArgumentName: 'x-oss-metadata-directive', ArgumentValue: directive });
  }
  const result = await copyObject(c, {
    source,
    target: { bucket: req.bucket!, key: req.key! },
    directive,
    attributes: objectAttributesFrom(req),
    sse: requestedSse(req),
    conditions: copySourceConditions(req),
    forbidOverwrite: forbidOverwriteFrom(req),
    caller: req.caller,
  });
  if (result.notModified) return { status: 304 };
  const obj = result.object;
  return {
    status: 200,
    headers: { ETag: quoteEtag(obj.etag), 'x-oss-hash-crc64ecma': obj.crc64, ...sseResponseHeaders(obj.encryption) },
    body: toXml('CopyObjectResult', { ETag: quoteEtag(obj.etag), LastModified: isoTime(obj.lastModified) }),
  };
}
