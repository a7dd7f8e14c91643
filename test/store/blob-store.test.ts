import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, test } from 'node:test';
import { FsBlobStore } from '../../src/store/fs/blob-store';
import { tempDir } from '../helpers/server';

const dir = tempDir('coffer-blobs-');
after(() => fs.rm(dir, { recursive: true, force: true }));

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** `data` as a stream of uneven chunks, so writes and background writebacks interleave. */
function uneven(data: Buffer): Readable {
  const chunks: Buffer[] = [];
  for (let at = 0, i = 0; at < data.length; i++) {
    const n = [1, 4096, 65_537, 1 << 20, 3 << 20][i % 5];
    chunks.push(data.subarray(at, at + n));
    at += n;
  }
  return Readable.from(chunks);
}

test('a 20 MiB blob written in uneven chunks, with background writebacks under way, reads back exactly', async () => {
  const store = await FsBlobStore.open(dir);
  try {
    const data = randomBytes(20 * 1024 * 1024 + 123);
    const w = await store.create();
    await pipeline(uneven(data), w.stream);
    assert.deepEqual(await w.commit(), { size: data.length });
    assert.equal(await store.size(w.blobId), data.length);
    assert.equal(sha(await readAll(store.read(w.blobId))), sha(data));
    const tail = await readAll(store.read(w.blobId, { start: data.length - 10, end: data.length - 1 }));
    assert.deepEqual(tail, data.subarray(data.length - 10));
    const file = path.join(dir, 'blobs', w.blobId.slice(0, 2), w.blobId);
    assert.equal((await fs.stat(file)).mode & 0o777, 0o600);
  } finally {
    await store.close();
  }
});

test('an empty blob commits with size 0', async () => {
  const store = await FsBlobStore.open(dir);
  try {
    const w = await store.create();
    w.stream.end();
    assert.deepEqual(await w.commit(), { size: 0 });
    assert.equal((await readAll(store.read(w.blobId))).length, 0);
  } finally {
    await store.close();
  }
});

test('abort in the middle of a large write removes the file; an unfinished blob is listed for collection until then', async () => {
  const store = await FsBlobStore.open(dir);
  try {
    const w = await store.create();
    const data = randomBytes(10 * 1024 * 1024);
    await new Promise<void>((resolve, reject) => w.stream.write(data, (err) => (err ? reject(err) : resolve())));
    const listed: string[] = [];
    for await (const id of store.list()) listed.push(id);
    assert.ok(listed.includes(w.blobId));
    await w.abort();
    await assert.rejects(store.size(w.blobId), { code: 'ENOENT' });
    await w.abort(); // twice is harmless
  } finally {
    await store.close();
  }
});
