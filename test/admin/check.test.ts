/**
 * CheckObjects (the scrub behind `coffer admin check`) through the admin API against a real
 * server: a clean store has no problems; blobs damaged on disk behind the server's back (a byte
 * flipped in an encrypted package, one cut short, one deleted, a byte flipped in a plain object,
 * in an unfinished upload's part, in the second segment of a multipart object) are each reported
 * with their bucket, key, blob and kind; a KMS key that will not unseal is "not verified", not
 * damage; the scrub changes no blob and no record; it resumes across steps; objects overwritten
 * while it runs are not reported.
 */
import assert from 'node:assert/strict';
import { truncateSync, unlinkSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { storedSize } from '../../src/crypto/package-format';
import type { ObjectRecord } from '../../src/store/types';
import { blobFile, flipByte, snapshotFiles } from '../helpers/data-dir';
import { createKey, kmsClient, Kms } from '../helpers/kms';
import { auditRecords, startTestServer, type TestServer } from '../helpers/server';
import { popClient } from '../rpc/helpers';

let srv: TestServer;
const SSE = 'x-oss-server-side-encryption';

type Body = Record<string, any>;
const admin = (action: string, params: Record<string, string | number> = {}): Promise<Body> =>
  popClient(srv.kmsUrl).request<Body>(action, params, { method: 'POST', timeout: 60_000 });

/** A whole pass, step by step; the markers it went through. */
async function checkAll(maxObjects = 1000): Promise<{ problems: Body[]; unverified: Body[]; objects: number; bytes: number; uploads: number; parts: number; markers: string[] }> {
  const out = { problems: [] as Body[], unverified: [] as Body[], objects: 0, bytes: 0, uploads: 0, parts: 0, markers: [] as string[] };
  let marker: string | undefined;
  do {
    const step = await admin('CheckObjects', { MaxObjects: maxObjects, ...(marker ? { Marker: marker } : {}) });
    out.problems.push(...step.Problems.Problem);
    out.unverified.push(...step.Unverified.Object);
    out.objects += step.Objects.Scanned;
    out.bytes += step.Objects.Bytes;
    out.uploads += step.MultipartUploads.Scanned;
    out.parts += step.MultipartUploads.Parts;
    marker = step.Truncated ? step.NextMarker : undefined;
    if (marker) out.markers.push(marker);
  } while (marker);
  return out;
}

const record = async (bucket: string, key: string): Promise<ObjectRecord> => (await srv.running.coffer.meta.getObject(bucket, key))!;

/** Every object record of the store, for "nothing changed". */
async function allRecords(): Promise<ObjectRecord[]> {
  const meta = srv.running.coffer.meta;
  const out: ObjectRecord[] = [];
  for (const b of await meta.listBuckets({ limit: 1000 })) out.push(...await meta.listObjects(b.name, { limit: 100_000 }));
  return out;
}

const body = (n: number, seed: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));
let uploadId: string;
let disabledKey: string;

