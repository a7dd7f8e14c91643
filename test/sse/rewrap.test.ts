/**
 * RewrapMasterKeys (admin API, driven with pop-core) after a master-key rotation: the object keys
 * that the older version sealed are sealed again under the current one, in resumable steps, and
 * nothing but that changes (same blobs, ETag, CRC-64, Last-Modified; SSE-KMS and plain objects
 * untouched). The proof that nothing still needs the old version: it is deleted from the store,
 * the server restarted, and every object and the unfinished upload still read back.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { ObjectRecord } from '../../src/store/types';
import { bytes } from '../helpers/oss-http';
import { startTestServer, tempDir, type TestServer } from '../helpers/server';
import { SSE, bucketClient, encryptionOf, newBucket, record } from '../helpers/sse';
import { popClient, type PopError } from '../rpc/helpers';

const dataDir = tempDir('coffer-rewrap-');
let srv: TestServer;
after(async () => {
  await srv?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const big = bytes(150_000, 91);
const small = bytes(4_000, 92);
/** bucket/key → what it must read back as. */
const expected = new Map<string, Buffer>();
/** SSE-OSS objects written under the first master-key version. */
const sealedUnderV1 = ['a/aes-1', 'a/aes-2', 'a/aes-3', 'a/aes-4', 'a/sm4', 'a/mp', 'a/app', 'b/aes'];
const untouched = ['a/plain', 'a/kms'];
let pending: { uploadId: string; etag: string };
const before1 = new Map<string, ObjectRecord>();

const split = (path: string): [string, string] => path.split('/') as [string, string];
const versionOf = (r: ObjectRecord | { encryption: ObjectRecord['encryption'] }): number | undefined => {
  const kek = encryptionOf(r as ObjectRecord)?.kek;
  return kek?.provider === 'oss' ? kek.masterKeyVersion : undefined;
};
const admin = (action: string, params: Record<string, unknown> = {}): Promise<Record<string, any>> =>
  popClient(srv.kmsUrl).request<Record<string, any>>(action, params, { method: 'POST' });

before(async () => {
  srv = await startTestServer({ dataDir });
  const a = await newBucket(srv, 'rewrap-a');
  const b = await newBucket(srv, 'rewrap-b');
  for (const key of ['aes-1', 'aes-2', 'aes-3', 'aes-4']) await a.put(key, small, { headers: { [SSE]: 'AES256' } });
  await a.put('sm4', big, { headers: { [SSE]: 'SM4' } });
  await a.multipartUpload('mp', Buffer.concat([big, big]), { partSize: 150_000, headers: { [SSE]: 'AES256' } });
  const first = await a.append('app', small, { headers: { [SSE]: 'SM4' } });
  await a.append('app', big, { position: first.nextAppendPosition });
  await a.put('plain', small);
  await a.put('kms', small, { headers: { [SSE]: 'KMS' } });
  await b.put('aes', big, { headers: { [SSE]: 'AES256' } });
  const init = await b.initMultipartUpload('pending', { headers: { [SSE]: 'AES256' } });
  const part = await b.uploadPart('pending', init.uploadId, 1, big, 0, big.length);
  pending = { uploadId: init.uploadId, etag: part.etag };
  for (const k of ['aes-1', 'aes-2', 'aes-3', 'aes-4', 'plain', 'kms']) expected.set(`a/${k}`, small);
  expected.set('a/sm4', big).set('a/mp', Buffer.concat([big, big])).set('a/app', Buffer.concat([small, big])).set('b/aes', big);
  for (const path of expected.keys()) {
    const [bucket, key] = split(path);
    before1.set(path, await record(srv, `rewrap-${bucket}`, key));
  }
});

test('after a rotation, stepwise RewrapMasterKeys re-seals every old SSE-OSS key, touching nothing else', async () => {
  for (const path of sealedUnderV1) assert.equal(versionOf(before1.get(path)!), 1, path);
  const rotated = await admin('RotateMasterKey');
  const v2 = rotated.MasterKeyVersion;
  assert.equal(v2, 2);
  await bucketClient(srv, 'rewrap-b').put('after', small, { headers: { [SSE]: 'AES256' } });
  expected.set('b/after', small);
  const afterRecord = await record(srv, 'rewrap-b', 'after');
  assert.equal(versionOf(afterRecord), v2);

  const steps: Array<Record<string, any>> = [];
  let marker: string | undefined;
  do {
    const step = await admin('RewrapMasterKeys', { MaxObjects: 3, ...(marker ? { Marker: marker } : {}) });
    steps.push(step);
    assert.equal(step.MasterKeyVersion, v2);
    assert.ok(step.Objects.Scanned <= 3, JSON.stringify(step));
    assert.equal(step.Truncated, 'NextMarker' in step);
    marker = step.NextMarker;
  } while (marker && steps.length < 20);
  assert.ok(steps.length >= 4, `${steps.length} steps`);
  const sum = (f: (s: Record<string, any>) => number): number => steps.reduce((n, s) => n + f(s), 0);
  assert.equal(sum((s) => s.Objects.Scanned), expected.size);
  assert.equal(sum((s) => s.Objects.Rewrapped), sealedUnderV1.length);
  assert.equal(sum((s) => s.MultipartUploads.Scanned), 1);
  assert.equal(sum((s) => s.MultipartUploads.Rewrapped), 1);

  for (const path of sealedUnderV1) {
    const [bucket, key] = split(path);
    const old = before1.get(path)!;
    const now = await record(srv, `rewrap-${bucket}`, key);
    assert.equal(versionOf(now), v2, path);
    // Only the sealed key changed: the data (blobs), checksums and dates are the same.
    assert.deepEqual({ ...now, encryption: null }, { ...old, encryption: null }, path);
    assert.equal(encryptionOf(now)!.suite, encryptionOf(old)!.suite);
    assert.notEqual(encryptionOf(now)!.wrapped.sealed, encryptionOf(old)!.wrapped.sealed);
  }
  for (const path of untouched) {
    const [bucket, key] = split(path);
    assert.deepEqual(await record(srv, `rewrap-${bucket}`, key), before1.get(path), path);
  }
  assert.deepEqual(await record(srv, 'rewrap-b', 'after'), afterRecord);
  assert.equal(versionOf((await srv.running.coffer.meta.getUpload(pending.uploadId))!), v2);

  // A second pass finds nothing left to do.
  const again = await admin('RewrapMasterKeys', { MaxObjects: 10_000 });
  assert.equal(again.Objects.Rewrapped, 0);
  assert.equal(again.MultipartUploads.Rewrapped, 0);
  assert.equal(again.Objects.Scanned, expected.size);
  assert.equal(again.Truncated, false);
});

