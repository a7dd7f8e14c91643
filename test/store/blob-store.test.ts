/**
 * BlobStore conformance: what every backend must do. Runs against the file system and an
 * S3-compatible store (Ceph RGW in CI: scripts/ceph-rgw.sh); a new backend adds itself to
 * BACKENDS. Each store the suite opens is fresh and empty (a new directory; a new key prefix in
 * this run's bucket). Tests about one backend's internals follow the shared ones.
 */
import {
  AbortMultipartUploadCommand, DeleteBucketCommand, DeleteObjectsCommand, HeadBucketCommand, ListMultipartUploadsCommand,
  ListObjectsV2Command, S3Client,
} from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, test } from 'node:test';
import { FsBlobStore } from '../../src/store/fs/blob-store';
import { S3BlobStore, parseS3Url } from '../../src/store/s3/blob-store';
import type { BlobStore, BlobWriter } from '../../src/store/types';

const MiB = 1024 * 1024;

// ---- backends ----

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const S3_HOWTO = 'COFFER_TEST_S3_ENDPOINT is not set, so the S3 blob store cannot be tested. Start a throwaway ' +
  'Ceph RGW with `scripts/ceph-rgw.sh start DIR` (Debian packages ceph-mon ceph-osd radosgw ceph-common) and export ' +
  'the four lines it prints (COFFER_TEST_S3_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION), or run ' +
  'the tests under scripts/with-services.sh; stop it with `scripts/ceph-rgw.sh stop DIR`.';

function s3Env(): { endpoint: string; region: string } {
  const endpoint = process.env.COFFER_TEST_S3_ENDPOINT;
  if (!endpoint) throw new Error(S3_HOWTO);
  if (!process.env.AWS_ACCESS_KEY_ID || !process.env.AWS_SECRET_ACCESS_KEY) {
    throw new Error(`COFFER_TEST_S3_ENDPOINT is set but AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are not. ${S3_HOWTO}`);
  }
  return { endpoint, region: process.env.AWS_REGION || 'us-east-1' };
}

const randomName = (): string => randomBytes(5).toString('hex');
/** This run's bucket: a fresh one, so nothing from an earlier run is listed. */
const RUN_BUCKET = `coffer-t-${randomName()}`;
const s3Buckets = new Set<string>();

function s3Url(bucket: string, prefix = ''): string {
  const { endpoint, region } = s3Env();
  s3Buckets.add(bucket);
  return `s3://${bucket}${prefix ? `/${prefix}` : ''}?endpoint=${encodeURIComponent(endpoint)}&region=${region}`;
}

/** A plain client for what the suite checks behind a store's back, and for cleaning up. */
function rawClient(): S3Client {
  const { endpoint, region } = s3Env();
  return new S3Client({
    endpoint, region, forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

// Empty and remove the buckets this run made, so the RGW's memory-backed store is reclaimed.
after(async () => {
  if (s3Buckets.size === 0 || !process.env.COFFER_TEST_S3_ENDPOINT) return;
  const c = rawClient();
  try {
    for (const Bucket of s3Buckets) {
      const exists = await c.send(new HeadBucketCommand({ Bucket })).then(() => true, () => false);
      if (!exists) continue;
      for (;;) {
        const up = await c.send(new ListMultipartUploadsCommand({ Bucket }));
        if (!up.Uploads?.length) break;
        await Promise.all(up.Uploads.map((u) => c.send(new AbortMultipartUploadCommand({ Bucket, Key: u.Key, UploadId: u.UploadId }))));
      }
      for (;;) {
        const page = await c.send(new ListObjectsV2Command({ Bucket }));
        if (!page.Contents?.length) break;
        await c.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: page.Contents.map((o) => ({ Key: o.Key })) } }));
      }
      await c.send(new DeleteBucketCommand({ Bucket }));
    }
  } finally {
    c.destroy();
  }
});

/** Each call: a fresh, empty store of that backend. */
const BACKENDS: Record<string, () => Promise<BlobStore>> = {
  fs: async () => {
    // Not helpers/server's tempDir: a store test need not load the whole server.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'coffer-blobs-'));
    dirs.push(dir);
    return FsBlobStore.open(dir);
  },
  s3: async () => S3BlobStore.open(s3Url(RUN_BUCKET, `run/${randomName()}`), process.env),
};

// ---- helpers ----

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/**
 * The chunks exactly as the stream emits them. 'data' events, not for await: an async iterator
 * reads in paused mode, where read() joins whatever is buffered.
 */
