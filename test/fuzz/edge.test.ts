/**
 * Property-based fuzzing (fast-check) of every parser at the edge, against a real server: XML
 * bodies, OSS headers (Range, conditions, x-oss-*, response-* overrides), both signature parsers
 * (OSS V1/V4 headers and presigned queries), the RPC parameters of the KMS/RAM/admin APIs, RAM
 * policy documents and the console API's JSON. The property, for every input: a well-formed
 * answer that is not a 5xx (OSS: XML with a Code; RPC and console: JSON), within a bounded time,
 * and no change to the store when the request was refused.
 *
 * `npm test` runs FUZZ_RUNS (default 150) cases per property; `npm run fuzz` runs many more.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { signV1, v1CanonicalResource, v1StringToSign } from '../../src/auth';
import { ConsoleClient } from '../console/helpers';
import { ACCESS_KEY_ID, ACCESS_KEY_SECRET, startTestServer, type TestServer } from '../helpers/server';
import { rpcTime, signV1 as signRpcV1 } from '../rpc/helpers';
import { rawRequest, type RawAnswer } from './raw-http';

const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
/** A request slower than this is a hang (a backtracking matcher took 11 s on 1 KiB). */
const SLOW_MS = 1000;
const BUCKET = 'fuzz';
const OPEN = 'fuzz-open';

let srv: TestServer;
const errors: string[] = [];
let slowest = 0;

before(async () => {
  srv = await startTestServer({
    logger: { enabled: () => true, log: (level, msg, fields) => { if (level === 'error') errors.push(`${msg} ${JSON.stringify(fields)}`); } },
  });
  const c = srv.client({ bucket: BUCKET });
  await c.putBucket(BUCKET);
  await c.put('existing', Buffer.from('existing object'));
  const open = srv.client({ bucket: OPEN });
  await open.putBucket(OPEN, { acl: 'public-read-write' });
  await open.put('public', Buffer.from('a public object'));
});

after(async () => {
  await srv?.close();
  // The suite's own summary: how slow the slowest answer was.
  process.stdout.write(`# fuzz: slowest answer ${slowest.toFixed(1)} ms\n`);
});

/** What a refused request must not change: the objects and buckets there are, and their encryption rules. */
async function snapshot(): Promise<string> {
  const meta = srv.running.coffer.meta;
  const buckets = await meta.listBuckets({ limit: 1000 });
  const objects = [];
  for (const b of buckets) objects.push(...(await meta.listObjects(b.name, { limit: 1000 })).map((o) => [o.bucket, o.key, o.etag, o.acl, JSON.stringify(o.userMeta)]));
  return JSON.stringify([buckets, objects, await meta.listUploads(BUCKET, { limit: 1000 })]);
}

function checkOss(a: RawAnswer, what: string): void {
  slowest = Math.max(slowest, a.ms);
  assert.ok(a.status < 500, `${what}: ${a.status} ${a.body.slice(0, 300)}`);
  assert.ok(a.ms < SLOW_MS, `${what}: ${a.ms.toFixed(0)} ms`);
  if (a.status >= 400 && a.body) assert.match(a.body, /^<\?xml[^>]*>\s*<Error>[\s\S]*<Code>[^<]+<\/Code>/, `${what}: ${a.body.slice(0, 300)}`);
}

/** A V1-signed request as the root: the signature is right, so the fuzzed parts reach the parsers behind it. */
async function signedOss(method: string, bucket: string, key: string | undefined, query: Array<[string, string]>, headers: Array<[string, string]>, body?: Buffer): Promise<RawAnswer> {
  const date = new Date().toUTCString();
  const lower: Record<string, string> = { date };
  for (const [k, v] of headers) lower[k.toLowerCase()] = v;
  const resource = v1CanonicalResource({ bucket, key }, query);
  const signature = signV1(ACCESS_KEY_SECRET, v1StringToSign(method, lower, date, resource));
  const qs = query.map(([k, v]) => (v === '' ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)).join('&');
  const target = `/${bucket}/${key === undefined ? '' : encodeURIComponent(key)}${qs ? `?${qs}` : ''}`;
  return rawRequest(srv.url, { method, target, headers: [['Date', date], ['Authorization', `OSS ${ACCESS_KEY_ID}:${signature}`], ...headers], body });
}

