/**
 * What an encrypted object leaves on disk and in the logs, and what happens when its stored
 * bytes are altered: plaintext never reaches any file under the data directory (blobs, meta.db
 * and its WAL), keys never reach the disk in the clear nor the logs, and tampered ciphertext is
 * never served as a complete, successful response.
 */
import assert from 'node:assert/strict';
import { closeSync, openSync, readFileSync, readSync, truncateSync, writeSync } from 'node:fs';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { PACKAGE_SIZE, TAG_SIZE } from '../../src/crypto/package-format';
import { createLogger } from '../../src/common/log';
import { blobFile, filesContaining, flipByte, listFiles } from '../helpers/data-dir';
import { localhostClient } from '../helpers/oss-clients';
import { bytes } from '../helpers/oss-http';
import { ROOT_KEY, startTestServer, type TestServer } from '../helpers/server';
import { SSE, encodings, encryptionOf, eventually, getAllowingCut, marker, newBucket, plaintextObjectKey, record, type CutResponse } from '../helpers/sse';

let srv: TestServer;
let logs = '';
before(async () => {
  const sink = new Writable({ write(chunk, _enc, cb) { logs += String(chunk); cb(); } });
  srv = await startTestServer({ logLevel: 'debug', logger: createLogger('debug', sink) });
});
after(async () => { await srv.close(); });

const ALGORITHMS = ['AES256', 'SM4'] as const;
const STORED_PACKAGE = PACKAGE_SIZE + TAG_SIZE;
/** Plaintext object keys of the objects this file encrypts, for the leak checks. */
const objectKeys: Buffer[] = [];

/** Every key that must never appear in the clear: object keys, SSE-OSS master keys, the root key. */
async function secretKeys(): Promise<Buffer[]> {
  const masterKeys = await Promise.all((await srv.running.masterKeys.list()).map((v) => srv.running.masterKeys.get(v.version)));
  return [Buffer.from(ROOT_KEY, 'hex'), ...masterKeys, ...objectKeys];
}

