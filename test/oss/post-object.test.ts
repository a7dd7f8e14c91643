/**
 * PostObject, the browser form upload: multipart/form-data bodies built here byte for byte, policies
 * signed by ali-oss's own helpers (calculatePostSignature for V1, signPostObjectPolicyV4 for V4)
 * and by hand where a test needs a broken signature.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { readForm } from '../../src/oss/form-data';
import { assertNothingStored, assertOssError, bytes, etagOf, http, storedFiles, xml, type HttpResponse } from '../helpers/oss-http';
import { ACCESS_KEY_ID, startTestServer, type TestServer } from '../helpers/server';
import { encryptionOf, record } from '../helpers/sse';

let srv: TestServer;
let ali: any;
const BUCKET = 'post-bucket';
before(async () => {
  srv = await startTestServer();
  ali = srv.client({ bucket: BUCKET });
  await ali.putBucket(BUCKET);
});
after(async () => { await srv.close(); });

type Field = [string, string | Buffer];
interface FilePart { filename: string; data: Buffer; contentType?: string }
const BOUNDARY = '----CofferFormBoundary7MA4YWxkTrZu0gW';

/** A multipart/form-data body as browsers send it: fields, the file, then (ignored) fields after it. */
function formBody(fields: Field[], file?: FilePart, after: Field[] = []): Buffer {
  const parts: Buffer[] = [];
  const field = ([name, value]: Field) => parts.push(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n`), Buffer.from(value), Buffer.from('\r\n'));
  fields.forEach(field);
  if (file) {
    parts.push(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${file.filename}"\r\n${file.contentType ? `Content-Type: ${file.contentType}\r\n` : ''}\r\n`), file.data, Buffer.from('\r\n'));
  }
  after.forEach(field);
  parts.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(parts);
}

function post(body: Buffer, opts: { bucket?: string; virtualHost?: boolean } = {}): Promise<HttpResponse> {
  const bucket = opts.bucket ?? BUCKET;
  return http(srv, {
    method: 'POST',
    path: opts.virtualHost ? '/' : `/${bucket}`,
    headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, ...(opts.virtualHost && { host: `${bucket}.oss-${srv.region}.aliyuncs.com` }) },
    body,
  });
}

const inAnHour = () => new Date(Date.now() + 3600_000).toISOString();

/** V1 form fields, signed by ali-oss's calculatePostSignature. */
function v1Fields(policy: object): Field[] {
  const signed = ali.calculatePostSignature(policy);
  return [['OSSAccessKeyId', signed.OSSAccessKeyId], ['policy', signed.policy], ['Signature', signed.Signature]];
}

/** V4 form fields; the policy must name the signing fields (OSS requires them among its conditions). */
function v4Fields(conditions: unknown[], date = new Date()): Field[] {
  const iso = date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const credential = `${ACCESS_KEY_ID}/${iso.slice(0, 8)}/${srv.region}/oss/aliyun_v4_request`;
  const policy = {
    expiration: inAnHour(),
    conditions: [...conditions, { 'x-oss-signature-version': 'OSS4-HMAC-SHA256' }, { 'x-oss-credential': credential }, { 'x-oss-date': iso }],
  };
  const signature = ali.signPostObjectPolicyV4(policy, date);
  return [
    ['policy', Buffer.from(JSON.stringify(policy)).toString('base64')],
    ['x-oss-signature-version', 'OSS4-HMAC-SHA256'], ['x-oss-credential', credential], ['x-oss-date', iso], ['x-oss-signature', signature],
  ];
}