test('bad parameters are refused with InvalidParameter and change nothing', async () => {
  const snapshot = await srv.running.coffer.meta.getObject('rewrap-a', 'aes-1');
  for (const params of [{ MaxObjects: 0 }, { MaxObjects: 10_001 }, { MaxObjects: 'many' }, { Marker: 'no-slash' }, { Marker: '/key-without-bucket' }]) {
    await assert.rejects(admin('RewrapMasterKeys', params), (err: PopError) => {
      assert.equal(err.code, 'InvalidParameter', JSON.stringify(params));
      assert.equal(err.entry.response.statusCode, 400);
      assert.match(err.data.Message, /MaxObjects|Marker/);
      return true;
    });
  }
  assert.deepEqual(await srv.running.coffer.meta.getObject('rewrap-a', 'aes-1'), snapshot);
});

test('with version 1 deleted from the store and the server restarted, everything still reads', async () => {
  const SETTING = 'sse-oss-master-keys';
  await srv.running.coffer.meta.transaction(async (tx) => {
    const stored = JSON.parse((await tx.getSetting(SETTING))!);
    stored.versions = stored.versions.filter((v: { version: number }) => v.version !== 1);
    await tx.setSetting(SETTING, JSON.stringify(stored));
  });
  await srv.close();
  srv = await startTestServer({ dataDir });
  assert.deepEqual((await srv.running.masterKeys.list()).map((v) => v.version), [2]);

  for (const [path, data] of expected) {
    const [bucket, key] = split(path);
    assert.ok((await bucketClient(srv, `rewrap-${bucket}`).get(key)).content.equals(data), `${path} does not read back`);
  }
  const b = bucketClient(srv, 'rewrap-b');
  const part2 = await b.uploadPart('pending', pending.uploadId, 2, small, 0, small.length);
  await b.completeMultipartUpload('pending', pending.uploadId, [{ number: 1, etag: pending.etag }, { number: 2, etag: part2.etag }]);
  assert.ok((await b.get('pending')).content.equals(Buffer.concat([big, small])));
});

test('objects overwritten and deleted while a pass runs keep their newest data: rewrap never writes back a stale record', async () => {
  const c = await newBucket(srv, 'rewrap-busy');
  const keys = Array.from({ length: 40 }, (_, i) => `k${String(i).padStart(2, '0')}`);
  for (const key of keys) await c.put(key, Buffer.from(`old ${key}`), { headers: { [SSE]: 'AES256' } });
  await admin('RotateMasterKey');
  const newest = new Map(keys.map((k) => [k, `old ${k}`]));

  const writer = (async () => {
    for (const [i, key] of keys.entries()) {
      if (i % 3 === 0) {
        await c.delete(key);
        newest.delete(key);
      } else if (i % 3 === 1) {
        await c.put(key, Buffer.from(`new ${key}`), { headers: { [SSE]: i % 2 ? 'SM4' : 'AES256' } });
        newest.set(key, `new ${key}`);
      }
    }
  })();
  let marker: string | undefined;
  do {
    const step = await admin('RewrapMasterKeys', { MaxObjects: 2, ...(marker ? { Marker: marker } : {}) });
    marker = step.NextMarker;
  } while (marker);
  await writer;

  const current = (await srv.running.masterKeys.list()).find((v) => v.current)!.version;
  for (const key of keys) {
    const want = newest.get(key);
    if (want === undefined) {
      await assert.rejects(c.head(key), { status: 404 }, `${key} came back`);
      continue;
    }
    assert.equal((await c.get(key)).content.toString(), want, key);
  }
  // A last pass catches whatever the writer's timing left under the older version.
  await admin('RewrapMasterKeys', { MaxObjects: 10_000 });
  for (const key of newest.keys()) assert.equal(versionOf(await record(srv, 'rewrap-busy', key)), current, key);
});
