/**
 * MetadataStore conformance: what every backend must do, run against each one in BACKENDS.
 *
 * PostgreSQL needs a server: COFFER_TEST_POSTGRES_URL names a superuser connection (e.g.
 * postgres://postgres@127.0.0.1:PORT/postgres, as printed by `scripts/postgres.sh start DIR`);
 * every store location is a fresh database, dropped at the end.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import pg from 'pg';
import { MIGRATIONS as PG_MIGRATIONS } from '../../src/store/postgres/migrations';
import { PostgresMetadataStore } from '../../src/store/postgres/metadata-store';
import { SqliteMetadataStore } from '../../src/store/sqlite/metadata-store';
import { CURRENT_SEQ, versionIdOf, type AuditRecord, type BucketRecord, type LifecycleConfiguration, type MetadataStore, type ObjectRecord, type VersionEntry } from '../../src/store/types';

const dirs: string[] = [];
/** Not test/helpers/server's tempDir: this suite loads the store modules only, not the server. */
const tempDir = (name: string): string => mkdtempSync(path.join(os.tmpdir(), name));
const stores: MetadataStore[] = [];
const databases: string[] = [];
let admin: pg.Client | null = null;

after(async () => {
  // Stores a failed test left open, so that their databases can be dropped and nothing keeps
  // the process alive.
  await Promise.all(stores.map((s) => s.close().catch(() => undefined)));
  if (admin) {
    for (const db of databases) await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin.end();
  }
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

/** Opens store instances on one place (file or database): each is what another process would have. */
type Opener = () => Promise<MetadataStore>;

function track(s: MetadataStore): MetadataStore {
  stores.push(s);
  return s;
}

function postgresUrl(): string {
  const url = process.env.COFFER_TEST_POSTGRES_URL;
  if (url) return url;
  throw new Error(process.env.CI
    ? 'COFFER_TEST_POSTGRES_URL is not set: CI must start PostgreSQL (scripts/postgres.sh start DIR) ' +
      'and export the COFFER_TEST_POSTGRES_URL line it prints before running the tests'
    : 'COFFER_TEST_POSTGRES_URL is not set. Run the tests with `npm test` (it starts PostgreSQL), or start a throwaway one with ' +
      '`export "$(scripts/postgres.sh start /tmp/coffer-pg)"` (needs the Debian package postgresql; ' +
      'stop it with `scripts/postgres.sh stop /tmp/coffer-pg`), then run the tests again');
}

/** A new empty database on the test server; its URL. */
async function freshDatabase(): Promise<string> {
  const base = postgresUrl();
  if (!admin) {
    admin = new pg.Client({ connectionString: base });
    await admin.connect();
  }
  const name = `coffer_t_${Math.random().toString(36).slice(2, 12)}`;
  await admin.query(`CREATE DATABASE ${name}`);
  databases.push(name);
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

const BACKENDS: Record<string, () => Promise<Opener>> = {
  sqlite: async () => {
    const dir = tempDir('coffer-meta-');
    dirs.push(dir);
    const file = path.join(dir, 'meta.db');
    return async () => track(SqliteMetadataStore.open(file));
  },
  postgres: async () => {
    const url = await freshDatabase();
    return async () => track(await PostgresMetadataStore.open(url, { poolSize: 5 }));
  },
};

let blobSeq = 0;
function newBlob(): string {
  blobSeq++;
  return blobSeq.toString(16).padStart(32, '0');
}
function obj(key: string, extra: Partial<ObjectRecord> = {}): ObjectRecord {
  return {
    bucket: 'b', key, size: 1, etag: 'E', crc64: '0', type: 'Normal', storageClass: 'Standard', acl: 'default',
    lastModified: 0, headers: { 'content-type': 'x' }, userMeta: {}, encryption: null,
    segments: [{ blobId: newBlob(), size: 1 }],
    ...extra,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const bytewise = (x: string, y: string) => Buffer.compare(Buffer.from(x), Buffer.from(y));

async function waitFor(what: string, cond: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}

/**
 * Watches `store`, recording every message but '*' (a backend may send '*' whenever
 * notifications could have been missed, e.g. when its listener connects), and returns once the
 * watch demonstrably works: probes notified through `via` have arrived.
 */
async function watching(store: MetadataStore, via: MetadataStore): Promise<{ got: string[]; stop: () => void }> {
  const got: string[] = [];
  let probed = false;
  const stop = store.watch((channel, message) => {
    if (channel === 'probe') probed = true;
    else if (channel !== '*') got.push(`${channel}:${message}`);
  });
  const deadline = Date.now() + 10_000;
  for (let i = 0; !probed; i++) {
    if (Date.now() > deadline) throw new Error('the watcher never heard a probe');
    await via.transaction((tx) => tx.notify('probe', String(i)));
    const until = Date.now() + 250;
    while (!probed && Date.now() < until) await sleep(10);
  }
  return { got, stop };
}

function audit(n: number, extra: Partial<AuditRecord> = {}): AuditRecord {
  return {
    time: new Date(1_700_000_000_000 + n * 1000).toISOString(), node: 'n1', identity: 'acs:ram::1:root',
    action: 'Decrypt', keyId: `key-${n}`, via: 'kms-api', outcome: 'Success', ...extra,
  };
}

for (const [name, place] of Object.entries(BACKENDS)) {
  const open = async () => (await place())();

  describe(`MetadataStore conformance: ${name}`, () => {
    test('names its backend', async () => {
      const m = await open();
      assert.equal(m.backend, name);
      await m.close();
    });

    test('a bucket record keeps its optional configurations (lifecycle rules) as written, and drops them when cleared', async () => {
      const m = await open();
      const bucket: BucketRecord = { name: 'lc', owner: 'o', region: 'r', acl: 'private', storageClass: 'Standard', dataRedundancyType: 'LRS', createdAt: 0, encryption: null };
      const lifecycle: LifecycleConfiguration = {
        rules: [{
          id: 'r1', status: 'Enabled', prefix: 'logs/', tags: [{ key: 'k', value: 'v' }], not: { prefix: 'logs/keep/' },
          expiration: { days: 3 }, transitions: [{ createdBefore: Date.UTC(2030, 0, 1), storageClass: 'IA' }],
          noncurrentVersionExpiration: { noncurrentDays: 2 }, noncurrentVersionTransitions: [],
        }],
      };
      await m.transaction((tx) => tx.putBucket({ ...bucket, lifecycle }));
      assert.deepEqual(await m.getBucket('lc'), { ...bucket, lifecycle });
      await m.transaction((tx) => tx.putBucket({ ...bucket, lifecycle: null }));
      assert.equal((await m.getBucket('lc'))!.lifecycle, null);
      await m.close();
    });

    test('lists keys in UTF-8 byte order with prefix, after and skipPrefix', async () => {
      const m = await open();
      // U+1F600 sorts before U+FF5E in UTF-16 but after it in UTF-8: OSS lists in byte order.
      const keys = ['a', 'a/b', 'a/c/d', 'a/c/e', 'a/d', 'b', '\u{1F600}', '\uFF5E', 'a\u00e9'];
      await m.transaction(async (tx) => { for (const k of keys) await tx.putObject(obj(k)); });
      const all = (await m.listObjects('b', { limit: 100 })).map((o) => o.key);
      const sorted = [...keys].sort(bytewise);
      assert.deepEqual(all, sorted);
      assert.notDeepEqual(sorted, [...keys].sort(), 'the fixture must tell byte order from UTF-16 order');
      assert.deepEqual((await m.listObjects('b', { prefix: 'a/', limit: 100 })).map((o) => o.key), ['a/b', 'a/c/d', 'a/c/e', 'a/d']);
      assert.deepEqual((await m.listObjects('b', { prefix: 'a/', after: 'a/c/d', limit: 100 })).map((o) => o.key), ['a/c/e', 'a/d']);
      assert.deepEqual((await m.listObjects('b', { prefix: 'a/', skipPrefix: 'a/c/', limit: 100 })).map((o) => o.key), ['a/d']);
      assert.deepEqual((await m.listObjects('b', { limit: 2 })).map((o) => o.key), ['a', 'a/b']);
      await m.close();
    });

    test('a keyset page walk over 2,500 keys under a prefix returns each key once, in byte order', async () => {
      const m = await open();
      const inside: string[] = [];
      for (let i = 0; i < 2500; i++) {
        // Mixed widths and scripts, so that byte order differs from insertion and UTF-16 order.
        const tail = i % 5 === 0 ? '\u00e9' : i % 7 === 0 ? '\u{1F600}' : i % 11 === 0 ? '\uFF5E' : '';
        inside.push(`p/${(i * 7919 % 2500).toString(36)}${tail}/${i}`);
      }
      const outside = ['p', 'p.', 'p0', 'o/1', 'q/1', 'p\u00e9/x'];
      await m.transaction(async (tx) => {
        for (const k of [...inside, ...outside]) await tx.putObject(obj(k));
      });
      const walked: string[] = [];
      let pages = 0;
      let after: string | undefined;
      for (;;) {
        const page = await m.listObjects('b', { prefix: 'p/', after, limit: 100 });
        if (!page.length) break;
        pages++;
        walked.push(...page.map((o) => o.key));
        after = page[page.length - 1].key;
      }
      assert.equal(pages, 25);
      assert.deepEqual(walked, [...inside].sort(bytewise));
      // skipPrefix jumps over a "directory": the walk goes on after every key that starts with it.
      const skipped = await m.listObjects('b', { prefix: 'p/', skipPrefix: 'p/1', limit: 5000 });
      assert.deepEqual(skipped.map((o) => o.key), inside.filter((k) => bytewise(k, 'p/2') >= 0).sort(bytewise));
      assert.equal((await m.stats()).objects, 2506);
      await m.close();
    });

    test('putObject retires replaced blobs and keeps shared ones live; deleteObject retires all', async () => {
      const m = await open();
      const first = obj('k');
      await m.transaction((tx) => tx.putObject(first));
      const old = first.segments[0].blobId;
      assert.equal(await m.blobState(old), 'live');
      const second = obj('k');
      const replaced = await m.transaction((tx) => tx.putObject(second));
      assert.equal(replaced?.segments[0].blobId, old);
      assert.equal(await m.blobState(old), 'retired');
      assert.deepEqual(await m.retiredBlobs(10), [old]);
      // Same segments (a metadata-only change) must stay live.
      await m.transaction((tx) => tx.putObject({ ...second, userMeta: { a: '1' } }));
      assert.equal(await m.blobState(second.segments[0].blobId), 'live');
      await m.transaction((tx) => tx.forgetBlobs([old]));
      assert.deepEqual(await m.retiredBlobs(10), []);
      await m.transaction((tx) => tx.deleteObject('b', 'k'));
      assert.deepEqual(await m.retiredBlobs(10), [second.segments[0].blobId]);
      await m.close();
    });

    test('blobState: null before any record names a blob, live, retired, null again once forgotten', async () => {
      const m = await open();
      const o = obj('k');
      const id = o.segments[0].blobId;
      assert.equal(await m.blobState(id), null);
      await m.transaction((tx) => tx.putObject(o));
      assert.equal(await m.blobState(id), 'live');
      // forgetBlobs only forgets retired blobs.
      await m.transaction((tx) => tx.forgetBlobs([id]));
      assert.equal(await m.blobState(id), 'live');
      await m.transaction((tx) => tx.deleteObject('b', 'k'));
      assert.equal(await m.blobState(id), 'retired');
      // A blob retired by a failed request, never named by a record.
      const failed = newBlob();
      await m.transaction((tx) => tx.retireBlobs([failed]));
      assert.equal(await m.blobState(failed), 'retired');
      await m.transaction((tx) => tx.forgetBlobs([id, failed]));
      assert.equal(await m.blobState(id), null);
      assert.equal(await m.blobState(failed), null);
      await m.close();
    });

    test('retiredBlobs honours retiredBefore and limit, oldest first; a blob live again leaves the list', async () => {
      const m = await open();
      const [x, y, z] = [newBlob(), newBlob(), newBlob()];
      const beforeX = Date.now() - 1;
      await m.transaction((tx) => tx.retireBlobs([x]));
      await sleep(15);
      const cut = Date.now();
      await sleep(15);
      await m.transaction((tx) => tx.retireBlobs([y, z]));
      assert.deepEqual(await m.retiredBlobs(10, beforeX), []);
      assert.deepEqual(await m.retiredBlobs(10, cut), [x]);
      assert.deepEqual((await m.retiredBlobs(10)).sort(), [x, y, z].sort());
      assert.equal((await m.retiredBlobs(10))[0], x);
      assert.deepEqual(await m.retiredBlobs(1), [x]);
      assert.deepEqual((await m.retiredBlobs(10, Date.now())).sort(), [x, y, z].sort());
      // Named by a record again: live, and no longer collectable.
      await m.transaction((tx) => tx.putObject(obj('k', { segments: [{ blobId: y, size: 1 }] })));
      assert.equal(await m.blobState(y), 'live');
      assert.deepEqual((await m.retiredBlobs(10)).sort(), [x, z].sort());
      // Retiring again restarts its grace delay: retired_at is the latest retirement.
      await m.transaction((tx) => tx.deleteObject('b', 'k'));
      assert.deepEqual(await m.retiredBlobs(10, cut), [x]);
      await m.close();
    });

    test('a transaction that throws leaves nothing behind', async () => {
      const m = await open();
      await assert.rejects(m.transaction(async (tx) => {
        await tx.putObject(obj('x'));
        await tx.setSetting('s', 'v');
        await tx.appendAudit([audit(1)]);
        throw new Error('boom');
      }), /boom/);
      assert.equal(await m.getObject('b', 'x'), null);
      assert.equal(await m.getSetting('s'), null);
      assert.deepEqual(await m.listAudit({ limit: 10 }), []);
      assert.deepEqual(await m.retiredBlobs(10), []);
      // and the store still works afterwards
      await m.transaction((tx) => tx.setSetting('s', 'w'));
      assert.equal(await m.getSetting('s'), 'w');
      await m.close();
    });

    test('reads outside a transaction never see its uncommitted writes', async () => {
      const m = await open();
      let release!: () => void;
      const gate = new Promise<void>((r) => { release = r; });
      let written!: () => void;
      const wrote = new Promise<void>((r) => { written = r; });
      const tx = m.transaction(async (t) => {
        await t.setSetting('pending', '1');
        written();
        await gate;
      });
      await wrote;
      assert.equal(await m.getSetting('pending'), null);
      release();
      await tx;
      assert.equal(await m.getSetting('pending'), '1');
      await m.close();
    });

    test('uploads and parts: replacing a part retires its blob, deleteUpload keeps what Complete took', async () => {
      const m = await open();
      const upload = { uploadId: 'U1', bucket: 'b', key: 'k', initiated: 0, storageClass: 'Standard', acl: 'default' as const, headers: { 'content-type': 'x' }, userMeta: {}, encryption: null };
      const part = (n: number, blob: string) => ({ uploadId: 'U1', partNumber: n, etag: 'E', size: 1, crc64: '0', lastModified: 0, segment: { blobId: blob, size: 1 } });
      const [b1, b1b, b2] = ['1'.repeat(32), '2'.repeat(32), '3'.repeat(32)];
      await m.transaction(async (tx) => {
        await tx.putUpload(upload);
        await tx.putPart(part(1, b1));
        await tx.putPart(part(2, b2));
        await tx.putPart(part(1, b1b));
      });
      assert.equal(await m.blobState(b1), 'retired');
      assert.deepEqual((await m.listParts('U1', { limit: 10 })).map((p) => p.segment.blobId), [b1b, b2]);
      assert.equal(await m.bucketIsEmpty('b'), false);
      assert.deepEqual((await m.listUploads('b', { limit: 10 })).map((u) => u.uploadId), ['U1']);
      await m.transaction((tx) => tx.deleteUpload('U1', new Set([b2])));
      assert.equal(await m.getUpload('U1'), null);
      assert.equal(await m.blobState(b2), 'live');
      assert.equal(await m.blobState(b1b), 'retired');
      assert.equal(await m.bucketIsEmpty('b'), true);
      await m.close();
    });

    test('listUploads pages by key and upload id in byte order', async () => {
      const m = await open();
      const up = (uploadId: string, key: string) => ({ uploadId, bucket: 'b', key, initiated: 0, storageClass: 'Standard', acl: 'default' as const, headers: { 'content-type': 'x' }, userMeta: {}, encryption: null });
      await m.transaction(async (tx) => {
        for (const [id, key] of [['U3', 'a'], ['U1', 'a'], ['U2', '\u{1F600}'], ['U4', '\uFF5E'], ['U5', 'd/x'], ['U6', 'd/y']]) await tx.putUpload(up(id, key));
      });
      const ids = async (q: Parameters<MetadataStore['listUploads']>[1]) => (await m.listUploads('b', q)).map((u) => u.uploadId);
      assert.deepEqual(await ids({ limit: 10 }), ['U1', 'U3', 'U5', 'U6', 'U4', 'U2']);
      assert.deepEqual(await ids({ keyMarker: 'a', uploadIdMarker: 'U1', limit: 10 }), ['U3', 'U5', 'U6', 'U4', 'U2']);
      assert.deepEqual(await ids({ keyMarker: 'a', limit: 2 }), ['U5', 'U6']);
      assert.deepEqual(await ids({ skipPrefix: 'd/', limit: 10 }), ['U4', 'U2']);
      assert.deepEqual(await ids({ keyMarker: 'a', uploadIdMarker: 'U3', skipPrefix: 'd/', limit: 10 }), ['U4', 'U2']);
      assert.deepEqual(await ids({ prefix: 'd/', limit: 10 }), ['U5', 'U6']);
      await m.close();
    });

    test('documents: put, get, list in id order, delete', async () => {
      const m = await open();
      await m.transaction(async (tx) => {
        for (const id of ['c', 'a', 'b', 'B']) await tx.putDoc('kind', id, { id });
        await tx.putDoc('other', 'a', { id: 'other' });
      });
      assert.deepEqual(await m.getDoc('kind', 'a'), { id: 'a' });
      // Byte order: upper case before lower case, whatever the database's locale says.
      assert.deepEqual(await m.listDocs('kind', { limit: 10 }), [{ id: 'B' }, { id: 'a' }, { id: 'b' }, { id: 'c' }]);
      assert.deepEqual(await m.listDocs('kind', { after: 'a', limit: 1 }), [{ id: 'b' }]);
      assert.equal(await m.countDocs('kind'), 4);
      assert.equal(await m.transaction((tx) => tx.deleteDoc('kind', 'b')), true);
      assert.equal(await m.transaction((tx) => tx.deleteDoc('kind', 'b')), false);
      assert.equal(await m.getDoc('kind', 'b'), null);
      await m.close();
    });

    test('copying a store: document entries with ids, document kinds, every setting', async () => {
      const m = await open();
      assert.deepEqual(await m.docKinds(), []);
      assert.deepEqual(await m.listSettings(), []);
      await m.transaction(async (tx) => {
        for (const id of ['c', 'a', 'B']) await tx.putDoc('kind', id, { v: id.toUpperCase() });
        await tx.putDoc('Other', 'x', { v: 'X' });
        await tx.setSetting('z', '1');
        await tx.setSetting('A', '2');
        await tx.setSetting('b', '3');
      });
      assert.deepEqual(await m.listDocEntries('kind', { limit: 10 }), [
        { id: 'B', doc: { v: 'B' } }, { id: 'a', doc: { v: 'A' } }, { id: 'c', doc: { v: 'C' } },
      ]);
      assert.deepEqual(await m.listDocEntries('kind', { after: 'B', limit: 1 }), [{ id: 'a', doc: { v: 'A' } }]);
      assert.deepEqual(await m.docKinds(), ['Other', 'kind']);
      assert.deepEqual(await m.listSettings(), [{ name: 'A', value: '2' }, { name: 'b', value: '3' }, { name: 'z', value: '1' }]);
      await m.transaction((tx) => tx.deleteDoc('Other', 'x'));
      assert.deepEqual(await m.docKinds(), ['kind']);
      await m.close();
    });

    test('audit: appended records list in order, page by seq, and keep every field', async () => {
      const m = await open();
      await m.transaction((tx) => tx.appendAudit([audit(1), audit(2, { keyVersionId: 'v2', bucket: 'bk', object: 'o/é' })]));
      await m.transaction(async (tx) => {
        await tx.appendAudit([audit(3)]);
        await tx.appendAudit([audit(4), audit(5, { outcome: 'Forbidden' })]);
      });
      const all = await m.listAudit({ limit: 100 });
      assert.deepEqual(all.map(({ seq: _seq, ...r }) => r), [1, 2, 3, 4, 5].map((n) => audit(n, n === 2 ? { keyVersionId: 'v2', bucket: 'bk', object: 'o/é' } : n === 5 ? { outcome: 'Forbidden' } : {})));
      for (let i = 1; i < all.length; i++) assert.ok(all[i].seq > all[i - 1].seq, 'seqs increase');
      const paged: number[] = [];
      let after: number | undefined;
      for (;;) {
        const page = await m.listAudit({ after, limit: 2 });
        if (!page.length) break;
        assert.ok(page.length <= 2);
        paged.push(...page.map((e) => e.seq));
        after = page[page.length - 1].seq;
      }
      assert.deepEqual(paged, all.map((e) => e.seq));
      assert.deepEqual((await m.listAudit({ after: all[2].seq, limit: 10 })).map((e) => e.keyId), ['key-4', 'key-5']);
      await m.close();
    });

    test('notify reaches a watcher on another instance, in order, only when committed', async () => {
      const again = await place();
      const a = await again();
      const b = await again();
      const remote = await watching(b, a);
      const local = await watching(a, a);
      await assert.rejects(a.transaction(async (tx) => {
        await tx.notify('test', 'rolled-back');
        throw new Error('boom');
      }), /boom/);
      const started = Date.now();
      await a.transaction(async (tx) => {
        await tx.notify('test', '1');
        await tx.setSetting('x', '1');
        await tx.notify('test', '2');
        await tx.notify('test', '2');
      });
      await a.transaction((tx) => tx.notify('other', '3'));
      await b.transaction((tx) => tx.notify('test', '4'));
      const expected = ['test:1', 'test:2', 'test:2', 'other:3', 'test:4'];
      await waitFor('the notifications on the second instance', () => remote.got.length >= expected.length, 2000);
      assert.ok(Date.now() - started < 2000);
      await waitFor('the notifications on the notifying instance', () => local.got.length >= expected.length, 2000);
      await sleep(300);
      assert.deepEqual(remote.got, expected);
      assert.deepEqual(local.got, expected);
      // Unsubscribed: hears nothing more.
      remote.stop();
      await a.transaction((tx) => tx.notify('test', '5'));
      await waitFor('the last notification', () => local.got.length === expected.length + 1, 2000);
      await sleep(300);
      assert.equal(remote.got.length, expected.length);
      local.stop();
      await a.close();
      await b.close();
    });

    test('racing read-modify-write transactions on two instances lose no update', async () => {
      const again = await place();
      const a = await again();
      const b = await again();
      await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).transaction(async (tx) => {
        const n = Number((await tx.getSetting('counter')) ?? '0');
        await tx.getDoc('kind', 'unrelated'); // one more await between the read and the write
        await tx.setSetting('counter', String(n + 1));
      })));
      assert.equal(await a.getSetting('counter'), '20');
      assert.equal(await b.getSetting('counter'), '20');
      await a.close();
      await b.close();
    });

    test('racing putObject of one key on two instances: one record, every losing blob retired', async () => {
      const again = await place();
      const a = await again();
      const b = await again();
      const written: string[] = [];
      for (let round = 0; round < 5; round++) {
        const puts = [a, b, a, b].map((s) => {
          const o = obj('race');
          written.push(o.segments[0].blobId);
          return s.transaction((tx) => tx.putObject(o));
        });
        await Promise.all(puts);
      }
      const listed = await a.listObjects('b', { limit: 10 });
      assert.deepEqual(listed.map((o) => o.key), ['race']);
      const winner = listed[0].segments[0].blobId;
      const states = await Promise.all(written.map((id) => b.blobState(id)));
      const live = written.filter((_, i) => states[i] === 'live');
      assert.deepEqual(live, [winner], 'exactly the blob of the surviving record is live');
      assert.equal(states.filter((s) => s === 'retired').length, written.length - 1);
      assert.deepEqual((await a.retiredBlobs(100)).sort(), written.filter((id) => id !== winner).sort());
      await a.close();
      await b.close();
    });

    test('stats count buckets, objects, bytes and uploads', async () => {
      const m = await open();
      await m.transaction(async (tx) => {
        await tx.putBucket({ name: 'b', owner: 'o', region: 'r', acl: 'private', storageClass: 'Standard', dataRedundancyType: 'LRS', createdAt: 0, encryption: null });
        await tx.putObject(obj('x', { size: 5 }));
        await tx.putObject(obj('y', { size: 2 ** 33 }));
      });
      assert.deepEqual(await m.stats(), { buckets: 1, objects: 2, bytes: 2 ** 33 + 5, uploads: 0 });
      assert.deepEqual((await m.listBuckets({ prefix: 'b', limit: 10 })).map((x) => x.name), ['b']);
      assert.deepEqual(await m.listBuckets({ prefix: 'c', limit: 10 }), []);
      await m.close();
    });

    const ids = (entries: VersionEntry[]): string[] => entries.map((e) => `${e.record.key}@${versionIdOf(e.record)}`);

    test('versions: archived objects and delete markers list newest first per key, after the current object', async () => {
      const m = await open();
      const v1 = obj('k', { versionId: 'v1' });
      const v2 = obj('k', { versionId: 'v2' });
      await m.transaction(async (tx) => {
        await tx.putObject(obj('a'));
        await tx.putVersion(v1);
        await tx.putVersion({ bucket: 'b', key: 'k', versionId: 'm1', deleteMarker: true, lastModified: 1 });
        await tx.putVersion(v2);
        await tx.putObject(obj('k', { versionId: 'v3' }));
        await tx.putVersion({ bucket: 'b', key: 'only-marker', deleteMarker: true, lastModified: 2 });
        await tx.putVersion(obj('z\u00e9', { versionId: 'old' }));
      });
      const all = await m.listVersions('b', { limit: 100 });
      assert.deepEqual(ids(all), ['a@null', 'k@v3', 'k@v2', 'k@m1', 'k@v1', 'only-marker@null', 'z\u00e9@old']);
      assert.equal(all[1].seq, CURRENT_SEQ);
      assert.ok(all[2].seq > all[3].seq && all[3].seq > all[4].seq);
      // Paging: inside a key by seq, after a whole key, with a prefix and a skipped prefix.
      assert.deepEqual(ids(await m.listVersions('b', { after: { key: 'k', seq: all[2].seq }, limit: 2 })), ['k@m1', 'k@v1']);
      assert.deepEqual(ids(await m.listVersions('b', { after: { key: 'k', seq: CURRENT_SEQ }, limit: 1 })), ['k@v2']);
      assert.deepEqual(ids(await m.listVersions('b', { after: { key: 'k' }, limit: 100 })), ['only-marker@null', 'z\u00e9@old']);
      assert.deepEqual(ids(await m.listVersions('b', { prefix: 'k', limit: 100 })), ['k@v3', 'k@v2', 'k@m1', 'k@v1']);
      assert.deepEqual(ids(await m.listVersions('b', { skipPrefix: 'k', after: { key: 'a' }, limit: 100 })), ['only-marker@null', 'z\u00e9@old']);
      // Lookups by id, the current object's included.
      assert.equal((await m.getVersion('b', 'k', 'v3'))?.seq, CURRENT_SEQ);
      assert.equal((await m.getVersion('b', 'k', 'v1'))?.record.versionId, 'v1');
      assert.equal(await m.getVersion('b', 'k', 'nope'), null);
      assert.equal(versionIdOf((await m.newestNoncurrent('b', 'k'))!.record), 'v2');
      assert.equal(await m.bucketIsEmpty('b'), false);
      await m.close();
    });

    test('versions: blobs of noncurrent versions stay live until their version is deleted; replacing keeps the place', async () => {
      const m = await open();
      const current = obj('k', { versionId: 'v2' });
      const old = obj('k', { versionId: 'v1', size: 7 });
      await m.transaction(async (tx) => {
        await tx.putObject(current);
        await tx.putVersion(old);
        await tx.putVersion({ bucket: 'b', key: 'k', versionId: 'm', deleteMarker: true, lastModified: 1 });
      });
      const before = await m.getVersion('b', 'k', 'v1');
      // Archiving the current object: delete then putVersion in one transaction leaves its blob live.
      await m.transaction(async (tx) => {
        const cur = await tx.deleteObject('b', 'k');
        await tx.putVersion(cur!);
      });
      assert.equal(await m.blobState(current.segments[0].blobId), 'live');
      assert.equal(await m.getObject('b', 'k'), null);
      assert.equal(versionIdOf((await m.newestNoncurrent('b', 'k'))!.record), 'v2');
      assert.equal((await m.stats()).bytes, 8);
      // A re-sealed version (rewrap) keeps its place; its replaced blob (none shared) is retired.
      const resealed = { ...old, segments: [{ blobId: newBlob(), size: 7 }] };
      await m.transaction(async (tx) => { assert.equal((await tx.putVersion(resealed))?.versionId, 'v1'); });
      assert.equal((await m.getVersion('b', 'k', 'v1'))?.seq, before?.seq);
      assert.equal(await m.blobState(old.segments[0].blobId), 'retired');
      // A failed transaction changes nothing.
      await assert.rejects(m.transaction(async (tx) => {
        await tx.deleteVersion('b', 'k', 'v1');
        throw new Error('crash');
      }), /crash/);
      assert.equal(await m.blobState(resealed.segments[0].blobId), 'live');
      await m.transaction(async (tx) => {
        assert.equal((await tx.deleteVersion('b', 'k', 'v1'))?.versionId, 'v1');
        assert.equal(await tx.deleteVersion('b', 'k', 'v1'), null);
        await tx.deleteVersion('b', 'k', 'v2');
        await tx.deleteVersion('b', 'k', 'm');
      });
      assert.equal(await m.blobState(resealed.segments[0].blobId), 'retired');
      assert.equal(await m.blobState(current.segments[0].blobId), 'retired');
      assert.equal(await m.bucketIsEmpty('b'), true);
      assert.deepEqual(await m.listVersions('b', { limit: 10 }), []);
      await m.close();
    });

    test('a bucket record keeps optional fields added later (policy, WORM) without a migration', async () => {
      const m = await open();
      const bucket: BucketRecord = {
        name: 'later', owner: 'o', region: 'r', acl: 'private', storageClass: 'Standard', dataRedundancyType: 'LRS', createdAt: 0, encryption: null,
        policy: '{"Version":"1","Statement":[]}', worm: { wormId: 'W1', state: 'Locked', retentionDays: 3, createdAt: 5 },
      };
      await m.transaction((tx) => tx.putBucket(bucket));
      assert.deepEqual(await m.getBucket('later'), bucket);
      await m.close();
    });
  });
}

/** The schema before versioning (user_version 0): data directories made by earlier releases. */
const OLD_SQLITE_SCHEMA = `
CREATE TABLE IF NOT EXISTS buckets (name TEXT PRIMARY KEY, data TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS objects (
  bucket TEXT NOT NULL, key BLOB NOT NULL, size INTEGER NOT NULL, data TEXT NOT NULL,
  PRIMARY KEY (bucket, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS uploads (
  upload_id TEXT PRIMARY KEY, bucket TEXT NOT NULL, key BLOB NOT NULL, data TEXT NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS uploads_by_key ON uploads (bucket, key, upload_id);
CREATE TABLE IF NOT EXISTS parts (
  upload_id TEXT NOT NULL, part_number INTEGER NOT NULL, blob_id TEXT NOT NULL, data TEXT NOT NULL,
  PRIMARY KEY (upload_id, part_number)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS blobs (blob_id TEXT PRIMARY KEY, live INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS blobs_retired ON blobs (live) WHERE live = 0;
CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS docs (kind TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (kind, id)) WITHOUT ROWID;
`;

describe('SQLite store: files and schema migration', () => {
  function oldDataDir(): string {
    const dir = tempDir('coffer-meta-old-');
    dirs.push(dir);
    const file = path.join(dir, 'meta.db');
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.exec(OLD_SQLITE_SCHEMA);
    db.prepare('INSERT INTO settings (name, value) VALUES (?, ?)').run('kept', 'yes');
    db.prepare('INSERT INTO objects (bucket, key, size, data) VALUES (?, ?, ?, ?)')
      .run('b', Buffer.from('old/é'), 1, JSON.stringify(obj('old/é', { segments: [{ blobId: 'a'.repeat(32), size: 1 }] })));
    db.prepare('INSERT INTO blobs (blob_id, live) VALUES (?, 1), (?, 0)').run('a'.repeat(32), 'f'.repeat(32));
    db.close();
    return file;
  }

  test('a data directory of the old schema opens, is upgraded in place and keeps its rows', async () => {
    const file = oldDataDir();
    const m = SqliteMetadataStore.open(file);
    stores.push(m);
    assert.equal(await m.getSetting('kept'), 'yes');
    assert.equal((await m.getObject('b', 'old/é'))?.segments[0].blobId, 'a'.repeat(32));
    assert.equal(await m.blobState('a'.repeat(32)), 'live');
    // Retired before retirement times existed: counts as retired at the upgrade.
    assert.equal(await m.blobState('f'.repeat(32)), 'retired');
    assert.deepEqual(await m.retiredBlobs(10), ['f'.repeat(32)]);
    await m.transaction(async (tx) => {
      await tx.appendAudit([audit(1)]);
      await tx.putObject(obj('old/é'));
    });
    assert.deepEqual((await m.listAudit({ limit: 10 })).map((e) => e.keyId), ['key-1']);
    assert.deepEqual((await m.retiredBlobs(10)).sort(), ['a'.repeat(32), 'f'.repeat(32)]);
    await m.close();
    const db = new Database(file, { readonly: true });
    assert.equal(db.pragma('user_version', { simple: true }), 4);
    db.close();
    // Opening again finds nothing to do.
    const again = SqliteMetadataStore.open(file);
    stores.push(again);
    assert.equal(await again.getSetting('kept'), 'yes');
    await again.close();
  });

  test('schema 3 to 4: objects and versions move to rowid tables, rows and lookups kept, records over 1 KB inline', async () => {
    const dir = tempDir('coffer-meta-v3-');
    dirs.push(dir);
    const file = path.join(dir, 'meta.db');
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    // Schema 3 as steps 1 to 3 left it (those steps never change).
    db.exec(OLD_SQLITE_SCHEMA);
    db.exec(`CREATE TABLE versions (
  bucket TEXT NOT NULL, key BLOB NOT NULL, seq INTEGER NOT NULL, version_id TEXT NOT NULL,
  size INTEGER NOT NULL, data TEXT NOT NULL,
  PRIMARY KEY (bucket, key, seq DESC)) WITHOUT ROWID;
CREATE UNIQUE INDEX versions_by_id ON versions (bucket, key, version_id);
ALTER TABLE blobs ADD COLUMN retired_at INTEGER;
CREATE TABLE audit (seq INTEGER PRIMARY KEY AUTOINCREMENT, data TEXT NOT NULL);
CREATE TABLE changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, channel TEXT NOT NULL, message TEXT NOT NULL, at INTEGER NOT NULL);`);
    const big = obj('big', { userMeta: { note: 'x'.repeat(1500) } });
    for (const o of [obj('a'), big, obj('c')]) {
      db.prepare('INSERT INTO objects (bucket, key, size, data) VALUES (?, ?, ?, ?)').run(o.bucket, Buffer.from(o.key), o.size, JSON.stringify(o));
    }
    for (const [seq, id] of [[1, 'v1'], [2, 'v2']] as const) {
      const v = obj('a', { versionId: id });
      db.prepare('INSERT INTO versions (bucket, key, seq, version_id, size, data) VALUES (?, ?, ?, ?, ?, ?)').run('b', Buffer.from('a'), seq, id, v.size, JSON.stringify(v));
    }
    db.pragma('user_version = 3');
    db.close();

    const m = SqliteMetadataStore.open(file);
    stores.push(m);
    assert.deepEqual(await m.getObject('b', 'big'), big);
    assert.deepEqual((await m.listObjects('b', { limit: 10 })).map((o) => o.key), ['a', 'big', 'c']);
    assert.equal((await m.getVersion('b', 'a', 'v1'))?.seq, 1);
    assert.equal((await m.newestNoncurrent('b', 'a'))?.record.versionId, 'v2');
    // An overwrite updates the row of its key; a new noncurrent version takes the next seq.
    await m.transaction(async (tx) => {
      await tx.putObject(obj('big', { size: 7 }));
      await tx.putVersion(obj('a', { versionId: 'v3' }));
    });
    assert.equal((await m.getObject('b', 'big'))?.size, 7);
    assert.deepEqual((await m.listVersions('b', { limit: 10 })).map((e) => e.record.versionId ?? null), [null, 'v3', 'v2', 'v1', null, null]);
    await m.close();
    const after4 = new Database(file, { readonly: true });
    assert.equal(after4.pragma('user_version', { simple: true }), 4);
    const sql = (name: string) => (after4.prepare("SELECT sql FROM sqlite_master WHERE name = ?").get(name) as { sql: string }).sql;
    assert.doesNotMatch(sql('objects'), /WITHOUT ROWID/);
    assert.doesNotMatch(sql('versions'), /WITHOUT ROWID/);
    assert.match(sql('objects_by_key'), /UNIQUE INDEX objects_by_key ON objects \(bucket, key\)/);
    assert.match(sql('versions_by_seq'), /UNIQUE INDEX versions_by_seq/);
    assert.match(sql('versions_by_id'), /UNIQUE INDEX versions_by_id/);
    assert.deepEqual(after4.prepare('SELECT count(*) AS n FROM objects').get(), { n: 3 });
    after4.close();
  });

  test('three processes opening an old data directory at once: one upgrade, all of them work', async () => {
    const file = oldDataDir();
    const storeModule = path.resolve(__dirname, '../../src/store/sqlite/metadata-store');
    const script = `
      const { SqliteMetadataStore } = require(${JSON.stringify(storeModule)});
      const m = SqliteMetadataStore.open(process.argv[1]);
      m.transaction((tx) => tx.setSetting('p' + process.argv[2], 'done'))
        .then(() => m.getSetting('kept'))
        .then((v) => { process.stdout.write(v); return m.close(); });`;
    const run = promisify(execFile);
    const outs = await Promise.all([1, 2, 3].map((i) => run(process.execPath, ['-e', script, file, String(i)])));
    assert.deepEqual(outs.map((o) => o.stdout), ['yes', 'yes', 'yes']);
    const m = SqliteMetadataStore.open(file);
    stores.push(m);
    for (const i of [1, 2, 3]) assert.equal(await m.getSetting(`p${i}`), 'done');
    await m.close();
  });

  test('a database newer than this code is refused, not downgraded', () => {
    const dir = tempDir('coffer-meta-new-');
    dirs.push(dir);
    const file = path.join(dir, 'meta.db');
    const db = new Database(file);
    db.pragma('user_version = 99');
    db.close();
    assert.throws(() => SqliteMetadataStore.open(file), /schema version 99 is newer/);
  });

  test('the database files are readable by their owner only', async () => {
    const dir = tempDir('coffer-meta-mode-');
    dirs.push(dir);
    const file = path.join(dir, 'meta.db');
    const m = SqliteMetadataStore.open(file);
    stores.push(m);
    await m.transaction((tx) => tx.setSetting('s', 'v'));
    for (const f of [file, `${file}-wal`, `${file}-shm`]) assert.equal(statSync(f).mode & 0o777, 0o600, f);
    await m.close();
  });
});

describe('PostgreSQL store: schema migration', () => {
  test('three instances opening a new database at once migrate it exactly once', async () => {
    const url = await freshDatabase();
    const opened = await Promise.all([1, 2, 3].map(async () => track(await PostgresMetadataStore.open(url, { poolSize: 2 }))));
    await opened[0].transaction((tx) => tx.setSetting('s', 'v'));
    assert.equal(await opened[2].getSetting('s'), 'v');
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const { rows } = await c.query<{ version: number }>('SELECT version FROM coffer_schema_migrations ORDER BY version');
      assert.deepEqual(rows.map((r) => r.version), PG_MIGRATIONS.map((m) => m.version));
    } finally {
      await c.end();
    }
    await Promise.all(opened.map((s) => s.close()));
    // And once more, on a migrated database: nothing to do, nothing fails.
    const later = track(await PostgresMetadataStore.open(url));
    assert.equal(await later.getSetting('s'), 'v');
    await later.close();
  });

  test("a watcher whose connection is lost reconnects, hears '*', then hears notifications again", async () => {
    const url = await freshDatabase();
    const a = track(await PostgresMetadataStore.open(url, { poolSize: 2 }));
    const b = track(await PostgresMetadataStore.open(url, { poolSize: 2 }));
    let stars = 0;
    const stopStars = b.watch((channel) => { if (channel === '*') stars++; });
    const { got, stop } = await watching(b, a);
    // Once connected: what was committed before LISTEN took effect may have been missed.
    assert.equal(stars, 1);
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const { rows } = await c.query<{ ok: boolean }>(
        "SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'coffer-listen'",
      );
      assert.deepEqual(rows.map((r) => r.ok), [true]);
    } finally {
      await c.end();
    }
    await waitFor("'*' after the reconnection", () => stars === 2, 5000);
    await a.transaction((tx) => tx.notify('test', 'after'));
    await waitFor('a notification after the reconnection', () => got.includes('test:after'), 2000);
    stop();
    stopStars();
    await a.close();
    await b.close();
  });

  test('a database migrated by a newer Coffer is refused', async () => {
    const url = await freshDatabase();
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query('CREATE TABLE coffer_schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)');
    await c.query("INSERT INTO coffer_schema_migrations VALUES (99, 'future', 0)");
    await c.end();
    await assert.rejects(PostgresMetadataStore.open(url), /schema version 99 is newer/);
  });
});
