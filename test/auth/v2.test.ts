/**
 * Signature V2 (`OSS2`), header and presigned, as oss2's ProviderAuthV2 (oss2/auth.py) and the Go
 * SDK's AuthV2 (oss/auth.go getSignedStr, oss/conn.go getResource/getSubResource/signURL) compute it.
 * Neither SDK can run here (oss2 is not installable; Debian's Go SDK 1.5.0 predates AuthV2), so
 * the signer below is written from their source, step by step, independently of src/auth:
 *
 *   oss2 __get_bytes_to_sign:
 *     verb + '\n' + content_md5 + '\n' + content_type + '\n' + date + '\n'
 *       + canonicalized_oss_headers + ';'.join(sorted(additional_headers)) + '\n'
 *       + canonicalized_resource
 *   - date: the `date` header; presigned: the expiry time (epoch seconds), set as `date` before signing
 *   - canonicalized_oss_headers: every header whose lower-cased name starts with `x-oss-` or is an
 *     additional header, as `name:value\n`, sorted by name
 *   - additional headers: the requested names (default {'range', 'if-modified-since'}) that the
 *     request has, lower-cased; the Authorization header lists them
 *   - canonicalized_resource: v2_uri_encode('/' + bucket + '/' + key) (or v2_uri_encode('/')),
 *     then '?' + every query parameter, name and value v2_uri_encode'd, sorted by encoded name,
 *     `name=value`, or the bare name when the value is empty, joined by '&'
 *   - v2_uri_encode: each UTF-8 byte outside A-Z a-z 0-9 _ - ~ . as %XX (upper-case), '/' included
 *   - signature: base64(HMAC-SHA256(secret, bytes))
 *   header:  Authorization: OSS2 AccessKeyId:<id>[,AdditionalHeaders:<a;b>],Signature:<signature>
 *   presign: params x-oss-signature-version=OSS2, x-oss-expires, x-oss-access-key-id (Go also
 *            x-oss-additional-headers) are signed; x-oss-signature is added afterwards.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { authenticate, type AuthRequest } from '../../src/auth';
import { CofferError } from '../../src/common/errors';
import { rawRequest } from '../fuzz/raw-http';
import { assertNothingStored, assertOssError, http, storedFiles, type HttpResponse } from '../helpers/oss-http';
import { ACCESS_KEY_ID, ACCESS_KEY_SECRET, startTestServer, type TestServer } from '../helpers/server';
import { AK, SECRET, lookup } from './capture';

/** oss2's v2_uri_encode. */
function v2UriEncode(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9_\-~.]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

interface V2Input {
  method: string;
  bucket?: string;
  key?: string;
  /** Query parameters as the client holds them (decoded). */
  params: Array<[string, string]>;
  /** Header values as text; their UTF-8 is what goes on the wire and what is signed. */
  headers: Record<string, string>;
  additional: string[];
  /** The date line: the Date header, or the expiry for a presigned URL. */
  date: string;
}

function v2StringToSign(r: V2Input): string {
  const lower = Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k.toLowerCase(), v]));
  const canonHeaders = Object.keys(lower)
    .filter((k) => k.startsWith('x-oss-') || r.additional.includes(k))
    .sort()
    .map((k) => `${k}:${lower[k]}\n`)
    .join('');
  const path = r.bucket ? v2UriEncode(`/${r.bucket}/${r.key ?? ''}`) : v2UriEncode('/');
  const params = r.params
    .map(([k, v]) => [v2UriEncode(k), v2UriEncode(v)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => (v ? `${k}=${v}` : k));
  const resource = params.length ? `${path}?${params.join('&')}` : path;
  return `${r.method}\n${lower['content-md5'] ?? ''}\n${lower['content-type'] ?? ''}\n${r.date}\n${canonHeaders}${[...r.additional].sort().join(';')}\n${resource}`;
}

const hmac256 = (secret: string, text: string): string => createHmac('sha256', secret).update(Buffer.from(text, 'utf8')).digest('base64');

function v2Authorization(id: string, signature: string, additional: string[]): string {
  return additional.length ? `OSS2 AccessKeyId:${id},AdditionalHeaders:${additional.join(';')},Signature:${signature}` : `OSS2 AccessKeyId:${id},Signature:${signature}`;
}

/** The AuthRequest the router would build: values on the wire are the UTF-8 bytes, read as latin1. */
function authRequest(r: V2Input, extraHeaders: Record<string, string>, target: { bucket?: string; key?: string }): AuthRequest {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...r.headers, ...extraHeaders })) headers[k.toLowerCase()] = Buffer.from(v, 'utf8').toString('latin1');
  return { method: r.method, headers, rawPath: '/', query: r.params, targets: [target] };
}

