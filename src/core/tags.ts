/**
 * Object tags: OSS's limits (at most 10 per object, unique keys of 1–128 characters, values of at
 * most 256; letters, digits, space and + - = . _ : /) and changing an object's tags, which
 * touches neither its data nor its Last-Modified time.
 */
import { CofferError } from '../common/errors';
import type { ObjectTag } from '../store/types';
import { statTransaction } from './bucket-stats';
import { requireBucket } from './buckets';
import type { Coffer } from './coffer';
import { updateVersion } from './versions';

export const TAG_LIMITS = { maxTags: 10, maxKeyChars: 128, maxValueChars: 256 } as const;

/** Letters and digits of any script (oss2's functional tests tag with 中文), space, + - = . _ : / */
const TAG_TEXT = /^[\p{L}\p{M}\p{N} +\-=._:/]*$/u;

const chars = (s: string): number => [...s].length;

function invalidTag(message: string, ec: string, tag?: ObjectTag): CofferError {
  return new CofferError('InvalidTag', message, { ...(tag ? { TagKey: tag.key } : {}), EC: ec });
}

/** Throws InvalidTag (with OSS's EC for the fault) unless `tags` is a tag set OSS accepts. */
export function checkTags(tags: readonly ObjectTag[]): void {
  if (tags.length > TAG_LIMITS.maxTags) throw invalidTag(`An object can have at most ${TAG_LIMITS.maxTags} tags.`, '0010-00000217');
  const seen = new Set<string>();
  for (const tag of tags) {
    if (tag.key === '') throw invalidTag('A tag key must not be empty.', '0010-00000217', tag);
    if (chars(tag.key) > TAG_LIMITS.maxKeyChars) throw invalidTag(`A tag key can be at most ${TAG_LIMITS.maxKeyChars} characters long.`, '0010-00000209', tag);
    if (chars(tag.value) > TAG_LIMITS.maxValueChars) throw invalidTag(`A tag value can be at most ${TAG_LIMITS.maxValueChars} characters long.`, '0010-00000214', tag);
    if (!TAG_TEXT.test(tag.key) || !TAG_TEXT.test(tag.value)) {
      throw invalidTag('Tag keys and values may contain only letters, digits, spaces and + - = . _ : /', '0010-00000217', tag);
    }
    if (seen.has(tag.key)) throw invalidTag('Tag keys must be unique.', '0010-00000217', tag);
    seen.add(tag.key);
  }
}

/** The record's `tags` field: left out when there are none. */
export const tagsField = (tags: readonly ObjectTag[] | undefined): { tags?: ObjectTag[] } => (tags?.length ? { tags: [...tags] } : {});

/**
 * Replaces the tags of an object (of one version of it with `versionId`; an empty list removes
 * them); its data, ETag and Last-Modified stay.
 */
export async function setObjectTags(c: Coffer, bucket: string, key: string, tags: readonly ObjectTag[], versionId?: string): Promise<void> {
  checkTags(tags);
  await requireBucket(c, bucket);
  await statTransaction(c.meta, (tx) => updateVersion(tx, bucket, key, versionId, (obj) => {
    const { tags: _old, ...rest } = obj;
    return { ...rest, ...tagsField(tags) };
  }));
}
