/**
 * ExtranetEndpoint / IntranetEndpoint (ListBuckets, GetBucketInfo) and the Location of
 * CompleteMultipartUpload name this server, never Alibaba Cloud's public endpoint: a client that
 * follows them (oss2's own test teardown builds a Bucket from ExtranetEndpoint) must come back here.
 * Default: the address the request came in on; --public-endpoint overrides it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, tempDir, type TestServer } from '../helpers/server';
import { runCoffer } from '../cli/helpers';
import { signedHttp, xml } from '../helpers/oss-http';

const KiB = 1024;

describe('endpoints reported by default: the address the request came in on', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({ domain: 'coffer.test' });
    await srv.client().putBucket('ep-bucket');
  });
  after(async () => { await srv.close(); });

  for (const authorizationV4 of [false, true]) {
    test(`ali-oss (IP endpoint, Host rewritten to *.aliyuncs.com${authorizationV4 ? ', V4' : ''}): getBucketInfo names host:port of the listener`, async () => {
      const info = (await srv.client({ authorizationV4 }).getBucketInfo('ep-bucket')).bucket;
      assert.equal(info.ExtranetEndpoint, srv.host);
      assert.equal(info.IntranetEndpoint, srv.host);
      assert.doesNotMatch(JSON.stringify(info), /aliyuncs\.com/);
    });
  }

  test('ali-oss on a host name with sldEnable (path style, Host localhost:port) gets that name back', async () => {
    const c = srv.client({ endpoint: `http://localhost:${srv.port}`, sldEnable: true });
    const info = (await c.getBucketInfo('ep-bucket')).bucket;
    assert.equal(info.ExtranetEndpoint, `localhost:${srv.port}`);
    assert.equal(info.IntranetEndpoint, `localhost:${srv.port}`);
  });

  test('ListBuckets, path style and as ali-oss sends it (Host ".oss-cn-hangzhou.aliyuncs.com"), names this server', async () => {
    for (const host of [srv.host, `localhost:${srv.port}`]) {
      const res = await signedHttp(srv, { query: [['prefix', 'ep-']], headers: { host } });
      assert.equal(res.status, 200, res.text);
      const b = xml(res.text).ListAllMyBucketsResult.Buckets.Bucket;
      assert.equal(b.Name, 'ep-bucket');
      assert.equal(b.ExtranetEndpoint, host);
      assert.equal(b.IntranetEndpoint, host);
    }
    const viaAliOss = await signedHttp(srv, { query: [['prefix', 'ep-']], headers: { host: '.oss-cn-hangzhou.aliyuncs.com' } });
    const b = xml(viaAliOss.text).ListAllMyBucketsResult.Buckets.Bucket;
    assert.equal(b.ExtranetEndpoint, srv.host);
    assert.equal(b.IntranetEndpoint, srv.host);
  });

  test('virtual-hosted style on --domain: the domain part with the port', async () => {
    const res = await signedHttp(srv, { bucket: 'ep-bucket', query: [['bucketInfo', '']], headers: { host: `ep-bucket.coffer.test:${srv.port}` } });
    // Path-style request line with a Host naming the bucket: both readings are tried, the signature picks one.
    assert.equal(res.status, 200, res.text);
    const info = xml(res.text).BucketInfo.Bucket;
    assert.equal(info.ExtranetEndpoint, `coffer.test:${srv.port}`);
    assert.equal(info.IntranetEndpoint, `coffer.test:${srv.port}`);
  });

  test('a request with an empty Host gets the address of the listener it reached', async () => {
    const res = await signedHttp(srv, { bucket: 'ep-bucket', query: [['bucketInfo', '']], headers: { host: '' } });
    assert.equal(res.status, 200, res.text);
    assert.equal(xml(res.text).BucketInfo.Bucket.ExtranetEndpoint, srv.host);
  });

  test('CompleteMultipartUpload Location points at this server', async () => {
    const c = srv.client({ bucket: 'ep-bucket' });
    const key = 'dir/multi part.bin';
    const { uploadId } = await c.initMultipartUpload(key);
    const part = await c.uploadPart(key, uploadId, 1, Buffer.alloc(10 * KiB, 1), 0, 10 * KiB);
    const done = await c.completeMultipartUpload(key, uploadId, [{ number: 1, etag: part.etag }]);
    const result = xml(Buffer.from(done.res.data).toString()).CompleteMultipartUploadResult;
    assert.equal(result.Location, `http://${srv.host}/ep-bucket/dir/multi%20part.bin`);
  });
});

describe('--public-endpoint', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({ publicEndpoint: 'oss.example.internal:8443' });
    await srv.client().putBucket('ep-public');
  });
  after(async () => { await srv.close(); });

  test('is reported for every request, whatever Host it came with', async () => {
    const info = (await srv.client().getBucketInfo('ep-public')).bucket;
    assert.equal(info.ExtranetEndpoint, 'oss.example.internal:8443');
    assert.equal(info.IntranetEndpoint, 'oss.example.internal:8443');
    for (const host of [srv.host, '.oss-cn-hangzhou.aliyuncs.com']) {
      const res = await signedHttp(srv, { query: [['prefix', 'ep-']], headers: { host } });
      const b = xml(res.text).ListAllMyBucketsResult.Buckets.Bucket;
      assert.equal(b.ExtranetEndpoint, 'oss.example.internal:8443');
      assert.equal(b.IntranetEndpoint, 'oss.example.internal:8443');
    }
  });
});

describe('coffer server flags', () => {
  const home = tempDir('coffer-endpoint-home-');
  after(async () => { (await import('node:fs')).rmSync(home, { recursive: true, force: true }); });

  test('--help documents --public-endpoint', async () => {
    const r = await runCoffer(['server', '--help'], home);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /--public-endpoint <host\[:port\]>/);
  });

  test('a malformed --public-endpoint is refused before anything starts', async () => {
    for (const bad of ['http://oss.example.com', 'oss.example.com/path', 'host:port', 'a b']) {
      const r = await runCoffer(['server', '--data-dir', `${home}/never`, '--public-endpoint', bad, '--workers', '1'], home);
      assert.notEqual(r.code, 0, bad);
      assert.match(r.stderr, /--public-endpoint must be host\[:port\]/, bad);
    }
  });
});
