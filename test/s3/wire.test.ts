/**
 * The S3 dialect on the wire, where an SDK would hide it: requests signed by the AWS SDK's own
 * signer (@smithy/signature-v4) and sent with fetch, with bodies that do not match what was signed,
 * aws-chunked bodies with chunk signatures, checksums that lie, and S3's error documents.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { HttpRequest } from '@smithy/core/protocols';
import { awsChunkSigner, awsSigningKey } from '../../src/auth/aws-sigv4';
import { httpRequest, s3Signer } from '../auth/aws-capture';
import { ACCESS_KEY_ID, ACCESS_KEY_SECRET, startTestServer, type TestServer } from '../helpers/server';

let srv: TestServer;
const bucket = 's3-wire';

before(async () => {
  srv = await startTestServer({ allowSseCOverHttp: true });
  assert.equal((await send({ method: 'PUT', path: `/${bucket}` })).status, 200);
});
after(async () => {
  await srv.close();
});

interface Req { method?: string; path: string; query?: Record<string, string>; headers?: Record<string, string>; body?: Buffer | string; sendBody?: Buffer | string }

async function sign(r: Req): Promise<HttpRequest> {
  return await s3Signer(srv.region, ACCESS_KEY_SECRET, ACCESS_KEY_ID).sign(httpRequest({ ...r, host: srv.host })) as HttpRequest;
}

/** Signs `body` and sends `sendBody` (the same unless a test lies). */
async function send(r: Req): Promise<Response> {
  const signed = await sign(r);
  const qs = new URLSearchParams(signed.query as Record<string, string>).toString();
  const headers = { ...signed.headers };
  delete headers.host;
  return fetch(`${srv.url}${signed.path}${qs ? `?${qs}` : ''}`, { method: signed.method, headers, body: r.sendBody ?? r.body });
}

const stored = async (key: string) => srv.running.coffer.meta.getObject(bucket, key);
const codeOf = (text: string): string | undefined => /<Code>([^<]*)<\/Code>/.exec(text)?.[1];

describe('S3 payload integrity', () => {
  it('a signed payload hash is verified: a body that differs from the one signed is refused and not stored', async () => {
    const ok = await send({ method: 'PUT', path: `/${bucket}/signed`, body: 'the signed body' });
    assert.equal(ok.status, 200);
    const bad = await send({ method: 'PUT', path: `/${bucket}/forged`, body: 'the signed body', sendBody: 'a forged body!!' });
    assert.equal(bad.status, 400);
    assert.equal(codeOf(await bad.text()), 'XAmzContentSHA256Mismatch');
    assert.equal(await stored('forged'), null);
  });

  it('aws-chunked with chunk signatures: decoded and stored; a tampered chunk is refused and nothing is stored', async () => {
    const data = randomBytes(200_000);
    const build = async (tamper: boolean): Promise<Response> => {
      const chunks = [data.subarray(0, 65_536), data.subarray(65_536, 131_072), data.subarray(131_072)];
      const frameLength = chunks.reduce((n, c) => n + c.length.toString(16).length + 17 + 64 + 2 + c.length + 2, 0) + 1 + 17 + 64 + 4;
      const signed = await sign({
        method: 'PUT', path: `/${bucket}/${tamper ? 'chunked-bad' : 'chunked'}`,
        headers: {
          'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', 'content-encoding': 'aws-chunked',
          'x-amz-decoded-content-length': String(data.length), 'content-length': String(frameLength),
        },
      });
      const auth = String(signed.headers.authorization);
      const seed = /Signature=([0-9a-f]{64})/.exec(auth)![1];
      const timestamp = String(signed.headers['x-amz-date']);
      const scope = { day: timestamp.slice(0, 8), region: srv.region };
      const signer = awsChunkSigner(awsSigningKey(ACCESS_KEY_SECRET, scope), timestamp, scope, seed);
      let previous = seed;
      const parts: Buffer[] = [];
      for (const c of [...chunks, Buffer.alloc(0)]) {
        const sig = signer.chunk(previous, c);
        previous = sig;
        const payload = tamper && c.length === 65_536 ? Buffer.from(c.map((b) => b ^ 1)) : c;
        parts.push(Buffer.from(`${c.length.toString(16)};chunk-signature=${sig}\r\n`), payload, Buffer.from('\r\n'));
      }
      const body = Buffer.concat(parts);
      assert.equal(body.length, frameLength);
      const headers = { ...signed.headers };
      delete headers.host;
      return fetch(`${srv.url}${signed.path}`, { method: 'PUT', headers, body });
    };
    const ok = await build(false);
    assert.equal(ok.status, 200, await ok.clone().text());
    const got = await send({ path: `/${bucket}/chunked` });
    assert.deepEqual(Buffer.from(await got.arrayBuffer()), data);
    assert.equal(got.headers.get('content-encoding'), null);
    const bad = await build(true);
    const badText = await bad.text();
    assert.equal(bad.status, 403, badText);
    assert.equal(codeOf(badText), 'SignatureDoesNotMatch');
    assert.equal(await stored('chunked-bad'), null);
  });

  it('flexible checksums: a wrong x-amz-checksum-* is BadDigest and nothing is stored; a right one is kept and answered', async () => {
    const body = 'checksummed content';
    const sha = createHash('sha256').update(body).digest('base64');
    const bad = await send({ method: 'PUT', path: `/${bucket}/ck-bad`, body, headers: { 'x-amz-checksum-sha256': createHash('sha256').update('other').digest('base64') } });
    assert.equal(bad.status, 400);
    assert.equal(codeOf(await bad.text()), 'BadDigest');
    assert.equal(await stored('ck-bad'), null);
    const ok = await send({ method: 'PUT', path: `/${bucket}/ck`, body, headers: { 'x-amz-checksum-sha256': sha } });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('x-amz-checksum-sha256'), sha);
    const head = await send({ method: 'HEAD', path: `/${bucket}/ck`, headers: { 'x-amz-checksum-mode': 'ENABLED' } });
    assert.equal(head.headers.get('x-amz-checksum-sha256'), sha);
    assert.equal(head.headers.get('x-amz-checksum-type'), 'FULL_OBJECT');
    const plainHead = await send({ method: 'HEAD', path: `/${bucket}/ck` });
    assert.equal(plainHead.headers.get('x-amz-checksum-sha256'), null);
    const malformed = await send({ method: 'PUT', path: `/${bucket}/ck-malformed`, body, headers: { 'x-amz-checksum-crc32': 'not base64!' } });
    assert.equal(codeOf(await malformed.text()), 'InvalidRequest');
    const two = await send({ method: 'PUT', path: `/${bucket}/ck-two`, body, headers: { 'x-amz-checksum-sha256': sha, 'x-amz-checksum-crc32': 'AAAAAA==' } });
    assert.equal(codeOf(await two.text()), 'InvalidRequest');
  });
});

