/**
 * V4 signatures against a real server: the presigned validity window, x-oss-content-sha256, the
 * credential scope's region, and AdditionalHeaders (ali-oss, oss2's header layout, presigned).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server';
import { assertNothingStored, assertOssError, http, rejectsWith, storedFiles } from '../helpers/oss-http';
import { v4Http, v4PresignedPath } from './v4-http';

let srv: TestServer;
let c: any;
const BUCKET = 'v4-server';
const KEY = 'dir/a b+c é.txt';
const MINUTE = 60_000;

before(async () => {
  srv = await startTestServer();
  c = srv.client({ bucket: BUCKET });
  await c.putBucket(BUCKET);
  await c.put(KEY, Buffer.from('original'));
});
after(async () => { await srv.close(); });

describe('V4 presigned URLs are valid from x-oss-date (less 15 minutes of skew) to x-oss-date + x-oss-expires', () => {
  const get = (date: Date, expires: number) => http(srv, { path: v4PresignedPath(srv, { bucket: BUCKET, key: KEY, date, expires }) });

  test('a URL dated 2099 with x-oss-expires=1 is refused today, for reads and writes', async () => {
    const err = assertOssError(await get(new Date('2099-01-01T00:00:00Z'), 1), 403, 'AccessDenied');
    assert.equal(err.Message, 'Request is not yet valid.');
    const before = storedFiles(srv);
    const put = v4PresignedPath(srv, { method: 'PUT', bucket: BUCKET, key: 'future.txt', date: new Date('2099-01-01T00:00:00Z'), expires: 604800 });
    assertOssError(await http(srv, { method: 'PUT', path: put, body: 'from the future' }), 403, 'AccessDenied');
    assertNothingStored(srv, before);
    await rejectsWith(c.head('future.txt'), 404, 'NoSuchKey');
  });

  test('the start allows 15 minutes of clock skew, no more', async () => {
    assert.equal((await get(new Date(Date.now() + 10 * MINUTE), 60)).text, 'original');
    assertOssError(await get(new Date(Date.now() + 20 * MINUTE), 3600), 403, 'AccessDenied');
  });

  test('the end is x-oss-date + x-oss-expires', async () => {
    assert.equal((await get(new Date(Date.now() - 60 * MINUTE), 7200)).text, 'original');
    const err = assertOssError(await get(new Date(Date.now() - 120 * MINUTE), 3600), 403, 'AccessDenied');
    assert.equal(err.Message, 'Request has expired.');
  });

  test('x-oss-expires stays within 1 s … 7 days', async () => {
    assert.equal((await get(new Date(), 604800)).text, 'original');
    for (const expires of [604801, 0]) assertOssError(await get(new Date(), expires), 400, 'InvalidArgument');
  });
});

describe('x-oss-content-sha256', () => {
  const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

  test('a PUT signed for sha256("good") with body "evil" is refused and stores nothing', async () => {
    const before = storedFiles(srv);
    const res = await v4Http(srv, { method: 'PUT', bucket: BUCKET, key: 'sha/evil.txt', headers: { 'x-oss-content-sha256': sha256('good') }, body: 'evil' });
    const err = assertOssError(res, 400, 'InvalidArgument');
    assert.equal(err.Message, 'The value of the x-oss-content-sha256 header is invalid.');
    assert.equal(err.ArgumentName, 'x-oss-content-sha256');
    assertNothingStored(srv, before);
    await rejectsWith(c.head('sha/evil.txt'), 404, 'NoSuchKey');
  });

  test('as in OSS, only UNSIGNED-PAYLOAD is accepted: a matching hash is refused too', async () => {
    const before = storedFiles(srv);
    const res = await v4Http(srv, { method: 'PUT', bucket: BUCKET, key: 'sha/good.txt', headers: { 'x-oss-content-sha256': sha256('good') }, body: 'good' });
    assertOssError(res, 400, 'InvalidArgument');
    assertNothingStored(srv, before);
    const ok = await v4Http(srv, { method: 'PUT', bucket: BUCKET, key: 'sha/good.txt', body: 'good' });
    assert.equal(ok.status, 200, ok.text);
    assert.equal((await c.get('sha/good.txt')).content.toString(), 'good');
  });
});

describe('the credential scope names the server region', () => {
  test('ali-oss V4 with another region → 400 InvalidArgument "The signing region in credential is invalid."', async () => {
    const before = storedFiles(srv);
    const beijing = srv.client({ bucket: BUCKET, authorizationV4: true, region: 'oss-cn-beijing' });
    const err = await rejectsWith(beijing.put('region/x.txt', Buffer.from('x')), 400, 'InvalidArgument');
    assert.match(err.message, /The signing region in credential is invalid\./);
    await rejectsWith(beijing.get(KEY), 400, 'InvalidArgument');
    assertNothingStored(srv, before);
    await rejectsWith(c.head('region/x.txt'), 404, 'NoSuchKey');
    // V1 signs no region: the same client configuration works.
    assert.equal((await srv.client({ bucket: BUCKET, region: 'oss-cn-beijing' }).get(KEY)).content.toString(), 'original');
  });

  test('an empty region, in a header or a presigned URL, gets the same message', async () => {
    const header = assertOssError(await v4Http(srv, { bucket: BUCKET, key: KEY, region: '' }), 400, 'InvalidArgument');
    assert.equal(header.Message, 'The signing region in credential is invalid.');
    for (const region of ['', 'cn-beijing']) {
      const url = v4PresignedPath(srv, { bucket: BUCKET, key: KEY, date: new Date(), expires: 60, region });
      const err = assertOssError(await http(srv, { path: url }), 400, 'InvalidArgument');
      assert.equal(err.Message, 'The signing region in credential is invalid.');
    }
  });
});

describe('V4 AdditionalHeaders', () => {
  test('ali-oss authorizationV4 with additionalHeaders: PUT, GET, HEAD verify, and the headers are signed', async () => {
    const k = srv.client({ bucket: BUCKET, authorizationV4: true });
    const headers = { 'Cache-Control': 'no-cache', 'Content-Disposition': 'attachment' };
    const additionalHeaders = ['cache-control', 'Content-Disposition'];
    await k.put('addl/a.txt', Buffer.from('signed headers'), { headers, additionalHeaders });
    assert.equal((await k.head('addl/a.txt', { headers, additionalHeaders })).res.headers['cache-control'], 'no-cache');
    assert.equal((await k.get('addl/a.txt', { headers: { Range: 'bytes=0-5' }, additionalHeaders: ['range'] })).content.toString(), 'signed');
    const tampered = await v4Http(srv, { bucket: BUCKET, key: 'addl/a.txt', headers: { range: 'bytes=0-5' }, additionalHeaders: ['range'], tamper: { range: 'bytes=0-13' } });
    assertOssError(tampered, 403, 'SignatureDoesNotMatch');
  });

  test("oss2's layout: \", \" separators, AdditionalHeaders last and sorted by first letter only", async () => {
    const oss2Layout = (value: string): string => {
      const fields = Object.fromEntries(value.slice('OSS4-HMAC-SHA256 '.length).split(',').map((f) => [f.slice(0, f.indexOf('=')), f.slice(f.indexOf('=') + 1)]));
      return `OSS4-HMAC-SHA256 Credential=${fields.Credential}, Signature=${fields.Signature}, AdditionalHeaders=content-disposition;cache-control;range`;
    };
    const res = await v4Http(srv, {
      bucket: BUCKET, key: 'addl/a.txt',
      headers: { range: 'bytes=0-5', 'cache-control': 'no-store', 'content-disposition': 'inline' },
      additionalHeaders: ['range', 'cache-control', 'content-disposition'],
      authorization: oss2Layout,
    });
    assert.equal(res.status, 206, res.text);
    assert.equal(res.text, 'signed');
  });

  test('AdditionalHeaders naming Object.prototype members (__proto__, constructor) → 403, never a 500', async () => {
    for (const name of ['__proto__', 'constructor', 'hasOwnProperty']) {
      const header = await v4Http(srv, { bucket: BUCKET, key: KEY, authorization: (v) => v.replace(',Signature=', `,AdditionalHeaders=${name},Signature=`) });
      assertOssError(header, 403, 'SignatureDoesNotMatch');
      const presigned = `${v4PresignedPath(srv, { bucket: BUCKET, key: KEY, date: new Date(), expires: 60 })}&x-oss-additional-headers=${name}`;
      assertOssError(await http(srv, { path: presigned }), 403, 'SignatureDoesNotMatch');
    }
  });

  test('presigned with x-oss-additional-headers: only the signed header value is accepted', async () => {
    const path = v4PresignedPath(srv, { bucket: BUCKET, key: KEY, date: new Date(), expires: 60, headers: { 'cache-control': 'no-cache' }, additionalHeaders: ['cache-control'] });
    assert.equal((await http(srv, { path, headers: { 'cache-control': 'no-cache' } })).text, 'original');
    assertOssError(await http(srv, { path, headers: { 'cache-control': 'max-age=60' } }), 403, 'SignatureDoesNotMatch');
  });
});
