/**
 * restic as Debian packages it (/usr/bin/restic, v0.14, built on minio-go) against the S3 dialect:
 * init (which creates the bucket), backup of a directory of several files and a few MB, snapshots,
 * restore of the latest snapshot compared byte for byte, and check --read-data. minio-go sends
 * its uploads over plain HTTP as STREAMING-AWS4-HMAC-SHA256-PAYLOAD (aws-chunked with a signature
 * per chunk), so this proves the chunk-signature path with a client nobody here wrote. A second
 * repository goes into a bucket with default encryption (AES256): every object restic wrote is
 * SSE-S3 encrypted, and the bytes restic uploaded are not on disk. Then forget --prune, and a
 * repository over HTTPS.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { filesContaining } from '../helpers/data-dir';
import { ACCESS_KEY_ID, ACCESS_KEY_SECRET, startTestServer, tempDir, type TestServer } from '../helpers/server';
import { encryptionOf } from '../helpers/sse';
import { assertTree, cleanEnv, payloadRecorder, requireTool, run, selfSignedCert, skipUnlessTool, writeTree, type Tree } from '../helpers/tools';

const skip = skipUnlessTool('restic');

describe('restic (Debian) against the S3 dialect', { skip }, () => {
  let srv: TestServer;
  let home: string;
  let env: NodeJS.ProcessEnv;

  /** restic on a repository at s3:<endpoint>/<repo>; the endpoint is the server's unless `via` is given. */
  let via: string | undefined;
  const restic = async (repo: string, ...args: string[]): Promise<string> =>
    (await run(requireTool('restic'), ['-r', `s3:${via ?? srv.url}/${repo}`, ...args], { env, cwd: home })).stdout;

  /** Several files, a few MB, in nested directories (random bytes: nothing for restic to deduplicate or compress away). */
  const sourceTree = (): Tree => ({
    'a.bin': randomBytes(1_500_000),
    'b.bin': randomBytes(2_200_000),
    'notes.txt': Buffer.from('restic through the S3 dialect\n'.repeat(100)),
    'empty': Buffer.alloc(0),
    'dir/c.bin': randomBytes(700_000),
    'dir/sub/d.bin': randomBytes(64_000),
    'dir/sub/e.txt': Buffer.from('e'),
  });

  /** Backs `tree` up into a new repository, lists the snapshot, restores the latest, compares every file, checks every pack. */
  async function backupAndRestore(repo: string, tree: Tree, name: string): Promise<void> {
    const src = path.join(home, `${name}-src`);
    writeTree(src, tree);
    await restic(repo, 'init');
    const backup = JSON.parse((await restic(repo, 'backup', '--json', src)).trim().split('\n').pop()!) as Record<string, unknown>;
    assert.equal(backup.message_type, 'summary');
    assert.equal(backup.total_files_processed, Object.keys(tree).length);
    const snapshots = JSON.parse(await restic(repo, 'snapshots', '--json')) as Array<{ id: string; paths: string[] }>;
    assert.equal(snapshots.length, 1);
    assert.deepEqual(snapshots[0].paths, [src]);
    const target = path.join(home, `${name}-restore`);
    await restic(repo, 'restore', 'latest', '--target', target);
    // restic restores the absolute path of what it backed up under the target.
    assertTree(path.join(target, src), tree);
    const check = await restic(repo, 'check', '--read-data');
    assert.match(check, /no errors were found/, check);
  }

  before(async () => {
    srv = await startTestServer({ allowSseCOverHttp: true });
    home = tempDir('coffer-restic-');
    env = cleanEnv(home, {
      AWS_ACCESS_KEY_ID: ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: ACCESS_KEY_SECRET,
      AWS_DEFAULT_REGION: srv.region,
      RESTIC_PASSWORD: 'coffer-restic-test-password',
      RESTIC_CACHE_DIR: path.join(home, 'cache'),
    });
  });
  after(async () => {
    await srv?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('uses the Debian build', async () => {
    assert.match((await run(requireTool('restic'), ['version'], { env })).stdout, /^restic 0\./);
  });

  it('init, backup, snapshots, restore latest, check --read-data; uploads are signed chunk by chunk', async () => {
    // Through a relay that notes how each request signed its payload.
    const recorder = await payloadRecorder(srv.port);
    via = recorder.url;
    try {
      await backupAndRestore('restic-bucket/repo', sourceTree(), 'plain');
    } finally {
      via = undefined;
      await recorder.close();
    }
    // minio-go over plain HTTP: every upload aws-chunked with chunk signatures (the packs of
    // several MB in many 64 KiB chunks), every other request with the hash of its empty body.
    const modes = recorder.modes();
    assert.ok((modes.get('STREAMING-AWS4-HMAC-SHA256-PAYLOAD') ?? 0) >= 5, JSON.stringify([...modes]));
    assert.deepEqual([...modes.keys()].sort(), ['<sha256>', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD'], JSON.stringify([...modes]));
    const keys = (await srv.running.coffer.meta.listObjects('restic-bucket', { prefix: 'repo/', limit: 1000 })).map((o) => o.key);
    assert.ok(keys.includes('repo/config'), keys.join(' '));
    assert.ok(keys.some((k) => k.startsWith('repo/data/')), keys.join(' '));
    assert.ok(keys.some((k) => k.startsWith('repo/snapshots/')), keys.join(' '));
  });

  it('a second backup adds a snapshot; both restore; forget --prune keeps the latest whole', async () => {
    const tree = sourceTree();
    const src = path.join(home, 'incr-src');
    writeTree(src, tree);
    await restic('restic-bucket/incr', 'init');
    await restic('restic-bucket/incr', 'backup', src);
    const changed: Tree = { ...tree, 'a.bin': randomBytes(900_000), 'new/f.bin': randomBytes(300_000) };
    writeTree(src, changed);
    await restic('restic-bucket/incr', 'backup', src);
    const snapshots = JSON.parse(await restic('restic-bucket/incr', 'snapshots', '--json')) as Array<{ id: string }>;
    assert.equal(snapshots.length, 2);
    const target = path.join(home, 'incr-restore');
    await restic('restic-bucket/incr', 'restore', 'latest', '--target', target);
    assertTree(path.join(target, src), changed);
    const first = path.join(home, 'incr-first');
    await restic('restic-bucket/incr', 'restore', snapshots[0].id, '--target', first);
    assertTree(path.join(first, src), tree);
    // forget the first snapshot and prune: packs only it used are deleted (or repacked), the rest still reads.
    await restic('restic-bucket/incr', 'forget', '--keep-last', '1', '--prune');
    assert.equal((JSON.parse(await restic('restic-bucket/incr', 'snapshots', '--json')) as unknown[]).length, 1);
    assert.match(await restic('restic-bucket/incr', 'check', '--read-data'), /no errors were found/);
    const pruned = path.join(home, 'incr-pruned');
    await restic('restic-bucket/incr', 'restore', 'latest', '--target', pruned);
    assertTree(path.join(pruned, src), changed);
  });

  it('into a bucket with default encryption AES256: every object restic wrote is SSE-S3, its bytes are not on disk', async () => {
    const bucket = 'restic-encrypted';
    const oss = srv.client();
    await oss.putBucket(bucket);
    await oss.putBucketEncryption(bucket, { SSEAlgorithm: 'AES256' });
    await backupAndRestore(`${bucket}/repo`, sourceTree(), 'encrypted');
    const listed = await srv.running.coffer.meta.listObjects(bucket, { prefix: 'repo/', limit: 1000 });
    assert.ok(listed.length >= 5, `${listed.length} objects`);
    for (const r of listed) assert.equal(encryptionOf(r)?.algorithm, 'AES256', r.key);
    const samples: Buffer[] = [];
    // What restic uploaded (its own ciphertext, random-looking) read back through the OSS API: the
    // first 64 bytes of every object are not on disk as they were sent.
    const c = srv.client({ bucket });
    for (const o of listed) {
      if (o.size < 64) continue;
      const body = (await c.get(o.key)).content as Buffer;
      assert.equal(body.length, o.size);
      samples.push(body.subarray(0, 64));
    }
    assert.ok(samples.length >= 3);
    assert.deepEqual(filesContaining(srv.dataDir, samples), []);
  });
});

describe('restic (Debian) over HTTPS', { skip }, () => {
  let srv: TestServer;
  let home: string;
  let env: NodeJS.ProcessEnv;
  let ca: string;

  before(async () => {
    home = tempDir('coffer-restic-tls-');
    const tls = selfSignedCert(home);
    ca = tls.cert;
    srv = await startTestServer({ tls });
    env = cleanEnv(home, {
      AWS_ACCESS_KEY_ID: ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: ACCESS_KEY_SECRET, AWS_DEFAULT_REGION: srv.region,
      RESTIC_PASSWORD: 'coffer-restic-test-password', RESTIC_CACHE_DIR: path.join(home, 'cache'),
    });
  });
  after(async () => {
    await srv?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('init, backup, restore latest, check --read-data', async () => {
    const restic = async (...args: string[]): Promise<string> =>
      (await run(requireTool('restic'), ['--cacert', ca, '-r', `s3:${srv.url}/restic-tls/repo`, ...args], { env, cwd: home })).stdout;
    const tree: Tree = { 'a.bin': randomBytes(2_500_000), 'dir/b.bin': randomBytes(400_000), 'dir/c.txt': Buffer.from('c') };
    const src = path.join(home, 'src');
    writeTree(src, tree);
    await restic('init');
    await restic('backup', src);
    await restic('restore', 'latest', '--target', path.join(home, 'restore'));
    assertTree(path.join(home, 'restore', src), tree);
    assert.match(await restic('check', '--read-data'), /no errors were found/);
  });
});
