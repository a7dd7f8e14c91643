/**
 * `coffer admin …` run as the built CLI (a child process) against a real server: output, exit
 * codes, and that a rotation keeps old SSE-OSS objects readable while new ones use the new key.
 * The admin API is on the KMS endpoint, so the commands take --kms-endpoint (or its variable or
 * profile setting) like the kms commands.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { formatBytes } from '../../src/cli/format';
import { blobFile } from '../helpers/data-dir';
import { after, before, test } from 'node:test';
import type { ObjectEncryption } from '../../src/core/encryption';
import { ACCESS_KEY_ID, ACCESS_KEY_SECRET, startTestServer, tempDir, type TestServer } from '../helpers/server';
import { createKey, kmsClient } from '../helpers/kms';
import { KMS_REQUEST_ID as REQUEST_ID, runCoffer, writeConfig, type Run } from './helpers';

const SSE = { headers: { 'x-oss-server-side-encryption': 'AES256' } };

let srv: TestServer;
let home: string;
let creds: string[];
/** HOME has no profile file unless a test writes one: everything comes from flags and the environment. */
const coffer = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> => runCoffer(args, home, env);
before(async () => {
  srv = await startTestServer();
  home = tempDir('coffer-admin-home-');
  creds = ['--kms-endpoint', srv.kmsUrl, '--access-key-id', ACCESS_KEY_ID, '--access-key-secret', ACCESS_KEY_SECRET];
});
after(async () => {
  await srv.close();
  rmSync(home, { recursive: true, force: true });
});

async function masterKeyVersionOf(bucket: string, key: string): Promise<number> {
  const record = await srv.running.coffer.meta.getObject(bucket, key);
  const encryption = record!.encryption as unknown as ObjectEncryption;
  assert.equal(encryption.kek.provider, 'oss');
  return (encryption.kek as { masterKeyVersion: number }).masterKeyVersion;
}

test('rotate-master-key: old objects still decrypt, new objects use the new version', async () => {
  const client = srv.client({ bucket: 'rotation' });
  await client.putBucket('rotation');
  await client.put('before.txt', Buffer.from('written before the rotation'), SSE);
  const oldVersion = await masterKeyVersionOf('rotation', 'before.txt');

  const run = await coffer(['admin', 'rotate-master-key', ...creds]);
  assert.equal(run.code, 0, run.stderr);
  const newVersion = Math.max(...(await srv.running.masterKeys.list()).map((v) => v.version));
  assert.ok(newVersion > oldVersion);
  assert.match(run.stdout, new RegExp(`^Rotated the SSE-OSS master key: version ${newVersion} is now current`));
  assert.match(run.stdout, new RegExp(`\\n  ${newVersion} +\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z  current\\n$`));
  assert.match(run.stdout, new RegExp(`\\n  ${oldVersion} +\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z\\n`));

  assert.equal((await client.get('before.txt')).content.toString(), 'written before the rotation');
  await client.put('after.txt', Buffer.from('written after'), SSE);
  assert.equal(await masterKeyVersionOf('rotation', 'after.txt'), newVersion);
  assert.equal(await masterKeyVersionOf('rotation', 'before.txt'), oldVersion);
  assert.equal((await client.get('after.txt')).content.toString(), 'written after');
});