function chunksOf(stream: Readable): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    stream.on('data', (c: Buffer) => out.push(c));
    stream.once('end', () => resolve(out));
    stream.once('error', reject);
  });
}

/** `data` as a stream of uneven chunks, so part and writeback boundaries fall anywhere. */
function uneven(data: Buffer): Readable {
  const chunks: Buffer[] = [];
  for (let at = 0, i = 0; at < data.length; i++) {
    const n = [1, 4096, 65_537, 1 << 20, 3 << 20][i % 5];
    chunks.push(data.subarray(at, at + n));
    at += n;
  }
  return Readable.from(chunks);
}

async function put(store: BlobStore, data: Buffer): Promise<string> {
  const w = await store.create();
  await pipeline(uneven(data), w.stream);
  assert.deepEqual(await w.commit(), { size: data.length });
  return w.blobId;
}

/** Writes without ending the stream; resolves once the stream took the bytes. */
function writeSome(w: BlobWriter, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => w.stream.write(data, (err) => (err ? reject(err) : resolve())));
}

async function listed(store: BlobStore, after?: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const b of store.list(after)) ids.push(b.blobId);
  return ids;
}

async function withStore(open: () => Promise<BlobStore>, fn: (store: BlobStore) => Promise<void>): Promise<void> {
  const store = await open();
  try {
    await fn(store);
  } finally {
    await store.close();
  }
}

// ---- the conformance suite ----

