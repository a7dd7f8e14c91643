/**
 * Object tagging: Put/Get/DeleteObjectTagging through ali-oss (V1 and V4), `x-oss-tagging` (the
 * URL-encoded query-string form) on PutObject, CopyObject (with x-oss-tagging-directive),
 * InitiateMultipartUpload (the tags land at Complete) and the first AppendObject,
 * `x-oss-tagging-count` on HEAD/GET, OSS's limits and characters (each refusal changes nothing),
 * and the tags in RAM policy conditions (oss:ExistingObjectTag/<key>, oss:RequestObjectTag/<key>).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { XMLParser } from 'fast-xml-parser';
import { CLIENT_KINDS } from '../helpers/oss-clients';
import { assertNothingStored, assertOssError, bytes, http, pathStyle, rejectsWith, signedHttp, storedFiles, type HttpResponse } from '../helpers/oss-http';
import { newRamUser, ossArn, userOss, type Credentials } from '../helpers/ram';
import { startTestServer, type TestServer } from '../helpers/server';

let srv: TestServer;
const BUCKET = 'tagging';
const c = (): any => srv.client({ bucket: BUCKET });
before(async () => {
  srv = await startTestServer();
  await srv.client().putBucket(BUCKET);
});
after(async () => { await srv.close(); });

const putTagging = (key: string, body: string): Promise<HttpResponse> => signedHttp(srv, { method: 'PUT', bucket: BUCKET, key, query: [['tagging', '']], body });
const getTagging = (key: string): Promise<HttpResponse> => signedHttp(srv, { bucket: BUCKET, key, query: [['tagging', '']] });
/** The helper's xml() trims values; tags must be read exactly. */
const exactXml = new XMLParser({ ignoreAttributes: true, parseTagValue: false, trimValues: false, ignoreDeclaration: true });

/** The tags GetObjectTagging answers, in order, as [key, value] pairs (exact text). */
async function tagsOf(key: string): Promise<Array<[string, string]>> {
  const res = await getTagging(key);
  assert.equal(res.status, 200, res.text);
  const set = exactXml.parse(res.text).Tagging.TagSet;
  const list = set === '' ? [] : Array.isArray(set.Tag) ? set.Tag : [set.Tag];
  return list.map((t: { Key: string; Value: string }) => [t.Key, t.Value]);
}
const taggingXml = (pairs: Array<[string, string]>): string =>
  `<Tagging><TagSet>${pairs.map(([k, v]) => `<Tag><Key>${k}</Key><Value>${v}</Value></Tag>`).join('')}</TagSet></Tagging>`;
const countOf = async (key: string): Promise<string | undefined> => (await c().head(key)).res.headers['x-oss-tagging-count'];