/** Header-safe text: anything but CR, LF and NUL (those are the HTTP parser's to refuse, tested below). */
const headerText = fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).map((n) => String.fromCharCode(n)), maxLength: 80 });

/** XML-ish documents: real element names of the APIs, hostile ones, entities, DOCTYPEs, deep nesting. */
const xmlDoc: fc.Arbitrary<string> = fc.letrec<{ node: string }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small' },
    fc.string({ maxLength: 20 }),
    fc.constantFrom('&amp;', '&lt;', '&xxe;', '&#1;', '&#x110000;', ']]>', '<![CDATA[x]]>', '<!-- c -->'),
    fc.tuple(
      fc.constantFrom('Delete', 'Object', 'Key', 'Quiet', 'VersionId', 'CompleteMultipartUpload', 'Part', 'PartNumber', 'ETag',
        'ServerSideEncryptionConfiguration', 'ApplyServerSideEncryptionByDefault', 'SSEAlgorithm', 'KMSMasterKeyID', 'KMSDataEncryption',
        'CreateBucketConfiguration', 'StorageClass', '__proto__', 'constructor', 'prototype', 'x:y', 'a b'),
      fc.array(tie('node'), { maxLength: 4 }),
    ).map(([name, kids]) => `<${name}>${kids.join('')}</${name}>`),
  ),
})).node;

const hostileXml = fc.oneof(
  xmlDoc,
  xmlDoc.map((d) => `<?xml version="1.0" encoding="UTF-8"?>${d}`),
  fc.constantFrom(
    '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><Delete><Object><Key>&xxe;</Key></Object></Delete>',
    `<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]><Delete><Object><Key>&d;</Key></Object></Delete>`,
    `${'<Delete>'.repeat(5000)}${'</Delete>'.repeat(5000)}`,
    '<Delete><Object><Key>a</Key></Object><__proto__><polluted>1</polluted></__proto__></Delete>',
    '<Delete><constructor><prototype><x>1</x></prototype></constructor></Delete>',
    '',
  ),
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')),
);

test('XML bodies: DeleteMultipleObjects, CompleteMultipartUpload, PutBucketEncryption, PutBucket: never a 5xx, nothing changed when refused', async () => {
  const upload = await srv.client({ bucket: BUCKET }).initMultipartUpload('mp');
  await fc.assert(fc.asyncProperty(hostileXml, fc.integer({ min: 0, max: 3 }), async (doc, which) => {
    const before = await snapshot();
    const body = Buffer.from(doc, 'utf8');
    const [method, key, query]: [string, string | undefined, Array<[string, string]>] = ([
      ['POST', undefined, [['delete', '']]],
      ['POST', 'mp', [['uploadId', upload.uploadId]]],
      ['PUT', undefined, [['encryption', '']]],
      ['PUT', undefined, []],
    ] as Array<[string, string | undefined, Array<[string, string]>]>)[which];
    const a = await signedOss(method, BUCKET, key, query, [['Content-Type', 'application/xml']], body);
    checkOss(a, `${method} ?${query.map((q) => q[0]).join('&')} ${JSON.stringify(doc.slice(0, 120))}`);
    if (a.status >= 400) assert.equal(await snapshot(), before, 'a refused request changed the store');
  }), { numRuns: RUNS });
  assert.deepEqual(errors, [], 'hostile XML must not be logged as a server error');
});

