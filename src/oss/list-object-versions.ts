/** ListObjectVersions (GET /?versions). */
import type { Coffer } from '../core/coffer';
import { listObjectVersions } from '../core/versions';
import { isDeleteMarker, versionIdOf } from '../store/types';
import { owner } from './bucket';
import { isoTime, keyEncoding, quoteEtag } from './format';
import { listParams } from './list-objects';
import { restoreInfo } from './object-headers';
import { param, type OssRequest, type OssResponse } from './request';
import { xmlDoc, type XmlObject } from './xml';

export async function ListObjectVersions(c: Coffer, req: OssRequest): Promise<OssResponse> {
  const { prefix, delimiter, encodingType, maxKeys } = await listParams(c, req, 'oss:ListObjectVersions');
  const keyMarker = param(req, 'key-marker');
  const versionIdMarker = param(req, 'version-id-marker');
  const page = await listObjectVersions(c, req.bucket!, { prefix, delimiter, keyMarker, versionIdMarker, maxKeys });
  const e = keyEncoding(encodingType, [prefix, delimiter, keyMarker, page.nextKeyMarker, ...page.items.map((i) => i.record.key), ...page.commonPrefixes]);
  const now = c.now();
  const versions: XmlObject[] = [];
  const markers: XmlObject[] = [];
  for (const { record, isLatest } of page.items) {
    const common = { Key: e.encode(record.key), VersionId: versionIdOf(record), IsLatest: isLatest, LastModified: isoTime(record.lastModified) };
    if (isDeleteMarker(record)) {
      markers.push({ ...common, Owner: owner(c) });
      continue;
    }
    versions.push({
      ...common,
      ETag: quoteEtag(record.etag),
      Type: record.type,
      Size: record.size,
      StorageClass: record.storageClass,
      Owner: owner(c),
      RestoreInfo: restoreInfo(record, now),
    });
  }
  return {
    status: 200,
    body: xmlDoc('ListVersionsResult', {
      Name: req.bucket,
      Prefix: e.encode(prefix),
      KeyMarker: e.encode(keyMarker ?? ''),
      VersionIdMarker: versionIdMarker ?? '',
      MaxKeys: maxKeys,
      Delimiter: e.encode(delimiter),
      EncodingType: e.encodingType,
      IsTruncated: page.truncated,
      NextKeyMarker: page.nextKeyMarker === undefined ? undefined : e.encode(page.nextKeyMarker),
      NextVersionIdMarker: page.nextVersionIdMarker,
      Version: versions,
      DeleteMarker: markers,
      CommonPrefixes: page.commonPrefixes.map((cp) => ({ Prefix: e.encode(cp) })),
    }),
  };
}
