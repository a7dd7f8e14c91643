/** CopyObject (also how ali-oss putMeta and oss2 update_object_meta change metadata and encryption). */
import type { Coffer } from '../core/coffer';
import { CofferError } from '../common/errors';
import { copiedTags, copyObject } from '../core/objects';
import { checksumElements } from './checksum-headers';
import { authorizeCopySource, copySourceConditions, copySourceOf } from './copy-source';
import { isoTime, quoteEtag } from './format';
import { objectAttributesFrom } from './object-headers';
import { authorizeObjectWrite, forbidOverwriteFrom } from './object-put';
import { versionIdHeader } from './object-versions';
import { requestTagValues } from './object-tagging';
import { header, type OssRequest, type OssResponse } from './request';
import { requestedEncryption, sseResponseHeaders } from './sse-headers';
import { xmlDoc } from './xml';

/** x-oss-metadata-directive / x-oss-tagging-directive: COPY (the default) or REPLACE, in any case (ali-oss writes Copy). */
function directiveOf(req: OssRequest, name: string): 'COPY' | 'REPLACE' {
  const directive = (header(req, name) ?? 'COPY').toUpperCase();
  if (directive !== 'COPY' && directive !== 'REPLACE') {
    throw new CofferError('InvalidArgument', `${name} must be COPY or REPLACE.`, { ArgumentName: name, ArgumentValue: directive });
  }
  return directive;
}

export async function CopyObject(c: Coffer, req: OssRequest): Promise<OssResponse> {
  const source = copySourceOf(req);
  const directive = directiveOf(req, 'x-oss-metadata-directive');
  const taggingDirective = directiveOf(req, 'x-oss-tagging-directive');
  const src = await authorizeCopySource(c, req, source);
  const attributes = objectAttributesFrom(req);
  // oss:RequestObjectTag sees the tags the copy will carry, so Copy cannot launder a tag a policy requires.
  const bucket = await authorizeObjectWrite(c, req, requestTagValues(src ? copiedTags(src, { taggingDirective, attributes }) : attributes.tags));
  const result = await copyObject(c, {
    source,
    target: { bucket: req.bucket!, key: req.key! },
    directive,
    taggingDirective,
    attributes,
    sse: requestedEncryption(req),
    sourceCustomerKey: req.sourceCustomerKey,
    conditions: copySourceConditions(req),
    forbidOverwrite: forbidOverwriteFrom(req),
    caller: req.caller,
  });
  if (result.notModified) return { status: 304 };
  const obj = result.object;
  return {
    status: 200,
    headers: {
      ETag: quoteEtag(obj.etag), 'x-oss-hash-crc64ecma': obj.crc64, ...sseResponseHeaders(obj.encryption),
      ...versionIdHeader(obj, bucket),
      'x-oss-copy-source-version-id': source.versionId ?? src?.versionId,
    },
    body: xmlDoc('CopyObjectResult', { ETag: quoteEtag(obj.etag), LastModified: isoTime(obj.lastModified), ...checksumElements(obj.checksum) }),
  };
}