describe('signed uploads', () => {
  test('V1: ${filename} in the key, Content-Type, Cache-Control, UTF-8 metadata; 201 answers the PostResponse XML', async () => {
    const data = Buffer.from('hello from a form');
    const res = await post(formBody([
      ['key', 'uploads/${filename}'], ...v1Fields({ expiration: inAnHour(), conditions: [['starts-with', '$key', 'uploads/'], { bucket: BUCKET }] }),
      ['Content-Type', 'text/x-form'], ['Cache-Control', 'no-cache'], ['x-oss-meta-city', Buffer.from('杭州')], ['success_action_status', '201'],
    ], { filename: 'C:\\Users\\me\\photo 1.txt', data }));
    assert.equal(res.status, 201, res.text);
    const body = xml(res.text).PostResponse;
    assert.equal(body.Bucket, BUCKET);
    assert.equal(body.Key, 'uploads/photo 1.txt');
    assert.equal(body.ETag, etagOf(data));
    assert.equal(res.headers.etag, etagOf(data));
    const got = await ali.get('uploads/photo 1.txt');
    assert.deepEqual(got.content, data);
    assert.equal(got.res.headers['content-type'], 'text/x-form');
    assert.equal(got.res.headers['cache-control'], 'no-cache');
    assert.deepEqual(Buffer.from(got.res.headers['x-oss-meta-city'], 'latin1'), Buffer.from('杭州'));
  });

  test('V4 (virtual-hosted): 204 by default, 200 when asked; the file part\'s Content-Type is used when no field sets one', async () => {
    const data = bytes(3000, 2);
    const res = await post(formBody([['key', 'v4/a.bin'], ...v4Fields([['eq', '$key', 'v4/a.bin']])], { filename: 'a.bin', data, contentType: 'image/png' }), { virtualHost: true });
    assert.equal(res.status, 204, res.text);
    assert.equal(res.body.length, 0);
    assert.equal(res.headers.etag, etagOf(data));
    const head = await ali.head('v4/a.bin');
    assert.equal(head.res.headers['content-type'], 'image/png');
    const ok = await post(formBody([['key', 'v4/b.bin'], ...v4Fields([]), ['success_action_status', '200']], { filename: 'b.bin', data }));
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual((await ali.get('v4/b.bin')).content, data);
  });

  test('success_action_redirect answers 303 to the URL with bucket, key and etag', async () => {
    const data = Buffer.from('redirected');
    const res = await post(formBody([
      ['key', 'redir.txt'], ...v1Fields({ expiration: inAnHour(), conditions: [] }), ['success_action_redirect', 'https://app.example/done?x=1'],
    ], { filename: 'r.txt', data }));
    assert.equal(res.status, 303, res.text);
    const location = new URL(String(res.headers.location));
    assert.equal(location.origin + location.pathname, 'https://app.example/done');
    assert.deepEqual(Object.fromEntries(location.searchParams), { x: '1', bucket: BUCKET, key: 'redir.txt', etag: etagOf(data) });
  });

  test('fields after the file are ignored, as in OSS; a file holding boundary-like bytes arrives intact', async () => {
    const data = Buffer.concat([bytes(200_000, 5), Buffer.from(`\r\n--${BOUNDARY.slice(0, -1)}\r\n--`), bytes(70_000, 6)]);
    const res = await post(formBody([['key', 'late.bin'], ...v1Fields({ expiration: inAnHour(), conditions: [] })], { filename: 'l.bin', data },
      [['x-oss-meta-late', 'yes'], ['key', 'other.bin']]));
    assert.equal(res.status, 204, res.text);
    const got = await ali.get('late.bin');
    assert.deepEqual(got.content, data);
    assert.equal(got.res.headers['x-oss-meta-late'], undefined);
    assert.equal(await srv.running.coffer.meta.getObject(BUCKET, 'other.bin'), null);
  });
});

describe('encryption by form field and by the bucket rule', () => {
  test('x-oss-server-side-encryption AES256 / KMS (+ key id) / SM4 fields encrypt the stored object', async () => {
    for (const [name, fields, algorithm] of [
      ['aes.txt', [['x-oss-server-side-encryption', 'AES256']], 'AES256'],
      ['sm4.txt', [['x-oss-server-side-encryption', 'SM4']], 'SM4'],
      ['kms.txt', [['x-oss-server-side-encryption', 'KMS'], ['x-oss-server-side-data-encryption', 'SM4']], 'KMS'],
    ] as Array<[string, Field[], string]>) {
      const res = await post(formBody([['key', name], ...v1Fields({ expiration: inAnHour(), conditions: [] }), ...fields], { filename: name, data: Buffer.from(`secret ${name}`) }));
      assert.equal(res.status, 204, res.text);
      assert.equal(res.headers['x-oss-server-side-encryption'], algorithm);
      assert.equal(encryptionOf(await record(srv, BUCKET, name))?.algorithm, algorithm);
      assert.equal((await ali.get(name)).content.toString(), `secret ${name}`);
    }
  });

  test('without a field, the bucket\'s default encryption applies as for PUT', async () => {
    const bucket = 'post-default-sse';
    await ali.putBucket(bucket);
    await ali.putBucketEncryption(bucket, { SSEAlgorithm: 'SM4' });
    const res = await post(formBody([['key', 'd.txt'], ...v1Fields({ expiration: inAnHour(), conditions: [] })], { filename: 'd.txt', data: Buffer.from('default') }), { bucket });
    assert.equal(res.status, 204, res.text);
    assert.equal(res.headers['x-oss-server-side-encryption'], 'SM4');
    assert.equal(encryptionOf(await record(srv, bucket, 'd.txt'))?.algorithm, 'SM4');
  });

  test('an unknown algorithm → 400 InvalidEncryptionAlgorithmError; nothing stored', async () => {
    const before = storedFiles(srv);
    const res = await post(formBody([['key', 'bad-sse.txt'], ...v1Fields({ expiration: inAnHour(), conditions: [] }), ['x-oss-server-side-encryption', 'ROT13']], { filename: 'x', data: Buffer.from('x') }));
    assertOssError(res, 400, 'InvalidEncryptionAlgorithmError');
    assertNothingStored(srv, before);
  });
});

