/**
 * Malformed and unsupported requests: the error each gets (shape, status, code) and the proof
 * that it changed nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server';
import {
  assertNothingStored, assertOssError, http, md5Base64, pathStyle, rejectsWith, signedHttp, storedFiles, xml,
} from '../helpers/oss-http';

let srv: TestServer;
let c: any;
const BUCKET = 'errors';
/** What the server logs as request failures. */
const failures: string[] = [];

before(async () => {
  srv = await startTestServer({
    logger: {
      enabled: (level) => level === 'error',
      log: (level, msg, fields) => { if (level === 'error') failures.push(`${msg} ${JSON.stringify(fields)}`); },
    },
  });
  c = srv.client({ bucket: BUCKET });
  await c.putBucket(BUCKET);
  await c.put('kept.txt', Buffer.from('kept'));
});
after(async () => { await srv.close(); });

const keys = async (): Promise<string[]> => (await c.list({})).objects.map((o: any) => o.name);

describe('error responses', () => {
  test('carry Code, Message, RequestId (= x-oss-request-id), HostId (= Host), EC and RecommendDoc', async () => {
    const res = await signedHttp(srv, { bucket: BUCKET, key: 'absent.txt', virtualHost: true });
    const err = assertOssError(res, 404, 'NoSuchKey');
    assert.equal(err.HostId, `${BUCKET}.oss-cn-hangzhou.aliyuncs.com`);
    assert.equal(err.Key, 'absent.txt');
    assert.equal(err.EC, '0026-00000001');
    assert.equal(err.RecommendDoc, 'https://api.aliyun.com/troubleshoot?q=0026-00000001');
    assert.match(res.text, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<Error>/);
    assert.equal(res.headers['content-length'], String(res.body.length));
    assert.equal(res.headers.server, 'AliyunOSS');
    // ali-oss exposes the same fields.
    const sdk = await rejectsWith(c.get('absent.txt'), 404, 'NoSuchKey');
    assert.equal(sdk.ecCode, '0026-00000001');
    assert.equal(sdk.hostId, `${BUCKET}.oss-cn-hangzhou.aliyuncs.com`);
  });

  test('HEAD errors: empty body, XML base64 in x-oss-err (NoSuchKey, NoSuchBucket, AccessDenied, PreconditionFailed)', async () => {
    assertOssError(await signedHttp(srv, { method: 'HEAD', bucket: BUCKET, key: 'absent.txt' }), 404, 'NoSuchKey', true);
    const bucket = assertOssError(await signedHttp(srv, { method: 'HEAD', bucket: 'errors-none', key: 'k' }), 404, 'NoSuchBucket', true);
    assert.equal(bucket.BucketName, 'errors-none');
    assertOssError(await http(srv, { method: 'HEAD', path: pathStyle(BUCKET, 'kept.txt') }), 403, 'AccessDenied', true);
    const pre = assertOssError(await signedHttp(srv, { method: 'HEAD', bucket: BUCKET, key: 'kept.txt', headers: { 'if-match': '"X"' } }), 412, 'PreconditionFailed', true);
    assert.equal(pre.Condition, 'If-Match');
    // ali-oss decodes x-oss-err for statuses it has no body-less shortcut for.
    await rejectsWith(srv.client({ bucket: BUCKET, accessKeySecret: 'bad' }).head('kept.txt'), 403, 'SignatureDoesNotMatch');
  });
});

describe('MalformedXML', () => {
  const garbage = ['', 'not xml at all', '<CompleteMultipartUpload><Part>', '<Other/>'];

  test('CompleteMultipartUpload: bad bodies → 400 MalformedXML; the upload stays open', async () => {
    const { uploadId } = await c.initMultipartUpload('mx.bin');
    const part = await c.uploadPart('mx.bin', uploadId, 1, Buffer.from('part'), 0, 4);
    const bodies = [...garbage.slice(1), '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>',
      '<CompleteMultipartUpload><Part><PartNumber>one</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>'];
    for (const body of bodies) {
      const res = await signedHttp(srv, { method: 'POST', bucket: BUCKET, key: 'mx.bin', query: [['uploadId', uploadId]], body });
      assertOssError(res, 400, 'MalformedXML');
    }
    await rejectsWith(c.head('mx.bin'), 404, 'NoSuchKey');
    await c.completeMultipartUpload('mx.bin', uploadId, [{ number: 1, etag: part.etag }]);
    assert.equal((await c.get('mx.bin')).content.toString(), 'part');
  });

  test('DeleteMultipleObjects: bad bodies, no <Object>, <Object> without <Key>, over 1000 keys → 400 MalformedXML; nothing deleted', async () => {
    const bodies = [
      ...garbage.slice(1),
      '<Delete><Quiet>true</Quiet></Delete>',
      '<Delete><Object><VersionId>1</VersionId></Object></Delete>',
      `<Delete>${'<Object><Key>kept.txt</Key></Object>'.repeat(1001)}</Delete>`,
    ];
    for (const body of bodies) {
      const res = await signedHttp(srv, { method: 'POST', bucket: BUCKET, query: [['delete', '']], body, headers: { 'content-md5': md5Base64(body) } });
      assertOssError(res, 400, 'MalformedXML');
    }
    assert.ok((await keys()).includes('kept.txt'));
  });

  test('PutBucketEncryption: bad bodies → 400 MalformedXML; the bucket keeps no rule', async () => {
    const bodies = [...garbage, '<ServerSideEncryptionRule><SSEAlgorithm>AES256</SSEAlgorithm></ServerSideEncryptionRule>'];
    for (const body of bodies) {
      const res = await signedHttp(srv, { method: 'PUT', bucket: BUCKET, query: [['encryption', '']], body });
      assertOssError(res, 400, 'MalformedXML');
    }
    assert.deepEqual((await c.getBucketInfo(BUCKET)).bucket.ServerSideEncryptionRule, { SSEAlgorithm: 'None' });
  });
});