test('OSS headers on GET/HEAD/PUT (Range, conditions, x-oss-*, response-*): never a 5xx', async () => {
  const names = ['Range', 'If-Match', 'If-None-Match', 'If-Modified-Since', 'If-Unmodified-Since', 'x-oss-server-side-encryption',
    'x-oss-server-side-encryption-key-id', 'x-oss-server-side-data-encryption', 'x-oss-object-acl', 'x-oss-storage-class',
    'x-oss-forbid-overwrite', 'x-oss-meta-a', 'x-oss-copy-source', 'x-oss-copy-source-range', 'x-oss-copy-source-if-match',
    'x-oss-metadata-directive', 'Content-MD5', 'Content-Type', 'Cache-Control', 'Expires', 'x-oss-acl', 'x-oss-tagging'];
  const header = fc.tuple(fc.constantFrom(...names), fc.oneof(headerText, fc.constantFrom('bytes=0-', 'bytes=-1', 'bytes=5-2', 'bytes=0-0,2-3', 'bytes=99999999999999999999-', '*', '"x"', 'AES256', 'KMS', 'SM4', '/fuzz/existing', 'Thu, 01 Jan 1970 00:00:00 GMT')));
  const response = fc.tuple(fc.constantFrom('response-content-type', 'response-content-disposition', 'response-cache-control', 'response-expires', 'response-content-encoding', 'response-content-language'), headerText);
  await fc.assert(fc.asyncProperty(
    fc.constantFrom('GET', 'HEAD', 'PUT'), fc.boolean(), fc.array(header, { maxLength: 4 }), fc.array(response, { maxLength: 2 }),
    async (method, signed, headers, overrides) => {
      const before = await snapshot();
      const query = method === 'PUT' ? [] : overrides.map(([k, v]) => [k, v] as [string, string]);
      const a = signed
        ? await signedOss(method, BUCKET, method === 'PUT' ? `put-${randomUUID()}` : 'existing', query, headers, method === 'PUT' ? Buffer.from('body') : undefined)
        : await rawRequest(srv.url, {
          method,
          target: `/${OPEN}/${method === 'PUT' ? `put-${randomUUID()}` : 'public'}${query.length ? `?${new URLSearchParams(query)}` : ''}`,
          headers,
          body: method === 'PUT' ? Buffer.from('body') : undefined,
        });
      checkOss(a, `${method} ${JSON.stringify(headers)} ${JSON.stringify(query)}`);
      if (a.status >= 400) assert.equal(await snapshot(), before, 'a refused request changed the store');
    },
  ), { numRuns: RUNS });
});

test('signatures: made-up Authorization headers and presigned queries are refused with a 4xx, never served, never a 5xx', async () => {
  const token = fc.oneof(headerText, fc.constantFrom(ACCESS_KEY_ID, 'OSS', 'OSS2', 'OSS4-HMAC-SHA256', 'Credential=', 'AdditionalHeaders=', 'Signature=', ',', ':', '/', 'cn-hangzhou', 'oss', 'aliyun_v4_request', '20261204'));
  const authorization = fc.array(token, { maxLength: 8 }).map((t) => t.join(''));
  const presign = fc.array(fc.tuple(fc.constantFrom('OSSAccessKeyId', 'Expires', 'Signature', 'x-oss-signature-version', 'x-oss-credential',
    'x-oss-date', 'x-oss-expires', 'x-oss-signature', 'x-oss-additional-headers', 'security-token'), token), { minLength: 1, maxLength: 6 });
  await fc.assert(fc.asyncProperty(fc.oneof(authorization.map((a) => ({ a })), presign.map((p) => ({ p }))), async (input) => {
    const a = 'a' in input
      ? await rawRequest(srv.url, { method: 'GET', target: `/${BUCKET}/existing`, headers: [['Authorization', input.a], ['Date', new Date().toUTCString()]] })
      : await rawRequest(srv.url, { method: 'GET', target: `/${BUCKET}/existing?${new URLSearchParams(input.p)}`, headers: [] });
    checkOss(a, JSON.stringify(input));
    assert.ok(a.status >= 400, `made-up credentials were accepted: ${JSON.stringify(input)}`);
  }), { numRuns: RUNS });
});

