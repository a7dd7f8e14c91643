/**
 * writeSegment with a body that fails before the blob file exists: a copy's body is already
 * decrypting its source while the file is being created, and a tampered package fails there. The
 * failure must come back from writeSegment (and leave no blob), not go uncaught: node:test
 * reports an uncaught exception as this test's failure, and a server would end. A blob file that
 * cannot be created gives the body up (a copy's source its file and lease). And openOnRead, which
 * keeps an UploadPartCopy's source closed until the part is written.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { renameSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { CofferError } from '../../src/common/errors';
import { openOnRead } from '../../src/common/streams';
import { writeSegment } from '../../src/core/segment-writer';
import { startTestServer, type TestServer } from '../helpers/server';

let srv: TestServer;
before(async () => { srv = await startTestServer(); });
after(async () => { await srv.close(); });

async function blobIds(): Promise<Set<string>> {
  const ids = new Set<string>();
  for await (const b of srv.running.coffer.blobs.list()) ids.add(b.blobId);
  return ids;
}

test('a body that fails while the blob file is being created fails the write, and nothing is kept', async () => {
  const before = await blobIds();
  for (const cipher of [null, { suite: 'AES256-GCM' as const, objectKey: randomBytes(32) }]) {
    // Fails at once, as a decrypting copy does on a tampered first chunk: before writeSegment's
    // first await is over.
    const body = new Readable({ read() { this.destroy(new CofferError('DataIntegrityError', 'encrypted package 1 failed authentication')); } });
    body.resume();
    await assert.rejects(writeSegment(srv.running.coffer, { body }, cipher), { code: 'DataIntegrityError' });
  }
  assert.deepEqual(await blobIds(), before);
});

test('a blob file that cannot be created fails the write and gives the body up', async () => {
  // The blob directory gone, as on a failed disk: every create fails with ENOENT.
  const blobs = path.join(srv.dataDir, 'blobs');
  renameSync(blobs, `${blobs}.away`);
  try {
    const body = new Readable({ read() { this.push(Buffer.alloc(1024)); } });
    await assert.rejects(writeSegment(srv.running.coffer, { body }, null), { code: 'ENOENT' });
    assert.equal(body.destroyed, true);
  } finally {
    renameSync(`${blobs}.away`, blobs);
  }
});

test('openOnRead opens its source only when read, passes its bytes and errors on, and destroys it when destroyed', async () => {
  let opened = 0;
  const bytes = randomBytes(3 * 1024 * 1024);
  const lazy = openOnRead(() => { opened++; return Readable.from([bytes.subarray(0, 1 << 20), bytes.subarray(1 << 20)]); });
  await new Promise((r) => setImmediate(r));
  assert.equal(opened, 0);
  const chunks: Buffer[] = [];
  for await (const chunk of lazy) chunks.push(chunk as Buffer);
  assert.equal(opened, 1);
  assert.ok(Buffer.concat(chunks).equals(bytes));

  const failing = openOnRead(() => new Readable({ read() { this.destroy(new Error('source failed')); } }));
  await assert.rejects(async () => { for await (const _ of failing) { /* nothing arrives */ } }, /source failed/);

  // A source closed before its end fails the stream; it does not just stop.
  const cut = openOnRead(() => new Readable({ read() { this.destroy(); } }));
  await assert.rejects(async () => { for await (const _ of cut) { /* nothing arrives */ } }, { code: 'ERR_STREAM_PREMATURE_CLOSE' });

  let source: Readable | undefined;
  const dropped = openOnRead(() => (source = new Readable({ read() { this.push(Buffer.alloc(1024)); } })));
  dropped.once('data', () => dropped.destroy());
  await new Promise((r) => dropped.once('close', r));
  assert.equal(source?.destroyed, true);
});
