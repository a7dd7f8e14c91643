/**
 * The console answers every refusal with the API's own error (status, code, message, request id)
 * and never a 5xx for a client error: the defects of issue 12 (a forbidden download answered 502,
 * an invalid bucket name 500, CR/LF in the login key id 502), then every route of the JSON API
 * driven with hostile values in its path, query and body.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { createLogger } from '../../src/common/log';
import { consoleRoutes } from '../../src/console-server';
import { startTestServer, type TestServer } from '../helpers/server';
import { ConsoleClient } from './helpers';

const OSS_REQUEST_ID = /^[0-9A-F]{24}$/;

let srv: TestServer;
let root: ConsoleClient;
/** A RAM user without any policy. */
let user: ConsoleClient;
const errorLogs: string[] = [];

before(async () => {
  const sink = new Writable({ write(chunk, _enc, done) { errorLogs.push(String(chunk)); done(); } });
  srv = await startTestServer({ logger: createLogger('error', sink) });
  root = new ConsoleClient(srv.consoleUrl);
  assert.equal((await root.login()).status, 200);
  const oss = srv.client({ bucket: 'guarded' });
  await oss.putBucket('guarded');
  await oss.put('secret.txt', Buffer.from('not for everyone'));
  assert.equal((await root.request('POST', '/api/ram/users', { body: { userName: 'nobody' } })).status, 200);
  const key = (await root.request('POST', '/api/ram/users/nobody/access-keys')).json.accessKey;
  user = new ConsoleClient(srv.consoleUrl);
  assert.equal((await user.login(key.accessKeyId, key.accessKeySecret)).status, 200);
});
after(async () => { await srv.close(); });

test('a download the session may not read answers the API\'s 403 AccessDenied with its request id, not 502', async () => {
  const a = await user.request('GET', '/api/buckets/guarded/object/content?key=secret.txt');
  assert.equal(a.status, 403, a.text);
  assert.equal(a.json.error.source, 'oss');
  assert.equal(a.json.error.code, 'AccessDenied');
  assert.match(a.json.error.message, /oss:GetObject/);
  assert.match(a.json.error.requestId, OSS_REQUEST_ID);
  assert.equal(a.headers.get('content-disposition'), null, 'no download was started');
  // The page asks first, and shows the same refusal; the session that may read gets an empty answer.
  const probe = await user.request('GET', '/api/buckets/guarded/object/readable?key=secret.txt');
  assert.equal(probe.status, 403, probe.text);
  assert.deepEqual([probe.json.error.source, probe.json.error.code], ['oss', 'AccessDenied']);
  assert.match(probe.json.error.requestId, OSS_REQUEST_ID);
  const allowed = await root.request('GET', '/api/buckets/guarded/object/readable?key=secret.txt');
  assert.deepEqual([allowed.status, allowed.json], [200, {}]);
  // A missing object is the API's 404 NoSuchKey, as the detail page gets it.
  const missing = await root.request('GET', '/api/buckets/guarded/object/content?key=nothing-here');
  assert.equal(missing.status, 404, missing.text);
  assert.deepEqual([missing.json.error.source, missing.json.error.code], ['oss', 'NoSuchKey']);
  assert.match(missing.json.error.requestId, OSS_REQUEST_ID);
});

test('an invalid bucket name is 400 InvalidBucketName on every bucket route, not 500', async () => {
  for (const path of ['/api/buckets/Bad_Name/objects', '/api/buckets/Bad_Name/object?key=k', '/api/buckets/Bad_Name/count', '/api/buckets/Bad_Name', '/api/buckets/Bad_Name/encryption']) {
    const a = await root.request('GET', path);
    assert.equal(a.status, 400, `${path}: ${a.text}`);
    assert.equal(a.json.error.code, 'InvalidBucketName', path);
    assert.equal(a.json.error.message, 'The specified bucket is not valid.', path);
  }
  const create = await root.request('POST', '/api/buckets', { body: { name: 'Bad_Name', acl: 'private', encryption: { method: 'None' } } });
  assert.equal(create.status, 400, create.text);
  assert.equal(create.json.error.code, 'InvalidBucketName');
});

