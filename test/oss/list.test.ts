/** ListObjects (v1) and ListObjectsV2: prefix, delimiter, paging, start-after, encoding-type=url, fetch-owner. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server';
import { CLIENT_KINDS } from '../helpers/oss-clients';
import { assertOssError, etagOf, rejectsWith, signedHttp, xml } from '../helpers/oss-http';

let srv: TestServer;
let c: any;
const BUCKET = 'listing';

// In byte order, which is the order OSS lists in.
const KEYS = [
  'a.txt',
  'dir/one.txt',
  'dir/sub/four.txt',
  'dir/sub/three.txt',
  'dir/two.txt',
  'plus+key.txt',
  'space key.txt',
  'unicode-é中.txt',
  'z/deep/x.txt',
  'z/y.txt',
];

before(async () => {
  srv = await startTestServer();
  c = srv.client({ bucket: BUCKET });
  await c.putBucket(BUCKET);
  // Written out of order: the listing must sort.
  for (const key of [...KEYS].reverse()) await c.put(key, Buffer.from(key));
});
after(async () => { await srv.close(); });

/** Every page of a v1 listing, following NextMarker. */
async function allPagesV1(client: any, query: Record<string, unknown>): Promise<{ names: string[]; prefixes: string[]; pages: number }> {
  const names: string[] = [];
  const prefixes: string[] = [];
  let marker: string | undefined;
  let pages = 0;
  for (;;) {
    const page = await client.list({ ...query, ...(marker !== undefined && { marker }) });
    pages++;
    names.push(...page.objects.map((o: any) => o.name));
    prefixes.push(...(page.prefixes ?? []));
    if (!page.isTruncated) return { names, prefixes, pages };
    assert.ok(page.nextMarker, 'truncated page without NextMarker');
    marker = page.nextMarker;
  }
}

/** Every page of a v2 listing, following NextContinuationToken. */
async function allPagesV2(client: any, query: Record<string, unknown>): Promise<{ names: string[]; prefixes: string[]; pages: number }> {
  const names: string[] = [];
  const prefixes: string[] = [];
  let token: string | undefined;
  let pages = 0;
  for (;;) {
    const page = await client.listV2({ ...query, ...(token !== undefined && { 'continuation-token': token }) });
    pages++;
    assert.equal(page.keyCount, page.objects.length + (page.prefixes?.length ?? 0));
    names.push(...page.objects.map((o: any) => o.name));
    prefixes.push(...(page.prefixes ?? []));
    if (!page.isTruncated) {
      assert.equal(page.nextContinuationToken, null);
      return { names, prefixes, pages };
    }
    assert.ok(page.nextContinuationToken, 'truncated page without NextContinuationToken');
    token = page.nextContinuationToken;
  }
}

