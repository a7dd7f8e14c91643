/**
 * A stream PUT with an explicit Content-Length (issue 13, item 9). ali-oss's putStream adds
 * `Transfer-Encoding: chunked` unless `options.contentLength` is given, so
 * `put(name, stream, { headers: { 'Content-Length': n } })` sends both headers and a chunked body
 * (captured below). Node's parser refuses such a request before Coffer sees it; accepting it would
 * take the insecure parser for every request. Coffer answers with an OSS error that names the fix
 * and closes the connection, so no byte after the refused head is read as a request.
 */
import assert from 'node:assert/strict';
import { createReadStream, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { assertNothingStored, bytes, etagOf, rejectsWith, storedFiles, xml } from '../helpers/oss-http';
import { ACCESS_KEY_ID, startTestServer, tempDir, type TestServer } from '../helpers/server';

let srv: TestServer;
let dir: string;
let file: string;
const BUCKET = 'stream-put';
const DATA = bytes(70_000, 3);

before(async () => {
  srv = await startTestServer();
  dir = tempDir('coffer-stream-put-');
  file = path.join(dir, 'f.bin');
  writeFileSync(file, DATA);
  await srv.client({ bucket: BUCKET }).putBucket(BUCKET);
});
after(async () => {
  await srv.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Sends bytes on one connection and returns everything the server wrote before closing it. */
function exchange(port: number, request: Buffer | string, answer?: (socket: net.Socket, received: Buffer) => void): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.setTimeout(10_000, () => socket.destroy(new Error('no close in 10 s')));
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      answer?.(socket, Buffer.concat(chunks));
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks)));
    socket.write(request);
  });
}

test('what ali-oss sends for put(name, stream, { headers: { Content-Length } }): both headers and a chunked body', async () => {
  const received: Buffer[] = [];
  const capture = net.createServer((socket) => {
    socket.on('data', (c: Buffer) => {
      received.push(c);
      if (Buffer.concat(received).includes('0\r\n\r\n')) socket.end('HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    });
  });
  await new Promise<void>((resolve) => capture.listen(0, '127.0.0.1', resolve));
  try {
    const port = (capture.address() as net.AddressInfo).port;
    const client = srv.client({ bucket: BUCKET, endpoint: `http://127.0.0.1:${port}` });
    await client.put('k.bin', createReadStream(file), { headers: { 'Content-Length': DATA.length } }).catch(() => undefined);
  } finally {
    capture.close();
  }
  const wire = Buffer.concat(received).toString('latin1');
  const head = wire.slice(0, wire.indexOf('\r\n\r\n')).toLowerCase();
  assert.match(head, new RegExp(`\\r\\ncontent-length: ${DATA.length}\\r\\n`));
  assert.match(head, /\r\ntransfer-encoding: chunked\r\n/);
  // The body is chunk-encoded: a hex size line first, the terminating zero-size chunk last.
  const body = wire.slice(wire.indexOf('\r\n\r\n') + 4);
  assert.match(body, /^[0-9a-f]+\r\n/);
  assert.ok(body.endsWith('\r\n0\r\n\r\n'));
});

test('Coffer refuses it with an OSS error naming the fix (400 InvalidRequest), and stores nothing', async () => {
  const before = storedFiles(srv);
  const client = srv.client({ bucket: BUCKET });
  const err = await rejectsWith(client.put('both.bin', createReadStream(file), { headers: { 'Content-Length': DATA.length } }), 400, 'InvalidRequest');
  assert.match(err.message, /contentLength/);
  assertNothingStored(srv, before);
  await rejectsWith(client.head('both.bin'), 404, 'NoSuchKey');
});

test('the ways ali-oss can send a stream work: options.contentLength (Content-Length only) and no length (chunked only)', async () => {
  const client = srv.client({ bucket: BUCKET });
  const sized = await client.putStream('sized.bin', createReadStream(file), { contentLength: DATA.length });
  assert.equal(sized.res.headers.etag, etagOf(DATA));
  const chunked = await client.put('chunked.bin', Readable.from([DATA.subarray(0, 1000), DATA.subarray(1000)]));
  assert.equal(chunked.res.headers.etag, etagOf(DATA));
  assert.deepEqual((await client.get('sized.bin')).content, DATA);
});

for (const order of [['Content-Length: 5', 'Transfer-Encoding: chunked'], ['Transfer-Encoding: chunked', 'Content-Length: 5']]) {
  test(`raw bytes, ${order.join(' then ')}: an OSS XML 400, the connection closed, and a request smuggled behind it never runs`, async () => {
    const before = storedFiles(srv);
    const smuggled = `PUT /${BUCKET}/smuggled.txt HTTP/1.1\r\nHost: ${srv.host}\r\nContent-Length: 1\r\n\r\nx`;
    const request = [`PUT /${BUCKET}/both.txt HTTP/1.1`, `Host: ${srv.host}`, `Authorization: OSS ${ACCESS_KEY_ID}:x`, `Date: ${new Date().toUTCString()}`, ...order, '', '5\r\nhello\r\n0\r\n\r\n'].join('\r\n');
    const answer = (await exchange(srv.port, request + smuggled)).toString('utf8');
    assert.match(answer, /^HTTP\/1\.1 400 /);
    const head = answer.slice(0, answer.indexOf('\r\n\r\n')).toLowerCase();
    assert.match(head, /\r\nconnection: close/);
    assert.match(head, /\r\ncontent-type: application\/xml/);
    const error = xml(answer.slice(answer.indexOf('\r\n\r\n') + 4)).Error;
    assert.equal(error.Code, 'InvalidRequest');
    assert.match(error.Message, /Content-Length and Transfer-Encoding/);
    assert.match(head, new RegExp(`x-oss-request-id: ${error.RequestId.toLowerCase()}`));
    // One answer only: the bytes after the refused head were not parsed as another request.
    assert.equal(answer.match(/HTTP\/1\.1 /g)?.length, 1);
    assertNothingStored(srv, before);
    assert.equal(await srv.running.coffer.meta.getObject(BUCKET, 'smuggled.txt'), null);
  });
}

test('other malformed requests also get an OSS error body', async () => {
  const answer = (await exchange(srv.port, 'GET /a b c HTTP/1.1\r\nHost: x\r\n\r\n')).toString('utf8');
  assert.match(answer, /^HTTP\/1\.1 400 /);
  assert.equal(xml(answer.slice(answer.indexOf('\r\n\r\n') + 4)).Error.Code, 'InvalidRequest');
});