describe('on disk and in the logs', () => {
  const secret = marker(8 * 1024);
  const bigSecret = marker(102_400);
  const control = marker(8 * 1024);
  let c: any;
  const encrypted: string[] = [];

  before(async () => {
    c = await newBucket(srv, 'at-rest');
    const bucket = 'at-rest';
    for (const algorithm of ALGORITHMS) {
      // A fresh object per call: ali-oss adds to the headers it is given.
      const sse = () => ({ [SSE]: algorithm });
      await c.put(`put-${algorithm}`, secret.data, { headers: sse() });

      const init = await c.initMultipartUpload(`mp-${algorithm}`, { headers: sse() });
      const p1 = await c.uploadPart(`mp-${algorithm}`, init.uploadId, 1, bigSecret.data, 0, bigSecret.data.length);
      const p2 = await c.uploadPart(`mp-${algorithm}`, init.uploadId, 2, secret.data, 0, secret.data.length);
      await c.completeMultipartUpload(`mp-${algorithm}`, init.uploadId, [{ number: 1, etag: p1.etag }, { number: 2, etag: p2.etag }]);

      let position = '0';
      for (let i = 0; i < 3; i++) {
        position = (await c.append(`append-${algorithm}`, secret.data, { position, headers: i === 0 ? sse() : {} })).nextAppendPosition;
      }

      await c.copy(`copy-${algorithm}`, `put-${algorithm}`, { headers: sse() });
      const upc = await c.initMultipartUpload(`upc-${algorithm}`, { headers: sse() });
      const part = await c.uploadPartCopy(`upc-${algorithm}`, upc.uploadId, 1, '', { sourceKey: `mp-${algorithm}`, sourceBucketName: bucket });
      await c.completeMultipartUpload(`upc-${algorithm}`, upc.uploadId, [{ number: 1, etag: part.etag }]);

      // Encrypted in place after being stored in the clear: the plaintext blob must go.
      await c.put(`in-place-${algorithm}`, secret.data);
      await c.copy(`in-place-${algorithm}`, `in-place-${algorithm}`, { headers: sse(), meta: { encrypted: 'yes' } });
      encrypted.push(`put-${algorithm}`, `mp-${algorithm}`, `append-${algorithm}`, `copy-${algorithm}`, `upc-${algorithm}`, `in-place-${algorithm}`);
    }
    const byDefault = await newBucket(srv, 'at-rest-default', 'V4', { [SSE]: 'SM4' });
    await byDefault.put('by-default', secret.data);
    await c.put('control', control.data);
  });

  test('every encrypted object reads back as the plaintext', async () => {
    assert.ok((await c.get('put-AES256')).content.equals(secret.data));
    assert.ok((await c.get('mp-SM4')).content.equals(Buffer.concat([bigSecret.data, secret.data])));
    assert.ok((await c.get('append-SM4')).content.equals(Buffer.concat([secret.data, secret.data, secret.data])));
    assert.ok((await c.get('upc-AES256')).content.equals(Buffer.concat([bigSecret.data, secret.data])));
    assert.ok((await c.get('in-place-SM4')).content.equals(secret.data));
    for (const key of encrypted) assert.ok(encryptionOf(await record(srv, 'at-rest', key)), `${key} is not encrypted`);
  });

  test('the plaintext is in no file under the data directory; the unencrypted control object is', async () => {
    const files = listFiles(srv.dataDir);
    assert.ok(files.includes('meta.db') && files.includes('meta.db-wal'), `scan must cover meta.db and its WAL: ${files.filter((f) => f.startsWith('meta'))}`);
    const found = filesContaining(srv.dataDir, [control.token]);
    assert.equal(found.length, 1, 'the scan must find the plaintext of the unencrypted object');
    assert.match(found[0], /^blobs\//);

    // The in-place encryptions leave their plaintext blobs to the collector, which runs right after.
    const needles = [...encodings(secret.token), ...encodings(bigSecret.token)];
    await eventually(() => filesContaining(srv.dataDir, needles).length === 0);
    assert.deepEqual(filesContaining(srv.dataDir, needles), []);
  });

  test('object keys, master keys and the root key are in no file', async () => {
    for (const key of encrypted) objectKeys.push(await plaintextObjectKey(srv, await record(srv, 'at-rest', key)));
    assert.equal(new Set(objectKeys.map((k) => k.toString('hex'))).size, objectKeys.length, 'every object has its own key');
    assert.deepEqual(filesContaining(srv.dataDir, (await secretKeys()).flatMap(encodings)), []);
  });

  test('the plaintext is in no log line', () => {
    assert.match(logs, /"operation":"PutObject"/);
    assert.equal(logs.includes(secret.token.toString()), false);
    assert.equal(logs.includes(bigSecret.token.toString()), false);
  });
});

/** Fails the test unless the response is an error, or cut short with only genuine bytes delivered. */
function assertRefused(res: CutResponse, genuine: Buffer, what: string): void {
  if (res.status >= 400 || res.status === 0) return;
  assert.equal(res.complete, false, `${what}: tampered data served as a complete ${res.status} response`);
  assert.ok(res.received.length < res.contentLength, `${what}: the whole body arrived`);
  assert.ok(genuine.subarray(0, res.received.length).equals(res.received), `${what}: altered bytes were delivered`);
}

function assertServed(res: CutResponse, expected: Buffer, what: string): void {
  assert.ok(res.status === 200 || res.status === 206, `${what}: status ${res.status}`);
  assert.equal(res.complete, true, `${what}: incomplete`);
  assert.ok(res.received.equals(expected), `${what}: wrong bytes`);
}

function swapPackages(file: string, a: number, b: number): void {
  const fd = openSync(file, 'r+');
  try {
    const pa = Buffer.alloc(STORED_PACKAGE);
    const pb = Buffer.alloc(STORED_PACKAGE);
    readSync(fd, pa, 0, STORED_PACKAGE, a * STORED_PACKAGE);
    readSync(fd, pb, 0, STORED_PACKAGE, b * STORED_PACKAGE);
    writeSync(fd, pb, 0, STORED_PACKAGE, a * STORED_PACKAGE);
    writeSync(fd, pa, 0, STORED_PACKAGE, b * STORED_PACKAGE);
  } finally {
    closeSync(fd);
  }
}

describe('tampered ciphertext is detected', () => {
  // Four packages: three full ones and a short final one.
  const SIZE = 3 * PACKAGE_SIZE + 3392;
  const LAST = 3 * PACKAGE_SIZE;
  let c: any;
  let signer: any;
  before(async () => {
    c = await newBucket(srv, 'tamper');
    signer = localhostClient(srv, { bucket: 'tamper' });
  });

  const get = (key: string, range?: string) => getAllowingCut(srv, signer.signatureUrl(key), range ? { range } : {});

  const CASES: Array<{ name: string; alter: (file: string) => void; untouched: Array<[number, number]>; broken: Array<[number, number]> }> = [
    { name: 'one byte flipped in package 1', alter: (f) => flipByte(f, STORED_PACKAGE + 100), untouched: [[0, PACKAGE_SIZE - 1], [LAST, SIZE - 1]], broken: [[PACKAGE_SIZE, PACKAGE_SIZE + 4], [PACKAGE_SIZE - 10, PACKAGE_SIZE + 10]] },
    { name: 'one tag byte flipped in the final package', alter: (f) => flipByte(f, LAST + 3 * TAG_SIZE + 3392 + 5), untouched: [[0, 10]], broken: [[SIZE - 1, SIZE - 1]] },
    { name: 'truncated by the final package', alter: (f) => truncateSync(f, 3 * STORED_PACKAGE), untouched: [[0, PACKAGE_SIZE - 1]], broken: [[LAST, LAST]] },
    { name: 'truncated by one byte', alter: (f) => truncateSync(f, SIZE + 4 * TAG_SIZE - 1), untouched: [[PACKAGE_SIZE, 2 * PACKAGE_SIZE - 1]], broken: [[SIZE - 100, SIZE - 1]] },
    { name: 'packages 0 and 1 swapped', alter: (f) => swapPackages(f, 0, 1), untouched: [[LAST, SIZE - 1], [2 * PACKAGE_SIZE, 2 * PACKAGE_SIZE]], broken: [[0, 0], [PACKAGE_SIZE, PACKAGE_SIZE]] },
  ];

  for (const algorithm of ALGORITHMS) {
    for (const t of CASES) {
      test(`${algorithm}, ${t.name}: GET fails, untouched packages still read`, async () => {
        const key = `${algorithm}-${t.name}`;
        const data = bytes(SIZE, key.length);
        await c.put(key, data, { headers: { [SSE]: algorithm } });
        const rec = await record(srv, 'tamper', key);
        objectKeys.push(await plaintextObjectKey(srv, rec));
        const file = blobFile(srv.dataDir, rec.segments[0].blobId);
        assert.equal(readFileSync(file).length, SIZE + 4 * TAG_SIZE);
        t.alter(file);

        assertRefused(await get(key), data, 'whole object');
        await assert.rejects(c.get(key));
        for (const [s, e] of t.broken) assertRefused(await get(key, `bytes=${s}-${e}`), data.subarray(s, e + 1), `bytes=${s}-${e}`);
        for (const [s, e] of t.untouched) assertServed(await get(key, `bytes=${s}-${e}`), data.subarray(s, e + 1), `bytes=${s}-${e}`);
      });
    }
  }

  test('multipart: a flipped byte in part 2 fails reads of part 2 only', async () => {
    const parts = [bytes(102_400, 61), bytes(102_400, 62), bytes(5000, 63)];
    const whole = Buffer.concat(parts);
    const result = await c.multipartUpload('mp-tamper', whole, { partSize: 102_400, headers: { [SSE]: 'SM4' } });
    assert.equal(result.res.headers[SSE], 'SM4');
    const rec = await record(srv, 'tamper', 'mp-tamper');
    objectKeys.push(await plaintextObjectKey(srv, rec));
    assert.equal(rec.segments.length, 3);
    flipByte(blobFile(srv.dataDir, rec.segments[1].blobId), 10);

    assertRefused(await get('mp-tamper'), whole, 'whole object');
    assertRefused(await get('mp-tamper', 'bytes=102400-102400'), whole.subarray(102_400, 102_401), 'first byte of part 2');
    assertServed(await get('mp-tamper', 'bytes=0-102399'), parts[0], 'part 1');
    assertServed(await get('mp-tamper', 'bytes=204800-209799'), parts[2], 'part 3');
  });

  test('a tampered sealed object key: GET answers an error before sending any byte', async () => {
    const data = bytes(1000, 71);
    await c.put('key-tamper', data, { headers: { [SSE]: 'AES256' } });
    const rec = await record(srv, 'tamper', 'key-tamper');
    objectKeys.push(await plaintextObjectKey(srv, rec));
    const info = encryptionOf(rec)!;
    const sealed = Buffer.from(info.wrapped.sealed, 'base64');
    sealed[0] ^= 0x01;
    const encryption = { ...info, wrapped: { ...info.wrapped, sealed: sealed.toString('base64') } };
    await srv.running.coffer.meta.transaction((tx) => tx.putObject({ ...rec, encryption: { ...encryption } }));

    const res = await get('key-tamper');
    assert.equal(res.status, 500);
    assert.equal(res.complete, true);
    assert.match(res.received.toString(), /<Code>DataIntegrityError<\/Code>/);
  });
});

test('no key reaches the logs, including the lines of the failed reads above', async () => {
  // The reads above failed loudly, and every request leaves an access line: the check looks at real output.
  assert.match(logs, /"level":"error".*"msg":"request failed"/);
  assert.match(logs, /"operation":"GetObject"/);
  const logBytes = Buffer.from(logs);
  const leaked = (await secretKeys()).flatMap(encodings).filter((n) => logBytes.includes(n));
  assert.equal(leaked.length, 0, 'a key appears in the logs');
});