test('rewrap-master-keys: re-seals under the current version what older ones sealed, in steps of --batch; data untouched', async () => {
  const client = srv.client({ bucket: 'rewrap' });
  await client.putBucket('rewrap');
  const keys = ['k0', 'k1', 'k2', 'k3', 'k4'];
  for (const key of keys) await client.put(key, Buffer.from(`object ${key}`), SSE);
  const rotated = await coffer(['admin', 'rotate-master-key', '--json', ...creds]);
  const current: number = JSON.parse(rotated.stdout).MasterKeyVersion;
  for (const key of keys) assert.ok(await masterKeyVersionOf('rewrap', key) < current);
  const blobsBefore = (await srv.running.coffer.meta.getObject('rewrap', 'k0'))!.segments;
  const { objects } = await srv.running.coffer.meta.stats();

  const run = await coffer(['admin', 'rewrap-master-keys', '--batch', '2', ...creds]);
  assert.equal(run.code, 0, run.stderr);
  const [, rewrapped, scanned] = /\n {2}Objects +(\d+) re-sealed of (\d+) looked at\n/.exec(run.stdout) ?? [];
  assert.match(run.stdout, new RegExp(`^Rewrapped under SSE-OSS master key version ${current}: no object data was read or rewritten\\.\\n`));
  assert.equal(Number(scanned), objects);
  assert.ok(Number(rewrapped) >= keys.length, run.stdout);
  assert.match(run.stdout, /\n {2}Multipart +0 re-sealed of 0 unfinished upload\(s\)\n$/);
  for (const key of keys) {
    assert.equal(await masterKeyVersionOf('rewrap', key), current);
    assert.equal((await client.get(key)).content.toString(), `object ${key}`);
  }
  assert.deepEqual((await srv.running.coffer.meta.getObject('rewrap', 'k0'))!.segments, blobsBefore);

  const again = await coffer(['admin', 'rewrap-master-keys', '--batch', '2', '--json', ...creds]);
  assert.equal(again.code, 0, again.stderr);
  const body = JSON.parse(again.stdout);
  assert.deepEqual(body.Objects, { Scanned: objects, Rewrapped: 0 });
  assert.equal(body.MasterKeyVersion, current);
  assert.ok(body.Steps >= Math.ceil(objects / 2), JSON.stringify(body));
});

test('rotate-master-key --json prints the API response', async () => {
  const before = Math.max(...(await srv.running.masterKeys.list()).map((v) => v.version));
  const run = await coffer(['admin', 'rotate-master-key', '--json', ...creds]);
  assert.equal(run.code, 0, run.stderr);
  const body = JSON.parse(run.stdout);
  assert.equal(body.MasterKeyVersion, before + 1);
  assert.equal(body.MasterKeyVersions.MasterKeyVersion.at(-1).Current, true);
  assert.match(`RequestId ${body.RequestId}`, REQUEST_ID);
});

test('status: human output by default, --json on request; credentials from OSS_ACCESS_KEY_ID / _SECRET', async () => {
  const stats = await srv.running.coffer.meta.stats();
  const versions = await srv.running.masterKeys.list();
  const env = { OSS_ACCESS_KEY_ID: ACCESS_KEY_ID, OSS_ACCESS_KEY_SECRET: ACCESS_KEY_SECRET };
  const human = await coffer(['admin', 'status', '--kms-endpoint', srv.kmsUrl], env);
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, new RegExp(`^Coffer ${require('../../../package.json').version.replaceAll('.', '\\.')} at ${srv.kmsUrl}\\n`));
  assert.match(human.stdout, new RegExp(`\\n  Buckets +${stats.buckets}\\n`));
  assert.match(human.stdout, new RegExp(`\\n  Objects +${stats.objects} \\(${stats.bytes} bytes\\)\\n`));
  assert.match(human.stdout, new RegExp(`\\n  Master keys +${versions.length} version\\(s\\), current ${versions.find((v) => v.current)!.version}\\n$`));

  const json = await coffer(['admin', 'status', '--json'], { ...env, COFFER_KMS_ENDPOINT: srv.kmsUrl });
  assert.equal(json.code, 0, json.stderr);
  const body = JSON.parse(json.stdout);
  assert.deepEqual(body.Storage, { Buckets: stats.buckets, Objects: stats.objects, Bytes: stats.bytes, MultipartUploads: stats.uploads });
  assert.equal(body.MasterKeys.Count, versions.length);
});

