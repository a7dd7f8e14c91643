/**
 * SSE-OSS keys across restarts: the same data directory and root key decrypt old objects; master
 * key rotation moves new objects to the new version while old ones stay readable; a wrong or
 * missing root key makes start-up fail with a clear message before anything is written.
 */
import assert from 'node:assert/strict';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ServerOptions } from '../../src/server/app';
import { snapshotFiles } from '../helpers/data-dir';
import { bytes } from '../helpers/oss-http';
import { ACCESS_KEY_ID, ACCESS_KEY_SECRET, ROOT_KEY, startTestServer, tempDir, type TestServer } from '../helpers/server';
import { SSE, bucketClient, encryptionOf, newBucket, record } from '../helpers/sse';

const CREDENTIALS = { COFFER_ROOT_ACCESS_KEY_ID: ACCESS_KEY_ID, COFFER_ROOT_ACCESS_KEY_SECRET: ACCESS_KEY_SECRET };
const WRONG_KEY = '22'.repeat(32);

const dataDir = tempDir('coffer-sse-keys-');
after(() => rmSync(dataDir, { recursive: true, force: true }));

const big = bytes(150_000, 81);
const small = bytes(5_000, 82);

/** What each object must read back as. */
const expected = new Map<string, Buffer>();

async function masterKeyVersion(srv: TestServer, key: string): Promise<number | undefined> {
  const kek = encryptionOf(await record(srv, 'keys', key))?.kek;
  return kek?.provider === 'oss' ? kek.masterKeyVersion : undefined;
}

async function assertAllReadable(c: any): Promise<void> {
  for (const [key, data] of expected) assert.ok((await c.get(key)).content.equals(data), `${key} does not read back`);
}

describe('restart and master key rotation', () => {
  test('objects of every kind decrypt after a restart with the same root key', async () => {
    let srv = await startTestServer({ dataDir });
    try {
      const c = await newBucket(srv, 'keys');
      await c.put('aes', big, { headers: { [SSE]: 'AES256' } });
      await c.put('sm4', big, { headers: { [SSE]: 'SM4' } });
      await c.put('plain', small);
      await c.multipartUpload('mp', Buffer.concat([big, big]), { partSize: 150_000, headers: { [SSE]: 'AES256' } });
      const a1 = await c.append('app', small, { headers: { [SSE]: 'SM4' } });
      await c.append('app', big, { position: a1.nextAppendPosition });
      expected.set('aes', big).set('sm4', big).set('plain', small).set('mp', Buffer.concat([big, big])).set('app', Buffer.concat([small, big]));
      for (const key of ['aes', 'sm4', 'mp', 'app']) assert.equal(await masterKeyVersion(srv, key), 1);
      await assertAllReadable(c);
    } finally {
      await srv.close();
    }

    srv = await startTestServer({ dataDir });
    try {
      await assertAllReadable(bucketClient(srv, 'keys', 'V4'));
    } finally {
      await srv.close();
    }
  });

  test('after rotate(): new objects use the new version; old ones still decrypt, also after a restart', async () => {
    let srv = await startTestServer({ dataDir });
    try {
      const c = bucketClient(srv, 'keys');
      assert.equal(await srv.running.masterKeys.rotate(), 2);
      await c.put('aes-v2', big, { headers: { [SSE]: 'AES256' } });
      await c.put('sm4-v2', small, { headers: { [SSE]: 'SM4' } });
      expected.set('aes-v2', big).set('sm4-v2', small);
      assert.equal(await masterKeyVersion(srv, 'aes-v2'), 2);
      assert.equal(await masterKeyVersion(srv, 'sm4-v2'), 2);
      assert.equal(await masterKeyVersion(srv, 'aes'), 1);

      // Appending keeps the object's key, which stays sealed under version 1.
      const a = await c.append('app', small, { position: String(small.length + big.length) });
      assert.equal(a.res.headers[SSE], 'SM4');
      expected.set('app', Buffer.concat([small, big, small]));
      assert.equal(await masterKeyVersion(srv, 'app'), 1);

      // Re-keying by self-copy re-seals the object key under version 2 without touching the data.
      const original = await record(srv, 'keys', 'sm4');
      await c.copy('sm4', 'sm4', { headers: { [SSE]: 'SM4' } });
      assert.equal(await masterKeyVersion(srv, 'sm4'), 2);
      assert.deepEqual((await record(srv, 'keys', 'sm4')).segments, original.segments);
      await assertAllReadable(c);
    } finally {
      await srv.close();
    }

    srv = await startTestServer({ dataDir });
    try {
      const c = bucketClient(srv, 'keys', 'V4');
      await assertAllReadable(c);
      assert.deepEqual((await srv.running.masterKeys.list()).map((v) => [v.version, v.current]), [[1, false], [2, true]]);
      await c.put('after-restart', small, { headers: { [SSE]: 'AES256' } });
      assert.equal(await masterKeyVersion(srv, 'after-restart'), 2);
      expected.set('after-restart', small);
    } finally {
      await srv.close();
    }
  });
});

describe('a wrong or missing root key', () => {
  let keyFile: string;
  before(() => {
    keyFile = path.join(tempDir('coffer-wrong-key-'), 'root.key');
    writeFileSync(keyFile, `${WRONG_KEY}\n`);
  });
  after(() => rmSync(path.dirname(keyFile), { recursive: true, force: true }));

  const REFUSALS: Array<{ name: string; options: () => Partial<ServerOptions>; message: RegExp }> = [
    { name: 'a different COFFER_ROOT_KEY', options: () => ({ env: { ...CREDENTIALS, COFFER_ROOT_KEY: WRONG_KEY } }), message: /root key does not match/ },
    { name: 'a --root-key-file with a different key', options: () => ({ env: CREDENTIALS, rootKeyFile: keyFile }), message: /root key does not match/ },
    { name: 'no root key at all (no env, no file, no root.key in the data directory)', options: () => ({ env: CREDENTIALS }), message: /root key that was not supplied/ },
  ];

  for (const r of REFUSALS) {
    test(`${r.name}: startServer rejects naming the root key, and no file in the data directory changes`, async () => {
      const snapshot = snapshotFiles(dataDir);
      assert.ok(Object.keys(snapshot).includes('meta.db'));
      assert.equal(existsSync(path.join(dataDir, 'root.key')), false);
      await assert.rejects(startTestServer({ dataDir, ...r.options() }), r.message);
      assert.deepEqual(snapshotFiles(dataDir), snapshot);
    });
  }

  test('the original root key still opens the data directory afterwards', async () => {
    const srv = await startTestServer({ dataDir, env: { ...CREDENTIALS, COFFER_ROOT_KEY: ROOT_KEY } });
    try {
      await assertAllReadable(bucketClient(srv, 'keys'));
    } finally {
      await srv.close();
    }
  });
});
