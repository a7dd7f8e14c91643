/**
 * TagResource, UntagResource, ListResourceTags (reference §3.5). Tags live in the key record.
 * Rules as Alibaba Cloud tags: key 1–128 characters, not starting with `aliyun` or `acs:`;
 * value 0–256 characters; at most 20 tags per key.
 */
import { CofferError } from '../common/errors';
import { invalidParameter, missingParameter } from './errors';
import type { KeyStore } from './key-store';
import { jsonParam } from './params';
import type { EmptyResponse, JsonParam, KeyIdRequest, ListResourceTagsResponse, Tag, TagResourceRequest, UntagResourceRequest } from './types';

const MAX_TAGS = 20;

function checkTagKey(key: unknown, name: string): string {
  if (typeof key !== 'string' || key.length < 1 || key.length > 128) {
    throw invalidParameter(name, 'a TagKey must be a string of 1 to 128 characters');
  }
  if (/^(aliyun|acs:)/i.test(key)) throw invalidParameter(name, `the TagKey "${key}" uses a reserved prefix (aliyun, acs:)`);
  return key;
}

/** Tags as a map; the parameter is a JSON array of {TagKey, TagValue}. */
export function tagsParam(value: JsonParam<Tag[]> | undefined, name: string): Record<string, string> {
  const parsed = jsonParam(value, name);
  if (!Array.isArray(parsed)) throw invalidParameter(name, 'it must be a JSON array of {"TagKey", "TagValue"}');
  // A Map, then fromEntries: any key (even "__proto__") becomes an own property.
  const tags = new Map<string, string>();
  for (const item of parsed as Partial<Tag>[]) {
    const key = checkTagKey(item?.TagKey, name);
    const tagValue = item.TagValue ?? '';
    if (typeof tagValue !== 'string' || tagValue.length > 256) {
      throw invalidParameter(name, 'a TagValue must be a string of at most 256 characters');
    }
    tags.set(key, tagValue);
  }
  return Object.fromEntries(tags);
}

export function checkTagCount(tags: Record<string, string>): void {
  if (Object.keys(tags).length > MAX_TAGS) {
    throw new CofferError('Rejected.LimitExceeded', `A key can have at most ${MAX_TAGS} tags.`);
  }
}

export async function tagResource(ks: KeyStore, req: TagResourceRequest): Promise<EmptyResponse> {
  if (req.Tags === undefined || req.Tags === '') throw missingParameter('Tags');
  const tags = tagsParam(req.Tags, 'Tags');
  await ks.update(req.KeyId, 'TagResource', ks.now(), (rec) => {
    const merged = { ...rec.tags, ...tags };
    checkTagCount(merged);
    rec.tags = merged;
  });
  return {};
}

export async function untagResource(ks: KeyStore, req: UntagResourceRequest): Promise<EmptyResponse> {
  if (req.TagKeys === undefined || req.TagKeys === '') throw missingParameter('TagKeys');
  const parsed = jsonParam(req.TagKeys, 'TagKeys');
  if (!Array.isArray(parsed)) throw invalidParameter('TagKeys', 'it must be a JSON array of tag keys');
  const keys = parsed.map((k) => checkTagKey(k, 'TagKeys'));
  await ks.update(req.KeyId, 'UntagResource', ks.now(), (rec) => {
    rec.tags = Object.fromEntries(Object.entries(rec.tags).filter(([k]) => !keys.includes(k)));
  });
  return {};
}

export async function listResourceTags(ks: KeyStore, req: KeyIdRequest): Promise<ListResourceTagsResponse> {
  const rec = await ks.load(req.KeyId, 'ListResourceTags', ks.now());
  const tags = Object.entries(rec.tags).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return { Tags: { Tag: tags.map(([TagKey, TagValue]) => ({ KeyId: rec.keyId, TagKey, TagValue })) } };
}