describe('ListObjects (v1)', () => {
  test('lists every key in byte order with size, ETag, type, storage class and Owner', async () => {
    const r = await c.list({});
    assert.deepEqual(r.objects.map((o: any) => o.name), KEYS);
    assert.equal(r.isTruncated, false);
    assert.equal(r.prefixes, null);
    const first = r.objects[0];
    assert.equal(first.size, Buffer.byteLength('a.txt'));
    assert.equal(first.etag, etagOf('a.txt'));
    assert.equal(first.type, 'Normal');
    assert.equal(first.storageClass, 'Standard');
    assert.match(first.lastModified, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000Z$/);
    for (const o of r.objects) assert.ok(o.owner.id && o.owner.displayName);
  });

  for (const kind of CLIENT_KINDS) {
    test(`${kind.name}: prefix and delimiter give objects and common prefixes`, async () => {
      const k = kind.make(srv, { bucket: BUCKET });
      const top = await k.list({ delimiter: '/' });
      assert.deepEqual(top.objects.map((o: any) => o.name), ['a.txt', 'plus+key.txt', 'space key.txt', 'unicode-é中.txt']);
      assert.deepEqual(top.prefixes, ['dir/', 'z/']);
      const dir = await k.list({ prefix: 'dir/', delimiter: '/' });
      assert.deepEqual(dir.objects.map((o: any) => o.name), ['dir/one.txt', 'dir/two.txt']);
      assert.deepEqual(dir.prefixes, ['dir/sub/']);
      const flat = await k.list({ prefix: 'dir/' });
      assert.deepEqual(flat.objects.map((o: any) => o.name), KEYS.filter((n) => n.startsWith('dir/')));
      assert.equal(flat.prefixes, null);
      assert.deepEqual((await k.list({ prefix: 'nothing-here' })).objects, []);
    });

    test(`${kind.name}: v2 with prefix, delimiter, start-after and continuation-token paging`, async () => {
      const k = kind.make(srv, { bucket: BUCKET });
      const paged = await allPagesV2(k, { 'max-keys': 3 });
      assert.deepEqual(paged.names, KEYS);
      assert.equal(paged.pages, 4);
      const grouped = await allPagesV2(k, { delimiter: '/', 'max-keys': 2 });
      assert.deepEqual(grouped.names, ['a.txt', 'plus+key.txt', 'space key.txt', 'unicode-é中.txt']);
      assert.deepEqual(grouped.prefixes, ['dir/', 'z/']);
      const after = await k.listV2({ 'start-after': 'dir/sub/three.txt', prefix: 'dir/' });
      assert.deepEqual(after.objects.map((o: any) => o.name), ['dir/two.txt']);
    });
  }

  test('marker paging with small max-keys visits every key once', async () => {
    for (const maxKeys of [1, 3, 4]) {
      const r = await allPagesV1(c, { 'max-keys': maxKeys });
      assert.deepEqual(r.names, KEYS, `max-keys ${maxKeys}`);
      assert.equal(r.pages, Math.ceil(KEYS.length / maxKeys));
    }
    const first = await c.list({ 'max-keys': 2 });
    assert.equal(first.isTruncated, true);
    assert.equal(first.nextMarker, 'dir/one.txt');
    // marker is exclusive.
    assert.deepEqual((await c.list({ marker: 'z/deep/x.txt' })).objects.map((o: any) => o.name), ['z/y.txt']);
  });

  test('paging with a delimiter counts common prefixes and never repeats one', async () => {
    const r = await allPagesV1(c, { delimiter: '/', 'max-keys': 1 });
    assert.deepEqual(r.names, ['a.txt', 'plus+key.txt', 'space key.txt', 'unicode-é中.txt']);
    assert.deepEqual(r.prefixes, ['dir/', 'z/']);
    assert.equal(r.pages, 6);
  });

  test('encoding-type=url encodes keys (space, "+", unicode) and marks the result', async () => {
    const r = await c.list({ 'encoding-type': 'url', prefix: 'u' });
    assert.deepEqual(r.objects.map((o: any) => o.name), [encodeURIComponent('unicode-é中.txt')]);
    const res = await signedHttp(srv, { bucket: BUCKET, query: [['encoding-type', 'url'], ['delimiter', '/'], ['max-keys', '5']] });
    const doc = xml(res.text).ListBucketResult;
    assert.equal(doc.EncodingType, 'url');
    assert.equal(doc.Delimiter, '%2F');
    assert.deepEqual(doc.Contents.map((o: any) => o.Key), ['a.txt', 'plus%2Bkey.txt', 'space%20key.txt', 'unicode-%C3%A9%E4%B8%AD.txt']);
    assert.deepEqual(doc.Contents.map((o: any) => decodeURIComponent(o.Key)), ['a.txt', 'plus+key.txt', 'space key.txt', 'unicode-é中.txt']);
    assert.deepEqual([doc.CommonPrefixes].flat().map((p: any) => p.Prefix), ['dir%2F']);
    assert.equal(doc.IsTruncated, 'true');
    assert.equal(doc.NextMarker, 'unicode-%C3%A9%E4%B8%AD.txt');
  });

  test('XML shape: Name, Prefix, Marker, MaxKeys, Delimiter, IsTruncated, NextMarker only when truncated', async () => {
    const doc = xml((await signedHttp(srv, { bucket: BUCKET, query: [['prefix', 'z/'], ['max-keys', '1']] })).text).ListBucketResult;
    assert.equal(doc.Name, BUCKET);
    assert.equal(doc.Prefix, 'z/');
    assert.equal(doc.Marker, '');
    assert.equal(doc.MaxKeys, '1');
    assert.equal(doc.Delimiter, '');
    assert.equal(doc.IsTruncated, 'true');
    assert.equal(doc.NextMarker, 'z/deep/x.txt');
    const last = xml((await signedHttp(srv, { bucket: BUCKET, query: [['prefix', 'z/'], ['marker', 'z/deep/x.txt']] })).text).ListBucketResult;
    assert.equal(last.IsTruncated, 'false');
    assert.equal(last.NextMarker, undefined);
    // oss2 sends empty parameters, which mean "absent".
    const empty = xml((await signedHttp(srv, { bucket: BUCKET, query: [['prefix', ''], ['marker', ''], ['delimiter', ''], ['max-keys', '100']] })).text);
    assert.equal(empty.ListBucketResult.Contents.length, KEYS.length);
  });

  test('invalid max-keys or encoding-type → 400 InvalidArgument', async () => {
    for (const [name, value] of [['max-keys', '1001'], ['max-keys', 'ten'], ['encoding-type', 'base64']]) {
      const err = assertOssError(await signedHttp(srv, { bucket: BUCKET, query: [[name, value]] }), 400, 'InvalidArgument');
      assert.equal(err.ArgumentName, name);
    }
    await rejectsWith(c.list({ 'max-keys': 5000 }), 400, 'InvalidArgument');
  });
});

