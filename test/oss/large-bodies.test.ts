/**
 * Bodies of 1 MiB and more are hashed on the server's hashing thread (src/crypto/hash-pool.ts):
 * what a client gets back (ETag, CRC-64, its Content-MD5 checked, the bytes) must be exactly what
 * hashing on the event loop gives, through PUT, multipart, copy and encryption, with bodies
 * arriving together and clients hanging up halfway.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { signV1, v1StringToSign } from '../../src/auth/signature-v1';
import { HashPool } from '../../src/crypto/hash-pool';
import { assertNothingStored, assertOssError, bytes, crcOf, etagOf, md5Base64, signedHttp, storedFiles } from '../helpers/oss-http';
import { ACCESS_KEY_ID, ACCESS_KEY_SECRET, startTestServer, type TestServer } from '../helpers/server';

const MiB = 1024 * 1024;
const BUCKET = 'large-bodies';
let srv: TestServer;
let client: any;

before(async () => {
  srv = await startTestServer({ hashThreads: 1 });
  client = srv.client({ bucket: BUCKET });
  await client.putBucket(BUCKET);
});
after(() => srv.close());

test('the server hashes large bodies on a thread', () => {
  assert.ok(srv.running.coffer.hashing instanceof HashPool);
  assert.equal(srv.running.coffer.hashing.size, 1);
});

test('PutObject of 5 MiB: ETag, CRC-64 and the bytes are the body\'s', async () => {
  const data = bytes(5 * MiB + 3, 7);
  const put = await client.put('five', data);
  assert.equal(put.res.headers.etag, etagOf(data));
  assert.equal(put.res.headers['x-oss-hash-crc64ecma'], crcOf(data));
  const got = await client.get('five');
  assert.ok(Buffer.compare(got.content, data) === 0);
});

test('a wrong Content-MD5 on a large body is InvalidDigest and stores nothing', async () => {
  const data = bytes(3 * MiB, 8);
  const before = storedFiles(srv);
  const res = await signedHttp(srv, { method: 'PUT', bucket: BUCKET, key: 'bad-md5', body: data, headers: { 'Content-MD5': md5Base64('other'), 'Content-Type': 'application/octet-stream' } });
  assertOssError(res, 400, 'InvalidDigest');
  await assert.rejects(client.head('bad-md5'), (err: any) => err.status === 404);
  assertNothingStored(srv, before);
});

test('sixteen large bodies at once are each hashed right', async () => {
  const bodies = Array.from({ length: 16 }, (_, i) => bytes(MiB + i * 65_537, 100 + i));
  const puts = await Promise.all(bodies.map((b, i) => client.put(`many/${i}`, b)));
  for (const [i, b] of bodies.entries()) {
    assert.equal(puts[i].res.headers.etag, etagOf(b), `body ${i}`);
    assert.equal(puts[i].res.headers['x-oss-hash-crc64ecma'], crcOf(b), `body ${i}`);
  }
});

test('multipart parts and an encrypting copy of a large object keep the right digests', async () => {
  const data = bytes(3 * MiB + 11, 9);
  const upload = await client.initMultipartUpload('parts');
  const first = await client.uploadPart('parts', upload.uploadId, 1, data.subarray(0, 2 * MiB), 0, 2 * MiB);
  const second = await client.uploadPart('parts', upload.uploadId, 2, data.subarray(2 * MiB), 0, data.length - 2 * MiB);
  assert.equal(first.etag, etagOf(data.subarray(0, 2 * MiB)));
  await client.completeMultipartUpload('parts', upload.uploadId, [{ number: 1, etag: first.etag }, { number: 2, etag: second.etag }]);
  assert.ok(Buffer.compare((await client.get('parts')).content, data) === 0);

  const plain = bytes(2 * MiB + 5, 10);
  await client.put('copy-src', plain);
  const copy = await client.copy('copy-dst', 'copy-src', { headers: { 'x-oss-server-side-encryption': 'AES256' } });
  assert.equal(copy.data.etag, etagOf(plain));
  const head = await client.head('copy-dst');
  assert.equal(head.res.headers['x-oss-server-side-encryption'], 'AES256');
  assert.equal(head.res.headers['x-oss-hash-crc64ecma'], crcOf(plain));
  assert.ok(Buffer.compare((await client.get('copy-dst')).content, plain) === 0);
});

/** A signed PUT of `declared` bytes that sends `sent` of them and hangs up. */
function putAndHangUp(key: string, declared: number, sent: number): Promise<void> {
  const date = new Date().toUTCString();
  const type = 'application/octet-stream';
  const sig = signV1(ACCESS_KEY_SECRET, v1StringToSign('PUT', { 'content-type': type, date }, date, `/${BUCKET}/${key}`));
  return new Promise((resolve, reject) => {
    const socket = net.connect(srv.port, '127.0.0.1', () => {
      socket.write(`PUT /${BUCKET}/${key} HTTP/1.1\r\nHost: ${srv.host}\r\nDate: ${date}\r\nContent-Type: ${type}\r\nContent-Length: ${declared}\r\nAuthorization: OSS ${ACCESS_KEY_ID}:${sig}\r\n\r\n`);
      socket.write(bytes(sent, 11), () => setTimeout(() => socket.destroy(), 200));
    });
    socket.on('error', reject);
    socket.on('close', () => resolve());
  });
}

test('clients hanging up halfway leave nothing behind and the hashing thread free', async () => {
  const before = storedFiles(srv);
  for (let i = 0; i < 5; i++) await putAndHangUp(`gone-${i}`, 8 * MiB, 2 * MiB + 17);
  await assert.rejects(client.head('gone-0'), (err: any) => err.status === 404);
  const data = bytes(4 * MiB, 12);
  assert.equal((await client.put('after', data)).res.headers.etag, etagOf(data));
  // The aborted blobs are removed as their writes fail; give the last one a moment.
  for (let i = 0; i < 50 && storedFiles(srv).blobs.size > before.blobs.size + 1; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(storedFiles(srv).blobs.size, before.blobs.size + 1);
});
