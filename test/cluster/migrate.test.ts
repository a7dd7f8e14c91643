/**
 * `coffer admin migrate`: an embedded store, with objects of every kind, KMS keys, a RAM user and
 * an unfinished upload, copied into PostgreSQL + Ceph RGW as it is; a cluster node started on the
 * copy with the same root key serves all of it. A second run copies nothing again; a blob lost in
 * the target is copied again; the wrong root key is refused before anything is written.
 */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { DeleteObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { ROOT_CREDENTIALS_FILE } from '../../src/iam/root-credentials';
import { freshBlobsUrl, freshDatabase, s3Service } from '../helpers/backends';
import { runCoffer } from '../cli/helpers';
import { createKey, kmsClient } from '../helpers/kms';
import { bytes } from '../helpers/oss-http';
import { spawnServer } from '../helpers/process-server';
import { newRamUser } from '../helpers/ram';
import { ACCESS_KEY_ID, ACCESS_KEY_SECRET, ROOT_KEY, startTestServer, tempDir } from '../helpers/server';
import { SSE, SSE_KEY_ID } from '../helpers/sse';

const cleanups: Array<() => Promise<void> | void> = [];
after(async () => { for (const c of cleanups.reverse()) await c(); });

test('an embedded store migrates to PostgreSQL + S3 unchanged, resumably, and a cluster node serves it', async () => {
  const dataDir = tempDir('coffer-migrate-src-');
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const srv = await startTestServer({ dataDir });
  const c = srv.client({ bucket: 'moving' });
  await c.putBucket('moving');
  const cmk = await createKey(kmsClient(srv));
  const objects = new Map<string, { data: Buffer; headers: Record<string, string> }>([
    ['plain', { data: bytes(70_000, 1), headers: {} }],
    ['aes', { data: bytes(300_000, 2), headers: { [SSE]: 'AES256' } }],
    ['sm4', { data: bytes(1000, 3), headers: { [SSE]: 'SM4' } }],
    ['kms', { data: bytes(5000, 4), headers: { [SSE]: 'KMS', [SSE_KEY_ID]: cmk } }],
  ]);
  for (const [key, o] of objects) await c.put(key, o.data, { headers: o.headers });
  const part = bytes(120 * 1024, 5);
  const open = await c.initMultipartUpload('open', { headers: { [SSE]: 'AES256' } });
  const part1 = await c.uploadPart('open', open.uploadId, 1, part, 0, part.length);
  const user = await newRamUser(srv, 'mover', ['AliyunOSSReadOnlyAccess']);
  // A versioned bucket: two noncurrent versions under a delete marker come along in their order.
  const h = srv.client({ bucket: 'history' });
  await h.putBucket('history');
  await h.putBucketVersioning('history', 'Enabled');
  const history = [bytes(2000, 6), bytes(3000, 7)];
  const historyIds = [
    (await h.put('doc', history[0], { headers: { [SSE]: 'AES256' } })).res.headers['x-oss-version-id'],
    (await h.put('doc', history[1])).res.headers['x-oss-version-id'],
  ];
  const markerId = (await h.delete('doc')).res.headers['x-oss-version-id'];
  await srv.close();
  // As a store that generated its root pair keeps it (this test server had it from the environment).
  writeFileSync(path.join(dataDir, ROOT_CREDENTIALS_FILE), JSON.stringify({ accessKeyId: ACCESS_KEY_ID, secret: ACCESS_KEY_SECRET }), { mode: 0o600 });

  const db = await freshDatabase();
  cleanups.push(() => db.drop());
  const s3 = s3Service();
  const blobs = freshBlobsUrl(s3);
  const home = tempDir('coffer-migrate-home-');
  cleanups.push(() => rmSync(home, { recursive: true, force: true }));
  const migrate = (env: NodeJS.ProcessEnv = {}) => runCoffer(
    ['admin', 'migrate', '--data-dir', dataDir, '--to-metadata', db.url, '--to-blobs', blobs, '--json'],
    home, { ...s3.env, COFFER_ROOT_KEY: ROOT_KEY, ...env });

  const wrongKey = await migrate({ COFFER_ROOT_KEY: '22'.repeat(32) });
  assert.equal(wrongKey.code, 1, wrongKey.stderr);
  assert.match(wrongKey.stderr, /root key/);

  const first = await migrate();
  assert.equal(first.code, 0, first.stderr);
  const report = JSON.parse(first.stdout);
  assert.deepEqual([report.buckets, report.objects, report.versions, report.uploads, report.parts, report.verified], [2, 4, 3, 1, 1, true]);
  assert.equal(report.blobs.total, 7);
  assert.equal(report.blobs.copied, 7);
  assert.ok(report.auditRecords > 0, 'the audit trail came along');

  const again = JSON.parse((await migrate()).stdout);
  assert.deepEqual([again.blobs.copied, again.blobs.skipped], [0, 7], 'a second run copies no blob again');

  // A blob lost in the target is copied again by the next run.
  const client = new S3Client({ endpoint: s3.endpoint, region: s3.region, forcePathStyle: true });
  cleanups.push(() => client.destroy());
  const bucket = new URL(blobs.replace(/^s3:/, 'http:')).host;
  const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
  await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: listed.Contents![0].Key! }));
  const repaired = JSON.parse((await migrate()).stdout);
  assert.equal(repaired.blobs.copied, 1);

  // A cluster node on the copy: same root key; the root's key pair came along sealed in the store.
  const nodeDir = tempDir('coffer-migrate-node-');
  cleanups.push(() => rmSync(nodeDir, { recursive: true, force: true }));
  const node = await spawnServer({
    dataDir: nodeDir,
    env: { ...s3.env, COFFER_ROOT_ACCESS_KEY_ID: '', COFFER_ROOT_ACCESS_KEY_SECRET: '' },
    args: ['--metadata', db.url, '--blobs', blobs],
  });
  cleanups.push(async () => { node.kill('SIGKILL'); await node.exited; });
  const n = node.client({ bucket: 'moving', accessKeyId: ACCESS_KEY_ID, accessKeySecret: ACCESS_KEY_SECRET });
  for (const [key, o] of objects) {
    const got = await n.get(key);
    assert.ok(got.content.equals(o.data), key);
  }
  const done = await n.completeMultipartUpload('open', open.uploadId, [{ number: 1, etag: part1.etag }]);
  assert.equal(done.res.status, 200);
  assert.ok((await n.get('open')).content.equals(part));
  const nh = node.client({ bucket: 'history', accessKeyId: ACCESS_KEY_ID, accessKeySecret: ACCESS_KEY_SECRET });
  const listed2 = await nh.getBucketVersions({});
  assert.deepEqual(listed2.objects.map((o: any) => o.versionId), [...historyIds].reverse());
  assert.deepEqual(listed2.deleteMarker.map((o: any) => o.versionId), [markerId]);
  for (const [i, id] of historyIds.entries()) assert.ok((await nh.get('doc', { versionId: id })).content.equals(history[i]));
  const asUser = node.client({ bucket: 'moving', ...user });
  assert.ok((await asUser.get('plain')).content.equals(objects.get('plain')!.data), 'the RAM user and its key came along');
});