before(async () => {
  srv = await startTestServer();
  const oss = srv.client({ bucket: 'scrub' });
  await oss.putBucket('scrub');
  await oss.put('plain-ok', body(100_000, 1));
  await oss.put('plain-flip', body(100_000, 2));
  await oss.put('aes-flip', body(200_000, 3), { headers: { [SSE]: 'AES256' } });
  await oss.put('sm4-cut', body(150_000, 4), { headers: { [SSE]: 'SM4' } });
  await oss.put('kms-gone', body(70_000, 5), { headers: { [SSE]: 'KMS' } });
  await oss.put('kms-ok', body(70_000, 6), { headers: { [SSE]: 'KMS' } });
  await oss.put('empty', Buffer.alloc(0), { headers: { [SSE]: 'AES256' } });
  // Two segments: damage in the second must name the second blob.
  const mp = await oss.initMultipartUpload('multi', { headers: { [SSE]: 'AES256' } });
  const p1 = await oss.uploadPart('multi', mp.uploadId, 1, body(110 * 1024, 7), 0, 110 * 1024);
  const p2 = await oss.uploadPart('multi', mp.uploadId, 2, body(50_000, 8), 0, 50_000);
  await oss.completeMultipartUpload('multi', mp.uploadId, [{ number: 1, etag: p1.etag }, { number: 2, etag: p2.etag }]);
  const appended = await oss.append('appended', body(1000, 9));
  await oss.append('appended', body(2000, 10), { position: appended.nextAppendPosition });
  // Unfinished, encrypted: its parts are checked under the upload's key.
  uploadId = (await oss.initMultipartUpload('pending', { headers: { [SSE]: 'SM4' } })).uploadId;
  await oss.uploadPart('pending', uploadId, 1, body(120 * 1024, 11), 0, 120 * 1024);
  await oss.uploadPart('pending', uploadId, 2, body(30_000, 12), 0, 30_000);
  // Under a CMK that is then disabled: KMS will not unseal it.
  disabledKey = await createKey(kmsClient(srv), {});
  await oss.put('kms-disabled', body(5000, 13), { headers: { [SSE]: 'KMS', 'x-oss-server-side-encryption-key-id': disabledKey } });
  await kmsClient(srv).disableKey(new Kms.DisableKeyRequest({ keyId: disabledKey }));
  const other = srv.client({ bucket: 'scrub-2' });
  await other.putBucket('scrub-2');
  for (const k of ['a', 'b', 'c']) await other.put(k, body(10_000, k.charCodeAt(0)));
});
after(async () => { await srv.close(); });

test('a clean store: every object and part read, no problems; a disabled CMK\'s object is not verified, not damaged', async () => {
  const r = await checkAll();
  assert.deepEqual(r.problems, []);
  const stats = await srv.running.coffer.meta.stats();
  assert.equal(r.objects, stats.objects);
  assert.equal(r.bytes, stats.bytes);
  assert.deepEqual([r.uploads, r.parts], [1, 2]);
  assert.equal(r.unverified.length, 1);
  assert.deepEqual([r.unverified[0].Bucket, r.unverified[0].Key], ['scrub', 'kms-disabled']);
  assert.match(r.unverified[0].Reason, /Disabled/);
  // The SSE-KMS reads were the admin's own KMS Decrypts, in the audit trail.
  const decrypts = (await auditRecords(srv)).filter((a) => a.action === 'Decrypt' && a.object === 'kms-ok');
  assert.ok(decrypts.some((a) => a.identity === `root:${srv.running.coffer.accountId}` && a.outcome === 'ok'), JSON.stringify(decrypts));
});

test('a pass resumes across steps: one object per step, markers in listing order, each object once', async () => {
  const r = await checkAll(1);
  const expected = (await allRecords()).map((o) => `${o.bucket}/${o.key}`);
  assert.equal(r.objects, expected.length);
  // A step ends between keys (after every version of its last key): each step but the last ends on
  // its object, and the step of the last object ends the pass.
  assert.deepEqual(r.markers, expected.slice(0, -1));
  assert.deepEqual([r.uploads, r.parts], [1, 2], 'uploads are checked once, when the pass enters their bucket');
  const bad = await admin('CheckObjects', { Marker: 'no-slash' }).catch((err) => err);
  assert.equal(bad.data?.Code, 'InvalidParameter');
});

