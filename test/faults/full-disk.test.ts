/**
 * A full disk (issue 12, defect 9): the data directory on a small tmpfs, filled by uploads until
 * the volume is full. Uploads then get a clear 507 InsufficientStorage (not InternalError),
 * DeleteObject still works so space can be freed through the API, the server restarts on the
 * full volume and serves reads, and once deletes free space, uploads work again.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { bytes } from '../helpers/oss-http';
import { startTestServer, type TestServer } from '../helpers/server';
import { SSE } from '../helpers/sse';

const SIZE_MIB = 24;
const mount = mkdtempSync(path.join(os.tmpdir(), 'coffer-full-'));
let srv: TestServer | null = null;

before(() => {
  // Root is needed to mount; CI and the developers' machines run the suite as root.
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${SIZE_MIB}m,mode=0700`, 'tmpfs', mount]);
});

after(async () => {
  await srv?.close();
  execFileSync('umount', [mount]);
  rmSync(mount, { recursive: true, force: true });
});

/** Appends to `file` until the volume refuses another byte. */
function fill(file: string): void {
  const fd = openSync(file, 'a');
  try {
    for (const size of [1 << 20, 1 << 16, 1 << 12, 1 << 9, 1]) {
      const chunk = Buffer.alloc(size);
      for (;;) {
        try {
          writeSync(fd, chunk);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
          break;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
}

const free = (): number => { const s = statfsSync(mount); return s.bavail * s.bsize; };

test('a full disk: 507 for uploads, deletes and reads still work, a restart serves reads, freed space takes uploads again', async () => {
  const dataDir = path.join(mount, 'data');
  srv = await startTestServer({ dataDir });
  const c = srv.client({ bucket: 'full' });
  await c.putBucket('full');
  const stored = new Map<string, Buffer>();
  let refusal: any = null;
  for (let i = 0; i < 100 && !refusal; i++) {
    const data = bytes(1024 * 1024, i + 1);
    try {
      await c.put(`obj-${i}`, data, { headers: i % 2 ? { [SSE]: 'AES256' } : {} });
      stored.set(`obj-${i}`, data);
    } catch (err) {
      refusal = err;
    }
  }
  assert.ok(refusal, 'the volume filled up');
  assert.equal(refusal.status, 507, String(refusal));
  assert.equal(refusal.code, 'InsufficientStorage');
  assert.ok(stored.size >= 5, `${stored.size} objects fitted`);
  assert.ok(free() < 1024 * 1024, `${free()} bytes free`);

  // Something else takes the last bytes too (another program on the volume): nothing is left at all.
  fill(path.join(mount, 'filler'));
  assert.equal(free(), 0);
  await assert.rejects(c.put('tiny', Buffer.from('x')), (e: any) => e.status === 507 && e.code === 'InsufficientStorage');
  for (const [key, data] of stored) assert.ok((await c.get(key)).content.equals(data), key);

  // Space is freed through the API, on the full disk.
  const [first, second] = [...stored.keys()];
  const del = await c.delete(first);
  assert.equal(del.res.status, 204);
  stored.delete(first);
  await c.deleteMulti([second]);
  stored.delete(second);

  // A restart on the (nearly) full volume serves what is there.
  await srv.close();
  srv = await startTestServer({ dataDir });
  const c2 = srv.client({ bucket: 'full' });
  for (const [key, data] of stored) assert.ok((await c2.get(key)).content.equals(data), key);
  await assert.rejects(c2.head(first), (e: any) => e.status === 404);

  // Deleted objects' space comes back (this server collects at once): uploads fit again.
  rmSync(path.join(mount, 'filler'));
  for (const key of [...stored.keys()].slice(0, 4)) {
    await c2.delete(key);
    stored.delete(key);
  }
  const deadline = Date.now() + 10_000;
  while (free() < 3 * 1024 * 1024 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const again = bytes(1024 * 1024, 99);
  await c2.put('after-freeing', again);
  assert.ok((await c2.get('after-freeing')).content.equals(again));
});