describe('Put/Get/DeleteObjectTagging with ali-oss', () => {
  for (const kind of CLIENT_KINDS.slice(0, 2)) {
    test(`${kind.name}: none, set, replace, delete; Last-Modified and ETag stay`, async () => {
      const store = kind.make(srv, { bucket: BUCKET });
      const name = `tags-${kind.slug}.txt`;
      await store.put(name, Buffer.from('tagged'));
      const head = (await store.head(name)).res.headers;
      const none = await store.getObjectTagging(name);
      assert.equal(none.status, 200);
      assert.deepEqual(none.tag, {});
      assert.equal(head['x-oss-tagging-count'], undefined);

      assert.equal((await store.putObjectTagging(name, { a: '1', b: '2' })).status, 200);
      assert.deepEqual((await store.getObjectTagging(name)).tag, { a: '1', b: '2' });
      const after = (await store.head(name)).res.headers;
      assert.equal(after['x-oss-tagging-count'], '2');
      assert.equal(after['last-modified'], head['last-modified']);
      assert.equal(after.etag, head.etag);

      await store.putObjectTagging(name, { a: '1' });
      assert.deepEqual((await store.getObjectTagging(name)).tag, { a: '1' });
      assert.equal((await store.get(name)).res.headers['x-oss-tagging-count'], '1');

      assert.equal((await store.deleteObjectTagging(name)).status, 204);
      assert.deepEqual((await store.getObjectTagging(name)).tag, {});
      assert.equal((await store.head(name)).res.headers['x-oss-tagging-count'], undefined);
      // Again: still 204.
      assert.equal((await store.deleteObjectTagging(name)).status, 204);
      assert.equal((await store.get(name)).content.toString(), 'tagged');
    });
  }

  test('an object that does not exist → 404 NoSuchKey for all three', async () => {
    await rejectsWith(c().getObjectTagging('nothing-here.txt'), 404, 'NoSuchKey');
    await rejectsWith(c().putObjectTagging('nothing-here.txt', { a: '1' }), 404, 'NoSuchKey');
    await rejectsWith(c().deleteObjectTagging('nothing-here.txt'), 404, 'NoSuchKey');
    assert.equal(await srv.running.coffer.meta.getObject(BUCKET, 'nothing-here.txt'), null);
  });

  test('GetObjectTagging XML: Tagging/TagSet/Tag with Key and Value, in the order set; an empty TagSet when none', async () => {
    await c().put('xml.txt', Buffer.from('x'));
    assert.equal((await getTagging('xml.txt')).text, '<?xml version="1.0" encoding="UTF-8"?>\n<Tagging><TagSet></TagSet></Tagging>');
    assert.equal((await putTagging('xml.txt', taggingXml([['z', '1'], ['a', '']]))).status, 200);
    const res = await getTagging('xml.txt');
    assert.equal(res.headers['content-type'], 'application/xml');
    assert.equal(res.text, '<?xml version="1.0" encoding="UTF-8"?>\n<Tagging><TagSet><Tag><Key>z</Key><Value>1</Value></Tag><Tag><Key>a</Key><Value></Value></Tag></TagSet></Tagging>');
  });

  test('keys and values round-trip exactly: spaces at either end, +-=._:/, letters beyond ASCII', async () => {
    await c().put('exact.txt', Buffer.from('x'));
    const pairs: Array<[string, string]> = [[' + ', '中文'], ['+:/', '.-'], ['a b', ' padded '], ['k=v', 'x_y:z/w'], ['Ünïcode', 'Ωmega 9']];
    assert.equal((await putTagging('exact.txt', taggingXml(pairs))).status, 200);
    assert.deepEqual(await tagsOf('exact.txt'), pairs);
  });
});