test('damage on disk is reported precisely (bucket, key, blob, kind), and the scrub changes nothing', async () => {
  const aes = await record('scrub', 'aes-flip');
  const sm4 = await record('scrub', 'sm4-cut');
  const kms = await record('scrub', 'kms-gone');
  const plain = await record('scrub', 'plain-flip');
  const multi = await record('scrub', 'multi');
  const part = (await srv.running.coffer.meta.getPart(uploadId, 2))!;
  // In the second package: authentication fails there, not at the start.
  flipByte(blobFile(srv.dataDir, aes.segments[0].blobId), 70_000);
  truncateSync(blobFile(srv.dataDir, sm4.segments[0].blobId), storedSize(150_000) - 1);
  unlinkSync(blobFile(srv.dataDir, kms.segments[0].blobId));
  flipByte(blobFile(srv.dataDir, plain.segments[0].blobId), 50_000);
  flipByte(blobFile(srv.dataDir, multi.segments[1].blobId), 10);
  flipByte(blobFile(srv.dataDir, part.segment.blobId), 100);

  const blobsBefore = snapshotFiles(`${srv.dataDir}/blobs`);
  const recordsBefore = await allRecords();
  const r = await checkAll(3);
  const got = r.problems.map((p) => [p.Bucket, p.Key, p.UploadId ?? null, p.PartNumber ?? null, p.BlobId ?? null, p.Kind]).sort();
  assert.deepEqual(got, [
    ['scrub', 'aes-flip', null, null, aes.segments[0].blobId, 'corrupt'],
    ['scrub', 'kms-gone', null, null, kms.segments[0].blobId, 'missing'],
    ['scrub', 'multi', null, null, multi.segments[1].blobId, 'corrupt'],
    ['scrub', 'pending', uploadId, 2, part.segment.blobId, 'corrupt'],
    ['scrub', 'plain-flip', null, null, plain.segments[0].blobId, 'crc32-mismatch'],
    ['scrub', 'sm4-cut', null, null, sm4.segments[0].blobId, 'wrong-length'],
  ]);
  const cut = r.problems.find((p) => p.Key === 'sm4-cut')!;
  assert.equal(cut.Detail, `blob ${sm4.segments[0].blobId} holds ${storedSize(150_000) - 1} bytes; the metadata implies ${storedSize(150_000)}`);
  assert.match(r.problems.find((p) => p.Key === 'plain-flip')!.Detail, new RegExp(`^blob ${plain.segments[0].blobId} failed its CRC-32 check: stored ${plain.segments[0].crc32}, read \\d+$`));
  assert.deepEqual(r.unverified.map((u) => u.Key), ['kms-disabled']);

  assert.deepEqual(snapshotFiles(`${srv.dataDir}/blobs`), blobsBefore, 'no blob written, moved or removed');
  assert.deepEqual(await allRecords(), recordsBefore, 'no record changed');
  // The damaged objects stay as they were: still refused on read, not "repaired" or removed.
  await assert.rejects(srv.client({ bucket: 'scrub' }).get('kms-gone'));
});

test('objects overwritten and deleted while a pass runs are not reported as damaged', async () => {
  const oss = srv.client({ bucket: 'busy' });
  await oss.putBucket('busy');
  const keys = Array.from({ length: 40 }, (_, i) => `k${String(i).padStart(2, '0')}`);
  for (const k of keys) await oss.put(k, body(64 * 1024, 1), { headers: { [SSE]: 'AES256' } });
  let writing = true;
  let writes = 0;
  const writer = (async () => {
    for (let n = 0; writing; n++) {
      const k = keys[n % keys.length];
      // The test server collects retired blobs at once: an overwritten object's old blob vanishes.
      if (n % 5 === 4) await oss.delete(k);
      else await oss.put(k, body(64 * 1024, n), { headers: { [SSE]: 'AES256' } });
      writes++;
    }
  })();
  try {
    // At least three passes, and on until the writer has raced them 40 times: on a loaded machine
    // the passes may outrun the writer (bounded, so a stuck writer still fails below).
    const deadline = Date.now() + 60_000;
    for (let pass = 0; pass < 3 || (writes <= 40 && Date.now() < deadline); pass++) {
      const r = await checkAll(7);
      assert.deepEqual(r.problems.filter((p) => p.Bucket === 'busy'), [], `pass ${pass}`);
    }
  } finally {
    writing = false;
    await writer;
  }
  assert.ok(writes > 40, `the writer made ${writes} changes during the passes`);
});
