/**
 * Online backups of the embedded store (`coffer admin backup`, BackupStore / DescribeBackup):
 *  - deterministic: writes land between the snapshot and the copy (a hook pauses there), the
 *    server collects the blobs they retire, and the copy still holds every object as it was at
 *    the snapshot;
 *  - end to end: the CLI backs up while a writer overwrites and deletes; a second server on the
 *    copy (same root key) serves every object committed before the backup began byte for byte,
 *    and the writer's keys as they stood at one instant of its sequence;
 *  - the copy's blob files are exactly those its metadata names; no root key in it; 0600/0700;
 *  - refusals: a bad directory, and a server on PostgreSQL (back it up with its own tools).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BackupStatus } from '../../src/admin/service';
import { createLogger } from '../../src/common/log';
import { EmbeddedBackups, MANIFEST_FILE } from '../../src/server/backup';
import { openMetadataStore } from '../../src/store/open';
import { isDeleteMarker, type MetadataReader } from '../../src/store/types';
import { runCoffer } from '../cli/helpers';
import { freshDatabase } from '../helpers/backends';
import { listFiles } from '../helpers/data-dir';
import { ACCESS_KEY_ID, ACCESS_KEY_SECRET, startTestServer, tempDir, type TestServer } from '../helpers/server';
import { popClient } from '../rpc/helpers';

const SSE = 'x-oss-server-side-encryption';
/** What pop-core rejects with when the API answers an error. */
type RpcError = { data?: { Code?: string; Message?: string } };
const cleanup: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const fn of cleanup.reverse()) await fn();
});

async function server(overrides: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  const srv = await startTestServer(overrides);
  cleanup.push(() => srv.close());
  return srv;
}

function dir(name: string): string {
  const d = tempDir(name);
  cleanup.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

const content = (key: string, version: number, size = 3000): Buffer => {
  const head = Buffer.from(`${key} v${version};`);
  return Buffer.concat([head, Buffer.alloc(Math.max(0, size - head.length), version & 0xff)]);
};

/** Every blob id the metadata names: the segments of every object version and of every part of every unfinished upload. */
async function namedBlobs(meta: MetadataReader): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const b of await meta.listBuckets({ limit: 1000 })) {
    for (const { record: v } of await meta.listVersions(b.name, { limit: 1_000_000 })) {
      if (!isDeleteMarker(v)) for (const s of v.segments) ids.add(s.blobId);
    }
    for (const u of await meta.listUploads(b.name, { limit: 10_000 })) {
      for (const p of await meta.listParts(u.uploadId, { limit: 10_000 })) ids.add(p.segment.blobId);
    }
  }
  return ids;
}

/** The copy's blob files are exactly the blobs its metadata names; nothing secret but the sealed store. */
async function assertSelfContained(copy: string): Promise<void> {
  const meta = await openMetadataStore(undefined, copy);
  try {
    const files = listFiles(path.join(copy, 'blobs')).map((f) => path.basename(f)).sort();
    assert.deepEqual(files, [...await namedBlobs(meta)].sort());
  } finally {
    await meta.close();
  }
  assert.ok(existsSync(path.join(copy, MANIFEST_FILE)));
  assert.ok(!existsSync(path.join(copy, 'root.key')), 'the root key is kept separately');
  assert.ok(!existsSync(path.join(copy, 'root-credentials.json')));
  for (const f of listFiles(copy)) assert.equal(statSync(path.join(copy, f)).mode & 0o777, 0o600, f);
  assert.equal(statSync(path.join(copy, 'blobs')).mode & 0o777, 0o700);
}

async function waitDone(backups: EmbeddedBackups, id: string): Promise<BackupStatus> {
  for (;;) {
    const s = (await backups.describe(id))!;
    if (s.state !== 'Running') return s;
    await sleep(20);
  }
}