describe('x-oss-tagging on writes', () => {
  test('PutObject: the URL-encoded query-string form, %20 or + for a space (oss2 / Go), a bare key for an empty value', async () => {
    await c().put('put.txt', Buffer.from('p'), { headers: { 'x-oss-tagging': 'team=blue&level=1' } });
    assert.deepEqual(await tagsOf('put.txt'), [['team', 'blue'], ['level', '1']]);
    assert.equal(await countOf('put.txt'), '2');
    // oss2's test_multipart_with_object_tagging values, encoded as oss2 (quote) and Go (QueryEscape) do.
    await c().put('put-enc.txt', Buffer.from('p'), { headers: { 'x-oss-tagging': `${encodeURIComponent('+:/')}=${encodeURIComponent('.-')}&%20%2B%20=${encodeURIComponent('中文')}&a+b=c+d&flag` } });
    assert.deepEqual(await tagsOf('put-enc.txt'), [['+:/', '.-'], [' + ', '中文'], ['a b', 'c d'], ['flag', '']]);
    // The header replaces nothing on its own: a new PUT without it leaves the object untagged.
    await c().put('put-enc.txt', Buffer.from('p2'));
    assert.deepEqual(await tagsOf('put-enc.txt'), []);
  });

  test('CopyObject: tags are copied by default (and with Copy); Replace takes the request\'s, or none', async () => {
    await c().put('src.txt', Buffer.from('source'), { headers: { 'x-oss-tagging': 'from=source&n=2' } });
    await c().copy('copy-default.txt', 'src.txt');
    assert.deepEqual(await tagsOf('copy-default.txt'), [['from', 'source'], ['n', '2']]);
    await c().copy('copy-copy.txt', 'src.txt', { headers: { 'x-oss-tagging': 'ignored=yes', 'x-oss-tagging-directive': 'Copy' } });
    assert.deepEqual(await tagsOf('copy-copy.txt'), [['from', 'source'], ['n', '2']]);
    await c().copy('copy-replace.txt', 'src.txt', { headers: { 'x-oss-tagging': 'from=request', 'x-oss-tagging-directive': 'Replace' } });
    assert.deepEqual(await tagsOf('copy-replace.txt'), [['from', 'request']]);
    // The Go SDK spells the directive REPLACE.
    await c().copy('copy-none.txt', 'src.txt', { headers: { 'x-oss-tagging-directive': 'REPLACE' } });
    assert.deepEqual(await tagsOf('copy-none.txt'), []);
    assert.equal((await c().get('copy-none.txt')).content.toString(), 'source');
    // Onto itself: only the tags change.
    await c().copy('src.txt', 'src.txt', { headers: { 'x-oss-tagging': 'self=1', 'x-oss-tagging-directive': 'Replace' } });
    assert.deepEqual(await tagsOf('src.txt'), [['self', '1']]);
    assert.equal((await c().get('src.txt')).content.toString(), 'source');

    const before = storedFiles(srv);
    const bad = await signedHttp(srv, { method: 'PUT', bucket: BUCKET, key: 'copy-bad.txt', headers: { 'x-oss-copy-source': `/${BUCKET}/src.txt`, 'x-oss-tagging-directive': 'MERGE' } });
    assert.equal(assertOssError(bad, 400, 'InvalidArgument').ArgumentName, 'x-oss-tagging-directive');
    assertNothingStored(srv, before);
    await rejectsWith(c().head('copy-bad.txt'), 404, 'NoSuchKey');
  });

  test('InitiateMultipartUpload: the tags land on the object at Complete', async () => {
    const data = bytes(200 * 1024, 3);
    const init = await c().initMultipartUpload('mp.bin', { headers: { 'x-oss-tagging': 'kind=multipart&size=big' } });
    const p1 = await c().uploadPart('mp.bin', init.uploadId, 1, data.subarray(0, 102400) as any, 0, 102400);
    const p2 = await c().uploadPart('mp.bin', init.uploadId, 2, data.subarray(102400) as any, 0, data.length - 102400);
    await rejectsWith(c().getObjectTagging('mp.bin'), 404, 'NoSuchKey');
    await c().completeMultipartUpload('mp.bin', init.uploadId, [{ number: 1, etag: p1.etag }, { number: 2, etag: p2.etag }]);
    assert.deepEqual(await tagsOf('mp.bin'), [['kind', 'multipart'], ['size', 'big']]);
    assert.equal(await countOf('mp.bin'), '2');
  });

  test('AppendObject: the first append sets the tags; later appends keep them', async () => {
    await c().append('app.log', Buffer.from('one'), { headers: { 'x-oss-tagging': 'log=yes' } });
    const second = await c().append('app.log', Buffer.from('two'), { position: '3', headers: { 'x-oss-tagging': 'log=no&other=1' } });
    assert.equal(second.nextAppendPosition, '6');
    assert.deepEqual(await tagsOf('app.log'), [['log', 'yes']]);
    assert.equal((await c().get('app.log')).content.toString(), 'onetwo');
  });
});