describe('refusals change nothing', () => {
  const refused = async (res: Promise<HttpResponse>, status: number, code: string, key: string): Promise<Record<string, string>> => {
    const before = storedFiles(srv);
    const err = assertOssError(await res, status, code);
    assertNothingStored(srv, before);
    assert.equal(await srv.running.coffer.meta.getObject(BUCKET, key), null);
    return err;
  };
  const file = { filename: 'f.bin', data: bytes(1000, 9) };

  test('content-length-range: too large → EntityTooLarge, too small → EntityTooSmall', async () => {
    const range = (min: number, max: number) => v1Fields({ expiration: inAnHour(), conditions: [['content-length-range', min, max]] });
    await refused(post(formBody([['key', 'big.bin'], ...range(1, 999)], file)), 400, 'EntityTooLarge', 'big.bin');
    await refused(post(formBody([['key', 'small.bin'], ...range(1001, 5000)], file)), 400, 'EntityTooSmall', 'small.bin');
    assert.equal((await post(formBody([['key', 'fits.bin'], ...range(1000, 1000)], file))).status, 204);
  });

  test('policy conditions and expiry → 403 AccessDenied "Invalid according to Policy"', async () => {
    const err = await refused(post(formBody([['key', 'elsewhere/x'], ...v1Fields({ expiration: inAnHour(), conditions: [['starts-with', '$key', 'uploads/']] })], file)), 403, 'AccessDenied', 'elsewhere/x');
    assert.match(err.Message, /^Invalid according to Policy: Policy Condition failed: \["starts-with","\$key","uploads\/"\]/);
    await refused(post(formBody([['key', 'b.txt'], ...v1Fields({ expiration: inAnHour(), conditions: [{ bucket: 'another-bucket' }] })], file)), 403, 'AccessDenied', 'b.txt');
    await refused(post(formBody([['key', 'm.txt'], ...v1Fields({ expiration: inAnHour(), conditions: [['in', '$content-type', ['image/png', 'image/jpeg']]] }), ['Content-Type', 'text/html']], file)), 403, 'AccessDenied', 'm.txt');
    const expired = await refused(post(formBody([['key', 'e.txt'], ...v1Fields({ expiration: new Date(Date.now() - 1000).toISOString(), conditions: [] })], file)), 403, 'AccessDenied', 'e.txt');
    assert.match(expired.Message, /Policy expired/);
  });

  test('a tampered policy, a wrong secret, an unknown key → 403; a malformed policy → 400 InvalidPolicyDocument', async () => {
    const fields = v1Fields({ expiration: inAnHour(), conditions: [['starts-with', '$key', 'uploads/']] });
    const loosened = Buffer.from(JSON.stringify({ expiration: inAnHour(), conditions: [] })).toString('base64');
    const tampered = fields.map(([n, v]): Field => [n, n === 'policy' ? loosened : v]);
    await refused(post(formBody([['key', 'anywhere.txt'], ...tampered], file)), 403, 'SignatureDoesNotMatch', 'anywhere.txt');
    const policy = String(fields.find(([n]) => n === 'policy')![1]);
    const wrong = createHmac('sha1', 'not-the-secret').update(policy).digest('base64');
    await refused(post(formBody([['key', 'uploads/w.txt'], ['OSSAccessKeyId', ACCESS_KEY_ID], ['policy', policy], ['Signature', wrong]], file)), 403, 'SignatureDoesNotMatch', 'uploads/w.txt');
    await refused(post(formBody([['key', 'uploads/u.txt'], ['OSSAccessKeyId', 'LTAInobody'], ['policy', policy], ['Signature', wrong]], file)), 403, 'InvalidAccessKeyId', 'uploads/u.txt');
    const notJson = Buffer.from('{"expiration": ').toString('base64');
    await refused(post(formBody([['key', 'j.txt'], ['OSSAccessKeyId', ACCESS_KEY_ID], ['policy', notJson], ['Signature', 'x']], file)), 400, 'InvalidPolicyDocument', 'j.txt');
    const badRange = ali.calculatePostSignature({ expiration: inAnHour(), conditions: [['content-length-range', 10, 'test']] });
    await refused(post(formBody([['key', 'r.txt'], ['OSSAccessKeyId', ACCESS_KEY_ID], ['policy', badRange.policy], ['Signature', badRange.Signature]], file)), 400, 'InvalidPolicyDocument', 'r.txt');
  });

  test('V4: a changed x-oss-date or a signature over another policy → refused', async () => {
    const fields = v4Fields([]);
    const otherDate = fields.map(([n, v]): Field => [n, n === 'x-oss-date' ? String(v).replace(/T\d{2}/, 'T00') : v]);
    await refused(post(formBody([['key', 'v4-date.txt'], ...otherDate], file)), 403, 'AccessDenied', 'v4-date.txt');
    const swapped = fields.map(([n, v]): Field => [n, n === 'x-oss-signature' ? String(v).replace(/^./, (c) => (c === 'a' ? 'b' : 'a')) : v]);
    await refused(post(formBody([['key', 'v4-sig.txt'], ...swapped], file)), 403, 'SignatureDoesNotMatch', 'v4-sig.txt');
  });

  test('no file, no key, a truncated body → 400; a POST that is not a form → 405 as before', async () => {
    const signed = v1Fields({ expiration: inAnHour(), conditions: [] });
    await refused(post(formBody([['key', 'nofile.txt'], ...signed])), 400, 'InvalidArgument', 'nofile.txt');
    await refused(post(formBody([...signed], file)), 400, 'InvalidArgument', 'f.bin');
    const whole = formBody([['key', 'cut.bin'], ...signed], file);
    await refused(post(whole.subarray(0, whole.length - 300)), 400, 'InvalidArgument', 'cut.bin');
    const plain = await http(srv, { method: 'POST', path: `/${BUCKET}`, headers: { 'content-type': 'text/plain' }, body: 'x' });
    assertOssError(plain, 405, 'MethodNotAllowed');
  });
});

