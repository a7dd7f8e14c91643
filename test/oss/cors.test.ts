/**
 * CORS: Put/Get/DeleteBucketCors through ali-oss (V1 and V4) and the raw XML the other SDKs send
 * (oss2 with ResponseVary, the Go SDK's empty lists and MaxAgeSeconds 0), the validation OSS does
 * (each refusal leaves the rules as they were), the unauthenticated preflight OPTIONS answered from
 * the rules, and the CORS headers of actual responses, error responses included.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { goProgram, runGoProgram } from '../helpers/go-sdk';
import { CLIENT_KINDS } from '../helpers/oss-clients';
import { assertOssError, http, pathStyle, rejectsWith, signedHttp, xml, type HttpResponse } from '../helpers/oss-http';
import { newRamUser, ossArn, statement, userOss } from '../helpers/ram';
import { ACCESS_KEY_ID, ACCESS_KEY_SECRET, startTestServer, tempDir, type TestServer } from '../helpers/server';

let srv: TestServer;
before(async () => { srv = await startTestServer(); });
after(async () => { await srv.close(); });

const putCors = (bucket: string, body: string): Promise<HttpResponse> => signedHttp(srv, { method: 'PUT', bucket, query: [['cors', '']], body });
const getCors = (bucket: string): Promise<HttpResponse> => signedHttp(srv, { bucket, query: [['cors', '']] });

/** An unauthenticated preflight, as a browser sends it. */
function preflight(bucket: string, key: string | undefined, headers: Record<string, string>): Promise<HttpResponse> {
  return http(srv, { method: 'OPTIONS', path: pathStyle(bucket, key), headers });
}

const CORS_HEADERS = ['access-control-allow-origin', 'access-control-allow-methods', 'access-control-allow-headers',
  'access-control-expose-headers', 'access-control-max-age'];
const noCorsHeaders = (res: HttpResponse): void => {
  for (const h of CORS_HEADERS) assert.equal(res.headers[h], undefined, h);
};

