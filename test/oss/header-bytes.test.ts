/**
 * Non-ASCII header values (issue 13, item 4). HTTP carries header values as bytes and Node hands
 * them over as latin1 strings (one character per byte). Clients sign them in two ways:
 * - the raw bytes: oss2 (`to_bytes(value)`), Go, ali-oss with `headerEncoding: 'latin1'` (which
 *   sends the UTF-8 bytes of the value and signs `Buffer.from(stringToSign, 'latin1')`);
 * - ali-oss with its default `headerEncoding: 'utf-8'`: Node writes each character of the value as
 *   one latin1 byte (so only characters up to U+00FF can be sent at all: 'é' goes out as 0xE9),
 *   but the signature covers the UTF-8 encoding of the string (0xC3 0xA9).
 * Coffer verifies both, stores the bytes as sent and returns them unchanged.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { signV1, v1CanonicalResource, v1StringToSign } from '../../src/auth';
import { ACCESS_KEY_ID, ACCESS_KEY_SECRET, startTestServer, type TestServer } from '../helpers/server';
import { rawRequest } from '../fuzz/raw-http';
import { assertNothingStored, assertOssError, http, pathStyle, rejectsWith, storedFiles, type HttpResponse } from '../helpers/oss-http';

let srv: TestServer;
before(async () => { srv = await startTestServer(); });
after(async () => { await srv.close(); });

const CHINESE = '阿达的大多';
/** What a Node client (ali-oss's head().meta, res.headers) shows for these UTF-8 bytes: one character per byte. */
const asLatin1 = (text: string): string => Buffer.from(text, 'utf8').toString('latin1');
const rawBytes = (headerValue: unknown): Buffer => Buffer.from(String(headerValue), 'latin1');

for (const signing of ['V1', 'V4'] as const) {
  describe(`ali-oss ${signing}`, () => {
    const bucket = `hdr-bytes-${signing.toLowerCase()}`;
    let latin1: any;
    let utf8: any;
    before(async () => {
      const base = { bucket, authorizationV4: signing === 'V4' };
      latin1 = srv.client({ ...base, headerEncoding: 'latin1' });
      utf8 = srv.client(base);
      await utf8.putBucket(bucket);
    });

    test("headerEncoding 'latin1': UTF-8 metadata and a Chinese key round-trip byte for byte (put, head, get, getObjectMeta, list)", async () => {
      const key = `dir/中文-${signing}.txt`;
      const put = await latin1.put(key, Buffer.from('hello'), { meta: { a: CHINESE } });
      assert.equal(put.res.status, 200);
      const head = await latin1.head(key);
      // ali-oss's own functional test expects exactly this string (test/node/object.test.js, options.headerEncoding).
      assert.equal(head.meta.a, asLatin1(CHINESE));
      assert.deepEqual(rawBytes(head.res.headers['x-oss-meta-a']), Buffer.from(CHINESE));
      const got = await latin1.get(key);
      assert.equal(got.content.toString(), 'hello');
      assert.deepEqual(rawBytes(got.res.headers['x-oss-meta-a']), Buffer.from(CHINESE));
      const meta = await latin1.getObjectMeta(key);
      assert.equal(meta.status, 200);
      assert.equal(meta.res.headers['content-length'], '5');
      assert.deepEqual((await latin1.list({ prefix: 'dir/' })).objects.map((o: any) => o.name), [key]);
    });

    test("headerEncoding 'latin1': copy() with new metadata (to a Chinese key) and putMeta() keep the bytes", async () => {
      const source = `src-${signing}.txt`;
      await latin1.put(source, Buffer.from('source'));
      const target = `copy-中文-${signing}.txt`;
      assert.equal((await latin1.copy(target, source, { meta: { a: CHINESE } })).res.status, 200);
      assert.equal((await latin1.head(target)).meta.a, asLatin1(CHINESE));
      assert.equal((await latin1.putMeta(source, { b: CHINESE })).res.status, 200);
      const head = await latin1.head(source);
      assert.deepEqual(head.meta, { b: asLatin1(CHINESE) });
      assert.equal((await latin1.get(source)).content.toString(), 'source');
    });

    test("headerEncoding 'utf-8' (the default): a latin1-range value ('café' goes out as 63 61 66 E9) is verified and returned as sent", async () => {
      const key = `cafe-${signing}.txt`;
      await utf8.put(key, Buffer.from('x'), { meta: { place: 'café' } });
      const head = await utf8.head(key);
      assert.equal(head.meta.place, 'café');
      assert.deepEqual(rawBytes(head.res.headers['x-oss-meta-place']), Buffer.from([0x63, 0x61, 0x66, 0xe9]));
    });
  });
}