describe('unsupported and malformed requests', () => {
  test('unimplemented sub-resources → 400 NotImplemented, never mistaken for a write', async () => {
    const before = storedFiles(srv);
    const cases: Array<[string, string | undefined, string]> = [
      ['GET', 'kept.txt', 'x-oss-process'], ['PUT', undefined, 'referer'], ['GET', undefined, 'logging'], ['GET', undefined, 'replication'],
      ['DELETE', undefined, 'website'], ['PUT', undefined, 'inventory'],
    ];
    for (const [method, key, sub] of cases) {
      const res = await signedHttp(srv, { method, bucket: BUCKET, key, query: [[sub, '']], body: method === 'PUT' ? '<Tagging/>' : undefined });
      assertOssError(res, 400, 'NotImplemented');
    }
    assertNothingStored(srv, before);
    assert.equal((await c.get('kept.txt')).content.toString(), 'kept');
    assert.ok((await c.getBucketInfo(BUCKET)).bucket);
  });

  test('methods an OSS resource does not have → 405 MethodNotAllowed', async () => {
    assertOssError(await signedHttp(srv, { method: 'PATCH', bucket: BUCKET, key: 'kept.txt', body: 'x' }), 405, 'MethodNotAllowed');
    assertOssError(await signedHttp(srv, { method: 'POST', bucket: BUCKET, key: 'kept.txt', body: 'x' }), 405, 'MethodNotAllowed');
    assertOssError(await signedHttp(srv, { method: 'POST', bucket: BUCKET, body: 'x' }), 405, 'MethodNotAllowed');
    assertOssError(await signedHttp(srv, { method: 'DELETE' }), 405, 'MethodNotAllowed');
    assert.equal((await c.get('kept.txt')).content.toString(), 'kept');
  });

  test('broken percent-encoding in path or query → 400 InvalidArgument', async () => {
    assertOssError(await http(srv, { path: `/${BUCKET}/bad%E0%A4%A.txt` }), 400, 'InvalidArgument');
    assertOssError(await http(srv, { path: `/${BUCKET}/?prefix=%ZZ` }), 400, 'InvalidArgument');
    assertOssError(await http(srv, { method: 'PUT', path: `/${BUCKET}/bad%FF%FE%`, body: 'x' }), 400, 'InvalidArgument');
    assert.deepEqual((await keys()).filter((k) => k.startsWith('bad')), []);
  });

  test('a declared body over 5 GB → 400 EntityTooLarge before any byte is read', async () => {
    const before = storedFiles(srv);
    const res = await signedHttp(srv, { method: 'PUT', bucket: BUCKET, key: 'huge.bin', headers: { 'content-length': String(5 * 1024 ** 3 + 1) } });
    assertOssError(res, 400, 'EntityTooLarge');
    assertNothingStored(srv, before);
    await rejectsWith(c.head('huge.bin'), 404, 'NoSuchKey');
  });

  test('bad copy source header → 400 InvalidArgument', async () => {
    for (const source of ['nobucketslash', '/', `/${BUCKET}/`, `/${BUCKET}/%E0%A4%A`]) {
      const res = await signedHttp(srv, { method: 'PUT', bucket: BUCKET, key: 'copy.txt', headers: { 'x-oss-copy-source': source } });
      assertOssError(res, 400, 'InvalidArgument');
    }
    await rejectsWith(c.head('copy.txt'), 404, 'NoSuchKey');
  });

  test('clients that hang up right after the last byte (Connection: close) are not logged as failures', async () => {
    const before = failures.length;
    for (let i = 0; i < 100; i++) assert.equal((await signedHttp(srv, { bucket: BUCKET, key: 'kept.txt' })).text, 'kept');
    assert.deepEqual(failures.slice(before), []);
  });

  test('an error in the middle of a keep-alive connection does not break the next request', async () => {
    const agentClient = srv.client({ bucket: BUCKET });
    await rejectsWith(agentClient.put('x', Buffer.from('y'), { headers: { 'Content-MD5': md5Base64('z') } }), 400, 'InvalidDigest');
    assert.equal((await agentClient.get('kept.txt')).content.toString(), 'kept');
    const listing = xml((await signedHttp(srv, { bucket: BUCKET, query: [['prefix', 'kept']] })).text).ListBucketResult;
    assert.equal(listing.Contents.Key, 'kept.txt');
  });
});