describe('S3 requests the dialect refuses', () => {
  it('SSE-C with a key whose MD5 does not match, or a short key: InvalidArgument, nothing stored', async () => {
    const key = randomBytes(32);
    const md5 = (b: Buffer) => createHash('md5').update(b).digest('base64');
    const headers = (k: Buffer, m: string) => ({
      'x-amz-server-side-encryption-customer-algorithm': 'AES256',
      'x-amz-server-side-encryption-customer-key': k.toString('base64'),
      'x-amz-server-side-encryption-customer-key-md5': m,
    });
    const wrongMd5 = await send({ method: 'PUT', path: `/${bucket}/ssec-md5`, body: 'x', headers: headers(key, md5(randomBytes(32))) });
    assert.equal(wrongMd5.status, 400);
    assert.match(await wrongMd5.text(), /<Code>InvalidArgument<\/Code><Message>The calculated MD5 hash of the key did not match/);
    const short = await send({ method: 'PUT', path: `/${bucket}/ssec-short`, body: 'x', headers: headers(key.subarray(0, 16), md5(key.subarray(0, 16))) });
    assert.equal(codeOf(await short.text()), 'InvalidArgument');
    const both = await send({ method: 'PUT', path: `/${bucket}/ssec-both`, body: 'x', headers: { ...headers(key, md5(key)), 'x-amz-server-side-encryption': 'AES256' } });
    assert.equal(codeOf(await both.text()), 'InvalidArgument');
    for (const k of ['ssec-md5', 'ssec-short', 'ssec-both']) assert.equal(await stored(k), null);
  });

  it('DeleteObjects needs Content-MD5 or a checksum of the document; malformed XML is MalformedXML', async () => {
    const doc = '<Delete><Object><Key>a</Key></Object></Delete>';
    const none = await send({ method: 'POST', path: `/${bucket}`, query: { delete: '' }, body: doc });
    assert.equal(none.status, 400);
    assert.equal(codeOf(await none.text()), 'InvalidRequest');
    const withMd5 = await send({ method: 'POST', path: `/${bucket}`, query: { delete: '' }, body: doc, headers: { 'content-md5': createHash('md5').update(doc).digest('base64') } });
    assert.equal(withMd5.status, 200);
    assert.match(await withMd5.text(), /<DeleteResult xmlns="http:\/\/s3.amazonaws.com\/doc\/2006-03-01\/"><Deleted><Key>a<\/Key><\/Deleted>/);
    const broken = '<Delete><Object><Key>a</Key></Object>';
    const malformed = await send({ method: 'POST', path: `/${bucket}`, query: { delete: '' }, body: broken, headers: { 'content-md5': createHash('md5').update(broken).digest('base64') } });
    assert.equal(codeOf(await malformed.text()), 'MalformedXML');
  });

  it('what Coffer does not implement is 501 NotImplemented, never silently ignored', async () => {
    const logging = await send({ method: 'PUT', path: `/${bucket}`, query: { logging: '' }, body: '<BucketLoggingStatus/>' });
    assert.equal(logging.status, 501);
    assert.equal(codeOf(await logging.text()), 'NotImplemented');
    const lock = await send({ method: 'PUT', path: `/${bucket}/locked`, body: 'x', headers: { 'x-amz-object-lock-mode': 'GOVERNANCE', 'x-amz-object-lock-retain-until-date': '2030-01-01T00:00:00Z' } });
    assert.equal(lock.status, 501);
    assert.equal(await stored('locked'), null);
    const storageClass = await send({ method: 'PUT', path: `/${bucket}/rr`, body: 'x', headers: { 'x-amz-storage-class': 'REDUCED_REDUNDANCY' } });
    assert.equal(codeOf(await storageClass.text()), 'InvalidStorageClass');
  });

  it('S3 error documents: Code, Message, Resource, RequestId (matching x-amz-request-id), and no body on HEAD', async () => {
    const r = await send({ path: `/${bucket}/missing/key` });
    assert.equal(r.status, 404);
    assert.equal(r.headers.get('content-type'), 'application/xml');
    const text = await r.text();
    assert.match(text, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<Error><Code>NoSuchKey<\/Code><Message>[^<]+<\/Message><Key>missing\/key<\/Key><Resource>\/s3-wire\/missing\/key<\/Resource><RequestId>([0-9A-F]+)<\/RequestId>/);
    assert.ok(text.includes(`<RequestId>${r.headers.get('x-amz-request-id')}</RequestId>`));
    const head = await send({ method: 'HEAD', path: `/${bucket}/missing/key` });
    assert.equal(head.status, 404);
    assert.equal(await head.text(), '');
    assert.equal(head.headers.get('x-oss-err'), null);
  });

  it('an unsigned request with x-amz-* headers is S3, and an OSS-signed request stays OSS', async () => {
    const anon = await fetch(`${srv.url}/${bucket}/signed`, { headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
    assert.equal(anon.status, 403);
    assert.ok(anon.headers.get('x-amz-request-id'));
    const oss = await srv.client({ bucket }).head('signed');
    assert.ok(oss.res.headers['x-oss-request-id']);
  });
});

describe('S3 virtual-hosted style', () => {
  it('<bucket>.<domain> names the bucket; the signature covers the path as sent', async () => {
    const vh = await startTestServer({ domain: 'example.test' });
    try {
      const host = `s3-vh.example.test:${vh.port}`;
      const call = async (method: string, path: string, body?: string, query?: Record<string, string>): Promise<{ status: number; text: string }> => {
        const signed = await s3Signer(vh.region, ACCESS_KEY_SECRET, ACCESS_KEY_ID).sign(httpRequest({ method, path, host, body, query })) as HttpRequest;
        const qs = query ? `?${new URLSearchParams(query)}` : '';
        return new Promise((resolve, reject) => {
          const req = http.request({ host: '127.0.0.1', port: vh.port, method, path: path + qs, headers: signed.headers }, (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => { text += c; });
            res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
          });
          req.on('error', reject);
          req.end(body);
        });
      };
      assert.equal((await call('PUT', '/')).status, 200);
      assert.equal((await call('PUT', '/dir/file.txt', 'virtually hosted')).status, 200);
      const got = await call('GET', '/dir/file.txt');
      assert.equal(got.status, 200);
      assert.equal(got.text, 'virtually hosted');
      const listed = await call('GET', '/', undefined, { 'list-type': '2' });
      assert.match(listed.text, /<Name>s3-vh<\/Name>.*<Key>dir\/file.txt<\/Key>/s);
      assert.ok(await vh.running.coffer.meta.getObject('s3-vh', 'dir/file.txt'));
    } finally {
      await vh.close();
    }
  });
});