test('raw request lines and header bytes (CR, LF, NUL, long, non-UTF-8 targets): an answer, never a 5xx', async () => {
  const target = fc.oneof(
    fc.string({ maxLength: 60 }).map((s) => `/${encodeURIComponent(s)}`),
    fc.uint8Array({ maxLength: 40 }).map((b) => `/${BUCKET}/${[...b].map((x) => `%${x.toString(16).padStart(2, '0')}`).join('')}`),
    fc.constantFrom('/%', '/%zz', '//', '/fuzz/..%2f..%2fetc', '/fuzz/?acl&acl', '/?delete', `/${'a'.repeat(5000)}`, '*', 'http://x/'),
  );
  await fc.assert(fc.asyncProperty(target, fc.constantFrom('GET', 'PUT', 'POST', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH'), async (t, method) => {
    const before = await snapshot();
    const a = await rawRequest(srv.url, { method, target: t, headers: [] });
    slowest = Math.max(slowest, a.ms);
    assert.ok(a.status < 500, `${method} ${t}: ${a.status} ${a.body.slice(0, 200)}`);
    if (a.status >= 400) assert.equal(await snapshot(), before);
  }), { numRuns: RUNS });
});

test('RPC parameters (KMS, RAM, admin API), signed or not: JSON errors, never a 5xx, no key or user made by a refused call', async () => {
  const value = fc.oneof(headerText, fc.constantFrom('', '0', '-1', '99999999999999999999', 'null', '[]', '{}', '{"a":', 'alias/acs/oss', 'acs:kms:cn-hangzhou:1:key/x', '2016-01-20', '2015-05-01', '2026-11-01'));
  const name = fc.constantFrom('Action', 'Version', 'KeyId', 'Plaintext', 'CiphertextBlob', 'EncryptionContext', 'NumberOfBytes', 'KeySpec',
    'KeyUsage', 'Origin', 'AliasName', 'UserName', 'PolicyName', 'PolicyDocument', 'PolicyType', 'MaxObjects', 'Marker', 'PageSize', 'PageNumber', 'Tags');
  const action = fc.constantFrom('CreateKey', 'DescribeKey', 'Encrypt', 'Decrypt', 'GenerateDataKey', 'CreateAlias', 'ScheduleKeyDeletion',
    'ImportKeyMaterial', 'ListKeys', 'CreateUser', 'CreatePolicy', 'AttachPolicyToUser', 'RewrapMasterKeys', 'DescribeStatus', 'Nope');
  await fc.assert(fc.asyncProperty(action, fc.constantFrom('2016-01-20', '2015-05-01', '2026-11-01'), fc.array(fc.tuple(name, value), { maxLength: 5 }), fc.boolean(),
    async (act, version, extra, signed) => {
      const [keys, users] = [await srv.running.coffer.meta.countDocs('kms-key'), await srv.running.coffer.meta.countDocs('ram-user')];
      const params: Record<string, string> = {
        Action: act, Version: version, Format: 'JSON', AccessKeyId: ACCESS_KEY_ID, SignatureMethod: 'HMAC-SHA1', SignatureVersion: '1.0',
        SignatureNonce: randomUUID(), Timestamp: rpcTime(), ...Object.fromEntries(extra),
      };
      const body = new URLSearchParams(signed ? signRpcV1('POST', params) : { ...params, Signature: 'x' }).toString();
      const a = await rawRequest(srv.kmsUrl, { method: 'POST', target: '/', headers: [['Content-Type', 'application/x-www-form-urlencoded']], body: Buffer.from(body) });
      slowest = Math.max(slowest, a.ms);
      assert.ok(a.status < 500, `${act} ${JSON.stringify(extra)}: ${a.status} ${a.body.slice(0, 300)}`);
      const json = JSON.parse(a.body);
      if (a.status >= 400) {
        assert.ok(json.Code, a.body);
        assert.deepEqual([await srv.running.coffer.meta.countDocs('kms-key'), await srv.running.coffer.meta.countDocs('ram-user')], [keys, users]);
      }
    }), { numRuns: RUNS });
});