test('a refused call exits 1 and prints the Code, Message and RequestId', async () => {
  const before = await srv.running.masterKeys.list();
  const wrongSecret = await coffer(['admin', 'rotate-master-key', '--kms-endpoint', srv.kmsUrl, '--access-key-id', ACCESS_KEY_ID, '--access-key-secret', 'wrong']);
  assert.equal(wrongSecret.code, 1);
  assert.match(wrongSecret.stderr, /^coffer: SignatureDoesNotMatch: Specified signature is not matched/);
  assert.match(wrongSecret.stderr, REQUEST_ID);
  assert.equal(wrongSecret.stdout, '');
  assert.deepEqual(await srv.running.masterKeys.list(), before);

  const unknownKey = await coffer(['admin', 'status', '--kms-endpoint', srv.kmsUrl, '--access-key-id', 'LTAInobody', '--access-key-secret', 'x']);
  assert.equal(unknownKey.code, 1);
  assert.match(unknownKey.stderr, /^coffer: InvalidAccessKeyId\.NotFound: .*LTAInobody.*RequestId/);
});

test('the shared profile file serves the admin commands too', async () => {
  writeConfig(home, { 'kms-endpoint': srv.kmsUrl, 'access-key-id': ACCESS_KEY_ID, 'access-key-secret': ACCESS_KEY_SECRET });
  try {
    const run = await coffer(['admin', 'status']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`^Coffer \\S+ at ${srv.kmsUrl}\\n`));
  } finally {
    rmSync(`${home}/.coffer`, { recursive: true, force: true });
  }
});

test('an unreachable endpoint exits 1 naming it', async () => {
  // Port 1 on loopback: nothing listens there.
  const run = await coffer(['admin', 'status', '--kms-endpoint', 'http://127.0.0.1:1', '--access-key-id', 'a', '--access-key-secret', 'b']);
  assert.equal(run.code, 1);
  assert.match(run.stderr, /^coffer: cannot reach http:\/\/127\.0\.0\.1:1: ECONNREFUSED\n$/);
});

test('usage errors exit 2: no endpoint, no credentials, an endpoint without a scheme, no subcommand', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['admin', 'status', '--access-key-id', 'a', '--access-key-secret', 'b'], /--kms-endpoint.*COFFER_KMS_ENDPOINT/],
    [['admin', 'rotate-master-key', '--kms-endpoint', srv.kmsUrl], /OSS_ACCESS_KEY_ID/],
    [['admin', 'status', '--kms-endpoint', srv.kmsUrl, '--access-key-id', 'a'], /no AccessKeySecret: .*--access-key-secret/],
    [['admin', 'status', '--kms-endpoint', new URL(srv.kmsUrl).host, '--access-key-id', 'a', '--access-key-secret', 'b'], /http:\/\/ or https:\/\//],
    [['admin'], /rotate-master-key/],
    [['admin', 'rewrap-master-keys', '--batch', '0', ...creds], /--batch must be a whole number from 1 to 10000, got "0"/],
  ];
  for (const [args, message] of cases) {
    const run = await coffer(args);
    assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
    assert.match(run.stderr, message);
  }
});

test('--help shows an example for each command', async () => {
  for (const name of ['rotate-master-key', 'rewrap-master-keys', 'status', 'check']) {
    const run = await coffer(['admin', name, '--help']);
    assert.equal(run.code, 0);
    assert.match(run.stdout, new RegExp(`Examples:\\n  coffer admin ${name} --kms-endpoint http://127\\.0\\.0\\.1:9002 `));
    assert.match(run.stdout, /--json/);
  }
});