describe('V2 vectors computed by hand (authenticate)', () => {
  const date = new Date().toUTCString();

  test('header: every query parameter signed, AdditionalHeaders, a non-ASCII key and metadata', async () => {
    const input: V2Input = {
      method: 'PUT',
      bucket: 'coffer-bkt',
      key: 'dir/a b+c é.txt',
      params: [['x-oss-process', 'image/resize,w_100'], ['acl', ''], ['prefix', '']],
      headers: {
        'Content-MD5': 'XUFAKrxLKna5cZ2REBfFkg==', 'Content-Type': 'text/plain', Date: date,
        'x-oss-meta-city': '杭州', 'X-Oss-Date': date, Range: 'bytes=0-9', 'Cache-Control': 'no-cache',
      },
      additional: ['range'],
      date,
    };
    const stringToSign = v2StringToSign(input);
    // The same string written out by hand, as a check on the reference signer itself.
    assert.equal(stringToSign, [
      'PUT', 'XUFAKrxLKna5cZ2REBfFkg==', 'text/plain', date,
      `range:bytes=0-9\nx-oss-date:${date}\nx-oss-meta-city:杭州\nrange`,
      '%2Fcoffer-bkt%2Fdir%2Fa%20b%2Bc%20%C3%A9.txt?acl&prefix&x-oss-process=image%2Fresize%2Cw_100',
    ].join('\n'));
    const authorization = v2Authorization(AK, hmac256(SECRET, stringToSign), ['range']);
    const result = await authenticate(authRequest(input, { authorization }, { bucket: 'coffer-bkt', key: 'dir/a b+c é.txt' }), lookup);
    assert.deepEqual(result, { kind: 'signed', accessKeyId: AK, version: 'v2', presigned: false, target: { bucket: 'coffer-bkt', key: 'dir/a b+c é.txt' } });
  });

  test('header: service and bucket resources are %2F and %2Fbucket%2F; spaces around fields are allowed', async () => {
    for (const target of [{}, { bucket: 'coffer-bkt' }]) {
      const input: V2Input = { method: 'GET', ...target, params: [], headers: { Date: date }, additional: [], date };
      const stringToSign = v2StringToSign(input);
      assert.ok(stringToSign.endsWith(target.bucket ? '\n\n%2Fcoffer-bkt%2F' : '\n\n%2F'), stringToSign);
      const authorization = `OSS2 AccessKeyId: ${AK}, Signature: ${hmac256(SECRET, stringToSign)}`;
      assert.equal((await authenticate(authRequest(input, { authorization }, target), lookup)).kind, 'signed');
    }
  });

  test('presigned: the expiry is the date line and the signing parameters are signed', async () => {
    const expires = String(Math.floor(Date.now() / 1000) + 600);
    const params: Array<[string, string]> = [
      ['response-content-type', 'text/x y'], ['x-oss-signature-version', 'OSS2'], ['x-oss-expires', expires], ['x-oss-access-key-id', AK],
    ];
    const input: V2Input = { method: 'GET', bucket: 'coffer-bkt', key: 'k.txt', params, headers: {}, additional: [], date: expires };
    const stringToSign = v2StringToSign(input);
    assert.equal(stringToSign, `GET\n\n\n${expires}\n\n%2Fcoffer-bkt%2Fk.txt?response-content-type=text%2Fx%20y&x-oss-access-key-id=${AK}&x-oss-expires=${expires}&x-oss-signature-version=OSS2`);
    const req = authRequest({ ...input, params: [...params, ['x-oss-signature', hmac256(SECRET, stringToSign)]] }, {}, { bucket: 'coffer-bkt', key: 'k.txt' });
    assert.deepEqual(await authenticate(req, lookup), { kind: 'signed', accessKeyId: AK, version: 'v2', presigned: true, target: { bucket: 'coffer-bkt', key: 'k.txt' } });
  });

  test('rejections: a changed parameter, a wrong secret, an unknown key, an expired URL, a skewed or missing Date, malformed fields', async () => {
    const input: V2Input = { method: 'GET', bucket: 'coffer-bkt', key: 'k.txt', params: [['versionId', 'a']], headers: { Date: date }, additional: [], date };
    const target = { bucket: 'coffer-bkt', key: 'k.txt' };
    const good = v2Authorization(AK, hmac256(SECRET, v2StringToSign(input)), []);
    const rejects = async (req: AuthRequest, code: string, check?: (e: CofferError) => void) => {
      await assert.rejects(authenticate(req, lookup), (e: CofferError) => {
        assert.equal(e.code, code);
        check?.(e);
        return true;
      });
    };
    await rejects(authRequest({ ...input, params: [['versionId', 'b']] }, { authorization: good }, target), 'SignatureDoesNotMatch', (e) => {
      assert.equal(e.extras.StringToSign, v2StringToSign({ ...input, params: [['versionId', 'b']] }));
      assert.equal(e.extras.SignatureProvided, /Signature:(.*)$/.exec(good)![1]);
    });
    await rejects(authRequest(input, { authorization: v2Authorization(AK, hmac256(`${SECRET}x`, v2StringToSign(input)), []) }, target), 'SignatureDoesNotMatch');
    await rejects(authRequest(input, { authorization: v2Authorization('LTAIunknown', hmac256(SECRET, v2StringToSign(input)), []) }, target), 'InvalidAccessKeyId');
    const old = new Date(Date.now() - 20 * 60_000).toUTCString();
    const skewed = { ...input, headers: { Date: old }, date: old };
    await rejects(authRequest(skewed, { authorization: v2Authorization(AK, hmac256(SECRET, v2StringToSign(skewed)), []) }, target), 'RequestTimeTooSkewed');
    const expired = String(Math.floor(Date.now() / 1000) - 1);
    const presign: Array<[string, string]> = [['x-oss-signature-version', 'OSS2'], ['x-oss-expires', expired], ['x-oss-access-key-id', AK]];
    const signed = hmac256(SECRET, v2StringToSign({ ...input, params: presign, headers: {}, date: expired }));
    await rejects(authRequest({ ...input, params: [...presign, ['x-oss-signature', signed]], headers: {} }, {}, target), 'AccessDenied', (e) => assert.equal(e.message, 'Request has expired.'));
    for (const authorization of ['OSS2 AccessKeyId:x', 'OSS2 Signature:abc', `OSS2 AccessKeyId:${AK},Signature:`, 'OSS2 garbage']) {
      await rejects(authRequest(input, { authorization }, target), 'InvalidArgument');
    }
    await rejects(authRequest({ ...input, params: [['x-oss-signature-version', 'OSS2'], ['x-oss-access-key-id', AK], ['x-oss-signature', 'x']], headers: {} }, {}, target), 'InvalidArgument');
    // No Date header to sign.
    await rejects(authRequest({ ...input, headers: {} }, { authorization: good }, target), 'InvalidArgument');
  });
});

