/**
 * Disk faults under a running server (the file system calls on blob files made to fail by a
 * preloaded injector, test/faults/inject.ts): EIO on write and on fsync, EIO on read, a blob file
 * missing or truncated, a corrupt SQLite page. Each gives a clear error, no failed write is ever
 * acknowledged or visible, no acknowledged object is lost, and the server keeps serving what it
 * still can.
 */
import assert from 'node:assert/strict';
import { openSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { blobFile } from '../helpers/data-dir';
import { bytes } from '../helpers/oss-http';
import { spawnServer, type ServerProcess } from '../helpers/process-server';
import { tempDir } from '../helpers/server';
import { SSE } from '../helpers/sse';

const INJECTOR = path.join(__dirname, 'inject.js');
const BUCKET = 'faults';
const dir = tempDir('coffer-faults-');
const dataDir = path.join(dir, 'data');
const control = path.join(dir, 'faults.json');
let srv: ServerProcess;
/** Every acknowledged write: what each key must read back at the end. */
const acked = new Map<string, Buffer>();

const faults = (f: Record<string, string>): void => writeFileSync(control, JSON.stringify(f));
const start = async (): Promise<void> => {
  srv = await spawnServer({ dataDir, nodeArgs: ['--require', INJECTOR], env: { COFFER_FAULTS: control } });
};
const c = (): any => srv.client({ bucket: BUCKET, timeout: 30_000 });

before(async () => {
  faults({});
  await start();
  await c().putBucket(BUCKET);
  for (let i = 0; i < 6; i++) {
    const data = bytes(150 * 1024 + i, i + 1);
    await c().put(`base-${i}`, data, { headers: i % 2 ? { [SSE]: 'AES256' } : {} });
    acked.set(`base-${i}`, data);
  }
});

after(async () => {
  srv?.kill('SIGKILL');
  await srv?.exited;
  rmSync(dir, { recursive: true, force: true });
});

function blobOf(key: string): string {
  const db = new Database(path.join(dataDir, 'meta.db'), { readonly: true, fileMustExist: true });
  try {
    const row = db.prepare('SELECT data FROM objects WHERE bucket = ? AND key = ?').get(BUCKET, Buffer.from(key)) as { data: string };
    return blobFile(dataDir, JSON.parse(row.data).segments[0].blobId);
  } finally {
    db.close();
  }
}

async function refusedAndAbsent(call: Promise<unknown>, key: string, code = 'EIO'): Promise<void> {
  const err: any = await call.then(() => assert.fail('the write was acknowledged'), (e: unknown) => e);
  assert.equal(err.status, 500, String(err));
  assert.equal(err.code, 'InternalError');
  assert.match(err.message, new RegExp(`storage failed \\(${code}\\)`));
  await assert.rejects(c().head(key), (e: any) => e.status === 404, `${key} must not be visible`);
}

async function allAckedIntact(): Promise<void> {
  for (const [key, data] of acked) assert.ok((await c().get(key)).content.equals(data), key);
}

test('EIO on write and on fsync: the PUT, the part upload and the append are refused and not visible; later writes work', async () => {
  for (const op of ['write', 'fsync']) {
    faults({ [op]: 'EIO' });
    await refusedAndAbsent(c().put(`${op}-plain`, bytes(300 * 1024, 7)), `${op}-plain`);
    await refusedAndAbsent(c().put(`${op}-sse`, bytes(300 * 1024, 8), { headers: { [SSE]: 'AES256' } }), `${op}-sse`);
    const { uploadId } = await c().initMultipartUpload(`${op}-multi`);
    await assert.rejects(c().uploadPart(`${op}-multi`, uploadId, 1, bytes(200 * 1024, 9), 0, 200 * 1024), (e: any) => e.status === 500);
    assert.deepEqual((await c().listParts(`${op}-multi`, uploadId)).parts, [], 'a part whose data did not reach the disk is not listed');
    await assert.rejects(c().append(`${op}-app`, bytes(1000, 3)), (e: any) => e.status === 500);
    faults({});
    await allAckedIntact();
    const data = bytes(100 * 1024, 10);
    await c().put(`${op}-after`, data);
    acked.set(`${op}-after`, data);
  }
});

test('EIO on read: GET fails without a complete 200 of wrong bytes, HEAD still answers, and reads work again after', async () => {
  faults({ read: 'EIO' });
  for (const key of ['base-0', 'base-1']) {
    await assert.rejects(c().get(key), (e: any) => e.status === 500 || e.status === -1 || /aborted|premature|close/i.test(String(e)));
    assert.equal((await c().head(key)).status, 200);
  }
  faults({});
  await allAckedIntact();
});

test('a blob file missing or truncated: that object fails clearly, every other object reads', async () => {
  const missing = blobOf('base-2');
  const truncatedPlain = blobOf('base-4');
  const truncatedSse = blobOf('base-3');
  rmSync(missing);
  truncateSync(truncatedPlain, statSync(truncatedPlain).size - 1000);
  truncateSync(truncatedSse, statSync(truncatedSse).size - 1000);
  const err: any = await c().get('base-2').then(() => assert.fail('served'), (e: unknown) => e);
  assert.equal(err.status, 500);
  assert.match(err.message, /storage failed \(ENOENT\)/);
  for (const key of ['base-4', 'base-3']) {
    // The body is cut before its end: never a complete 200 with wrong content.
    const got = await c().get(key).then((r: any) => r.content as Buffer, () => null);
    assert.ok(got === null || !got.equals(acked.get(key)!), `${key} was served as if whole`);
    if (got) assert.ok(got.length < acked.get(key)!.length);
  }
  for (const key of ['base-2', 'base-3', 'base-4']) acked.delete(key);
  await allAckedIntact();
});

test('a corrupt SQLite page: the server restarts and serves what the intact pages hold; a query on the bad page fails with a clear error', async () => {
  // Enough objects that the table spans many pages; then the server is stopped and a page in the middle overwritten.
  for (let i = 0; i < 400; i++) {
    const data = Buffer.from(`object ${i} `.repeat(40));
    await c().put(`many/${String(i).padStart(4, '0')}`, data);
    acked.set(`many/${String(i).padStart(4, '0')}`, data);
  }
  srv.kill('SIGTERM');
  await srv.exited;
  const db = new Database(path.join(dataDir, 'meta.db'));
  db.pragma('wal_checkpoint(TRUNCATE)');
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const pages = db.pragma('page_count', { simple: true }) as number;
  db.close();
  const bad = Math.floor(pages * 0.6);
  const fd = openSync(path.join(dataDir, 'meta.db'), 'r+');
  writeSync(fd, Buffer.alloc(pageSize, 0xa5), 0, pageSize, (bad - 1) * pageSize);
  closeSync(fd);
  assert.notEqual(readFileSync(path.join(dataDir, 'meta.db')).subarray((bad - 1) * pageSize, bad * pageSize).indexOf(0xa5), -1);

  await start();
  let served = 0;
  let failed = 0;
  for (const [key, data] of acked) {
    const r = await c().get(key).then((x: any) => x, (e: any) => e);
    if (r.res?.status === 200) {
      assert.ok(r.content.equals(data), `${key} served wrong bytes`);
      served++;
    } else {
      assert.equal(r.status, 500, String(r));
      assert.match(r.message, /storage failed \(SQLITE_CORRUPT/);
      failed++;
    }
  }
  assert.ok(served > acked.size / 2, `${served} of ${acked.size} objects still served`);
  const listing = await c().list({ 'max-keys': 1000 }).then(() => 'ok', (e: any) => e);
  assert.ok(listing === 'ok' || (listing.status === 500 && /SQLITE_CORRUPT/.test(listing.message)), String(listing));
  assert.ok(failed > 0 || listing !== 'ok', 'the corrupt page was hit by some request');
});