describe('Put/Get/DeleteBucketCors with ali-oss', () => {
  for (const kind of CLIENT_KINDS.slice(0, 2)) {
    test(`${kind.name}: create, get (as the ali-oss suite expects it), overwrite, delete`, async () => {
      const bucket = `cors-${kind.slug}`;
      const c = kind.make(srv);
      await c.putBucket(bucket);
      const put = await c.putBucketCORS(bucket, [{ allowedOrigin: '*', allowedMethod: 'GET', allowedHeader: '*', exposeHeader: 'Content-Length', maxAgeSeconds: '30' }]);
      assert.equal(put.res.status, 200);
      const got = await c.getBucketCORS(bucket);
      assert.equal(got.res.status, 200);
      assert.deepEqual(got.rules, [{ allowedOrigin: '*', allowedMethod: 'GET', allowedHeader: '*', exposeHeader: 'Content-Length', maxAgeSeconds: '30' }]);

      // A new configuration replaces the old one entirely; absent elements stay absent.
      await c.putBucketCORS(bucket, [{ allowedOrigin: 'localhost', allowedMethod: 'HEAD' }]);
      assert.deepEqual((await c.getBucketCORS(bucket)).rules, [{ allowedOrigin: 'localhost', allowedMethod: 'HEAD' }]);

      await c.putBucketCORS(bucket, [
        { allowedOrigin: ['http://a.example', 'https://*.b.example'], allowedMethod: ['PUT', 'GET', 'POST'], allowedHeader: ['x-oss-meta-*', 'content-type'], exposeHeader: ['ETag', 'x-oss-request-id'], maxAgeSeconds: 600 },
        { allowedOrigin: '*', allowedMethod: 'DELETE' },
      ]);
      assert.deepEqual((await c.getBucketCORS(bucket)).rules, [
        { allowedOrigin: ['http://a.example', 'https://*.b.example'], allowedMethod: ['PUT', 'GET', 'POST'], allowedHeader: ['x-oss-meta-*', 'content-type'], exposeHeader: ['ETag', 'x-oss-request-id'], maxAgeSeconds: '600' },
        { allowedOrigin: '*', allowedMethod: 'DELETE' },
      ]);

      assert.equal((await c.deleteBucketCORS(bucket)).res.status, 204);
      const err = await rejectsWith(c.getBucketCORS(bucket), 404, 'NoSuchCORSConfiguration');
      assert.equal(err.message, 'The CORS Configuration does not exist.');
      // Deleting what is not there is still 204 (ali-oss accepts only 204).
      assert.equal((await c.deleteBucketCORS(bucket)).res.status, 204);
    });
  }

  test('the Go SDK (Debian\'s 1.5.0): SetBucketCORS, GetBucketCORS, DeleteBucketCORS as its own suite calls them', async () => {
    const work = tempDir('coffer-go-cors-');
    try {
      const lines = await runGoProgram(goProgram('cors/main.go'), [srv.url, ACCESS_KEY_ID, ACCESS_KEY_SECRET, 'cors-go-sdk'], work);
      assert.ok(lines.includes('ok GetBucketCORS after delete is NoSuchCORSConfiguration 404'), lines.join('\n'));
      assert.equal(await srv.running.coffer.meta.getBucket('cors-go-sdk'), null);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  test('a bucket that does not exist → 404 NoSuchBucket for all three', async () => {
    const c = srv.client();
    await rejectsWith(c.putBucketCORS('cors-nobucket', [{ allowedOrigin: '*', allowedMethod: 'GET' }]), 404, 'NoSuchBucket');
    await rejectsWith(c.getBucketCORS('cors-nobucket'), 404, 'NoSuchBucket');
    await rejectsWith(c.deleteBucketCORS('cors-nobucket'), 404, 'NoSuchBucket');
  });

  test('RAM: oss:PutBucketCors / GetBucketCors / DeleteBucketCors are authorized like any bucket action', async () => {
    const bucket = 'cors-ram';
    await srv.client().putBucket(bucket);
    const reader = await newRamUser(srv, 'cors-reader', [{ name: 'cors-get-only', document: statement('Allow', 'oss:GetBucketCors', ossArn(srv, bucket)) }]);
    const c = userOss(srv, reader);
    await rejectsWith(c.putBucketCORS(bucket, [{ allowedOrigin: '*', allowedMethod: 'GET' }]), 403, 'AccessDenied');
    await rejectsWith(c.getBucketCORS(bucket), 404, 'NoSuchCORSConfiguration');
    await srv.client().putBucketCORS(bucket, [{ allowedOrigin: '*', allowedMethod: 'GET' }]);
    assert.equal((await c.getBucketCORS(bucket)).rules.length, 1);
    await rejectsWith(c.deleteBucketCORS(bucket), 403, 'AccessDenied');
    assert.equal((await srv.client().getBucketCORS(bucket)).rules.length, 1);
    // Anonymous callers get nothing, even from a public bucket.
    await srv.client().putBucketACL(bucket, 'public-read-write');
    assertOssError(await http(srv, { path: `${pathStyle(bucket)}?cors` }), 403, 'AccessDenied');
  });
});

describe('the CORSConfiguration document', () => {
  const bucket = 'cors-xml';
  before(async () => { await srv.client().putBucket(bucket); });

  test('GET answers the rules in order, then ResponseVary (false unless set), as oss2 and the Go SDK parse it', async () => {
    // oss2's to_put_bucket_cors: no declaration, ResponseVary after the rules.
    const body = '<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>HEAD</AllowedMethod><AllowedMethod>GET</AllowedMethod><AllowedHeader>*</AllowedHeader><MaxAgeSeconds>1000</MaxAgeSeconds></CORSRule><ResponseVary>true</ResponseVary></CORSConfiguration>';
    assert.equal((await putCors(bucket, body)).status, 200);
    const res = await getCors(bucket);
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/xml');
    assert.equal(res.text, '<?xml version="1.0" encoding="UTF-8"?>\n<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>HEAD</AllowedMethod><AllowedMethod>GET</AllowedMethod><AllowedHeader>*</AllowedHeader><MaxAgeSeconds>1000</MaxAgeSeconds></CORSRule><ResponseVary>true</ResponseVary></CORSConfiguration>');

    assert.equal((await putCors(bucket, body.replace('<ResponseVary>true</ResponseVary>', ''))).status, 200);
    assert.equal(xml((await getCors(bucket)).text).CORSConfiguration.ResponseVary, 'false');
  });

  test('the Go SDK\'s form (empty lists omitted, MaxAgeSeconds 0, layout whitespace) is accepted, and GET output can be PUT back', async () => {
    const body = `<CORSConfiguration>
  <CORSRule>
    <AllowedOrigin>*</AllowedOrigin>
    <AllowedMethod>PUT</AllowedMethod>
    <AllowedMethod>GET</AllowedMethod>
    <AllowedMethod>POST</AllowedMethod>
    <MaxAgeSeconds>0</MaxAgeSeconds>
  </CORSRule>
  <CORSRule>
    <AllowedOrigin>http://www.a.com</AllowedOrigin>
    <AllowedOrigin>http://www.b.com</AllowedOrigin>
    <AllowedMethod>GET</AllowedMethod>
    <AllowedHeader>Authorization</AllowedHeader>
    <ExposeHeader>x-oss-test</ExposeHeader>
    <ExposeHeader>x-oss-test1</ExposeHeader>
    <MaxAgeSeconds>200</MaxAgeSeconds>
  </CORSRule>
</CORSConfiguration>`;
    assert.equal((await putCors(bucket, body)).status, 200);
    const first = await getCors(bucket);
    const doc = xml(first.text).CORSConfiguration;
    assert.equal(doc.CORSRule.length, 2);
    assert.deepEqual(doc.CORSRule[0].AllowedMethod, ['PUT', 'GET', 'POST']);
    assert.equal(doc.CORSRule[0].MaxAgeSeconds, '0');
    assert.deepEqual(doc.CORSRule[1].ExposeHeader, ['x-oss-test', 'x-oss-test1']);
    // GetBucketCORSXml then SetBucketCORSXml, as the Go suite does.
    assert.equal((await putCors(bucket, first.text)).status, 200);
    assert.equal((await getCors(bucket)).text, first.text);
  });

  test('values are kept exactly as sent (entities decoded once, no trimming inside a value)', async () => {
    const body = '<CORSConfiguration><CORSRule><AllowedOrigin>http://a.example:8080</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedHeader>x-oss-meta-a&amp;b</AllowedHeader></CORSRule></CORSConfiguration>';
    assert.equal((await putCors(bucket, body)).status, 200);
    const rule = xml((await getCors(bucket)).text).CORSConfiguration.CORSRule;
    assert.equal(rule.AllowedOrigin, 'http://a.example:8080');
    assert.equal(rule.AllowedHeader, 'x-oss-meta-a&b');
  });

  describe('refusals change nothing', () => {
    const kept = '<CORSConfiguration><CORSRule><AllowedOrigin>http://kept.example</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>';
    const rule = (inner: string): string => `<CORSRule>${inner}</CORSRule>`;
    const doc = (...rules: string[]): string => `<CORSConfiguration>${rules.join('')}</CORSConfiguration>`;
    const ok = '<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>';
    const cases: Array<{ name: string; body: string; status: number; code: string; ec?: string; argument?: [string, string] }> = [
      { name: 'no CORSRule', body: doc(), status: 400, code: 'MalformedXML', ec: '0034-00000002' },
      { name: 'eleven rules', body: doc(...Array.from({ length: 11 }, () => rule(ok))), status: 400, code: 'InvalidArgument' },
      { name: 'an AllowedOrigin with two *', body: doc(rule('<AllowedOrigin>http://*.*.example</AllowedOrigin><AllowedMethod>GET</AllowedMethod>')), status: 400, code: 'InvalidArgument', argument: ['AllowedOrigin', 'http://*.*.example'] },
      { name: 'no AllowedOrigin', body: doc(rule('<AllowedMethod>GET</AllowedMethod>')), status: 400, code: 'InvalidArgument' },
      { name: 'an empty AllowedOrigin', body: doc(rule('<AllowedOrigin></AllowedOrigin><AllowedMethod>GET</AllowedMethod>')), status: 400, code: 'InvalidArgument' },
      { name: 'no AllowedMethod', body: doc(rule('<AllowedOrigin>*</AllowedOrigin>')), status: 400, code: 'InvalidArgument' },
      { name: 'AllowedMethod TEST', body: doc(rule('<AllowedOrigin>*</AllowedOrigin><AllowedMethod>TEST</AllowedMethod>')), status: 400, code: 'InvalidArgument', ec: '0034-00000011', argument: ['AllowedMethod', 'TEST'] },
      { name: 'an empty AllowedMethod', body: doc(rule('<AllowedOrigin>*</AllowedOrigin><AllowedMethod></AllowedMethod>')), status: 400, code: 'InvalidArgument', ec: '0034-00000011' },
      { name: 'an ExposeHeader with *', body: doc(rule(`${ok}<ExposeHeader>x-oss-*</ExposeHeader>`)), status: 400, code: 'InvalidArgument', ec: '0034-00000013', argument: ['ExposeHeader', 'x-oss-*'] },
      { name: 'an ExposeHeader with <', body: doc(rule(`${ok}<ExposeHeader>a&lt;b</ExposeHeader>`)), status: 400, code: 'InvalidArgument', ec: '0034-00000013' },
      { name: 'MaxAgeSeconds -1', body: doc(rule(`${ok}<MaxAgeSeconds>-1</MaxAgeSeconds>`)), status: 400, code: 'InvalidArgument', argument: ['MaxAgeSeconds', '-1'] },
      { name: 'MaxAgeSeconds abc', body: doc(rule(`${ok}<MaxAgeSeconds>abc</MaxAgeSeconds>`)), status: 400, code: 'InvalidArgument', argument: ['MaxAgeSeconds', 'abc'] },
      { name: 'two MaxAgeSeconds', body: doc(rule(`${ok}<MaxAgeSeconds>1</MaxAgeSeconds><MaxAgeSeconds>2</MaxAgeSeconds>`)), status: 400, code: 'InvalidArgument' },
      { name: 'ResponseVary maybe', body: `<CORSConfiguration>${rule(ok)}<ResponseVary>maybe</ResponseVary></CORSConfiguration>`, status: 400, code: 'InvalidArgument', argument: ['ResponseVary', 'maybe'] },
      { name: 'a nested element where text belongs', body: doc(rule('<AllowedOrigin><x/></AllowedOrigin><AllowedMethod>GET</AllowedMethod>')), status: 400, code: 'MalformedXML' },
      { name: 'another root', body: '<CORSRules><CORSRule><AllowedOrigin>*</AllowedOrigin></CORSRule></CORSRules>', status: 400, code: 'MalformedXML' },
      { name: 'broken XML', body: '<CORSConfiguration><CORSRule>', status: 400, code: 'MalformedXML' },
      { name: 'an empty body', body: '', status: 400, code: 'MalformedXML' },
    ];
    before(async () => { assert.equal((await putCors(bucket, kept)).status, 200); });
    for (const c of cases) {
      test(c.name, async () => {
        const err = assertOssError(await putCors(bucket, c.body), c.status, c.code);
        if (c.ec) assert.equal(err.EC, c.ec);
        if (c.argument) assert.deepEqual([err.ArgumentName, err.ArgumentValue], c.argument);
        assert.equal(xml((await getCors(bucket)).text).CORSConfiguration.CORSRule.AllowedOrigin, 'http://kept.example');
      });
    }
  });
});

describe('preflight OPTIONS', () => {
  const bucket = 'cors-preflight';
  before(async () => {
    const c = srv.client({ bucket });
    await c.putBucket(bucket);
    await c.put('obj.txt', Buffer.from('hello'));
    await c.putBucketCORS(bucket, [
      { allowedOrigin: 'http://app.example', allowedMethod: ['PUT', 'GET'], allowedHeader: ['content-type', 'x-oss-meta-*'], exposeHeader: ['ETag', 'x-oss-request-id'], maxAgeSeconds: 100 },
      { allowedOrigin: 'https://*.wild.example', allowedMethod: 'GET', maxAgeSeconds: 7 },
      { allowedOrigin: 'www.aliyun.com', allowedMethod: ['PUT', 'GET', 'POST'], allowedHeader: 'x-oss-meta-author', exposeHeader: 'x-oss-meta-name', maxAgeSeconds: 100 },
      { allowedOrigin: '*', allowedMethod: 'HEAD' },
    ]);
  });

  test('an allowed origin, method and headers → 200, no body, the rule\'s headers; on an object and on the bucket, no signature needed', async () => {
    for (const key of ['obj.txt', 'not/stored/yet.bin', undefined]) {
      const res = await preflight(bucket, key, { origin: 'http://app.example', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'Content-Type, X-OSS-Meta-Author' });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.length, 0);
      assert.equal(res.headers['access-control-allow-origin'], 'http://app.example');
      assert.equal(res.headers['access-control-allow-methods'], 'PUT, GET');
      assert.equal(res.headers['access-control-allow-headers'], 'content-type, x-oss-meta-author');
      assert.equal(res.headers['access-control-expose-headers'], 'ETag, x-oss-request-id');
      assert.equal(res.headers['access-control-max-age'], '100');
      assert.match(String(res.headers['x-oss-request-id']), /^[0-9A-F]{24}$/);
      assert.equal(res.headers.vary, undefined);
    }
  });

  test('the Go SDK\'s OptionsMethod case: a bare host as origin, one allowed header and one not', async () => {
    const ok = await preflight(bucket, 'obj.txt', { origin: 'www.aliyun.com', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'x-oss-meta-author' });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers['access-control-allow-origin'], 'www.aliyun.com');
    const refused = await preflight(bucket, 'obj.txt', { origin: 'www.aliyun.com', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'x-oss-meta-author-1' });
    const err = assertOssError(refused, 403, 'AccessForbidden');
    assert.match(err.Message, /^CORSResponse: This CORS request is not allowed/);
    noCorsHeaders(refused);
  });

  test('the first rule that matches decides; one * in an origin matches any run', async () => {
    const wild = await preflight(bucket, 'obj.txt', { origin: 'https://deep.sub.wild.example', 'access-control-request-method': 'GET' });
    assert.equal(wild.status, 200);
    assert.equal(wild.headers['access-control-allow-origin'], 'https://deep.sub.wild.example');
    assert.equal(wild.headers['access-control-max-age'], '7');
    assert.equal(wild.headers['access-control-allow-headers'], undefined);
    // Any origin may HEAD (the last rule), but nothing else.
    assert.equal((await preflight(bucket, 'obj.txt', { origin: 'http://evil.example', 'access-control-request-method': 'HEAD' })).status, 200);
    assertOssError(await preflight(bucket, 'obj.txt', { origin: 'http://evil.example', 'access-control-request-method': 'GET' }), 403, 'AccessForbidden');
    // The wildcard needs its fixed parts: the scheme differs.
    assertOssError(await preflight(bucket, 'obj.txt', { origin: 'http://a.wild.example', 'access-control-request-method': 'GET' }), 403, 'AccessForbidden');
  });

  test('refusals: an origin, a method or a header no rule allows → 403 AccessForbidden, without CORS headers', async () => {
    const refusals: Array<Record<string, string>> = [
      { origin: 'http://other.example', 'access-control-request-method': 'PUT' },
      { origin: 'http://app.example', 'access-control-request-method': 'DELETE' },
      { origin: 'http://app.example', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type, authorization' },
      // Methods are matched exactly.
      { origin: 'http://app.example', 'access-control-request-method': 'put' },
    ];
    for (const headers of refusals) {
      const res = await preflight(bucket, 'obj.txt', headers);
      assertOssError(res, 403, 'AccessForbidden');
      noCorsHeaders(res);
    }
  });

  test('missing Origin or Access-Control-Request-Method → 400 BadRequest naming it; no bucket → 404; no rules → 403', async () => {
    const noOrigin = assertOssError(await preflight(bucket, 'obj.txt', { 'access-control-request-method': 'GET' }), 400, 'BadRequest');
    assert.equal(noOrigin.Message, 'Insufficient information. Origin request header needed.');
    const noMethod = assertOssError(await preflight(bucket, 'obj.txt', { origin: 'http://app.example' }), 400, 'BadRequest');
    assert.equal(noMethod.Message, 'Insufficient information. Request Access-Control-Request-Method header needed.');
    assertOssError(await preflight('cors-nosuch', 'obj.txt', { origin: 'http://app.example', 'access-control-request-method': 'GET' }), 404, 'NoSuchBucket');
    await srv.client().putBucket('cors-none');
    const none = assertOssError(await preflight('cors-none', 'k', { origin: 'http://app.example', 'access-control-request-method': 'GET' }), 403, 'AccessForbidden');
    assert.match(none.Message, /^CORSResponse: CORS is not enabled for this bucket/);
  });

  test('a bogus Authorization header on a preflight is not checked (browsers never sign one)', async () => {
    const res = await preflight(bucket, 'obj.txt', { origin: 'http://app.example', 'access-control-request-method': 'GET', authorization: 'OSS nobody:bad' });
    assert.equal(res.status, 200);
  });

  test('ResponseVary true: Vary: Origin on preflights and on actual responses with or without a match', async () => {
    const b = 'cors-vary';
    await srv.client().putBucket(b);
    await signedHttp(srv, { method: 'PUT', bucket: b, key: 'v.txt', body: 'v' });
    assert.equal((await putCors(b, '<CORSConfiguration><CORSRule><AllowedOrigin>http://app.example</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule><ResponseVary>true</ResponseVary></CORSConfiguration>')).status, 200);
    const pre = await preflight(b, 'v.txt', { origin: 'http://app.example', 'access-control-request-method': 'GET' });
    assert.equal(pre.headers.vary, 'Origin');
    const matched = await signedHttp(srv, { bucket: b, key: 'v.txt', headers: { origin: 'http://app.example' } });
    assert.equal(matched.headers.vary, 'Origin');
    assert.equal(matched.headers['access-control-allow-origin'], 'http://app.example');
    const unmatched = await signedHttp(srv, { bucket: b, key: 'v.txt', headers: { origin: 'http://other.example' } });
    assert.equal(unmatched.status, 200);
    assert.equal(unmatched.headers.vary, 'Origin');
    noCorsHeaders(unmatched);
  });
});

describe('CORS headers on actual requests', () => {
  const bucket = 'cors-actual';
  before(async () => {
    const c = srv.client({ bucket });
    await c.putBucket(bucket);
    await c.put('obj.txt', Buffer.from('hello'));
    await c.putBucketCORS(bucket, [
      { allowedOrigin: 'http://app.example', allowedMethod: ['GET', 'PUT', 'HEAD'], exposeHeader: ['ETag', 'x-oss-request-id'], maxAgeSeconds: 60 },
    ]);
  });
  const corsOf = (res: HttpResponse): Record<string, string | undefined> =>
    Object.fromEntries(CORS_HEADERS.map((h) => [h, res.headers[h] as string | undefined]));
  const expected = { 'access-control-allow-origin': 'http://app.example', 'access-control-allow-methods': 'GET, PUT, HEAD', 'access-control-allow-headers': undefined, 'access-control-expose-headers': 'ETag, x-oss-request-id', 'access-control-max-age': '60' };

  test('GET, HEAD and PUT from an allowed origin carry the rule\'s headers; the request itself is authorized as usual', async () => {
    const get = await signedHttp(srv, { bucket, key: 'obj.txt', headers: { origin: 'http://app.example' } });
    assert.equal(get.status, 200);
    assert.equal(get.text, 'hello');
    assert.deepEqual(corsOf(get), expected);
    const head = await signedHttp(srv, { method: 'HEAD', bucket, key: 'obj.txt', headers: { origin: 'http://app.example' } });
    assert.deepEqual(corsOf(head), expected);
    const put = await signedHttp(srv, { method: 'PUT', bucket, key: 'put.txt', body: 'x', headers: { origin: 'http://app.example' } });
    assert.equal(put.status, 200);
    assert.deepEqual(corsOf(put), expected);
    // Anonymous: a private object stays private, and the browser may read why.
    const anon = await http(srv, { path: pathStyle(bucket, 'obj.txt'), headers: { origin: 'http://app.example' } });
    assertOssError(anon, 403, 'AccessDenied');
    assert.deepEqual(corsOf(anon), expected);
  });

  test('error responses carry them too (NoSuchKey, a bad signature, HEAD with x-oss-err)', async () => {
    const missing = await signedHttp(srv, { bucket, key: 'missing.txt', headers: { origin: 'http://app.example' } });
    assertOssError(missing, 404, 'NoSuchKey');
    assert.deepEqual(corsOf(missing), expected);
    const badSig = await signedHttp(srv, { bucket, key: 'obj.txt', secret: 'wrong', headers: { origin: 'http://app.example' } });
    assertOssError(badSig, 403, 'SignatureDoesNotMatch');
    assert.deepEqual(corsOf(badSig), expected);
    const head = await signedHttp(srv, { method: 'HEAD', bucket, key: 'missing.txt', headers: { origin: 'http://app.example' } });
    assertOssError(head, 404, 'NoSuchKey', true);
    assert.deepEqual(corsOf(head), expected);
  });

  test('no Origin, an origin no rule allows, or a method no rule allows → the response has no CORS headers', async () => {
    for (const headers of [{}, { origin: 'http://other.example' }] as Array<Record<string, string>>) {
      const res = await signedHttp(srv, { bucket, key: 'obj.txt', headers });
      assert.equal(res.status, 200);
      noCorsHeaders(res);
    }
    const del = await signedHttp(srv, { method: 'DELETE', bucket, key: 'put.txt', headers: { origin: 'http://app.example' } });
    assert.equal(del.status, 204);
    noCorsHeaders(del);
  });

  test('a bucket without rules, or no bucket at all → no CORS headers', async () => {
    await srv.client().putBucket('cors-actual-none');
    noCorsHeaders(await signedHttp(srv, { bucket: 'cors-actual-none', headers: { origin: 'http://app.example' } }));
    const none = await signedHttp(srv, { bucket: 'cors-actual-nosuch', headers: { origin: 'http://app.example' } });
    assertOssError(none, 404, 'NoSuchBucket');
    noCorsHeaders(none);
  });
});
