/**
 * Unencrypted objects have no authentication tag, so each segment stored in the clear keeps a
 * CRC-32 that every read of the whole segment checks as the bytes stream, withholding the last
 * chunk until it matches: a flipped byte in a plain blob file is never served as a complete 200;
 * the response is cut (or refused before any byte) and an error is logged. Single-request,
 * multipart and appended objects alike, and a range that is exactly one part. Objects written
 * before segments kept a CRC-32 are checked against their CRC-64 when read whole. A range within a
 * segment cannot be checked this way; untouched ranges still read.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { createLogger } from '../../src/common/log';
import { blobFile, flipByte } from '../helpers/data-dir';
import { localhostClient } from '../helpers/oss-clients';
import { bytes } from '../helpers/oss-http';
import { startTestServer, type TestServer } from '../helpers/server';
import { getAllowingCut, newBucket, record, type CutResponse } from '../helpers/sse';

let srv: TestServer;
let c: any;
let signer: any;
let logs = '';
const BUCKET = 'plain-integrity';

before(async () => {
  const sink = new Writable({ write(chunk, _enc, cb) { logs += String(chunk); cb(); } });
  srv = await startTestServer({ logLevel: 'error', logger: createLogger('error', sink) });
  c = await newBucket(srv, BUCKET);
  signer = localhostClient(srv, { bucket: BUCKET });
});
after(async () => { await srv.close(); });

const get = (key: string, headers: Record<string, string> = {}): Promise<CutResponse> => getAllowingCut(srv, signer.signatureUrl(key), headers);

/** The server did not deliver a complete successful response: an error status, or a body cut short. */
function assertNotDelivered(res: CutResponse, what: string): void {
  if (res.status >= 400 || res.status === 0) return;
  assert.equal(res.complete, false, `${what}: corrupt data served as a complete ${res.status} response`);
  assert.ok(res.received.length < res.contentLength, `${what}: the whole body arrived (${res.received.length} of ${res.contentLength})`);
}

const MIB = 1024 * 1024;
const CASES: Array<{ name: string; size: number; write(key: string, data: Buffer): Promise<unknown>; flipAt: (size: number) => { segment: number; offset: number } }> = [
  { name: 'a small object (one chunk)', size: 10_000, write: (k, d) => c.put(k, d), flipAt: () => ({ segment: 0, offset: 5_000 }) },
  { name: 'a 3 MiB object, byte near the start', size: 3 * MIB, write: (k, d) => c.put(k, d), flipAt: () => ({ segment: 0, offset: 10 }) },
  { name: 'a 3 MiB object, its last byte', size: 3 * MIB, write: (k, d) => c.put(k, d), flipAt: (s) => ({ segment: 0, offset: s - 1 }) },
  {
    name: 'a multipart object, second part', size: 3 * 409_600,
    write: (k, d) => c.multipartUpload(k, d, { partSize: 409_600 }), flipAt: () => ({ segment: 1, offset: 200_000 }),
  },
  {
    name: 'an appended object, second append', size: 600_000,
    write: async (k, d) => {
      const first = await c.append(k, d.subarray(0, 300_000));
      await c.append(k, d.subarray(300_000), { position: first.nextAppendPosition });
    },
    flipAt: () => ({ segment: 1, offset: 123 }),
  },
];

for (const t of CASES) {
  test(`${t.name}: a flipped byte on disk fails the whole-object GET, logged; an untouched range still reads`, async () => {
    const key = `obj-${t.name}`;
    const data = bytes(t.size, t.name.length);
    await t.write(key, data);
    // Intact, it reads whole, also through ali-oss (which checks x-oss-hash-crc64ecma itself).
    const intact = await get(key);
    assert.ok(intact.complete && intact.status === 200 && intact.received.equals(data), 'the intact object does not read');
    assert.ok((await c.get(key)).content.equals(data));

    const rec = await record(srv, BUCKET, key);
    const at = t.flipAt(t.size);
    flipByte(blobFile(srv.dataDir, rec.segments[at.segment]!.blobId), at.offset, 0x20);
    const logged = logs.length;

    assertNotDelivered(await get(key), 'GET');
    assertNotDelivered(await get(key, { range: `bytes=0-${t.size - 1}` }), 'GET of the whole object as a range');
    await assert.rejects(c.get(key), 'ali-oss GET');
    assert.match(logs.slice(logged), /"level":"error".*failed its CRC-32 check/, 'no error was logged');

    // A range cannot be checked against the whole object's CRC; one away from the flip is served as stored.
    const segmentStart = rec.segments.slice(0, at.segment).reduce((n, s) => n + s.size, 0);
    const flipped = segmentStart + at.offset;
    const [s, e] = flipped > 100 ? [0, 99] : [t.size - 100, t.size - 1];
    const range = await get(key, { range: `bytes=${s}-${e}` });
    assert.equal(range.status, 206);
    assert.ok(range.complete && range.received.equals(data.subarray(s, e + 1)), 'an untouched range does not read');
  });
}

test('a range that is exactly one part of a multipart object is checked against that part\'s CRC-32', async () => {
  const part = 409_600;
  const data = bytes(3 * part, 11);
  await c.multipartUpload('parts', data, { partSize: part });
  const rec = await record(srv, BUCKET, 'parts');
  assert.ok(rec.segments.every((s) => typeof s.crc32 === 'number'), 'plain segments keep a CRC-32');
  flipByte(blobFile(srv.dataDir, rec.segments[1]!.blobId), 77, 0x04);
  assertNotDelivered(await get('parts', { range: `bytes=${part}-${2 * part - 1}` }), 'GET of the damaged part as a range');
  const first = await get('parts', { range: `bytes=0-${part - 1}` });
  assert.ok(first.complete && first.status === 206 && first.received.equals(data.subarray(0, part)), 'an intact part does not read');
});

test('an object whose segments predate their CRC-32 is checked against its CRC-64 when read whole', async () => {
  const data = bytes(900_000, 12);
  await c.put('legacy', data);
  const rec = await record(srv, BUCKET, 'legacy');
  await srv.running.coffer.meta.transaction(async (tx) => {
    await tx.putObject({ ...rec, segments: rec.segments.map(({ crc32: _crc32, ...s }) => s) });
  });
  assert.ok((await get('legacy')).received.equals(data), 'the legacy object does not read');
  flipByte(blobFile(srv.dataDir, rec.segments[0]!.blobId), 12_345, 0x10);
  const logged = logs.length;
  assertNotDelivered(await get('legacy'), 'GET of a damaged legacy object');
  assert.match(logs.slice(logged), /failed its CRC-64 check/);
});

test('encrypted segments keep no CRC-32 (their packages authenticate themselves)', async () => {
  await c.put('sealed', bytes(100_000, 13), { headers: { 'x-oss-server-side-encryption': 'AES256' } });
  const rec = await record(srv, BUCKET, 'sealed');
  assert.ok(rec.segments.every((s) => s.crc32 === undefined));
});