test('writes between the snapshot and the copy: their retired blobs are collected by the server, yet the copy has every object as of the snapshot', async () => {
  const srv = await server();
  const oss = srv.client({ bucket: 'snap' });
  await oss.putBucket('snap');
  const before = new Map<string, Buffer>();
  const put = async (key: string, body: Buffer, headers: Record<string, string> = {}): Promise<void> => {
    await oss.put(key, body, { headers });
    before.set(key, body);
  };
  await put('plain', content('plain', 1, 100_000));
  await put('aes', content('aes', 1, 200_000), { [SSE]: 'AES256' });
  await put('sm4', content('sm4', 1, 70_000), { [SSE]: 'SM4' });
  await put('kms', content('kms', 1, 5000), { [SSE]: 'KMS' });
  await put('empty', Buffer.alloc(0), { [SSE]: 'AES256' });
  const mp = await oss.initMultipartUpload('multi', { headers: { [SSE]: 'AES256' } });
  const parts = [content('multi', 1, 110 * 1024), content('multi', 2, 5000)];
  const etags = [];
  for (const [i, p] of parts.entries()) etags.push((await oss.uploadPart('multi', mp.uploadId, i + 1, p, 0, p.length)).etag);
  await oss.completeMultipartUpload('multi', mp.uploadId, etags.map((etag, i) => ({ number: i + 1, etag })));
  before.set('multi', Buffer.concat(parts));
  const pending = await oss.initMultipartUpload('pending');
  const pendingPart = content('pending', 1, 120 * 1024);
  await oss.uploadPart('pending', pending.uploadId, 1, pendingPart, 0, pendingPart.length);

  const meta = srv.running.coffer.meta;
  const oldBlobs = [...await namedBlobs(meta)];
  const collector = srv.running.coffer.collector;
  let retiredDuringBackup = 0;
  const backups = new EmbeddedBackups({ dataDir: srv.dataDir, meta, collector, logger: createLogger('error') }, async () => {
    // Pinned and leased: now everything changes, and the server sweeps what that retired.
    for (const key of before.keys()) await oss.put(key, content(key, 2));
    await oss.delete('plain');
    await oss.abortMultipartUpload('pending', pending.uploadId);
    await oss.put('born-after', content('born-after', 1));
    await collector.sweepRetired();
    for (const id of oldBlobs) if ((await meta.blobState(id)) === 'retired') retiredDuringBackup++;
    // Retired, due (no grace here), yet still there: leased by the backup.
    for (const id of oldBlobs) assert.ok(await srv.running.coffer.blobs.size(id) >= 0, id);
  });
  const copy = path.join(dir('coffer-backup-'), 'copy');
  const started = await backups.start(copy);
  assert.equal(started.state, 'Running');
  const done = await waitDone(backups, started.id);
  assert.equal(done.state, 'Done', done.error);
  assert.equal(retiredDuringBackup, oldBlobs.length, 'every blob of the snapshot was retired after it');
  assert.deepEqual(done.blobs, { total: oldBlobs.length, copied: oldBlobs.length });
  assert.equal(done.bytes.copied, done.bytes.total);
  // Once the backup let go, the server collected them: the copy has blobs the live store no longer has.
  await collector.sweepRetired();
  for (const id of oldBlobs) await assert.rejects(srv.running.coffer.blobs.size(id), { code: 'ENOENT' });
  assert.ok(!existsSync(path.join(srv.dataDir, 'backup-staging', started.id)), 'staging links removed');

  await assertSelfContained(copy);
  const restored = await server({ dataDir: copy });
  const r = restored.client({ bucket: 'snap' });
  for (const [key, body] of before) assert.ok(Buffer.from((await r.get(key)).content).equals(body), key);
  await assert.rejects(r.head('born-after'), { status: 404 });
  const uploads = await r.listUploads({});
  assert.deepEqual(uploads.uploads.map((u: { name: string; uploadId: string }) => [u.name, u.uploadId]), [['pending', pending.uploadId]]);
  // The unfinished upload's part came along: completing it on the copy gives its bytes.
  const [part] = [(await r.listParts('pending', pending.uploadId)).parts].flat();
  await r.completeMultipartUpload('pending', pending.uploadId, [{ number: 1, etag: part.ETag }]);
  assert.ok(Buffer.from((await r.get('pending')).content).equals(pendingPart));
});

