/**
 * MetadataStore conformance: what every backend must do. Runs against SQLite now; a new
 * backend adds itself to BACKENDS.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { rmSync } from 'node:fs';
import { SqliteMetadataStore } from '../../src/store/sqlite/metadata-store';
import type { MetadataStore, ObjectRecord } from '../../src/store/types';
import { tempDir } from '../helpers/server';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const BACKENDS: Record<string, () => Promise<MetadataStore>> = {
  sqlite: async () => {
    const dir = tempDir('coffer-meta-');
    dirs.push(dir);
    return SqliteMetadataStore.open(path.join(dir, 'meta.db'));
  },
};

let blobSeq = 0;
function obj(key: string, extra: Partial<ObjectRecord> = {}): ObjectRecord {
  blobSeq++;
  return {
    bucket: 'b', key, size: 1, etag: 'E', crc64: '0', type: 'Normal', storageClass: 'Standard', acl: 'default',
    lastModified: 0, headers: { 'content-type': 'x' }, userMeta: {}, encryption: null,
    segments: [{ blobId: blobSeq.toString(16).padStart(32, '0'), size: 1 }],
    ...extra,
  };
}

for (const [name, open] of Object.entries(BACKENDS)) {
  describe(`MetadataStore conformance: ${name}`, () => {
    test('lists keys in UTF-8 byte order with prefix, after and skipPrefix', async () => {
      const m = await open();
      // U+1F600 sorts before U+FF5E in UTF-16 but after it in UTF-8: OSS lists in byte order.
      const keys = ['a', 'a/b', 'a/c/d', 'a/c/e', 'a/d', 'b', '\u{1F600}', '\uFF5E', 'a\u00e9'];
      await m.transaction(async (tx) => { for (const k of keys) await tx.putObject(obj(k)); });
      const all = (await m.listObjects('b', { limit: 100 })).map((o) => o.key);
      const bytewise = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
      assert.deepEqual(all, bytewise);
      assert.notDeepEqual(bytewise, [...keys].sort(), 'the fixture must tell byte order from UTF-16 order');
      assert.deepEqual((await m.listObjects('b', { prefix: 'a/', limit: 100 })).map((o) => o.key), ['a/b', 'a/c/d', 'a/c/e', 'a/d']);
      assert.deepEqual((await m.listObjects('b', { prefix: 'a/', after: 'a/c/d', limit: 100 })).map((o) => o.key), ['a/c/e', 'a/d']);
      assert.deepEqual((await m.listObjects('b', { prefix: 'a/', skipPrefix: 'a/c/', limit: 100 })).map((o) => o.key), ['a/d']);
      assert.deepEqual((await m.listObjects('b', { limit: 2 })).map((o) => o.key), ['a', 'a/b']);
      await m.close();
    });

    test('putObject retires replaced blobs and keeps shared ones live; deleteObject retires all', async () => {
      const m = await open();
      const first = obj('k');
      await m.transaction((tx) => tx.putObject(first));
      const old = first.segments[0].blobId;
      assert.equal(await m.isLiveBlob(old), true);
      const second = obj('k');
      const replaced = await m.transaction((tx) => tx.putObject(second));
      assert.equal(replaced?.segments[0].blobId, old);
      assert.equal(await m.isLiveBlob(old), false);
      assert.deepEqual(await m.retiredBlobs(10), [old]);
      // Same segments (a metadata-only change) must stay live.
      await m.transaction((tx) => tx.putObject({ ...second, userMeta: { a: '1' } }));
      assert.equal(await m.isLiveBlob(second.segments[0].blobId), true);
      await m.transaction((tx) => tx.forgetBlobs([old]));
      assert.deepEqual(await m.retiredBlobs(10), []);
      await m.transaction((tx) => tx.deleteObject('b', 'k'));
      assert.deepEqual(await m.retiredBlobs(10), [second.segments[0].blobId]);
      await m.close();
    });

    test('a transaction that throws leaves nothing behind', async () => {
      const m = await open();
      await assert.rejects(m.transaction(async (tx) => {
        await tx.putObject(obj('x'));
        await tx.setSetting('s', 'v');
        throw new Error('boom');
      }), /boom/);
      assert.equal(await m.getObject('b', 'x'), null);
      assert.equal(await m.getSetting('s'), null);
      // and the store still works afterwards
      await m.transaction((tx) => tx.setSetting('s', 'w'));
      assert.equal(await m.getSetting('s'), 'w');
      await m.close();
    });

    test('reads outside a transaction never see its uncommitted writes', async () => {
      const m = await open();
      let release!: () => void;
      const gate = new Promise<void>((r) => { release = r; });
      const tx = m.transaction(async (t) => {
        await t.setSetting('pending', '1');
        await gate;
      });
      await new Promise((r) => setImmediate(r));
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
      assert.equal(await m.isLiveBlob(b1), false);
      assert.deepEqual((await m.listParts('U1', { limit: 10 })).map((p) => p.segment.blobId), [b1b, b2]);
      assert.equal(await m.bucketIsEmpty('b'), false);
      await m.transaction((tx) => tx.deleteUpload('U1', new Set([b2])));
      assert.equal(await m.getUpload('U1'), null);
      assert.equal(await m.isLiveBlob(b2), true);
      assert.equal(await m.isLiveBlob(b1b), false);
      assert.equal(await m.bucketIsEmpty('b'), true);
      await m.close();
    });

    test('documents: put, get, list in id order, delete', async () => {
      const m = await open();
      await m.transaction(async (tx) => {
        for (const id of ['c', 'a', 'b']) await tx.putDoc('kind', id, { id });
        await tx.putDoc('other', 'a', { id: 'other' });
      });
      assert.deepEqual(await m.getDoc('kind', 'a'), { id: 'a' });
      assert.deepEqual(await m.listDocs('kind', { limit: 10 }), [{ id: 'a' }, { id: 'b' }, { id: 'c' }]);
      assert.deepEqual(await m.listDocs('kind', { after: 'a', limit: 1 }), [{ id: 'b' }]);
      assert.equal(await m.countDocs('kind'), 3);
      assert.equal(await m.transaction((tx) => tx.deleteDoc('kind', 'b')), true);
      assert.equal(await m.transaction((tx) => tx.deleteDoc('kind', 'b')), false);
      assert.equal(await m.getDoc('kind', 'b'), null);
      await m.close();
    });
  });
}