test('CR/LF or non-ASCII in the login key pair is refused with 400 and sets no cookie', async () => {
  for (const [id, secret] of [['LTAI\r\nX-Injected: 1', 'secret'], ['LTAIkey', 'sec\nret'], ['LTAIключ', 'secret'], ['LTAI key', 'secret']]) {
    const c = new ConsoleClient(srv.consoleUrl);
    const a = await c.login(id, secret);
    assert.equal(a.status, 400, `${JSON.stringify(id)}: ${a.text}`);
    assert.equal(a.json.error.code, 'InvalidArgument');
    assert.deepEqual(a.headers.getSetCookie(), []);
  }
});

test('values no HTTP header may carry (CR/LF, non-Latin-1) are 400 naming the field, not 502', async () => {
  const upload = await root.request('PUT', '/api/buckets/guarded/object?key=k&method=KMS&algorithm=AES256&kmsKeyId=a%0D%0Ab', { raw: Buffer.from('x') });
  assert.equal(upload.status, 400, upload.text);
  assert.equal(upload.json.error.code, 'InvalidArgument');
  assert.match(upload.json.error.message, /x-oss-server-side-encryption-key-id/);
  const init = await root.request('POST', '/api/buckets/guarded/multipart', { body: { key: 'k', contentType: 'text/plain\r\nX-Injected: 1' } });
  assert.equal(init.status, 400, init.text);
  assert.match(init.json.error.message, /content-type/i);
});

/** Values that break naive handling: control characters, non-Latin-1, too long, path tricks, invalid names. */
const HOSTILE = ['Bad_Name', 'a\r\nX-Injected: 1', '\u0000', 'ключ-€-😀', '../..', 'x'.repeat(1100), ' ', '%', '<x>&amp;'];

/** A body with every field any route reads set to `v` (enumerations keep a valid value, so the hostile one goes further). */
const hostileBody = (v: string): Record<string, unknown> => ({
  name: v, key: v, acl: 'private', prefix: v, continuationToken: v, marker: v, contentType: v,
  encryption: { method: 'KMS', algorithm: 'AES256', kmsKeyId: v }, method: 'KMS', algorithm: 'AES256', kmsKeyId: v,
  parts: [{ number: 1, etag: v }],
  userName: v, displayName: v, comments: v, policyName: v, policyType: 'Custom', policyDocument: v, description: v, status: 'Active', setAsDefault: false,
  keySpec: 'Aliyun_AES_256', origin: 'Aliyun_KMS', aliasName: v, enableAutomaticRotation: true, rotationInterval: v, pendingWindowInDays: 7,
  encryptedKeyMaterial: v, importToken: v,
});

test('every console route answers hostile input with a JSON 4xx (or success), never a 5xx, and logs no error', async () => {
  // The session routes are covered above and would log this client out.
  const routes = consoleRoutes.filter((r) => !r.path.startsWith('/api/session'));
  assert.ok(routes.length >= 35, `found ${routes.length} routes`);
  const seen = new Set<string>();
  for (const route of routes) {
    for (const v of HOSTILE) {
      const path = route.path.replace(/:\w+/g, encodeURIComponent(v));
      const query = new URLSearchParams({ key: v, prefix: v, token: v, max: v, page: v, pageSize: v, method: 'KMS', algorithm: 'AES256', kmsKeyId: v });
      const a = await root.request(route.method, `${path}?${query}`, route.method === 'GET' || route.method === 'DELETE' ? {} : { body: hostileBody(v) });
      const what = `${route.method} ${route.path} with ${JSON.stringify(v.slice(0, 20))}`;
      assert.ok(a.status < 500, `${what}: ${a.status} ${a.text.slice(0, 300)}`);
      assert.match(a.headers.get('content-type') ?? '', /^application\/json/, what);
      if (a.status >= 400) {
        assert.equal(typeof a.json.error.code, 'string', what);
        seen.add(a.json.error.code);
      }
    }
  }
  // The API's own refusals came through, not only the console's own checks.
  for (const code of ['InvalidBucketName', 'InvalidArgument', 'Forbidden.KeyNotFound']) assert.ok(seen.has(code), `${code} among ${[...seen].join(', ')}`);
  assert.deepEqual(errorLogs.filter((l) => l.includes('console request failed')), []);
});