for (const [name, open] of Object.entries(BACKENDS)) {
  describe(`BlobStore conformance: ${name}`, () => {
    test('reports its backend', () => withStore(open, async (store) => {
      assert.equal(store.backend, name);
    }));

    test('a 20 MiB blob written in uneven chunks (several parts / writebacks) reads back exactly, whole and in ranges', () => withStore(open, async (store) => {
      const data = randomBytes(20 * MiB + 123);
      const id = await put(store, data);
      assert.match(id, /^[0-9a-f]{32}$/);
      assert.equal(await store.size(id), data.length);
      assert.equal(sha(await readAll(store.read(id))), sha(data));
      const tail = await readAll(store.read(id, { start: data.length - 10, end: data.length - 1 }));
      assert.deepEqual(tail, data.subarray(data.length - 10));
      // A range across the first part boundary.
      const mid = await readAll(store.read(id, { start: 8 * MiB - 5, end: 8 * MiB + 4 }));
      assert.deepEqual(mid, data.subarray(8 * MiB - 5, 8 * MiB + 5));
    }));

    test('a small blob (one request) and an empty one round-trip', () => withStore(open, async (store) => {
      const small = randomBytes(1000);
      const id = await put(store, small);
      assert.equal(await store.size(id), 1000);
      assert.deepEqual(await readAll(store.read(id)), small);
      assert.deepEqual(await readAll(store.read(id, { start: 10, end: 19 })), small.subarray(10, 20));

      const w = await store.create();
      w.stream.end();
      assert.deepEqual(await w.commit(), { size: 0 });
      assert.equal(await store.size(w.blobId), 0);
      assert.equal((await readAll(store.read(w.blobId))).length, 0);
    }));

    test('a ranged read with chunkSize gives chunks of exactly chunkSize (the last shorter) at package boundaries', () => withStore(open, async (store) => {
      const pkg = 65_536 + 32; // one encrypted package: 64 KiB of ciphertext and its tag and header
      const data = randomBytes(pkg * 40 + 1000);
      const id = await put(store, data);
      for (const [start, end] of [[pkg * 2, pkg * 9 - 1], [pkg * 3, data.length - 1], [0, pkg - 1], [pkg * 39, data.length - 1]]) {
        const chunks = await chunksOf(store.read(id, { start, end }, pkg));
        const sizes = chunks.map((c) => c.length);
        const want = Math.ceil((end - start + 1) / pkg);
        assert.equal(chunks.length, want, `[${start}, ${end}]: ${want} chunks expected, got ${sizes.length}`);
        for (const n of sizes.slice(0, -1)) assert.equal(n, pkg, `[${start}, ${end}]: chunk sizes ${sizes.join(',')}`);
        assert.equal(sizes.at(-1), (end - start + 1) - pkg * (want - 1));
        assert.deepEqual(Buffer.concat(chunks), data.subarray(start, end + 1));
      }
      // Whole-blob reads honour chunkSize too.
      const whole = await chunksOf(store.read(id, undefined, pkg));
      assert.deepEqual(whole.map((c) => c.length), [...Array(40).fill(pkg), 1000]);
    }));

    test('a 1-byte range at the end of a large blob reads that byte', () => withStore(open, async (store) => {
      const data = randomBytes(9 * MiB + 17);
      const id = await put(store, data);
      const last = await chunksOf(store.read(id, { start: data.length - 1, end: data.length - 1 }, 65_568));
      assert.deepEqual(last, [data.subarray(data.length - 1)]);
      const first = await readAll(store.read(id, { start: 0, end: 0 }));
      assert.deepEqual(first, data.subarray(0, 1));
    }));

    test('abort before writing, after writing part of a large blob, and after a failed commit leaves nothing', () => withStore(open, async (store) => {
      const before = await store.create();
      await before.abort();
      await before.abort(); // twice is harmless

      const during = await store.create();
      await writeSome(during, randomBytes(10 * MiB)); // past one part: an S3 store has a multipart upload open
      await during.abort();
      await during.abort();
      await assert.rejects(store.size(during.blobId), { code: 'ENOENT' });

      const failed = await store.create();
      await writeSome(failed, randomBytes(3 * MiB));
      failed.stream.destroy(new Error('the request body broke off'));
      await assert.rejects(failed.commit(), /broke off/);
      await failed.abort();

      const committed = await store.create();
      await pipeline(Readable.from([randomBytes(100)]), committed.stream);
      await committed.commit();
      await committed.abort(); // after commit, abort discards the blob too

      assert.deepEqual(await listed(store), []);
      // Nothing partial is left behind for the collector either.
      assert.equal(await store.collectPartial(Date.now() + 60_000), 0);
      for (const w of [before, during, failed, committed]) await assert.rejects(store.size(w.blobId), { code: 'ENOENT' });
    }));

    test('a missing blob reads with ENOENT and size() rejects with ENOENT', () => withStore(open, async (store) => {
      const id = randomBytes(16).toString('hex');
      await assert.rejects(readAll(store.read(id)), { code: 'ENOENT' });
      await assert.rejects(readAll(store.read(id, { start: 0, end: 99 }, 10)), { code: 'ENOENT' });
      await assert.rejects(store.size(id), { code: 'ENOENT' });
      assert.throws(() => store.read('../../etc/passwd'), /invalid blob id/);
    }));

    test('delete removes a blob and is idempotent', () => withStore(open, async (store) => {
      const id = await put(store, randomBytes(5000));
      await store.delete(id);
      await assert.rejects(store.size(id), { code: 'ENOENT' });
      await assert.rejects(readAll(store.read(id)), { code: 'ENOENT' });
      await store.delete(id);
      await store.delete(randomBytes(16).toString('hex'));
      assert.deepEqual(await listed(store), []);
    }));

    test('list yields every blob in id order with its write time and resumes after a given id', () => withStore(open, async (store) => {
      const t0 = Date.now();
      const ids: string[] = [];
      for (let i = 0; i < 12; i++) ids.push(await put(store, randomBytes(10 + i)));
      const t1 = Date.now();
      const sorted = [...ids].sort();
      assert.notDeepEqual(ids, sorted, 'random ids should not come sorted (1 in 12! chance)');
      const all: Array<{ blobId: string; modifiedAt: number }> = [];
      for await (const b of store.list()) all.push(b);
      assert.deepEqual(all.map((b) => b.blobId), sorted);
      for (const b of all) {
        // S3 stores may round to the second; allow a little clock slack either way.
        assert.ok(b.modifiedAt >= t0 - 2000 && b.modifiedAt <= t1 + 2000, `modifiedAt ${b.modifiedAt} not within [${t0}, ${t1}]`);
      }
      assert.deepEqual(await listed(store, sorted[4]), sorted.slice(5));
      assert.deepEqual(await listed(store, sorted.at(-1)), []);
      // `after` need not be a blob that exists: resume at the next id above it.
      const between = sorted[6].slice(0, 31) + '0';
      const expectAfter = sorted.filter((id) => id > between);
      assert.deepEqual(await listed(store, between), expectAfter);
      assert.deepEqual(await listed(store, '0'.repeat(32)), sorted.filter((id) => id > '0'.repeat(32)));
    }));

    test('create(blobId) writes under that id and refuses one that exists', () => withStore(open, async (store) => {
      const id = randomBytes(16).toString('hex');
      const w = await store.create(id);
      assert.equal(w.blobId, id);
      await pipeline(Readable.from([Buffer.from('copied')]), w.stream);
      await w.commit();
      assert.deepEqual(await readAll(store.read(id)), Buffer.from('copied'));
      await assert.rejects(store.create(id), { code: 'EEXIST' });
      await assert.rejects(store.create('not-an-id'), /invalid blob id/);
    }));

    test('blobs written concurrently keep their own bytes', () => withStore(open, async (store) => {
      const datas = Array.from({ length: 16 }, (_, i) => randomBytes(i % 4 === 0 ? 9 * MiB : 4096 + i));
      const ids = await Promise.all(datas.map((d) => put(store, d)));
      const back = await Promise.all(ids.map((id) => readAll(store.read(id))));
      back.forEach((b, i) => assert.equal(sha(b), sha(datas[i]), `blob ${i}`));
    }));
  });
}

