/**
 * The console's JSON API against a real server: sessions (login, cookie flags, CSRF, expiry,
 * logout), the backend calling the OSS and KMS APIs as the logged-in identity (their errors passed
 * through), streamed uploads and downloads, re-encryption, the static app and /metrics.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../../src/common/log';
import { filesContaining } from '../helpers/data-dir';
import { createKey, kmsClient } from '../helpers/kms';
import { ACCESS_KEY_ID, ACCESS_KEY_SECRET, startTestServer, tempDir, type TestServer } from '../helpers/server';
import { ConsoleClient, received } from './helpers';

let srv: TestServer;
const logLines: string[] = [];

before(async () => {
  // Every log line the server writes, at the most verbose level, for the "secret never logged" check.
  const sink = new Writable({ write(chunk, _enc, done) { logLines.push(String(chunk)); done(); } });
  srv = await startTestServer({ logger: createLogger('debug', sink) });
});
after(async () => { await srv.close(); });

const loggedIn = async (): Promise<ConsoleClient> => {
  const c = new ConsoleClient(srv.consoleUrl);
  assert.equal((await c.login()).status, 200);
  return c;
};

test('without a session every API call is refused with 401 and a JSON error', async () => {
  const c = new ConsoleClient(srv.consoleUrl);
  for (const [method, path] of [['GET', '/api/session'], ['GET', '/api/buckets'], ['DELETE', '/api/buckets/x'], ['GET', '/api/kms/keys'], ['POST', '/api/kms/keys'], ['GET', '/api/nowhere']]) {
    const a = await c.request(method, path, { body: method === 'POST' ? {} : undefined });
    assert.equal(a.status, 401, `${method} ${path}`);
    assert.match(a.headers.get('content-type')!, /^application\/json/);
    assert.equal(a.json.error.code, 'NotLoggedIn');
  }
  // A made-up cookie is no session either.
  c.cookie = `coffer_session=${randomBytes(32).toString('base64url')}`;
  assert.equal((await c.request('GET', '/api/buckets')).status, 401);
});

test('a wrong secret or an unknown AccessKey ID is refused with the OSS error, and no cookie is set', async () => {
  const c = new ConsoleClient(srv.consoleUrl);
  const wrong = await c.login(ACCESS_KEY_ID, 'not-the-secret');
  assert.equal(wrong.status, 401);
  assert.equal(wrong.json.error.code, 'SignatureDoesNotMatch');
  assert.equal(wrong.json.error.source, 'oss');
  assert.match(wrong.json.error.requestId, /^[0-9A-F]{24}$/);
  assert.deepEqual(wrong.headers.getSetCookie(), []);
  const unknown = await c.login('LTAInosuchkey', ACCESS_KEY_SECRET);
  assert.equal(unknown.status, 401);
  assert.equal(unknown.json.error.code, 'InvalidAccessKeyId');
  assert.equal((await c.request('GET', '/api/session')).status, 401);
});

test('login only takes JSON: a cross-site form cannot log a browser in', async () => {
  const c = new ConsoleClient(srv.consoleUrl);
  const a = await c.request('POST', '/api/session', {
    body: `accessKeyId=${ACCESS_KEY_ID}&accessKeySecret=${ACCESS_KEY_SECRET}`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  assert.equal(a.status, 415);
  assert.deepEqual(a.headers.getSetCookie(), []);
});

test('login sets an HttpOnly, SameSite=Strict cookie and answers the identity and a CSRF token', async () => {
  const c = new ConsoleClient(srv.consoleUrl);
  const a = await c.login();
  assert.equal(a.status, 200);
  const [cookie] = a.headers.getSetCookie();
  const attrs = cookie.split(';').map((s) => s.trim());
  assert.match(attrs[0], /^coffer_session=[A-Za-z0-9_-]{43}$/);
  assert.ok(attrs.includes('HttpOnly'));
  assert.ok(attrs.includes('SameSite=Strict'));
  assert.ok(attrs.includes('Path=/'));
  assert.ok(attrs.includes(`Max-Age=${8 * 3600}`));
  // Plain HTTP here: a Secure cookie would never come back.
  assert.ok(!attrs.includes('Secure'));
  assert.equal(a.headers.get('cache-control'), 'no-store');
  assert.deepEqual(a.json.identity, { kind: 'root', accountId: srv.running.coffer.accountId, accessKeyId: ACCESS_KEY_ID });
  assert.match(a.json.csrfToken, /^[A-Za-z0-9_-]{43}$/);
  const again = await c.request('GET', '/api/session');
  assert.equal(again.status, 200);
  assert.equal(again.json.csrfToken, a.json.csrfToken);
});

test('every state-changing request needs the session\'s X-CSRF-Token; without it nothing changes', async () => {
  const c = await loggedIn();
  const oss = srv.client();
  for (const csrf of [null, 'x'.repeat(43), (await loggedIn()).csrfToken]) {
    const a = await c.request('POST', '/api/buckets', { body: { name: 'csrf-bucket', acl: 'private', encryption: { method: 'None' } }, csrf });
    assert.equal(a.status, 403);
    assert.equal(a.json.error.code, 'InvalidCsrfToken');
  }
  assert.equal(((await oss.listBuckets()).buckets ?? []).some((b: { name: string }) => b.name === 'csrf-bucket'), false);
  for (const [method, path] of [['DELETE', '/api/session'], ['PUT', '/api/buckets/csrf-bucket/encryption'], ['DELETE', '/api/buckets/csrf-bucket']]) {
    assert.equal((await c.request(method, path, { csrf: null })).status, 403, `${method} ${path}`);
  }
  const ok = await c.request('POST', '/api/buckets', { body: { name: 'csrf-bucket', acl: 'private', encryption: { method: 'None' } } });
  assert.equal(ok.status, 200, ok.text);
  assert.ok((await oss.listBuckets()).buckets.some((b: { name: string }) => b.name === 'csrf-bucket'));
});

test('a session ends after its idle time, and after its absolute lifetime however busy', async () => {
  let clock = Date.now();
  const short = await startTestServer({ now: () => clock, consoleSessions: { idleMs: 60_000, maxMs: 150_000 } });
  try {
    const c = new ConsoleClient(short.consoleUrl);
    assert.equal((await c.login()).status, 200);
    clock += 59_000;
    assert.equal((await c.request('GET', '/api/buckets')).status, 200);
    clock += 60_000;
    const idle = await c.request('GET', '/api/buckets');
    assert.equal(idle.status, 401);
    assert.equal(idle.json.error.code, 'NotLoggedIn');

    assert.equal((await c.login()).status, 200);
    for (let i = 0; i < 3; i++) {
      clock += 45_000;
      assert.equal((await c.request('GET', '/api/session')).status, 200, `busy at ${(i + 1) * 45} s`);
    }
    clock += 15_000;
    assert.equal((await c.request('GET', '/api/session')).status, 401);
  } finally {
    await short.close();
  }
});

test('logout ends the session and clears the cookie', async () => {
  const c = await loggedIn();
  const a = await c.request('DELETE', '/api/session');
  assert.equal(a.status, 200);
  assert.match(a.headers.getSetCookie()[0], /^coffer_session=; Path=\/; HttpOnly; SameSite=Strict; Max-Age=0$/);
  assert.equal((await c.request('GET', '/api/session')).status, 401);
});

test('a session survives a restart (secret sealed at rest, the same cookie and CSRF token); logout removes it from the store', async () => {
  const dataDir = tempDir('coffer-console-restart-');
  let first: TestServer | null = await startTestServer({ dataDir });
  let second: TestServer | null = null;
  try {
    const root = new ConsoleClient(first.consoleUrl);
    assert.equal((await root.login()).status, 200);
    assert.equal((await root.request('POST', '/api/ram/users', { body: { userName: 'stays-logged-in' } })).status, 200);
    const key = (await root.request('POST', '/api/ram/users/stays-logged-in/access-keys')).json.accessKey;
    const before = new ConsoleClient(first.consoleUrl);
    assert.equal((await before.login(key.accessKeyId, key.accessKeySecret)).status, 200);
    assert.deepEqual(filesContaining(dataDir, [Buffer.from(key.accessKeySecret)]), []);
    await first.close();
    first = null;

    second = await startTestServer({ dataDir });
    const after = new ConsoleClient(second.consoleUrl);
    after.cookie = before.cookie;
    after.csrfToken = before.csrfToken;
    const session = await after.request('GET', '/api/session');
    assert.equal(session.status, 200, session.text);
    assert.equal(session.json.identity.userName, 'stays-logged-in');
    assert.equal(session.json.csrfToken, before.csrfToken);
    // Signed with the restored secret: OSS checks the signature, then refuses a user without policies.
    const create = await after.request('POST', '/api/buckets', { body: { name: 'not-allowed', acl: 'private', encryption: { method: 'None' } } });
    assert.equal(create.status, 403, create.text);
    assert.deepEqual([create.json.error.source, create.json.error.code], ['oss', 'AccessDenied']);
    assert.equal((await after.request('POST', '/api/buckets', { body: {}, csrf: 'forged' })).json.error.code, 'InvalidCsrfToken');

    assert.equal((await after.request('DELETE', '/api/session')).status, 200);
    const stored = await second.running.coffer.meta.listDocs<{ identity: { accessKeyId: string } }>('console-session', { limit: 100 });
    assert.ok(stored.length >= 1, 'the root session is still stored');
    assert.ok(stored.every((d) => d.identity.accessKeyId !== key.accessKeyId));
    await second.close();
    second = await startTestServer({ dataDir });
    const gone = new ConsoleClient(second.consoleUrl);
    gone.cookie = before.cookie;
    assert.equal((await gone.request('GET', '/api/session')).status, 401);
  } finally {
    await first?.close();
    await second?.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('expired sessions are cleared out of the store by the background sweep, live ones stay', async () => {
  const dataDir = tempDir('coffer-console-sweep-');
  let clock = Date.now();
  const limits = { idleMs: 60_000, maxMs: 3_600_000 };
  let first: TestServer | null = await startTestServer({ dataDir, now: () => clock, consoleSessions: limits });
  let second: TestServer | null = null;
  try {
    assert.equal((await new ConsoleClient(first.consoleUrl).login()).status, 200);
    assert.equal((await first.running.coffer.meta.listDocs('console-session', { limit: 10 })).length, 1);
    await first.close();
    first = null;
    // The next server's clock is past the idle limit: its sweep, soon after start, removes the session.
    clock += limits.idleMs + 1;
    second = await startTestServer({ dataDir, now: () => clock, consoleSessions: limits });
    const fresh = new ConsoleClient(second.consoleUrl);
    assert.equal((await fresh.login()).status, 200);
    const meta = second.running.coffer.meta;
    const deadline = Date.now() + 10_000;
    while ((await meta.listDocs('console-session', { limit: 10 })).length !== 1 && Date.now() < deadline) await sleep(100);
    const left = await meta.listDocs<{ lastSeenAt: number }>('console-session', { limit: 10 });
    assert.equal(left.length, 1, 'only the new session is stored');
    assert.equal(left[0].lastSeenAt, clock);
  } finally {
    await first?.close();
    await second?.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a refused or failed action answers the API\'s own error: status, code, message, request id', async () => {
  const c = await loggedIn();
  const bucket = await c.request('GET', '/api/buckets/no-such-bucket');
  assert.equal(bucket.status, 404);
  assert.equal(bucket.json.error.source, 'oss');
  assert.equal(bucket.json.error.code, 'NoSuchBucket');
  assert.match(bucket.json.error.message, /does not exist/);
  assert.match(bucket.json.error.requestId, /^[0-9A-F]{24}$/);
  const key = await c.request('GET', '/api/kms/keys/00000000-0000-0000-0000-000000000000');
  assert.equal(key.status, 404);
  assert.equal(key.json.error.source, 'kms');
  assert.equal(key.json.error.code, 'Forbidden.KeyNotFound');
  assert.match(key.json.error.requestId, /^[0-9A-F-]{36}$/);
  const bad = await c.request('POST', '/api/buckets', { body: { name: 'x', acl: 'private', encryption: { method: 'Maybe' } } });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error.source, 'console');
});

test('buckets, uploads (single and multipart), object detail, download and re-encryption run through the OSS API', async () => {
  const c = await loggedIn();
  const oss = srv.client({ bucket: 'console-objects' });
  const keyId = await createKey(kmsClient(srv), {});
  const created = await c.request('POST', '/api/buckets', {
    body: { name: 'console-objects', acl: 'public-read', encryption: { method: 'KMS', algorithm: 'SM4', kmsKeyId: keyId } },
  });
  assert.equal(created.status, 200, created.text);
  const list = await c.request('GET', '/api/buckets');
  assert.deepEqual(list.json.buckets.find((b: { name: string }) => b.name === 'console-objects'), {
    name: 'console-objects', region: 'oss-cn-hangzhou', createdAt: list.json.buckets.find((b: { name: string }) => b.name === 'console-objects').createdAt,
    storageClass: 'Standard', acl: 'public-read', encryption: { method: 'KMS', algorithm: 'SM4', kmsKeyId: keyId },
  });

  // A single PUT with its own encryption, which wins over the bucket default.
  const small = randomBytes(1000);
  const put = await c.request('PUT', '/api/buckets/console-objects/object?key=dir/small.bin&method=OSS&algorithm=SM4', {
    raw: small, headers: { 'content-type': 'application/x-test' },
  });
  assert.equal(put.status, 200, put.text);
  const smallHead = (await oss.head('dir/small.bin')).res.headers;
  assert.equal(smallHead['x-oss-server-side-encryption'], 'SM4');
  assert.equal(smallHead['content-type'], 'application/x-test');

  // Multipart without an encryption choice: the bucket default (KMS with the CMK, SM4 data) applies.
  const big = randomBytes(300 * 1024 + 17);
  const init = await c.request('POST', '/api/buckets/console-objects/multipart', { body: { key: 'dir/big.bin', contentType: 'application/octet-stream' } });
  assert.equal(init.status, 200, init.text);
  const parts = [];
  for (const [n, slice] of [[1, big.subarray(0, 200 * 1024)], [2, big.subarray(200 * 1024)]] as const) {
    const p = await c.request('PUT', `/api/buckets/console-objects/multipart/${encodeURIComponent(init.json.uploadId)}/${n}?key=dir/big.bin`, { raw: slice });
    assert.equal(p.status, 200, p.text);
    parts.push({ number: n, etag: p.json.etag });
  }
  const done = await c.request('POST', `/api/buckets/console-objects/multipart/${encodeURIComponent(init.json.uploadId)}/complete`, { body: { key: 'dir/big.bin', parts } });
  assert.equal(done.status, 200, done.text);

  const detail = await c.request('GET', '/api/buckets/console-objects/object?key=dir/big.bin');
  assert.equal(detail.status, 200, detail.text);
  const bigHead = (await oss.head('dir/big.bin')).res.headers;
  assert.equal(detail.json.size, big.length);
  assert.equal(detail.json.etag, bigHead.etag);
  assert.equal(detail.json.crc64, bigHead['x-oss-hash-crc64ecma']);
  assert.equal(detail.json.objectType, 'Multipart');
  assert.equal(detail.json.acl, 'default');
  assert.deepEqual(detail.json.encryption, { method: 'KMS', algorithm: 'SM4', kmsKeyId: keyId });

  const download = await fetch(`${srv.consoleUrl}/api/buckets/console-objects/object/content?key=dir/big.bin`, { headers: { cookie: c.cookie } });
  assert.equal(download.status, 200);
  assert.equal(download.headers.get('content-disposition'), "attachment; filename*=UTF-8''big.bin");
  assert.ok(Buffer.from(await download.arrayBuffer()).equals(big));

  const listing = await c.request('GET', '/api/buckets/console-objects/objects?prefix=dir/&max=1');
  assert.deepEqual(listing.json.objects.map((o: { key: string }) => o.key), ['dir/big.bin']);
  const next = await c.request('GET', `/api/buckets/console-objects/objects?prefix=dir/&max=1&token=${encodeURIComponent(listing.json.nextToken)}`);
  assert.deepEqual(next.json.objects.map((o: { key: string }) => o.key), ['dir/small.bin']);
  assert.equal(next.json.nextToken, null);

  // The rule changes; stored objects do not, until re-encrypted batch by batch.
  const set = await c.request('PUT', '/api/buckets/console-objects/encryption', { body: { method: 'OSS', algorithm: 'AES256' } });
  assert.deepEqual(set.json.rule, { method: 'OSS', algorithm: 'AES256' });
  assert.equal((await oss.head('dir/big.bin')).res.headers['x-oss-server-side-encryption'], 'KMS');
  const count = await c.request('GET', '/api/buckets/console-objects/count?prefix=dir/');
  assert.deepEqual(count.json, { count: 2, capped: false });
  const batch = await c.request('POST', '/api/buckets/console-objects/reencrypt', { body: { prefix: 'dir/', encryption: set.json.rule } });
  assert.deepEqual(batch.json, { processed: 2, failed: [], continuationToken: null });
  for (const k of ['dir/big.bin', 'dir/small.bin']) {
    const h = (await oss.head(k)).res.headers;
    assert.equal(h['x-oss-server-side-encryption'], 'AES256', k);
    assert.equal(h['x-oss-server-side-encryption-key-id'], undefined, k);
  }
  assert.ok(Buffer.from((await oss.get('dir/big.bin')).content).equals(big));

  assert.equal((await c.request('DELETE', '/api/buckets/console-objects/object?key=dir/small.bin')).status, 200);
  await assert.rejects(oss.head('dir/small.bin'), { status: 404 });
});

test("an object's versions: listed newest first, one downloaded, one deleted for good", async () => {
  const c = await loggedIn();
  const v = srv.client({ bucket: 'console-versions' });
  await v.putBucket('console-versions');
  await v.putBucketVersioning('console-versions', 'Enabled');
  const first = randomBytes(500);
  const ids = [
    (await v.put('doc', first, { headers: { 'x-oss-server-side-encryption': 'AES256' } })).res.headers['x-oss-version-id'],
    (await v.put('doc', randomBytes(700))).res.headers['x-oss-version-id'],
  ];
  const markerId = (await v.delete('doc')).res.headers['x-oss-version-id'];
  await v.put('doc2', randomBytes(10));
  const listed = await c.request('GET', '/api/buckets/console-versions/object/versions?key=doc');
  assert.equal(listed.status, 200, listed.text);
  assert.deepEqual(listed.json.versions.map((x: any) => [x.versionId, x.latest, x.deleteMarker, x.size]), [
    [ids[1], false, false, 700], [ids[0], false, false, 500], [markerId, true, true, undefined],
  ]);
  const readable = await c.request('GET', `/api/buckets/console-versions/object/readable?key=doc&versionId=${ids[0]}`);
  assert.equal(readable.status, 200, readable.text);
  const download = await fetch(`${srv.consoleUrl}/api/buckets/console-versions/object/content?key=doc&versionId=${ids[0]}`, { headers: { cookie: c.cookie } });
  assert.equal(download.status, 200);
  assert.ok(Buffer.from(await download.arrayBuffer()).equals(first));
  assert.equal((await c.request('DELETE', `/api/buckets/console-versions/object?key=doc&versionId=${markerId}`)).status, 200);
  assert.equal((await v.get('doc')).res.headers['x-oss-version-id'], ids[1]);
  const after = await c.request('GET', '/api/buckets/console-versions/object/versions?key=doc');
  assert.deepEqual(after.json.versions.map((x: any) => [x.versionId, x.latest]), [[ids[1], true], [ids[0], false]]);
});

test('KMS keys: create with an alias, list, detail with versions, disable, BYOK parameters', async () => {
  const c = await loggedIn();
  const created = await c.request('POST', '/api/kms/keys', {
    body: { description: 'console key', keySpec: 'Aliyun_AES_256', origin: 'Aliyun_KMS', enableAutomaticRotation: true, rotationInterval: '30d', aliasName: 'console-api' },
  });
  assert.equal(created.status, 200, created.text);
  const { keyId } = created.json;
  const list = await c.request('GET', '/api/kms/keys?pageSize=100');
  const row = list.json.keys.find((k: { keyId: string }) => k.keyId === keyId);
  assert.deepEqual(
    [row.aliases, row.keySpec, row.origin, row.keyState, row.automaticRotation, row.description],
    [['alias/console-api'], 'Aliyun_AES_256', 'Aliyun_KMS', 'Enabled', 'Enabled', 'console key'],
  );
  assert.equal((await c.request('POST', `/api/kms/keys/${keyId}/versions`)).status, 200);
  const detail = await c.request('GET', `/api/kms/keys/${keyId}`);
  assert.equal(detail.json.versions.length, 2);
  const disabled = await c.request('POST', `/api/kms/keys/${keyId}/disable`);
  assert.equal(disabled.json.key.keyState, 'Disabled');

  const external = await c.request('POST', '/api/kms/keys', { body: { keySpec: 'Aliyun_SM4', origin: 'EXTERNAL', enableAutomaticRotation: false } });
  const params = await c.request('POST', `/api/kms/keys/${external.json.keyId}/import-parameters`);
  assert.equal(params.status, 200, params.text);
  assert.equal(Buffer.from(params.json.publicKey, 'base64')[0], 0x30, 'a DER SubjectPublicKeyInfo');
  const refused = await c.request('POST', `/api/kms/keys/${external.json.keyId}/import`, {
    body: { encryptedKeyMaterial: randomBytes(256).toString('base64'), importToken: params.json.importToken },
  });
  assert.equal(refused.status, 400);
  assert.equal(refused.json.error.code, 'InvalidKeyMaterial');
});

test('the built app is served: pages fall back to index.html, hashed assets are cached, nothing outside is reachable', async () => {
  const index = await fetch(`${srv.consoleUrl}/`);
  assert.equal(index.status, 200);
  assert.equal(index.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.equal(index.headers.get('cache-control'), 'no-cache');
  assert.match(index.headers.get('content-security-policy')!, /default-src 'self'/);
  assert.equal(index.headers.get('x-frame-options'), 'DENY');
  const html = await index.text();
  const page = await fetch(`${srv.consoleUrl}/buckets/some-bucket/encryption`);
  assert.equal(await page.text(), html);
  const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1];
  const js = await fetch(srv.consoleUrl + script);
  assert.equal(js.status, 200);
  assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.equal(js.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  for (const path of ['/assets/missing.js', '/%2e%2e/package.json', '/..%2f..%2fpackage.json']) {
    assert.equal((await fetch(srv.consoleUrl + path)).status, 404, path);
  }
  assert.equal((await fetch(`${srv.consoleUrl}/`, { method: 'POST' })).status, 405);
});

test('/metrics serves Prometheus text with OSS and RPC request counters and KMS call counts', async () => {
  const c = await loggedIn();
  const before = srv.running.metrics.value('coffer_rpc_requests_total', { version: '2016-01-20', action: 'CreateKey', status: '200' });
  const keysBefore = srv.running.metrics.value('coffer_kms_calls_total', { action: 'CreateKey', outcome: 'ok', via: 'api' });
  assert.equal((await c.request('POST', '/api/kms/keys', { body: { keySpec: 'Aliyun_AES_256', origin: 'Aliyun_KMS' } })).status, 200);
  assert.equal((await c.request('GET', '/api/buckets/no-such-bucket')).status, 404);
  const res = await fetch(`${srv.consoleUrl}/metrics`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  const text = await res.text();
  assert.match(text, /^# TYPE coffer_oss_requests_total counter$/m);
  // Every series also names the node that serves it.
  assert.match(text, /^coffer_oss_requests_total\{operation="ListBuckets",status="200",node="[^"]+"\} [1-9]\d*$/m);
  assert.match(text, /^coffer_oss_requests_total\{operation="GetBucketInfo",status="404",node="[^"]+"\} [1-9]\d*$/m);
  assert.match(text, /^# TYPE coffer_rpc_requests_total counter$/m);
  assert.match(text, new RegExp(`^coffer_rpc_requests_total\\{version="2016-01-20",action="CreateKey",status="200",node="[^"]+"\\} ${before + 1}$`, 'm'));
  // Key ids are left out of the labels unless the server runs with --metrics-key-ids.
  assert.match(text, new RegExp(`^coffer_kms_calls_total\\{action="CreateKey",outcome="ok",via="api",node="[^"]+"\\} ${keysBefore + 1}$`, 'm'));
  assert.doesNotMatch(text, /key="/);
  // The page's own view reads the same text under its session.
  const own = await c.request('GET', '/api/metrics');
  assert.equal(own.status, 200);
  assert.match(own.text, /^# TYPE coffer_oss_requests_total counter$/m);
  assert.equal((await new ConsoleClient(srv.consoleUrl).request('GET', '/api/metrics')).status, 401);
});

test('a RAM user logs in even when refused ListBuckets, and sees each API\'s refusal', async () => {
  const root = await loggedIn();
  assert.equal((await root.request('POST', '/api/ram/users', { body: { userName: 'no-rights' } })).status, 200);
  const key = (await root.request('POST', '/api/ram/users/no-rights/access-keys')).json.accessKey;
  const user = new ConsoleClient(srv.consoleUrl);
  const login = await user.login(key.accessKeyId, key.accessKeySecret);
  assert.equal(login.status, 200, login.text);
  assert.deepEqual(login.json.identity, { kind: 'user', accountId: srv.running.coffer.accountId, accessKeyId: key.accessKeyId, userName: 'no-rights' });
  const buckets = await user.request('GET', '/api/buckets');
  assert.equal(buckets.status, 403);
  assert.deepEqual([buckets.json.error.source, buckets.json.error.code], ['oss', 'AccessDenied']);
  const keys = await user.request('GET', '/api/kms/keys');
  assert.equal(keys.status, 403);
  assert.deepEqual([keys.json.error.source, keys.json.error.code], ['kms', 'Forbidden.NoPermission']);
  const users = await user.request('GET', '/api/ram/users');
  assert.equal(users.status, 403);
  assert.equal(users.json.error.source, 'ram');
  // A disabled key proves nothing: no new session.
  assert.equal((await root.request('PUT', `/api/ram/users/no-rights/access-keys/${key.accessKeyId}`, { body: { status: 'Inactive' } })).status, 200);
  assert.equal((await new ConsoleClient(srv.consoleUrl).login(key.accessKeyId, key.accessKeySecret)).status, 401);
});

test('Server: status with the master keys, rotation, stepwise rewrap; a RAM user gets the admin API\'s refusal', async () => {
  const root = await loggedIn();
  const oss = srv.client({ bucket: 'console-rewrap' });
  await oss.putBucket('console-rewrap');
  await oss.put('sealed', Buffer.from('sealed under the first version'), { headers: { 'x-oss-server-side-encryption': 'AES256' } });
  const versionOf = async (): Promise<number> => ((await srv.running.coffer.meta.getObject('console-rewrap', 'sealed'))!.encryption as any).kek.masterKeyVersion;

  const before = await root.request('GET', '/api/admin/status');
  assert.equal(before.status, 200, before.text);
  const stats = await srv.running.coffer.meta.stats();
  assert.equal(before.json.status.objects, stats.objects);
  assert.equal(before.json.status.buckets, stats.buckets);
  const current = (st: any): number => st.masterKeys.find((k: any) => k.current).version;
  const v1 = current(before.json.status);
  assert.equal(await versionOf(), v1);
  assert.match(before.json.status.masterKeys[0].createdAt, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);

  assert.equal((await root.request('POST', '/api/admin/master-keys/rotate', { body: {}, csrf: null })).status, 403);
  assert.equal(current((await root.request('GET', '/api/admin/status')).json.status), v1, 'no CSRF token, no rotation');
  const rotated = await root.request('POST', '/api/admin/master-keys/rotate', { body: {} });
  assert.equal(rotated.status, 200, rotated.text);
  assert.equal(current(rotated.json.status), v1 + 1);
  assert.deepEqual(rotated.json.status.masterKeys.map((k: any) => k.version), [...(await srv.running.masterKeys.list()).map((v) => v.version)]);

  let marker: string | null = null;
  let rewrapped = 0;
  do {
    const step = await root.request('POST', '/api/admin/master-keys/rewrap', { body: { marker } });
    assert.equal(step.status, 200, step.text);
    assert.equal(step.json.masterKeyVersion, v1 + 1);
    rewrapped += step.json.objectsRewrapped;
    marker = step.json.nextMarker;
  } while (marker);
  assert.ok(rewrapped >= 1);
  assert.equal(await versionOf(), v1 + 1);
  assert.equal((await oss.get('sealed')).content.toString(), 'sealed under the first version');

  assert.equal((await root.request('POST', '/api/ram/users', { body: { userName: 'no-admin' } })).status, 200);
  const key = (await root.request('POST', '/api/ram/users/no-admin/access-keys')).json.accessKey;
  const user = new ConsoleClient(srv.consoleUrl);
  assert.equal((await user.login(key.accessKeyId, key.accessKeySecret)).status, 200);
  for (const [method, path] of [['GET', '/api/admin/status'], ['POST', '/api/admin/master-keys/rotate'], ['POST', '/api/admin/master-keys/rewrap']]) {
    const refused = await user.request(method, path, { body: method === 'POST' ? {} : undefined });
    assert.equal(refused.status, 403, `${method} ${path}`);
    assert.deepEqual([refused.json.error.source, refused.json.error.code], ['admin', 'Forbidden.NoPermission']);
    assert.match(refused.json.error.requestId, /^[0-9A-F-]{36}$/);
  }
  assert.equal(current((await root.request('GET', '/api/admin/status')).json.status), v1 + 1);
});

test('Encryption posture and storage by bucket: the admin API\'s and GetBucketStat\'s figures; the posture is the root\'s, storage anyone\'s with oss:GetBucketStat', async () => {
  const root = await loggedIn();
  const keyId = await createKey(kmsClient(srv));
  const oss = srv.client({ bucket: 'console-posture' });
  await oss.putBucket('console-posture');
  await oss.put('plain', Buffer.from('12345'));
  await oss.put('sm4', Buffer.from('1234567'), { headers: { 'x-oss-server-side-encryption': 'SM4' } });
  await oss.put('kms', Buffer.from('123'), { headers: { 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-encryption-key-id': keyId } });
  await oss.initMultipartUpload('pending', { headers: { 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-encryption-key-id': keyId } });

  const answer = await root.request('GET', '/api/admin/encryption-posture');
  assert.equal(answer.status, 200, answer.text);
  const p = answer.json.posture;
  assert.ok(!Number.isNaN(Date.parse(p.computedAt)));
  assert.equal(p.complete, true);
  const current = (await srv.running.masterKeys.list()).find((v) => v.current)!.version;
  assert.equal(p.currentMasterKeyVersion, current);
  const bucket = p.buckets.find((b: any) => b.name === 'console-posture');
  assert.deepEqual(bucket, {
    name: 'console-posture', complete: true, objects: 3, bytes: 15, multipartUploads: 1,
    classes: [
      { mode: 'None', objects: 1, bytes: 5, multipartUploads: 0 },
      { mode: 'SSE-OSS', algorithm: 'SM4', masterKeyVersion: current, objects: 1, bytes: 7, multipartUploads: 0 },
      { mode: 'SSE-KMS', algorithm: 'AES256', kmsKeyId: keyId, objects: 1, bytes: 3, multipartUploads: 1 },
    ],
  });
  assert.deepEqual(p.kmsKeys.find((k: any) => k.keyId === keyId), { keyId, buckets: ['console-posture'], objects: 1, bytes: 3, multipartUploads: 1 });
  assert.ok(p.masterKeyVersions.some((v: any) => v.version === current && v.current && v.objects >= 1));

  const storage = await root.request('GET', '/api/storage');
  assert.equal(storage.status, 200, storage.text);
  const row = storage.json.buckets.find((b: any) => b.name === 'console-posture');
  assert.deepEqual({ ...row, lastModified: undefined }, { name: 'console-posture', objects: 3, bytes: 15, multipartUploads: 1, lastModified: undefined });
  assert.ok(Date.parse(row.lastModified) > Date.now() - 60_000);

  // A RAM user: the admin API refuses the posture; storage shows GetBucketStat's refusal per bucket.
  assert.equal((await root.request('POST', '/api/ram/users', { body: { userName: 'no-posture' } })).status, 200);
  const key = (await root.request('POST', '/api/ram/users/no-posture/access-keys')).json.accessKey;
  const user = new ConsoleClient(srv.consoleUrl);
  assert.equal((await user.login(key.accessKeyId, key.accessKeySecret)).status, 200);
  const refused = await user.request('GET', '/api/admin/encryption-posture');
  assert.equal(refused.status, 403);
  assert.deepEqual([refused.json.error.source, refused.json.error.code], ['admin', 'Forbidden.NoPermission']);
  const noList = await user.request('GET', '/api/storage');
  assert.equal(noList.status, 403);
  assert.deepEqual([noList.json.error.source, noList.json.error.code], ['oss', 'AccessDenied']);
});

test('over TLS the console works through the server\'s own HTTPS endpoints, and the cookie is Secure', async () => {
  const dir = tempDir('coffer-console-tls-');
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  // Issued for a host name, not the address the backend connects to: its calls still work.
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=coffer.example',
    '-addext', 'subjectAltName=DNS:coffer.example', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  const tls = await startTestServer({ tls: { cert, key } });
  try {
    assert.match(tls.consoleUrl, /^https:/);
    const agent = new https.Agent({ rejectUnauthorized: false });
    const login = await new Promise<{ status: number; cookie: string; body: string }>((resolve, reject) => {
      const req = https.request(`${tls.consoleUrl}/api/session`, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => { body += d; }).on('end', () => resolve({ status: res.statusCode!, cookie: res.headers['set-cookie']![0], body }));
      });
      req.on('error', reject);
      req.end(JSON.stringify({ accessKeyId: ACCESS_KEY_ID, accessKeySecret: ACCESS_KEY_SECRET }));
    });
    assert.equal(login.status, 200, login.body);
    assert.match(login.cookie, /; Secure$/);
    // The admin API's client (pop-core) reaches the HTTPS endpoint too.
    const status = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = https.request(`${tls.consoleUrl}/api/admin/status`, { agent, headers: { cookie: login.cookie.split(';')[0] } }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => { body += d; }).on('end', () => resolve({ status: res.statusCode!, body }));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(status.status, 200, status.body);
    assert.equal(JSON.parse(status.body).status.buckets, 0);
  } finally {
    await tls.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the session\'s secret never appears in an answer or a log line', () => {
  assert.ok(received.length > 50, 'the tests above recorded their answers');
  for (const text of [...received, ...logLines]) assert.ok(!text.includes(ACCESS_KEY_SECRET), text.slice(0, 200));
  assert.ok(logLines.some((l) => l.includes('"msg":"access"')), 'the server logged its requests');
});

test('bucket policy: none, save (checked by the server, kept as written), refused documents keep the old one, delete', async () => {
  const c = await loggedIn();
  assert.equal((await c.request('POST', '/api/buckets', { body: { name: 'console-policy', acl: 'private', encryption: { method: 'None' } } })).status, 200);
  const path = '/api/buckets/console-policy/policy';
  assert.deepEqual((await c.request('GET', path)).json, { policy: null });
  const doc = JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Principal: ['*'], Action: ['oss:GetObject'], Resource: ['acs:oss:*:*:console-policy/pub/*'] }] }, null, 2);
  const saved = await c.request('PUT', path, { body: { policy: doc } });
  assert.equal(saved.status, 200, saved.text);
  assert.equal(saved.json.policy, doc);
  const outside = await c.request('PUT', path, { body: { policy: doc.replace('console-policy/pub', 'other-bucket/pub') } });
  assert.equal(outside.status, 400);
  assert.equal(outside.json.error.code, 'InvalidPolicyDocument');
  assert.match(outside.json.error.message, /is not this bucket/);
  assert.equal((await c.request('GET', path)).json.policy, doc);
  assert.equal((await c.request('DELETE', path)).status, 200);
  assert.deepEqual((await c.request('GET', path)).json, { policy: null });
});