/**
 * A V1 header signature over the raw bytes of the headers, as oss2 and Go compute it, sent over a
 * plain socket: Node's own client re-encodes a non-ASCII Content-Disposition when a body is sent.
 */
async function rawSignedPut(bucket: string, key: string, headers: Record<string, Buffer>, body: string, secret = ACCESS_KEY_SECRET): Promise<HttpResponse> {
  const date = new Date().toUTCString();
  const forSigning: Record<string, string> = { date };
  // signV1 hashes the UTF-8 of its input: the decoded text re-encodes to exactly these bytes.
  for (const [name, value] of Object.entries(headers)) forSigning[name] = value.toString('utf8');
  const signature = signV1(secret, v1StringToSign('PUT', forSigning, date, v1CanonicalResource({ bucket, key }, [])));
  const answer = await rawRequest(srv.url, {
    method: 'PUT',
    target: pathStyle(bucket, key),
    headers: [['Date', date], ...Object.entries(headers).map(([n, v]): [string, string] => [n, v.toString('latin1')]), ['Authorization', `OSS ${ACCESS_KEY_ID}:${signature}`]],
    body: Buffer.from(body),
  });
  return { status: answer.status, headers: answer.headers, body: Buffer.from(answer.body), text: answer.body };
}

describe('plain HTTP with raw UTF-8 header bytes (the oss2 / Go form)', () => {
  const bucket = 'hdr-bytes-raw';
  let c: any;
  before(async () => {
    c = srv.client({ bucket });
    await c.putBucket(bucket);
  });

  test("oss2's unicode header test: x-oss-meta-unicode '测试' as UTF-8 bytes is stored and returned as those bytes", async () => {
    const disposition = Buffer.from('attachment; filename="报告.txt"');
    const res = await rawSignedPut(bucket, 'unicode.txt', { 'x-oss-meta-unicode': Buffer.from('测试'), 'content-disposition': disposition }, 'a novel');
    assert.equal(res.status, 200, res.text);
    const got = await c.get('unicode.txt');
    assert.deepEqual(rawBytes(got.res.headers['x-oss-meta-unicode']), Buffer.from('测试'));
    assert.deepEqual(rawBytes(got.res.headers['content-disposition']), disposition);
    assert.deepEqual(rawBytes((await c.head('unicode.txt')).res.headers['x-oss-meta-unicode']), Buffer.from('测试'));
  });

  test('a signature over other bytes than those sent is refused, and nothing is stored', async () => {
    const before = storedFiles(srv);
    const date = new Date().toUTCString();
    const signed = { date, 'x-oss-meta-unicode': '测试' };
    const signature = signV1(ACCESS_KEY_SECRET, v1StringToSign('PUT', signed, date, v1CanonicalResource({ bucket, key: 'forged.txt' }, [])));
    const res = await http(srv, {
      method: 'PUT',
      path: pathStyle(bucket, 'forged.txt'),
      headers: { date, 'x-oss-meta-unicode': Buffer.from('测验').toString('latin1'), authorization: `OSS ${ACCESS_KEY_ID}:${signature}` },
      body: 'x',
    });
    assertOssError(res, 403, 'SignatureDoesNotMatch');
    assertNothingStored(srv, before);
    await rejectsWith(c.head('forged.txt'), 404, 'NoSuchKey');
  });

  test('the 8 KB metadata limit counts bytes as sent: 7,000 bytes of UTF-8 pass, 8,200 do not', async () => {
    const fits = await rawSignedPut(bucket, 'big-meta.txt', { 'x-oss-meta-big': Buffer.from('测'.repeat(2333)) }, 'b');
    assert.equal(fits.status, 200, fits.text);
    assert.deepEqual(rawBytes((await c.head('big-meta.txt')).res.headers['x-oss-meta-big']), Buffer.from('测'.repeat(2333)));
    const before = storedFiles(srv);
    const tooBig = await rawSignedPut(bucket, 'too-big-meta.txt', { 'x-oss-meta-big': Buffer.from('测'.repeat(2734)) }, 'b');
    assertOssError(tooBig, 400, 'InvalidArgument');
    assertNothingStored(srv, before);
  });

  test('listing and GetObjectMeta of the object answer as for any other', async () => {
    await rawSignedPut(bucket, 'listed-测试.txt', { 'x-oss-meta-note': Buffer.from('über 测试') }, 'listed');
    const listed = await c.list({ prefix: 'listed-' });
    assert.deepEqual(listed.objects.map((o: any) => [o.name, o.size]), [['listed-测试.txt', 6]]);
    const meta = await c.getObjectMeta('listed-测试.txt');
    assert.equal(meta.res.headers['content-length'], '6');
  });
});
