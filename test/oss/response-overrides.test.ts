/**
 * Request input that ends up in a response header: the response-* overrides of GetObject (signed
 * requests only, as in OSS; values HTTP can carry, else 400) and a bucket rule's KMSMasterKeyID
 * (echoed in x-oss-server-side-encryption-key-id on every upload).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server';
import { localhostClient } from '../helpers/oss-clients';
import { assertOssError, fetchUrl, http, pathStyle, rejectsWith, signedHttp } from '../helpers/oss-http';
import { captureErrors } from './logged';

let srv: TestServer;
let c: any;
const BUCKET = 'overrides';
const KEY = 'doc.txt';
const errors = captureErrors();
const OVERRIDES = ['response-content-type', 'response-content-language', 'response-expires', 'response-cache-control',
  'response-content-disposition', 'response-content-encoding'];

before(async () => {
  srv = await startTestServer({ logger: errors.logger });
  c = srv.client({ bucket: BUCKET });
  await c.putBucket(BUCKET);
  await c.put(KEY, Buffer.from('document'), { headers: { 'x-oss-object-acl': 'public-read' } });
});
after(async () => { await srv.close(); });

describe('response-* overrides', () => {
  test('CR/LF, other controls or characters beyond Latin-1 → 400 InvalidArgument, no header injected, nothing logged', async () => {
    const mark = errors.lines.length;
    for (const name of OVERRIDES) {
      for (const value of ['a\r\nX-Injected: 1', 'a\nb', 'a\rb', 'nul\u0000', 'del\u007f', 'attachment; filename="中文.txt"']) {
        const res = await signedHttp(srv, { bucket: BUCKET, key: KEY, query: [[name, value]] });
        const err = assertOssError(res, 400, 'InvalidArgument');
        assert.equal(err.ArgumentName, name);
        assert.equal(res.headers['x-injected'], undefined);
      }
    }
    assert.deepEqual(errors.lines.slice(mark), []);
  });

  test('the same through a presigned URL (the signature is fine, the value is not)', async () => {
    const url = localhostClient(srv, { bucket: BUCKET }).signatureUrl(KEY, { response: { 'content-disposition': 'attachment\r\nSet-Cookie: a=b' } });
    const res = await fetchUrl(srv, url);
    assertOssError(res, 400, 'InvalidArgument');
    assert.equal(res.headers['set-cookie'], undefined);
  });

  test('Latin-1 values and tabs still override', async () => {
    const res = await signedHttp(srv, { bucket: BUCKET, key: KEY, query: [['response-content-disposition', 'attachment;\tfilename="caf\u00e9.txt"'], ['response-content-type', 'text/x-doc']] });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers['content-type'], 'text/x-doc');
    assert.equal(Buffer.from(String(res.headers['content-disposition']), 'latin1').toString('latin1'), 'attachment;\tfilename="caf\u00e9.txt"');
    assert.equal(res.text, 'document');
  });

  test('anonymous requests may not override: 400 InvalidRequest, as OSS answers; without overrides they read', async () => {
    for (const name of OVERRIDES) {
      const err = assertOssError(await http(srv, { path: pathStyle(BUCKET, KEY, [[name, 'text/html']]) }), 400, 'InvalidRequest');
      assert.equal(err.Message, 'Can not override response header for an anonymous user.');
    }
    const plain = await http(srv, { path: pathStyle(BUCKET, KEY) });
    assert.equal(plain.status, 200);
    assert.equal(plain.text, 'document');
  });
});

describe('a bucket rule names its CMK in a response header', () => {
  test('KMSMasterKeyID with CR/LF or beyond Latin-1 → 400 InvalidArgument, no rule stored, uploads unaffected', async () => {
    const mark = errors.lines.length;
    for (const keyId of ['key&#13;&#10;X-Injected: 1', 'key&#10;id', '密钥']) {
      const body = `<ServerSideEncryptionRule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>KMS</SSEAlgorithm><KMSMasterKeyID>${keyId}</KMSMasterKeyID></ApplyServerSideEncryptionByDefault></ServerSideEncryptionRule>`;
      const err = assertOssError(await signedHttp(srv, { method: 'PUT', bucket: BUCKET, query: [['encryption', '']], body }), 400, 'InvalidArgument');
      assert.equal(err.ArgumentName, 'KMSMasterKeyID');
      assert.match(err.Message, /must be a valid header value/);
    }
    await rejectsWith(c.getBucketEncryption(BUCKET), 404, 'NoSuchServerSideEncryptionRule');
    assert.equal((await c.put('after.txt', Buffer.from('after'))).res.status, 200);
    assert.deepEqual(errors.lines.slice(mark), []);
  });
});