test('RAM policy documents: any document is accepted or refused with a 4xx, and one accepted is evaluated without failing', async () => {
  const json: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
    v: fc.oneof({ depthSize: 'small' }, fc.string({ maxLength: 30 }), fc.integer(), fc.boolean(), fc.constant(null),
      fc.constantFrom('*', '?*?*?*?*?*?*?*', 'oss:*', 'acs:oss:*:*:fuzz/*', 'Allow', 'Deny', 'StringLike', 'IpAddress', 'Bool', 'DateLessThan', '1'),
      fc.array(tie('v'), { maxLength: 3 }),
      fc.dictionary(fc.constantFrom('Version', 'Statement', 'Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition',
        'StringLike', 'acs:SourceIp', 'oss:Prefix', '__proto__', 'constructor'), tie('v'), { maxKeys: 4 })),
  })).v;
  const doc = fc.oneof(json.map((d) => JSON.stringify(d)), fc.record({
    Version: fc.constant('1'),
    Statement: fc.array(fc.record({ Effect: fc.constantFrom('Allow', 'Deny'), Action: fc.constantFrom('oss:*', 'oss:GetObject', 'kms:*'), Resource: fc.oneof(fc.string({ maxLength: 40 }), fc.constant('*')) }), { minLength: 1, maxLength: 3 }),
  }).map((d) => JSON.stringify(d)));
  let n = 0;
  await fc.assert(fc.asyncProperty(doc, async (document) => {
    const name = `fuzz-${n++}`;
    const params: Record<string, string> = {
      Action: 'CreatePolicy', Version: '2015-05-01', Format: 'JSON', AccessKeyId: ACCESS_KEY_ID, SignatureMethod: 'HMAC-SHA1', SignatureVersion: '1.0',
      SignatureNonce: randomUUID(), Timestamp: rpcTime(), PolicyName: name, PolicyDocument: document,
    };
    const a = await rawRequest(srv.kmsUrl, { method: 'POST', target: '/', headers: [['Content-Type', 'application/x-www-form-urlencoded']], body: Buffer.from(new URLSearchParams(signRpcV1('POST', params)).toString()) });
    slowest = Math.max(slowest, a.ms);
    assert.ok(a.status < 500, `${document}: ${a.status} ${a.body}`);
  }), { numRuns: RUNS });
});

test('console API JSON: login and every route with made-up bodies answer JSON, never a 5xx', async () => {
  const root = new ConsoleClient(srv.consoleUrl);
  assert.equal((await root.login()).status, 200);
  const body = fc.oneof(fc.json({ maxDepth: 3 }), fc.string({ maxLength: 60 }), fc.constantFrom('{"accessKeyId":"\\r\\nX","accessKeySecret":"a"}', '{"name":"BAD NAME"}', 'null', '[]'));
  const route = fc.constantFrom(['POST', '/api/session'], ['POST', '/api/buckets'], ['PUT', '/api/buckets/fuzz/encryption'], ['POST', '/api/kms/keys'],
    ['POST', '/api/ram/users'], ['POST', '/api/ram/policies'], ['GET', '/api/buckets/%ZZ'], ['GET', '/api/buckets/x%00y/objects'], ['DELETE', '/api/buckets/nope']);
  await fc.assert(fc.asyncProperty(route, body, async ([method, path], b) => {
    const client = path === '/api/session' ? new ConsoleClient(srv.consoleUrl) : root;
    const a = await client.request(method, path, method === 'GET' || method === 'DELETE' ? {} : { body: b, headers: { 'content-type': 'application/json' } });
    assert.ok(a.status < 500, `${method} ${path} ${b}: ${a.status} ${a.text.slice(0, 300)}`);
    if (a.status >= 400) assert.ok(a.json?.error?.code, a.text);
  }), { numRuns: Math.ceil(RUNS / 2) });
});
