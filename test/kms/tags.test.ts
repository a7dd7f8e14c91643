import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Env, expectCode, newKeyId } from './helpers';

const env = new Env();
const kms = env.kms;
after(() => env.close());

const tagsOf = async (keyId: string) =>
  (await kms.ListResourceTags({ KeyId: keyId })).Tags.Tag.map((t) => [t.TagKey, t.TagValue]);

test('TagResource adds and overwrites, UntagResource removes, ListResourceTags lists by key', async () => {
  const keyId = await newKeyId(kms);
  await kms.TagResource({ KeyId: keyId, Tags: '[{"TagKey":"team","TagValue":"a"},{"TagKey":"env","TagValue":"prod"}]' });
  await kms.TagResource({ KeyId: keyId, Tags: [{ TagKey: 'team', TagValue: 'b' }, { TagKey: '__proto__', TagValue: '' }] });
  assert.deepEqual(await tagsOf(keyId), [['__proto__', ''], ['env', 'prod'], ['team', 'b']]);
  assert.equal((await kms.ListResourceTags({ KeyId: keyId })).Tags.Tag[0]!.KeyId, keyId);
  await kms.UntagResource({ KeyId: keyId, TagKeys: '["env","__proto__","absent"]' });
  assert.deepEqual(await tagsOf(keyId), [['team', 'b']]);
});

test('tag validation and the 20-tag limit leave the tags unchanged', async () => {
  const keyId = await newKeyId(kms);
  const invalid: unknown[] = [
    'not json',
    '{"TagKey":"k"}',
    [{ TagKey: '', TagValue: 'v' }],
    [{ TagKey: 'k'.repeat(129), TagValue: 'v' }],
    [{ TagKey: 'k', TagValue: 'v'.repeat(257) }],
    [{ TagKey: 'Aliyun-team', TagValue: 'v' }],
    [{ TagKey: 'acs:x', TagValue: 'v' }],
    [{ TagKey: 'k', TagValue: 7 }],
  ];
  for (const Tags of invalid) await expectCode(kms.TagResource({ KeyId: keyId, Tags: Tags as string }), 'InvalidParameter');
  await expectCode(kms.TagResource({ KeyId: keyId }), 'MissingParameter');
  await expectCode(kms.UntagResource({ KeyId: keyId }), 'MissingParameter');
  await expectCode(kms.UntagResource({ KeyId: keyId, TagKeys: '"k"' }), 'InvalidParameter');

  const twenty = Array.from({ length: 20 }, (_, i) => ({ TagKey: `k${i}`, TagValue: `${i}` }));
  await kms.TagResource({ KeyId: keyId, Tags: twenty });
  await kms.TagResource({ KeyId: keyId, Tags: [{ TagKey: 'k0', TagValue: 'overwrite is no new tag' }] });
  await expectCode(kms.TagResource({ KeyId: keyId, Tags: [{ TagKey: 'k20', TagValue: 'one too many' }] }), 'Rejected.LimitExceeded');
  assert.equal((await tagsOf(keyId)).length, 20);
});