// ---- the file system's own behaviour ----

describe('FsBlobStore', () => {
  test('blob files are 0600, and a 20 MiB write with background writebacks under way commits exactly', () => withStore(BACKENDS.fs, async (store) => {
    const data = randomBytes(20 * MiB + 123);
    const id = await put(store, data);
    const root = dirs.at(-1)!;
    const file = path.join(root, 'blobs', id.slice(0, 2), id);
    assert.equal((await fs.stat(file)).mode & 0o777, 0o600);
    assert.equal((await fs.stat(file)).size, data.length);
  }));

  test('an unfinished write is an ordinary file that list() shows (collectPartial has nothing to do) until abort', () => withStore(BACKENDS.fs, async (store) => {
    const w = await store.create();
    await writeSome(w, randomBytes(10 * MiB));
    assert.ok((await listed(store)).includes(w.blobId));
    assert.equal(await store.collectPartial(Date.now() + 60_000), 0);
    assert.ok((await listed(store)).includes(w.blobId));
    await w.abort();
    await assert.rejects(store.size(w.blobId), { code: 'ENOENT' });
    assert.deepEqual(await listed(store), []);
  }));
});

// ---- the S3 store's own behaviour ----

/**
 * Writes a generated 200 MiB blob through the S3 store in the URL given, reads it back, and
 * prints RSS before, at its peak while writing and while reading. The source makes a fresh
 * 1 MiB buffer per chunk and the reader copies; V8 collects such garbage only once 64 MiB or so
 * piled up, so a collection every 8 MiB keeps what is measured to what the store holds on to.
 */
const MEMORY_CHILD = `
const { S3BlobStore } = require(process.env.STORE_MODULE);
const { createHash, randomBytes } = require('node:crypto');
const { Readable, Writable } = require('node:stream');
const { pipeline } = require('node:stream/promises');
const MiB = 1024 * 1024, total = 200 * MiB;
(async () => {
  const store = await S3BlobStore.open(process.argv[1], process.env);
  // Warm up (the SDK loads code on first use) with a small blob: the part buffers of a large
  // one must show in what is measured.
  const w0 = await store.create();
  await pipeline(Readable.from([randomBytes(64 * 1024)]), w0.stream);
  await w0.commit();
  for await (const _ of store.read(w0.blobId)) {}
  await store.delete(w0.blobId);
  const block = randomBytes(MiB), written = createHash('sha256'), readBack = createHash('sha256');
  let made = 0;
  const source = new Readable({
    read() {
      if (made === total) return void this.push(null);
      if (made % (8 * MiB) === 0) gc();
      const chunk = Buffer.allocUnsafe(MiB);
      block.copy(chunk);
      chunk.writeUInt32BE(made / MiB, 0);
      made += MiB;
      written.update(chunk);
      this.push(chunk);
    },
  });
  gc();
  const before = process.memoryUsage().rss;
  let peak = before;
  const sample = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 10);
  let t = Date.now();
  const w = await store.create();
  await pipeline(source, w.stream);
  const { size } = await w.commit();
  if (size !== total) throw new Error('size ' + size);
  const writeMs = Date.now() - t, peakWrite = Math.max(peak, process.memoryUsage().rss);
  peak = before;
  t = Date.now();
  let seen = 0;
  // A Writable, not for await: that reads in paused mode, joining what is buffered into new buffers.
  await pipeline(store.read(w.blobId, undefined, 65568), new Writable({
    write(c, _encoding, callback) {
      readBack.update(c);
      if (Math.floor((seen + c.length) / (8 * MiB)) > Math.floor(seen / (8 * MiB))) gc();
      seen += c.length;
      callback();
    },
  }));
  const readMs = Date.now() - t, peakRead = Math.max(peak, process.memoryUsage().rss);
  clearInterval(sample);
  await store.delete(w.blobId);
  await store.close();
  process.stdout.write(JSON.stringify({ before, peakWrite, peakRead, writeMs, readMs, same: written.digest('hex') === readBack.digest('hex') }));
})().catch((err) => { console.error(err); process.exit(1); });
`;