test('audit: the KMS audit trail, oldest first, as JSON lines; --after resumes, --limit stops; root only', async () => {
  // Through the KMS API, so the calls are accounted and audited.
  const kms = kmsClient(srv);
  const keys = [await createKey(kms), await createKey(kms), await createKey(kms)];
  const all = await coffer(['admin', 'audit', ...creds]);
  assert.equal(all.code, 0, all.stderr);
  const lines = all.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
  const seqs = lines.map((l) => l.Seq as number);
  assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'in order');
  assert.equal(new Set(seqs).size, seqs.length);
  const stored = await srv.running.coffer.meta.listAudit({ limit: 100_000 });
  assert.equal(lines.length, stored.length, 'every record');
  for (const l of lines) assert.deepEqual(Object.keys(l).filter((k) => !['Seq', 'Time', 'Node', 'Identity', 'Action', 'KeyId', 'KeyVersionId', 'Via', 'Bucket', 'Object', 'Outcome'].includes(k)), []);

  const tail = await coffer(['admin', 'audit', '--after', String(seqs.at(-3)), '--json', ...creds]);
  assert.deepEqual(JSON.parse(tail.stdout).map((l: any) => l.Seq), seqs.slice(-2));
  const two = await coffer(['admin', 'audit', '--limit', '2', '--json', ...creds]);
  assert.deepEqual(JSON.parse(two.stdout).map((l: any) => l.Seq), seqs.slice(0, 2));
  const bad = await coffer(['admin', 'audit', '--after', '-1', ...creds]);
  assert.equal(bad.code, 2);
  assert.deepEqual(lines.filter((l) => l.Action === 'CreateKey').map((l) => l.KeyId), keys);
});

test('collect-blobs: deletes now what an overwrite retired, and reports it', async () => {
  const client = srv.client({ bucket: 'collect' });
  await client.putBucket('collect');
  await client.put('k', Buffer.from('first'));
  const old = (await srv.running.coffer.meta.getObject('collect', 'k'))!.segments[0].blobId;
  await client.put('k', Buffer.from('second'));
  const run = await coffer(['admin', 'collect-blobs', '--json', ...creds]);
  assert.equal(run.code, 0, run.stderr);
  const body = JSON.parse(run.stdout);
  assert.equal(body.GraceSeconds, 0);
  assert.equal(await srv.running.coffer.meta.blobState(old), null, 'the old blob is gone from the metadata');
  await assert.rejects(srv.running.coffer.blobs.size(old), (e: NodeJS.ErrnoException) => e.code === 'ENOENT');
  assert.equal((await client.get('k')).content.toString(), 'second');
});

test('check: reads the whole store in steps; none damaged exits 0, a damaged blob is listed (--json too) and exits 1', async () => {
  const client = srv.client({ bucket: 'checked' });
  await client.putBucket('checked');
  for (const k of ['a', 'b', 'c']) await client.put(k, Buffer.alloc(70_000, k), SSE);
  const stats = await srv.running.coffer.meta.stats();
  const clean = await coffer(['admin', 'check', '--batch', '2', ...creds]);
  assert.equal(clean.code, 0, clean.stderr);
  assert.equal(clean.stdout, `Checked ${stats.objects} object(s) (${formatBytes(stats.bytes)}) and ${stats.uploads} unfinished multipart upload(s) (0 part(s)): no problems found.\n`);

  const blobId = (await srv.running.coffer.meta.getObject('checked', 'b'))!.segments[0].blobId;
  const file = blobFile(srv.dataDir, blobId);
  const bytes = readFileSync(file);
  bytes[100] ^= 0xff;
  writeFileSync(file, bytes);
  try {
    const damaged = await coffer(['admin', 'check', '--batch', '2', ...creds]);
    assert.equal(damaged.code, 1);
    assert.match(damaged.stdout, /: 1 problem\(s\)\.\n/);
    assert.match(damaged.stdout, new RegExp(`\\n  CORRUPT +oss://checked/b: blob ${blobId} does not authenticate: `));
    assert.match(damaged.stderr, /^coffer: 1 object\(s\) or part\(s\) are missing data or damaged\n$/);
    const json = await coffer(['admin', 'check', '--json', ...creds]);
    assert.equal(json.code, 1);
    const body = JSON.parse(json.stdout);
    assert.deepEqual(body.Problems.map((p: any) => [p.Bucket, p.Key, p.BlobId, p.Kind]), [['checked', 'b', blobId, 'corrupt']]);
    assert.deepEqual(body.Objects, { Scanned: stats.objects, Bytes: stats.bytes });
  } finally {
    // The other tests share this store: leave it clean.
    await client.delete('b');
  }
});