describe('anonymous forms', () => {
  test('allowed into a public-read-write bucket only', async () => {
    await ali.putBucket('post-public');
    await ali.putBucketACL('post-public', 'public-read-write');
    const body = (key: string) => formBody([['key', key]], { filename: 'a.txt', data: Buffer.from('anonymous') });
    assert.equal((await post(body('anon.txt'), { bucket: 'post-public' })).status, 204);
    assert.equal((await srv.client({ bucket: 'post-public' }).get('anon.txt')).content.toString(), 'anonymous');
    const before = storedFiles(srv);
    assertOssError(await post(body('anon.txt')), 403, 'AccessDenied');
    assertNothingStored(srv, before);
    // A policy without a signature binds nothing: it is still anonymous, and still checked.
    const unsigned = formBody([['key', 'anon2.txt'], ['policy', Buffer.from(JSON.stringify({ expiration: inAnHour(), conditions: [{ key: 'x' }] })).toString('base64')]], { filename: 'a', data: Buffer.from('a') });
    assertOssError(await post(unsigned, { bucket: 'post-public' }), 403, 'AccessDenied');
  });
});

test('the form reader gives the same fields and file whatever the chunking (1-byte chunks)', async () => {
  const data = bytes(5000, 4);
  const body = formBody([['key', 'k'], ['x-oss-meta-a', Buffer.from('测试')]], { filename: 'n.bin', data, contentType: 'a/b' }, [['late', 'x']]);
  const chunks = [...body].map((b) => Buffer.from([b]));
  const form = await readForm(Readable.from(chunks), BOUNDARY);
  assert.deepEqual([...form.fields.keys()], ['key', 'x-oss-meta-a']);
  assert.deepEqual(form.fields.get('x-oss-meta-a'), Buffer.from('测试'));
  assert.equal(form.file?.filename, 'n.bin');
  assert.equal(form.file?.contentType, 'a/b');
  const got: Buffer[] = [];
  for await (const c of form.file!.data) got.push(c as Buffer);
  assert.deepEqual(Buffer.concat(got), data);
});