describe('limits and characters: refusals change nothing', () => {
  const key = 'limits.txt';
  before(async () => {
    await c().put(key, Buffer.from('l'));
    assert.equal((await putTagging(key, taggingXml([['kept', 'yes']]))).status, 200);
  });
  const ten = Array.from({ length: 10 }, (_, i): [string, string] => [`k${i}`, `v${i}`]);
  const cases: Array<{ name: string; body: string; code: string; ec?: string }> = [
    { name: 'eleven tags', body: taggingXml([...ten, ['k10', 'v10']]), code: 'InvalidTag', ec: '0010-00000217' },
    { name: 'a 129-character key', body: taggingXml([['k'.repeat(129), 'v']]), code: 'InvalidTag', ec: '0010-00000209' },
    { name: 'a 257-character value', body: taggingXml([['k', 'v'.repeat(257)]]), code: 'InvalidTag', ec: '0010-00000214' },
    { name: 'an empty key', body: taggingXml([['', 'v']]), code: 'InvalidTag', ec: '0010-00000217' },
    { name: '& in a key', body: taggingXml([['a&amp;b', 'v']]), code: 'InvalidTag', ec: '0010-00000217' },
    { name: '& in a value', body: taggingXml([['k', 'a&amp;b']]), code: 'InvalidTag', ec: '0010-00000217' },
    { name: '@ in a key', body: taggingXml([['a@b', 'v']]), code: 'InvalidTag', ec: '0010-00000217' },
    { name: 'a repeated key', body: taggingXml([['dup', '1'], ['dup', '2']]), code: 'InvalidTag', ec: '0010-00000217' },
    { name: 'a Tag without Value', body: '<Tagging><TagSet><Tag><Key>k</Key></Tag></TagSet></Tagging>', code: 'MalformedXML' },
    { name: 'a Tag without Key', body: '<Tagging><TagSet><Tag><Value>v</Value></Tag></TagSet></Tagging>', code: 'MalformedXML' },
    { name: 'no TagSet', body: '<Tagging></Tagging>', code: 'MalformedXML' },
    { name: 'another root', body: '<XMLTag><TagSet></TagSet></XMLTag>', code: 'MalformedXML' },
    { name: 'broken XML', body: '<Tagging><TagSet><Tag>', code: 'MalformedXML', ec: '0010-00000101' },
  ];
  for (const t of cases) {
    test(`PutObjectTagging: ${t.name} → 400 ${t.code}`, async () => {
      const err = assertOssError(await putTagging(key, t.body), 400, t.code);
      if (t.ec) assert.equal(err.EC, t.ec);
      assert.deepEqual(await tagsOf(key), [['kept', 'yes']]);
    });
  }

  test('the boundaries are allowed: ten tags, a 128-character key, a 256-character value, an empty value', async () => {
    assert.equal((await putTagging('bounds.txt', taggingXml(ten))).status, 404);
    await c().put('bounds.txt', Buffer.from('b'));
    assert.equal((await putTagging('bounds.txt', taggingXml(ten))).status, 200);
    assert.equal((await tagsOf('bounds.txt')).length, 10);
    const edge: Array<[string, string]> = [['k'.repeat(128), 'v'.repeat(256)], ['empty', '']];
    assert.equal((await putTagging('bounds.txt', taggingXml(edge))).status, 200);
    assert.deepEqual(await tagsOf('bounds.txt'), edge);
  });

  test('x-oss-tagging refusals: nothing is written, no upload is started', async () => {
    const headers = ['aa=bb=cc', '=a&b=a', `${'a'.repeat(129)}=b`, `a=${'b'.repeat(257)}`, 'a=b&a=c',
      Array.from({ length: 11 }, (_, i) => `k${i}=v${i}`).join('&'), 'a=%ZZ', 'a=b%26c'];
    const before = storedFiles(srv);
    for (const value of headers) {
      const put = await signedHttp(srv, { method: 'PUT', bucket: BUCKET, key: 'refused.txt', body: 'r', headers: { 'x-oss-tagging': value } });
      assertOssError(put, 400, 'InvalidTag');
      const init = await signedHttp(srv, { method: 'POST', bucket: BUCKET, key: 'refused.bin', query: [['uploads', '']], headers: { 'x-oss-tagging': value } });
      assertOssError(init, 400, 'InvalidTag');
      const append = await signedHttp(srv, { method: 'POST', bucket: BUCKET, key: 'refused.log', query: [['append', ''], ['position', '0']], body: 'r', headers: { 'x-oss-tagging': value } });
      assertOssError(append, 400, 'InvalidTag');
    }
    assert.equal(assertOssError(await signedHttp(srv, { method: 'PUT', bucket: BUCKET, key: 'refused.txt', body: 'r', headers: { 'x-oss-tagging': 'aa=bb=cc' } }), 400, 'InvalidTag').EC, '0010-00000219');
    assertNothingStored(srv, before);
    await rejectsWith(c().head('refused.txt'), 404, 'NoSuchKey');
    await rejectsWith(c().head('refused.log'), 404, 'NoSuchKey');
    assert.equal((await c().listUploads({ prefix: 'refused' })).uploads.length, 0);
  });
});