test('a versioned bucket: the copy has every version and delete marker, each readable by its id', async () => {
  const srv = await server();
  const oss = srv.client({ bucket: 'hist' });
  await oss.putBucket('hist');
  await oss.putBucketVersioning('hist', 'Enabled');
  const bodies = [content('doc', 1, 90_000), content('doc', 2, 4000)];
  const ids = [
    (await oss.put('doc', bodies[0], { headers: { [SSE]: 'AES256' } })).res.headers['x-oss-version-id'],
    (await oss.put('doc', bodies[1])).res.headers['x-oss-version-id'],
  ];
  await oss.delete('doc');
  const backups = new EmbeddedBackups({ dataDir: srv.dataDir, meta: srv.running.coffer.meta, collector: srv.running.coffer.collector, logger: createLogger('error') });
  const copy = path.join(dir('coffer-backup-'), 'copy');
  const done = await waitDone(backups, (await backups.start(copy)).id);
  assert.equal(done.state, 'Done', done.error);
  assert.deepEqual(done.blobs, { total: 2, copied: 2 });
  await assertSelfContained(copy);
  const r = (await server({ dataDir: copy })).client({ bucket: 'hist' });
  await assert.rejects(r.head('doc'), { status: 404 });
  for (const [i, id] of ids.entries()) assert.ok(Buffer.from((await r.get('doc', { versionId: id })).content).equals(bodies[i]), id);
  assert.equal((await r.getBucketVersions({})).deleteMarker.length, 1);
});

test('coffer admin backup while a writer overwrites and deletes: the copy serves everything committed before, and one instant of the writer', async () => {
  const srv = await server();
  const oss = srv.client({ bucket: 'live' });
  await oss.putBucket('live');
  const stable = new Map<string, Buffer>();
  for (let i = 0; i < 40; i++) {
    const key = `stable/${i}`;
    const body = content(key, i, 20_000 + i * 1000);
    await oss.put(key, body, { headers: i % 2 ? { [SSE]: 'AES256' } : {} });
    stable.set(key, body);
  }
  // The writer's operations are strictly sequential: op n overwrites or deletes churn/<n % 10>.
  const ops: Array<{ key: string; version: number | null }> = [];
  const churnKey = (n: number): string => `churn/${n % 10}`;
  let writing = true;
  let ackedBeforeBackup = -1;
  const writer = (async () => {
    for (let n = 0; writing || n < 30; n++) {
      const key = churnKey(n);
      if (n % 7 === 6) {
        await oss.delete(key);
        ops.push({ key, version: null });
      } else {
        await oss.put(key, content(key, n, 30_000), { headers: n % 3 ? { [SSE]: 'SM4' } : {} });
        ops.push({ key, version: n });
      }
    }
  })();
  while (ops.length < 30) await sleep(5);

  const home = dir('coffer-backup-home-');
  const copy = path.join(dir('coffer-backup-'), 'nested', 'copy');
  ackedBeforeBackup = ops.length;
  const run = await runCoffer(['admin', 'backup', copy, '--json', '--kms-endpoint', srv.kmsUrl, '--access-key-id', ACCESS_KEY_ID, '--access-key-secret', ACCESS_KEY_SECRET], home);
  writing = false;
  await writer;
  assert.equal(run.code, 0, run.stderr);
  const status = JSON.parse(run.stdout);
  assert.equal(status.State, 'Done');
  assert.equal(status.Directory, copy);
  assert.ok(ops.length > ackedBeforeBackup, 'the writer kept writing during the backup');

  await assertSelfContained(copy);
  const restored = await server({ dataDir: copy });
  const r = restored.client({ bucket: 'live' });
  for (const [key, body] of stable) assert.ok(Buffer.from((await r.get(key)).content).equals(body), key);
  // Each churn key as the copy has it: the version written by op n, or gone.
  const state = new Map<string, number | null>();
  for (let k = 0; k < 10; k++) {
    const key = `churn/${k}`;
    try {
      const body = Buffer.from((await r.get(key)).content);
      const version = Number(/ v(\d+);/.exec(body.toString('latin1', 0, 40))![1]);
      assert.ok(body.equals(content(key, version, 30_000)), `${key} is intact`);
      state.set(key, version);
    } catch (err) {
      assert.equal((err as { status?: number }).status, 404, String(err));
      state.set(key, null);
    }
  }
  // A snapshot is a prefix of the writer's sequence: some cut, at or after the ops acknowledged
  // before the backup began, explains every key at once.
  const at = (cut: number, key: string): number | null => {
    for (let n = cut - 1; n >= 0; n--) if (ops[n].key === key) return ops[n].version;
    return null;
  };
  const cuts = [];
  for (let cut = ackedBeforeBackup; cut <= ops.length; cut++) if ([...state].every(([key, v]) => at(cut, key) === v)) cuts.push(cut);
  assert.ok(cuts.length > 0, `no prefix of the ${ops.length} writes explains ${JSON.stringify([...state])}`);
});