describe('V2 against a real server', () => {
  let srv: TestServer;
  const BUCKET = 'v2-bucket';
  before(async () => {
    srv = await startTestServer();
    await srv.client({ bucket: BUCKET }).putBucket(BUCKET);
  });
  after(async () => { await srv.close(); });

  /** A V2 header-signed request over a raw socket (header values go out as their UTF-8 bytes). */
  async function v2Request(r: Omit<V2Input, 'date' | 'params'> & { params?: Array<[string, string]>; body?: Buffer; secret?: string; date?: Date }): Promise<HttpResponse> {
    const date = (r.date ?? new Date()).toUTCString();
    const input: V2Input = { ...r, params: r.params ?? [], headers: { ...r.headers, Date: date }, date };
    const authorization = v2Authorization(ACCESS_KEY_ID, hmac256(r.secret ?? ACCESS_KEY_SECRET, v2StringToSign(input)), r.additional);
    const query = input.params.map(([k, v]) => (v ? `${encodeURIComponent(k)}=${encodeURIComponent(v)}` : encodeURIComponent(k))).join('&');
    const target = `/${r.bucket}/${r.key ? encodeURIComponent(r.key) : ''}${query ? `?${query}` : ''}`;
    const headers = Object.entries({ ...input.headers, Authorization: authorization })
      .map(([k, v]): [string, string] => [k, Buffer.from(v, 'utf8').toString('latin1')]);
    const a = await rawRequest(srv.url, { method: r.method, target, headers, body: r.body });
    return { status: a.status, headers: a.headers, body: Buffer.from(a.body, 'utf8'), text: a.body };
  }

  test('PUT, GET with a signed Range (AdditionalHeaders), HEAD; UTF-8 metadata kept byte for byte', async () => {
    const put = await v2Request({
      method: 'PUT', bucket: BUCKET, key: 'dir/v2 é.txt', body: Buffer.from('hello world'),
      headers: { 'Content-Type': 'text/plain', 'x-oss-meta-city': '杭州' }, additional: [],
    });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.headers.etag, '"5EB63BBBE01EEED093CB22BB8F5ACDC3"');
    const ranged = await v2Request({ method: 'GET', bucket: BUCKET, key: 'dir/v2 é.txt', headers: { Range: 'bytes=0-4' }, additional: ['range'] });
    assert.equal(ranged.status, 206, ranged.text);
    assert.equal(ranged.text, 'hello');
    assert.deepEqual(Buffer.from(String(ranged.headers['x-oss-meta-city']), 'latin1'), Buffer.from('杭州'));
    const head = await v2Request({ method: 'HEAD', bucket: BUCKET, key: 'dir/v2 é.txt', headers: {}, additional: [] });
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], '11');
  });

  test('a Range listed in AdditionalHeaders is signed: another Range on the wire is refused', async () => {
    const listed = await v2Request({ method: 'GET', bucket: BUCKET, key: 'dir/v2 é.txt', headers: { Range: 'bytes=6-10' }, additional: ['range'] });
    assert.equal(listed.text, 'world');
    // Sign with Range bytes=0-4 listed, send bytes=6-10: refused.
    const date = new Date().toUTCString();
    const input: V2Input = { method: 'GET', bucket: BUCKET, key: 'k', params: [], headers: { Date: date, Range: 'bytes=0-4' }, additional: ['range'], date };
    const authorization = v2Authorization(ACCESS_KEY_ID, hmac256(ACCESS_KEY_SECRET, v2StringToSign(input)), ['range']);
    const res = await http(srv, { path: `/${BUCKET}/k`, headers: { date, range: 'bytes=6-10', authorization } });
    assertOssError(res, 403, 'SignatureDoesNotMatch');
  });

  test('a V2 presigned GET works until it expires; Go-style x-oss-additional-headers are signed', async () => {
    const key = 'dir/v2 é.txt';
    const url = (expires: number, extra: Array<[string, string]> = [], headers: Record<string, string> = {}, additional: string[] = []) => {
      const params: Array<[string, string]> = [['x-oss-signature-version', 'OSS2'], ['x-oss-expires', String(expires)], ['x-oss-access-key-id', ACCESS_KEY_ID], ...extra];
      const signature = hmac256(ACCESS_KEY_SECRET, v2StringToSign({ method: 'GET', bucket: BUCKET, key, params, headers, additional, date: String(expires) }));
      return `/${BUCKET}/${encodeURIComponent(key)}?${[...params, ['x-oss-signature', signature]].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}`;
    };
    const soon = Math.floor(Date.now() / 1000) + 300;
    const ok = await http(srv, { path: url(soon) });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.text, 'hello world');
    const overridden = await http(srv, { path: url(soon, [['response-content-type', 'text/x-v2']]) });
    assert.equal(overridden.headers['content-type'], 'text/x-v2');
    const withRange = await http(srv, { path: url(soon, [['x-oss-additional-headers', 'range']], { Range: 'bytes=0-4' }, ['range']), headers: { range: 'bytes=0-4' } });
    assert.equal(withRange.status, 206, withRange.text);
    assert.equal(withRange.text, 'hello');
    assertOssError(await http(srv, { path: url(soon, [['x-oss-additional-headers', 'range']], { Range: 'bytes=0-4' }, ['range']), headers: { range: 'bytes=0-5' } }), 403, 'SignatureDoesNotMatch');
    assertOssError(await http(srv, { path: url(Math.floor(Date.now() / 1000) - 5) }), 403, 'AccessDenied');
    assertOssError(await http(srv, { path: url(soon).replace(`x-oss-expires=${soon}`, `x-oss-expires=${soon + 1}`) }), 403, 'SignatureDoesNotMatch');
  });

  test('refused V2 PUTs (wrong secret, skewed clock, unknown key) store nothing', async () => {
    const before = storedFiles(srv);
    const put = (extra: { secret?: string; date?: Date }) => v2Request({ method: 'PUT', bucket: BUCKET, key: 'refused.txt', body: Buffer.from('no'), headers: {}, additional: [], ...extra });
    assertOssError(await put({ secret: 'wrong' }), 403, 'SignatureDoesNotMatch');
    assertOssError(await put({ date: new Date(Date.now() - 30 * 60_000) }), 403, 'RequestTimeTooSkewed');
    const date = new Date().toUTCString();
    const unknown = await http(srv, { method: 'PUT', path: `/${BUCKET}/refused.txt`, headers: { date, authorization: 'OSS2 AccessKeyId:LTAInobody,Signature:AAAA' }, body: 'no' });
    assertOssError(unknown, 403, 'InvalidAccessKeyId');
    assertNothingStored(srv, before);
    assert.equal(await srv.running.coffer.meta.getObject(BUCKET, 'refused.txt'), null);
  });
});
