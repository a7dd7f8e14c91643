/**
 * PutObjectTagging, GetObjectTagging, DeleteObjectTagging (?tagging); the x-oss-tagging request
 * header (key1=value1&key2=value2, URL-encoded); and the RAM condition values tags give:
 * `oss:ExistingObjectTag/<key>` (the stored object's tags) and `oss:RequestObjectTag/<key>` (the
 * tags a request sets). Tag keys in condition keys compare case-insensitively, as RAM condition
 * keys do (`kms:tag/<key>` alike); values compare as the operator says.
 */
import { requireBucket } from '../core/buckets';
import type { Coffer } from '../core/coffer';
import { setObjectTags } from '../core/tags';
import { CofferError } from '../common/errors';
import { requireObjectVersion } from '../core/versions';
import { isDeleteMarker, type BucketRecord, type ObjectRecord, type ObjectTag } from '../store/types';
import { authorizeObject } from './access';
import { readSmallBody } from './body';
import { requestedVersionId, versionAction } from './object-versions';
import { header, type OssRequest, type OssResponse } from './request';
import { malformedXml, parseXml, textOf, xmlDoc } from './xml';

export const TAGGING_HEADER = 'x-oss-tagging';

function badTaggingHeader(value: string): CofferError {
  return new CofferError('InvalidTag', `${TAGGING_HEADER} must be key1=value1&key2=value2, each key and value URL-encoded.`, {
    ArgumentName: TAGGING_HEADER, ArgumentValue: value, EC: '0010-00000219',
  });
}

/** The tags of an x-oss-tagging header; `+` is a space (Go's QueryEscape), a bare key has an empty value. */
export function taggingHeaderTags(req: OssRequest): ObjectTag[] {
  const raw = header(req, TAGGING_HEADER);
  if (raw === undefined) return [];
  const decode = (s: string): string => {
    try {
      return decodeURIComponent(s.replace(/\+/g, ' '));
    } catch {
      throw badTaggingHeader(raw);
    }
  };
  return raw.split('&').filter((pair) => pair !== '').map((pair) => {
    const parts = pair.split('=');
    if (parts.length > 2) throw badTaggingHeader(raw);
    return { key: decode(parts[0]), value: decode(parts[1] ?? '') };
  });
}

const conditionValues = (prefix: string, tags: readonly ObjectTag[] | undefined): Record<string, string> =>
  Object.fromEntries((tags ?? []).map((t) => [`${prefix}${t.key.toLowerCase()}`, t.value]));

/** oss:ExistingObjectTag/<key> values of a stored object (none when there is no object). */
export const existingTagValues = (obj: ObjectRecord | null | undefined): Record<string, string> => conditionValues('oss:existingobjecttag/', obj?.tags);

/** oss:RequestObjectTag/<key> values: the tags a write puts on the object. */
export const requestTagValues = (tags: readonly ObjectTag[] | undefined): Record<string, string> => conditionValues('oss:requestobjecttag/', tags);

/** x-oss-tagging-count of GET/HEAD: only when the object has tags. */
export const taggingCount = (obj: ObjectRecord): number | undefined => (obj.tags?.length ? obj.tags.length : undefined);

/** The Tagging document of PutObjectTagging; every Tag needs its Key and Value (which may be empty). */
export function parseTagging(body: string): ObjectTag[] {
  try {
    return tagsOfDocument(parseXml(body, 'Tagging'));
  } catch (err) {
    // OSS's EC for a Tagging body that is not the document it expects.
    if (err instanceof CofferError && err.code === 'MalformedXML') throw new CofferError(err.code, err.message, { EC: '0010-00000101' });
    throw err;
  }
}

function tagsOfDocument(doc: Record<string, unknown>): ObjectTag[] {
  const set = doc.TagSet;
  if (set === undefined || Array.isArray(set)) throw malformedXml('<Tagging> needs exactly one <TagSet>');
  const content = (typeof set === 'object' && set !== null ? set : {}) as Record<string, unknown>;
  if (typeof set === 'string' && set.trim() !== '') throw malformedXml('<TagSet> must contain <Tag> elements');
  const list = content.Tag === undefined ? [] : Array.isArray(content.Tag) ? content.Tag : [content.Tag];
  return list.map((t: unknown) => {
    const fields = (typeof t === 'object' && t !== null ? t : {}) as Record<string, unknown>;
    const key = textOf(fields, 'Key');
    const value = textOf(fields, 'Value');
    if (key === undefined || value === undefined || Array.isArray(fields.Key) || Array.isArray(fields.Value)) {
      throw malformedXml('every <Tag> needs one <Key> and one <Value>');
    }
    return { key, value };
  });
}

/**
 * Loads the object (or with versionId, the version) a tagging operation names and checks access,
 * with its tags as condition values (oss:…ObjectVersionTagging for a version).
 */
async function taggedObject(c: Coffer, req: OssRequest, action: string, extra?: Record<string, string>): Promise<{ bucket: BucketRecord; obj: ObjectRecord; versionId?: string }> {
  const bucket = await requireBucket(c, req.bucket!);
  const versionId = requestedVersionId(req);
  const found = versionId === undefined ? null : await c.meta.getVersion(req.bucket!, req.key!, versionId);
  const obj = versionId === undefined ? await c.meta.getObject(req.bucket!, req.key!)
    : found && !isDeleteMarker(found.record) ? found.record : null;
  authorizeObject(c, req, versionAction(action, versionId), bucket, req.key!, obj?.acl, { ...existingTagValues(obj), ...extra });
  if (versionId !== undefined) return { bucket, obj: await requireObjectVersion(c, req.bucket!, req.key!, versionId), versionId };
  if (!obj) throw new CofferError('NoSuchKey', 'The specified key does not exist.', { Key: req.key! });
  return { bucket, obj };
}

export async function PutObjectTagging(c: Coffer, req: OssRequest): Promise<OssResponse> {
  const tags = parseTagging(await readSmallBody(req));
  const { versionId } = await taggedObject(c, req, 'oss:PutObjectTagging', requestTagValues(tags));
  await setObjectTags(c, req.bucket!, req.key!, tags, versionId);
  return { status: 200, headers: { 'x-oss-version-id': versionId } };
}

export async function GetObjectTagging(c: Coffer, req: OssRequest): Promise<OssResponse> {
  const { obj } = await taggedObject(c, req, 'oss:GetObjectTagging');
  return {
    status: 200,
    headers: { 'x-oss-version-id': obj.versionId },
    body: xmlDoc('Tagging', { TagSet: { Tag: (obj.tags ?? []).map((t) => ({ Key: t.key, Value: t.value })) } }),
  };
}

export async function DeleteObjectTagging(c: Coffer, req: OssRequest): Promise<OssResponse> {
  const { versionId } = await taggedObject(c, req, 'oss:DeleteObjectTagging');
  await setObjectTags(c, req.bucket!, req.key!, [], versionId);
  return { status: 204, headers: { 'x-oss-version-id': versionId } };
}