test('refused: a relative, non-empty or data-directory target; a server on PostgreSQL names the tools to use', async () => {
  const srv = await server();
  const admin = popClient(srv.kmsUrl);
  const refusal = (params: Record<string, string>): Promise<{ code?: string; message: string }> =>
    admin.request('BackupStore', params, { method: 'POST' }).then(() => ({ message: 'accepted' }), (err: RpcError) => ({ code: err.data?.Code, message: err.data?.Message ?? String(err) }));
  const full = dir('coffer-backup-full-');
  writeFileSync(path.join(full, 'something'), 'x');
  for (const [directory, why] of [['relative/dir', /absolute path/], [full, /not empty/], [path.join(srv.dataDir, 'inside'), /outside the data directory/], [path.dirname(srv.dataDir), /outside the data directory/]] as const) {
    const r = await refusal({ Directory: directory });
    assert.equal(r.code, 'InvalidParameter', `${directory}: ${r.message}`);
    assert.match(r.message, why);
  }
  assert.ok(!existsSync(path.join(srv.dataDir, 'inside')));
  const unknown = await admin.request('DescribeBackup', { BackupId: 'nope' }, { method: 'POST' }).then(() => null, (err: RpcError) => err);
  assert.equal(unknown?.data?.Code, 'InvalidParameter');

  const db = await freshDatabase();
  cleanup.push(() => db.drop());
  const clustered = await server({ metadata: db.url });
  const target = path.join(dir('coffer-backup-pg-'), 'copy');
  const pg = await popClient(clustered.kmsUrl).request('BackupStore', { Directory: target }, { method: 'POST' }).then(() => null, (err: RpcError) => err);
  assert.equal(pg?.data?.Code, 'Rejected.UnsupportedOperation');
  assert.match(pg?.data?.Message ?? '', /embedded store .* only; this server keeps its metadata in postgres .*pg_dump or point-in-time recovery.*bucket versioning or replication/);
  assert.ok(!existsSync(target), 'nothing written');
});

test('a backup cut short by a server stop is reported Failed and leaves no backup.json', async () => {
  const srv = await startTestServer();
  const oss = srv.client({ bucket: 'stop' });
  await oss.putBucket('stop');
  for (let i = 0; i < 20; i++) await oss.put(`k${i}`, content(`k${i}`, i, 50_000));
  let resume!: () => void;
  let backups!: EmbeddedBackups;
  const paused = new Promise<void>((reached) => {
    backups = new EmbeddedBackups({ dataDir: srv.dataDir, meta: srv.running.coffer.meta, collector: srv.running.coffer.collector, logger: createLogger('error') },
      () => new Promise<void>((r) => { resume = r; reached(); }));
  });
  const copy = path.join(dir('coffer-backup-stop-'), 'copy');
  mkdirSync(copy);
  const started = await backups.start(copy);
  // The server stops while the backup is between its snapshot and its copy.
  await paused;
  const closing = backups.close();
  resume();
  await closing;
  const s = (await backups.describe(started.id))!;
  assert.equal(s.state, 'Failed');
  assert.match(s.error!, /server stopped before the backup finished/);
  assert.ok(!existsSync(path.join(copy, MANIFEST_FILE)));
  await srv.close();
});