describe('tags in RAM policy conditions', () => {
  const RB = 'tag-ram';
  let owner: any;
  const allow = (action: string | string[], resource: string, condition?: object): object =>
    ({ Effect: 'Allow', Action: action, Resource: resource, ...(condition ? { Condition: condition } : {}) });
  const deny = (action: string | string[], resource: string, condition: object): object => ({ Effect: 'Deny', Action: action, Resource: resource, Condition: condition });
  const user = (name: string, ...statements: object[]): Promise<Credentials> =>
    newRamUser(srv, name, [{ name: `${name}-policy`, document: { Version: '1', Statement: statements } }]);
  const denied = (call: Promise<unknown>): Promise<unknown> => rejectsWith(call, 403, 'AccessDenied');

  before(async () => {
    await srv.client().putBucket(RB);
    owner = srv.client({ bucket: RB });
    await owner.put('public.txt', Buffer.from('public'), { headers: { 'x-oss-tagging': 'confidential=no' } });
    await owner.put('secret.txt', Buffer.from('secret'), { headers: { 'x-oss-tagging': 'confidential=yes' } });
    await owner.put('untagged.txt', Buffer.from('untagged'));
  });

  test('oss:ExistingObjectTag in an Allow: GetObject (and HEAD, GetObjectTagging) only where the stored tag says so', async () => {
    const reader = userOss(srv, await user('tag-reader',
      allow(['oss:GetObject', 'oss:GetObjectTagging'], ossArn(srv, `${RB}/*`), { StringEquals: { 'oss:ExistingObjectTag/confidential': 'no' } })), RB);
    assert.equal((await reader.get('public.txt')).content.toString(), 'public');
    assert.equal((await reader.head('public.txt')).res.status, 200);
    assert.deepEqual((await reader.getObjectTagging('public.txt')).tag, { confidential: 'no' });
    await denied(reader.get('secret.txt'));
    await denied(reader.getObjectTagging('secret.txt'));
    await rejectsWith(reader.head('secret.txt'), 403, 'AccessDenied');
    await denied(reader.get('untagged.txt'));
    // Retagging moves the object across the line, at once.
    await owner.putObjectTagging('secret.txt', { confidential: 'no' });
    assert.equal((await reader.get('secret.txt')).content.toString(), 'secret');
    await owner.putObjectTagging('secret.txt', { confidential: 'yes' });
    await denied(reader.get('secret.txt'));
    // A copy reads its source: the same condition decides it.
    const copier = userOss(srv, await user('tag-copier',
      allow('oss:GetObject', ossArn(srv, `${RB}/*`), { StringEquals: { 'oss:ExistingObjectTag/confidential': 'no' } }),
      allow('oss:PutObject', ossArn(srv, `${RB}/copies/*`))), RB);
    await copier.copy('copies/public.txt', 'public.txt');
    await denied(copier.copy('copies/secret.txt', 'secret.txt'));
    await rejectsWith(owner.head('copies/secret.txt'), 404, 'NoSuchKey');
  });

  test('oss:ExistingObjectTag in a Deny: everything but what is tagged confidential=yes', async () => {
    const reader = userOss(srv, await user('tag-deny-reader',
      allow('oss:GetObject', ossArn(srv, `${RB}/*`)),
      deny('oss:GetObject', ossArn(srv, `${RB}/*`), { StringEquals: { 'oss:ExistingObjectTag/confidential': 'yes' } })), RB);
    assert.equal((await reader.get('public.txt')).content.toString(), 'public');
    assert.equal((await reader.get('untagged.txt')).content.toString(), 'untagged');
    await denied(reader.get('secret.txt'));
  });

  test('oss:ExistingObjectTag on writes: a Deny on objects tagged locked=yes stops deleting or replacing them, and only them', async () => {
    await owner.put('locked.txt', Buffer.from('locked'), { headers: { 'x-oss-tagging': 'locked=yes' } });
    await owner.put('loose.txt', Buffer.from('loose'), { headers: { 'x-oss-tagging': 'locked=no' } });
    const locked = { StringEquals: { 'oss:ExistingObjectTag/locked': 'yes' } };
    const writer = userOss(srv, await user('tag-lock-writer',
      allow(['oss:PutObject', 'oss:DeleteObject', 'oss:GetObject'], ossArn(srv, `${RB}/*`)),
      deny(['oss:PutObject', 'oss:DeleteObject'], ossArn(srv, `${RB}/*`), locked)), RB);
    await denied(writer.delete('locked.txt'));
    await denied(writer.deleteMulti(['loose.txt', 'locked.txt']));
    await denied(writer.put('locked.txt', Buffer.from('overwritten')));
    await denied(writer.copy('locked.txt', 'public.txt'));
    assert.equal((await owner.get('locked.txt')).content.toString(), 'locked');
    assert.equal((await owner.get('loose.txt')).content.toString(), 'loose');
    await writer.put('loose.txt', Buffer.from('replaced'));
    await writer.delete('loose.txt');
    await rejectsWith(owner.head('loose.txt'), 404, 'NoSuchKey');
  });

  test('oss:RequestObjectTag: PutObject, PutObjectTagging, multipart and append only with the required tag', async () => {
    const team = { StringEquals: { 'oss:RequestObjectTag/team': 'blue' } };
    const writer = userOss(srv, await user('tag-writer',
      allow(['oss:PutObject', 'oss:PutObjectTagging'], ossArn(srv, `${RB}/uploads/*`), team),
      allow('oss:GetObjectTagging', ossArn(srv, `${RB}/uploads/*`))), RB);
    await writer.put('uploads/blue.txt', Buffer.from('b'), { headers: { 'x-oss-tagging': 'team=blue&x=1' } });
    await denied(writer.put('uploads/red.txt', Buffer.from('r'), { headers: { 'x-oss-tagging': 'team=red' } }));
    await denied(writer.put('uploads/none.txt', Buffer.from('n')));
    await rejectsWith(owner.head('uploads/red.txt'), 404, 'NoSuchKey');
    await rejectsWith(owner.head('uploads/none.txt'), 404, 'NoSuchKey');

    assert.equal((await writer.putObjectTagging('uploads/blue.txt', { team: 'blue', y: '2' })).status, 200);
    await denied(writer.putObjectTagging('uploads/blue.txt', { team: 'red' }));
    assert.deepEqual((await writer.getObjectTagging('uploads/blue.txt')).tag, { team: 'blue', y: '2' });

    // Parts and Complete carry no tags of their own: the upload's tags from Initiate decide.
    const init = await writer.initMultipartUpload('uploads/mp.bin', { headers: { 'x-oss-tagging': 'team=blue' } });
    const part = await writer.uploadPart('uploads/mp.bin', init.uploadId, 1, Buffer.from('part') as any, 0, 4);
    await writer.completeMultipartUpload('uploads/mp.bin', init.uploadId, [{ number: 1, etag: part.etag }]);
    assert.deepEqual((await writer.getObjectTagging('uploads/mp.bin')).tag, { team: 'blue' });
    await denied(writer.initMultipartUpload('uploads/mp-red.bin', { headers: { 'x-oss-tagging': 'team=red' } }));

    await writer.append('uploads/app.log', Buffer.from('a'), { headers: { 'x-oss-tagging': 'team=blue' } });
    await denied(writer.append('uploads/app-red.log', Buffer.from('a'), { headers: { 'x-oss-tagging': 'team=red' } }));
  });

  test('oss:RequestObjectTag on CopyObject sees the tags the copy will carry (the source\'s with Copy, the request\'s with Replace)', async () => {
    await owner.put('blue-src.txt', Buffer.from('b'), { headers: { 'x-oss-tagging': 'team=blue' } });
    const copier = userOss(srv, await user('tag-copy-writer',
      allow('oss:GetObject', ossArn(srv, `${RB}/*`)),
      allow('oss:PutObject', ossArn(srv, `${RB}/copied/*`), { StringEquals: { 'oss:RequestObjectTag/team': 'blue' } })), RB);
    await copier.copy('copied/a.txt', 'blue-src.txt');
    await denied(copier.copy('copied/b.txt', 'public.txt'));
    await copier.copy('copied/c.txt', 'public.txt', { headers: { 'x-oss-tagging': 'team=blue', 'x-oss-tagging-directive': 'Replace' } });
    await denied(copier.copy('copied/d.txt', 'blue-src.txt', { headers: { 'x-oss-tagging': 'team=red', 'x-oss-tagging-directive': 'Replace' } }));
    const listed = (await owner.list({ prefix: 'copied/' })).objects.map((o: any) => o.name);
    assert.deepEqual(listed, ['copied/a.txt', 'copied/c.txt']);
  });

  test('tagging actions need their own permission: oss:GetObject alone does not read or change tags, ACLs grant nothing', async () => {
    const reader = userOss(srv, await user('tag-get-only', allow('oss:GetObject', ossArn(srv, `${RB}/*`))), RB);
    await denied(reader.getObjectTagging('public.txt'));
    await denied(reader.putObjectTagging('public.txt', { confidential: 'yes' }));
    await denied(reader.deleteObjectTagging('public.txt'));
    await srv.client().putBucketACL(RB, 'public-read-write');
    const anon = await http(srv, { path: `${pathStyle(RB, 'public.txt')}?tagging` });
    assertOssError(anon, 403, 'AccessDenied');
    await srv.client().putBucketACL(RB, 'private');
    assert.deepEqual((await owner.getObjectTagging('public.txt')).tag, { confidential: 'no' });
  });
});
