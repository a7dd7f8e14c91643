/**
 * Everything under the data directory is private to the server's user: files 0600, directories
 * 0700 (the directory itself included), whatever the process umask. Checked by walking the
 * directory after a workload that writes every kind of file (root key and credentials, meta.db
 * and its WAL, blobs of plain, SSE-OSS, SSE-KMS, multipart and appended objects, RAM and KMS
 * records), with a stat of every entry, and again after a restart on a directory whose secret
 * files an older release or a copy left readable to others.
 */
import assert from 'node:assert/strict';
import { chmodSync, lstatSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { GENERATED_ROOT_KEY_FILE } from '../../src/crypto/root-key';
import { ROOT_CREDENTIALS_FILE } from '../../src/iam/root-credentials';
import { createKey, kmsClient } from '../helpers/kms';
import { Ram, ramClient } from '../helpers/ram';
import { startTestServer, tempDir, type TestServer } from '../helpers/server';
import { SSE } from '../helpers/sse';

interface Entry { path: string; kind: 'file' | 'dir' | 'other'; mode: string }

/** lstat of the directory and of every entry below it. */
function walk(root: string): Entry[] {
  const out: Entry[] = [];
  const visit = (rel: string): void => {
    const st = lstatSync(path.join(root, rel));
    const kind = st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
    out.push({ path: rel || '.', kind, mode: (st.mode & 0o777).toString(8).padStart(4, '0') });
    if (kind === 'dir') for (const name of readdirSync(path.join(root, rel)).sort()) visit(path.join(rel, name));
  };
  visit('');
  return out;
}

/** Entries whose mode is not 0600 (files) / 0700 (directories), or that are neither. */
const wrong = (entries: Entry[]): Entry[] =>
  entries.filter((e) => e.kind === 'other' || e.mode !== (e.kind === 'file' ? '0600' : '0700'));

let dir: string;
let srv: TestServer;
const previousUmask = process.umask(0o002); // the loosest common umask: modes must not depend on it
before(async () => {
  dir = tempDir('coffer-modes-');
  // No root key or credentials from the environment: the server generates both into the data dir.
  srv = await startTestServer({ dataDir: dir, env: {} });
});
after(async () => {
  await srv.close();
  process.umask(previousUmask);
});

async function workload(s: TestServer, tag: string): Promise<void> {
  const creds = { accessKeyId: s.running.rootCredentials.accessKeyId, accessKeySecret: s.running.rootCredentials.secret };
  const c = s.client({ ...creds, bucket: `modes-${tag}` });
  await c.putBucket(`modes-${tag}`);
  const body = Buffer.alloc(300_000, 7);
  await c.put('plain', body);
  await c.put('aes', body, { headers: { [SSE]: 'AES256' } });
  await c.put('sm4', body, { headers: { [SSE]: 'SM4' } });
  const kms = kmsClient(s, creds);
  await c.put('kms', body, { headers: { [SSE]: 'KMS', 'x-oss-server-side-encryption-key-id': await createKey(kms) } });
  await c.put('managed', body, { headers: { [SSE]: 'KMS' } });
  await c.multipartUpload('multipart', Buffer.alloc(300_000, 9), { partSize: 102_400 });
  await c.append('appended', body);
  await c.copy('copied', 'aes', { headers: { [SSE]: 'SM4' } });
  await c.delete('plain');
  const ram = ramClient(s, creds);
  await ram.createUser(new Ram.CreateUserRequest({ userName: `user-${tag}` }));
  await ram.createAccessKey(new Ram.CreateAccessKeyRequest({ userName: `user-${tag}` }));
}

test('after a workload, every file under the data directory is 0600 and every directory 0700', async () => {
  await workload(srv, 'a');
  const entries = walk(dir);
  // The walk saw what the workload wrote: the generated secrets, the database, blob files.
  const names = entries.map((e) => e.path);
  for (const f of [GENERATED_ROOT_KEY_FILE, ROOT_CREDENTIALS_FILE, 'meta.db']) assert.ok(names.includes(f), `${f} is missing`);
  assert.ok(entries.filter((e) => e.kind === 'file' && e.path.startsWith('blobs/')).length >= 8, 'too few blob files');
  assert.deepEqual(wrong(entries), [], `entries with the wrong mode:\n${entries.map((e) => `${e.mode} ${e.kind} ${e.path}`).join('\n')}`);
});

/** Stops the server, loosens `loosen` (relative paths), starts it again on the same directory and runs the workload. */
async function restartLoosened(loosen: Array<[string, number]>, tag: string): Promise<Entry[]> {
  await srv.close();
  for (const [rel, mode] of loosen) chmodSync(path.join(dir, rel), mode);
  assert.notDeepEqual(wrong(walk(dir)), [], 'the test loosened nothing');
  srv = await startTestServer({ dataDir: dir, env: {} });
  await workload(srv, tag);
  return walk(dir);
}

test('a restart tightens a data directory, and everything in it, left readable to others (a copy, an older release)', async () => {
  const blobFile = walk(dir).find((e) => e.kind === 'file' && e.path.startsWith('blobs/'))!.path;
  const entries = await restartLoosened([
    ['.', 0o755], ['blobs', 0o755], [path.dirname(blobFile), 0o775], [blobFile, 0o644],
    [GENERATED_ROOT_KEY_FILE, 0o644], [ROOT_CREDENTIALS_FILE, 0o640], ['meta.db', 0o644],
  ], 'b');
  assert.deepEqual(wrong(entries), [], `entries with the wrong mode:\n${entries.map((e) => `${e.mode} ${e.kind} ${e.path}`).join('\n')}`);
});

test('in a private data directory, the root key and credentials files are tightened when they are read', async () => {
  const entries = await restartLoosened([[GENERATED_ROOT_KEY_FILE, 0o644], [ROOT_CREDENTIALS_FILE, 0o604]], 'c');
  assert.deepEqual(wrong(entries), [], `entries with the wrong mode:\n${entries.map((e) => `${e.mode} ${e.kind} ${e.path}`).join('\n')}`);
});