describe('S3BlobStore', () => {
  test('parseS3Url reads bucket, prefix, endpoint, region and addressing, and explains what is wrong', () => {
    assert.deepEqual(parseS3Url('s3://bucket-1/a/b/?endpoint=http://127.0.0.1:7480&region=eu-1'), {
      bucket: 'bucket-1', prefix: 'a/b', endpoint: 'http://127.0.0.1:7480', region: 'eu-1', forcePathStyle: true,
    });
    assert.deepEqual(parseS3Url('s3://bucket-1', { AWS_REGION: 'ap-x' }), {
      bucket: 'bucket-1', prefix: '', endpoint: undefined, region: 'ap-x', forcePathStyle: false,
    });
    assert.equal(parseS3Url('s3://b12?endpoint=https://s3.example&forcePathStyle=false').forcePathStyle, false);
    assert.throws(() => parseS3Url('http://bucket'), /must start with s3:\/\//);
    assert.throws(() => parseS3Url('s3://Bucket_1'), /not a valid bucket name/);
    assert.throws(() => parseS3Url('s3://bucket?endpoint=ftp://x'), /must be http:\/\/ or https:\/\//);
    assert.throws(() => parseS3Url('s3://bucket?endpont=http://x'), /unknown parameter "endpont"/);
    assert.throws(() => parseS3Url('s3://key:secret@bucket'), /AWS_ACCESS_KEY_ID/);
    assert.throws(() => parseS3Url('s3://bucket?forcePathStyle=yes'), /forcePathStyle must be true or false/);
  });

  test('open() creates a missing bucket and works without a prefix', async () => {
    const bucket = `coffer-t-${randomName()}`;
    const url = s3Url(bucket);
    const c = rawClient();
    try {
      await assert.rejects(c.send(new HeadBucketCommand({ Bucket: bucket })), (err: { $metadata?: { httpStatusCode?: number } }) => err.$metadata?.httpStatusCode === 404);
      await withStore(() => S3BlobStore.open(url, process.env), async (store) => {
        const id = await put(store, Buffer.from('hello'));
        assert.deepEqual(await listed(store), [id]);
        const keys = (await c.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents?.map((o) => o.Key);
        assert.deepEqual(keys, [`blobs/${id.slice(0, 2)}/${id}`]);
      });
      await c.send(new HeadBucketCommand({ Bucket: bucket }));
      // A second open finds the bucket (another node got there first).
      await (await S3BlobStore.open(url, process.env)).close();
    } finally {
      c.destroy();
    }
  });

  test('open() says clearly when the endpoint cannot be reached or refuses the credentials', async () => {
    const { region } = s3Env();
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const nowhere = `http://127.0.0.1:${port}`;
    await assert.rejects(
      S3BlobStore.open(`s3://${RUN_BUCKET}?endpoint=${nowhere}&region=${region}`, process.env),
      (err: Error) => {
        assert.match(err.message, new RegExp(`^cannot reach the S3 endpoint ${nowhere}: .*ECONNREFUSED`));
        return true;
      },
    );
    const wrongSecret = { ...process.env, AWS_SECRET_ACCESS_KEY: 'not-the-secret' };
    await assert.rejects(S3BlobStore.open(s3Url(RUN_BUCKET), wrongSecret), (err: Error) => {
      assert.match(err.message, /^the S3 endpoint http:\/\/\S+ refused the credentials \(SignatureDoesNotMatch/);
      assert.match(err.message, /set AWS_ACCESS_KEY_ID\/AWS_SECRET_ACCESS_KEY/);
      assert.doesNotMatch(err.message, /not-the-secret/);
      return true;
    });
    const wrongKey = { ...process.env, AWS_ACCESS_KEY_ID: 'NOSUCHKEY' };
    await assert.rejects(S3BlobStore.open(s3Url(RUN_BUCKET), wrongKey), /refused the credentials \(InvalidAccessKeyId/);
  });

  test('a range read is one GetObject asking for just those bytes; destroying the stream ends the request', () => withStore(BACKENDS.s3, async (store) => {
    const data = randomBytes(12 * MiB);
    const id = await put(store, data);
    const sent: Array<{ method: string; range?: string }> = [];
    const client = (store as unknown as { client: S3Client }).client;
    client.middlewareStack.add((next) => async (args) => {
      const req = args.request as { method: string; headers: Record<string, string> };
      sent.push({ method: req.method, range: req.headers.range ?? req.headers.Range });
      return next(args);
    }, { step: 'finalizeRequest', name: 'recordForTest' });
    const got = await readAll(store.read(id, { start: 5 * MiB, end: 5 * MiB + 99 }, 32));
    assert.deepEqual(got, data.subarray(5 * MiB, 5 * MiB + 100));
    assert.deepEqual(sent, [{ method: 'GET', range: `bytes=${5 * MiB}-${5 * MiB + 99}` }]);

    const whole = store.read(id);
    const first = await new Promise<Buffer>((resolve, reject) => whole.once('data', resolve).once('error', reject));
    assert.ok(first.length > 0 && first.length < data.length);
    whole.destroy();
    await new Promise((resolve) => whole.once('close', resolve));
    // The store goes on serving after an abandoned read.
    assert.equal(await store.size(id), data.length);
  }));

  test('collectPartial aborts a multipart write abandoned before the cutoff and leaves a newer one', () => withStore(BACKENDS.s3, async (store) => {
    const old = await store.create();
    const oldData = randomBytes(9 * MiB);
    await writeSome(old, oldData); // one 8 MiB part sent: a multipart upload exists
    await sleep(1100); // S3 stores may keep Initiated to the second
    const cutoff = Date.now();
    await sleep(1100);
    const young = await store.create();
    const youngData = randomBytes(9 * MiB);
    await writeSome(young, youngData);

    assert.equal(await store.collectPartial(cutoff), 1);
    assert.equal(await store.collectPartial(cutoff), 0);
    // The abandoned write's upload is gone: its commit cannot succeed and nothing is listed.
    old.stream.end();
    await assert.rejects(old.commit());
    await old.abort();
    // The newer one was left alone and completes.
    young.stream.end();
    assert.deepEqual(await young.commit(), { size: youngData.length });
    assert.equal(sha(await readAll(store.read(young.blobId))), sha(youngData));
    assert.deepEqual(await listed(store), [young.blobId]);

    // Abandoned for good (never committed, never aborted): found with a cutoff after its start.
    const lost = await store.create();
    await writeSome(lost, randomBytes(9 * MiB));
    assert.ok(await store.collectPartial(Date.now() + 1) >= 1);
    lost.stream.destroy();
  }));

  test('a 200 MiB blob goes through in bounded memory (RSS grows by at most 64 MiB)', async () => {
    // In a fresh process: here the earlier tests' freed buffers would hide growth in RSS.
    const child = spawn(process.execPath, ['--expose-gc', '--no-warnings', '-e', MEMORY_CHILD, s3Url(RUN_BUCKET, `mem/${randomName()}`)], {
      env: { ...process.env, STORE_MODULE: require.resolve('../../src/store/s3/blob-store') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    assert.equal(code, 0, `the measuring process failed: ${err}`);
    const m = JSON.parse(out) as { before: number; peakWrite: number; peakRead: number; writeMs: number; readMs: number; same: boolean };
    const grewWriting = (m.peakWrite - m.before) / MiB;
    const grew = (Math.max(m.peakWrite, m.peakRead) - m.before) / MiB;
    process.stderr.write(`# 200 MiB through s3: write ${(200 / (m.writeMs / 1000)).toFixed(0)} MiB/s, read ` +
      `${(200 / (m.readMs / 1000)).toFixed(0)} MiB/s; RSS +${grewWriting.toFixed(1)} MiB writing, +${grew.toFixed(1)} MiB reading\n`);
    assert.ok(m.same, 'the blob read back differs from what was written');
    assert.ok(grewWriting <= 64, `RSS grew by ${grewWriting.toFixed(1)} MiB while writing 200 MiB`);
    assert.ok(grew <= 64, `RSS grew by ${grew.toFixed(1)} MiB while writing and reading 200 MiB`);
  });
});