describe('ListObjectsV2', () => {
  test('fetch-owner: Owner only when asked', async () => {
    const without = await c.listV2({ 'max-keys': 2 });
    assert.deepEqual(without.objects.map((o: any) => o.owner), [null, null]);
    const withOwner = await c.listV2({ 'max-keys': 2, 'fetch-owner': true });
    for (const o of withOwner.objects) assert.ok(o.owner.id && o.owner.displayName);
  });

  test('encoding-type=url in v2 encodes keys, StartAfter and prefixes; the token is URL-safe', async () => {
    const r = await c.listV2({ 'encoding-type': 'url', 'start-after': 'plus+key.txt', 'max-keys': 1 });
    assert.deepEqual(r.objects.map((o: any) => o.name), ['space%20key.txt']);
    assert.equal(r.isTruncated, true);
    assert.match(r.nextContinuationToken, /^[A-Za-z0-9._~-]+$/);
    const next = await c.listV2({ 'encoding-type': 'url', 'continuation-token': r.nextContinuationToken, 'max-keys': 1 });
    assert.deepEqual(next.objects.map((o: any) => o.name), ['unicode-%C3%A9%E4%B8%AD.txt']);
    assert.equal(next.continuationToken, r.nextContinuationToken);
    const doc = xml((await signedHttp(srv, {
      bucket: BUCKET, query: [['list-type', '2'], ['encoding-type', 'url'], ['start-after', 'plus+key.txt'], ['max-keys', '1']],
    })).text).ListBucketResult;
    assert.equal(doc.StartAfter, 'plus%2Bkey.txt');
    assert.equal(doc.KeyCount, '1');
    assert.equal(doc.EncodingType, 'url');
  });

  test('a continuation token past start-after wins; start-after past the token wins', async () => {
    const page = await c.listV2({ 'max-keys': 2 });
    assert.deepEqual(page.objects.map((o: any) => o.name), KEYS.slice(0, 2));
    const tokenWins = await c.listV2({ 'continuation-token': page.nextContinuationToken, 'start-after': 'a', 'max-keys': 1 });
    assert.deepEqual(tokenWins.objects.map((o: any) => o.name), [KEYS[2]]);
    const startAfterWins = await c.listV2({ 'continuation-token': page.nextContinuationToken, 'start-after': 'z/deep/x.txt' });
    assert.deepEqual(startAfterWins.objects.map((o: any) => o.name), ['z/y.txt']);
  });

  test('a malformed continuation token → 400 InvalidArgument', async () => {
    await rejectsWith(c.listV2({ 'continuation-token': 'not hex!' }), 400, 'InvalidArgument');
  });

  test('max-keys must be 1 to 1000: 0 → 400 InvalidArgument (it would be a truncated page with nothing to resume from)', async () => {
    await rejectsWith(c.listV2({ 'max-keys': 0 }), 400, 'InvalidArgument');
    await rejectsWith(c.list({ 'max-keys': 0 }), 400, 'InvalidArgument');
    await rejectsWith(c.listBuckets({ 'max-keys': 0 }), 400, 'InvalidArgument');
    await rejectsWith(c.listUploads({ 'max-uploads': 0 }), 400, 'InvalidArgument');
    const one = await c.listV2({ 'max-keys': 1 });
    assert.deepEqual(one.objects.map((o: any) => o.name), [KEYS[0]]);
    assert.equal(one.keyCount, 1);
  });
});
