/**
 * rclone as Debian packages it (/usr/bin/rclone, v1.60) against the S3 dialect: a remote of type
 * s3, provider Other, path style, configured only through RCLONE_CONFIG_* variables. A tree with
 * nested directories, an empty file and a file over the upload cutoff (so multipart runs) is
 * synced up, checked both ways (by hash, and by downloading), synced back and compared byte for
 * byte; then the same with server_side_encryption AES256 (records and disk checked); modification
 * times set in place, rcat/cat/copyto/moveto, lsjson and delete; and over HTTPS with SSE-C
 * (sse_customer_key), which rclone's AWS SDK sends only over TLS.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateMultipartUploadCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { filesContaining } from '../helpers/data-dir';
import { s3Client } from '../helpers/s3';
import { ACCESS_KEY_ID, ACCESS_KEY_SECRET, startTestServer, tempDir, type TestServer } from '../helpers/server';
import { encryptionOf, marker, record } from '../helpers/sse';
import { assertTree, cleanEnv, requireTool, run, sampleTree, selfSignedCert, skipUnlessTool, writeTree, type Tree } from '../helpers/tools';

const skip = skipUnlessTool('rclone');

interface LsEntry { Path: string; Name: string; Size: number; ModTime: string; IsDir: boolean; Hashes?: { md5?: string }; MimeType?: string }

describe('rclone (Debian) against the S3 dialect', { skip }, () => {
  let srv: TestServer;
  let home: string;
  let env: NodeJS.ProcessEnv;
  const bucket = 'rclone-bucket';

  /**
   * The upload cutoff lowered from 200M to 5M so the 12 MiB file goes up in three parts of 5M (the
   * chunk size's default and minimum, stated); everything else is rclone's default.
   */
  const rclone = async (...args: string[]): Promise<string> =>
    (await run(requireTool('rclone'), [...args, '--s3-upload-cutoff', '5M', '--s3-chunk-size', '5M'], { env })).stdout;
  const lsjson = async (remote: string): Promise<LsEntry[]> =>
    (JSON.parse(await rclone('lsjson', '-R', '--hash', '--files-only', remote)) as LsEntry[]).sort((a, b) => (a.Path < b.Path ? -1 : 1));
  const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');

  before(async () => {
    srv = await startTestServer({ allowSseCOverHttp: true });
    home = tempDir('coffer-rclone-');
    const remote = (name: string, extra: Record<string, string> = {}): Record<string, string> => {
      const vars: Record<string, string> = {
        TYPE: 's3', PROVIDER: 'Other', ACCESS_KEY_ID, SECRET_ACCESS_KEY: ACCESS_KEY_SECRET, ENDPOINT: srv.url, REGION: srv.region,
        // The endpoint is 127.0.0.1:<port>, which has no bucket subdomains.
        FORCE_PATH_STYLE: 'true', ...extra,
      };
      return Object.fromEntries(Object.entries(vars).map(([k, v]) => [`RCLONE_CONFIG_${name}_${k}`, v]));
    };
    const config = path.join(home, 'rclone.conf');
    writeFileSync(config, '');
    env = cleanEnv(home, { RCLONE_CONFIG: config, ...remote('COFFER'), ...remote('COFFERSSE', { SERVER_SIDE_ENCRYPTION: 'AES256' }) });
  });
  after(async () => {
    await srv?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('uses the Debian build, and sees the remotes from the environment', async () => {
    assert.match(await rclone('version'), /^rclone v1\./);
    assert.deepEqual((await rclone('listremotes')).trim().split('\n').sort(), ['coffer:', 'coffersse:']);
  });

  /** Syncs `tree` up to remote:bucket/prefix, checks both ways, syncs it back and compares every file. */
  async function roundTrip(remote: string, prefix: string, tree: Tree): Promise<void> {
    const src = path.join(home, `${prefix}-up`);
    writeTree(src, tree);
    await rclone('sync', src, `${remote}:${bucket}/${prefix}`);
    // check compares sizes and MD5s (single-part objects' from the ETag, the multipart file's from
    // rclone's X-Amz-Meta-Md5chksum), both ways round; --download compares the bytes themselves.
    // Every file must have been compared by hash: rclone only notes, and exits 0, when it cannot.
    const files = Object.keys(tree).length;
    for (const args of [[src, `${remote}:${bucket}/${prefix}`], [`${remote}:${bucket}/${prefix}`, src], ['--download', src, `${remote}:${bucket}/${prefix}`]]) {
      const { stderr } = await run(requireTool('rclone'), ['check', ...args], { env });
      assert.match(stderr, / 0 differences found/, stderr);
      assert.match(stderr, new RegExp(` ${files} matching files`), stderr);
      assert.doesNotMatch(stderr, /could not be checked|No common hash/, stderr);
    }
    const back = path.join(home, `${prefix}-down`);
    mkdirSync(back);
    await rclone('sync', `${remote}:${bucket}/${prefix}`, back);
    assertTree(back, tree);
    // Nothing differs: a second sync transfers nothing.
    const again = await run(requireTool('rclone'), ['sync', '-v', src, `${remote}:${bucket}/${prefix}`, '--s3-upload-cutoff', '5M', '--s3-chunk-size', '5M'], { env });
    assert.doesNotMatch(again.stderr, /Copied/, again.stderr);
  }

  it('mkdir (creates the bucket), sync a tree up and back, check both ways', async () => {
    await rclone('mkdir', `coffer:${bucket}`);
    assert.match(await rclone('lsd', 'coffer:'), new RegExp(` ${bucket}\n`));
    const m = marker(64);
    const tree = sampleTree(m.token);
    await roundTrip('coffer', 'plain', tree);
    // The big file went up in parts: S3's multipart ETag.
    const r = await record(srv, bucket, 'plain/media/big.bin');
    assert.equal(r.size, tree['media/big.bin'].length);
    const head = await fetchHead(`plain/media/big.bin`);
    assert.match(head.etag ?? '', /-3"$/, head.etag);
  });

  it('a changed modification time only: sync sets it in place (a copy onto itself), the data stays', async () => {
    for (const remote of ['coffer', 'coffersse']) {
      const prefix = `mtime-${remote}`;
      const m = marker(64);
      const tree: Tree = { 'small.txt': Buffer.concat([m.token, Buffer.from('small')]), 'big.bin': sampleTree(m.token, 11 * 1024 * 1024)['media/big.bin'] };
      const src = path.join(home, `${prefix}-up`);
      writeTree(src, tree);
      await rclone('sync', src, `${remote}:${bucket}/${prefix}`);
      const when = new Date('2021-03-04T05:06:07Z');
      for (const f of Object.keys(tree)) utimesSync(path.join(src, f), when, when);
      const synced = await run(requireTool('rclone'), ['sync', '-v', src, `${remote}:${bucket}/${prefix}`, '--s3-upload-cutoff', '5M', '--s3-chunk-size', '5M'], { env });
      assert.doesNotMatch(synced.stderr, /Copied \((new|replaced)/, synced.stderr);
      assert.match(synced.stderr, /Updated modification time/, synced.stderr);
      const listed = await lsjson(`${remote}:${bucket}/${prefix}`);
      assert.deepEqual(listed.map((e) => [e.Path, e.Size, Date.parse(e.ModTime)]), [['big.bin', tree['big.bin'].length, when.getTime()], ['small.txt', tree['small.txt'].length, when.getTime()]]);
      const back = path.join(home, `${prefix}-down`);
      await rclone('copy', `${remote}:${bucket}/${prefix}`, back);
      assertTree(back, tree);
      if (remote === 'coffersse') {
        for (const f of Object.keys(tree)) assert.equal(encryptionOf(await record(srv, bucket, `${prefix}/${f}`))?.algorithm, 'AES256', f);
        assert.deepEqual(filesContaining(srv.dataDir, [m.token]), []);
      }
    }
  });

  it('rcat (a stream of unknown size: multipart), cat with a range, copyto (server side), moveto', async () => {
    const data = randomBytes(11 * 1024 * 1024 + 3);
    await run(requireTool('rclone'), ['rcat', `coffer:${bucket}/ops/streamed`, '--s3-chunk-size', '5M'], { env, input: data });
    assert.match((await fetchHead('ops/streamed')).etag, /-3"$/);
    const cat = await new Promise<Buffer>((resolve, reject) => {
      execFile(requireTool('rclone'), ['cat', '--offset', '5242000', '--count', '2000', `coffer:${bucket}/ops/streamed`], { env, encoding: 'buffer' },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr.toString()}`)) : resolve(stdout)));
    });
    assert.ok(cat.equals(data.subarray(5_242_000, 5_244_000)));
    await rclone('copyto', `coffer:${bucket}/ops/streamed`, `coffer:${bucket}/ops/copied`);
    await rclone('moveto', `coffer:${bucket}/ops/copied`, `coffer:${bucket}/ops/moved`);
    assert.deepEqual((await lsjson(`coffer:${bucket}/ops`)).map((e) => [e.Path, e.Size]), [['moved', data.length], ['streamed', data.length]]);
    const back = path.join(home, 'ops-down');
    await rclone('copy', `coffer:${bucket}/ops`, back);
    assert.ok(readFileSync(path.join(back, 'moved')).equals(data));
    assert.ok(readFileSync(path.join(back, 'streamed')).equals(data));
  });

  it('backend list-multipart-uploads and cleanup: an abandoned upload is listed, then aborted', async () => {
    const { UploadId } = await s3Client(srv).send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'abandoned' }));
    const listed = JSON.parse(await rclone('backend', 'list-multipart-uploads', `coffer:${bucket}`)) as Record<string, Array<{ Key: string; UploadId: string }>>;
    assert.deepEqual(listed[bucket].map((u) => [u.Key, u.UploadId]), [['abandoned', UploadId]]);
    await rclone('backend', 'cleanup', '-o', 'max-age=0s', `coffer:${bucket}`);
    assert.deepEqual(JSON.parse(await rclone('backend', 'list-multipart-uploads', `coffer:${bucket}`)), { [bucket]: [] });
    assert.equal(await srv.running.coffer.meta.getUpload(UploadId!), null);
  });

  it('lsjson: every file with its size and MD5; delete removes files and leaves the rest', async () => {
    const entries = await lsjson(`coffer:${bucket}/lsjson`).catch(() => []);
    assert.deepEqual(entries, []);
    const tree: Tree = { 'a.txt': Buffer.from('alpha'), 'sub/b.txt': Buffer.from('bravo!'), 'sub/deeper/c.bin': Buffer.alloc(1000, 7), 'z.txt': Buffer.alloc(0) };
    const src = path.join(home, 'lsjson-up');
    writeTree(src, tree);
    await rclone('copy', src, `coffer:${bucket}/lsjson`);
    const listed = await lsjson(`coffer:${bucket}/lsjson`);
    assert.deepEqual(listed.map((e) => [e.Path, e.Size, e.Hashes?.md5]), Object.entries(tree).map(([p, d]) => [p, d.length, md5(d)]).sort());
    await rclone('delete', `coffer:${bucket}/lsjson/sub`);
    assert.deepEqual((await lsjson(`coffer:${bucket}/lsjson`)).map((e) => e.Path), ['a.txt', 'z.txt']);
    await rclone('delete', '--include', '*.txt', `coffer:${bucket}/lsjson`);
    assert.deepEqual(await lsjson(`coffer:${bucket}/lsjson`).catch(() => []), []);
    assert.equal(await srv.running.coffer.meta.getObject(bucket, 'lsjson/a.txt'), null);
  });

  it('server_side_encryption AES256: sync round trip, every object SSE-S3 encrypted, ciphertext on disk', async () => {
    const m = marker(64);
    const tree = sampleTree(m.token);
    await roundTrip('coffersse', 'sse', tree);
    for (const rel of Object.keys(tree)) {
      const r = await record(srv, bucket, `sse/${rel}`);
      assert.equal(encryptionOf(r)?.algorithm, 'AES256', rel);
      assert.equal(r.size, tree[rel].length, rel);
    }
    assert.equal((await fetchHead('sse/hello.txt'))['x-amz-server-side-encryption'], 'AES256');
    assert.deepEqual(filesContaining(srv.dataDir, [m.token]), []);
    const listed = await lsjson(`coffersse:${bucket}/sse`);
    assert.deepEqual(listed.map((e) => [e.Path, e.Size]), Object.entries(tree).map(([p, d]) => [p, d.length]).sort((a, b) => (a[0] < b[0] ? -1 : 1)));
  });

  /** An object's ETag and SSE header as the S3 dialect answers HeadObject (through the AWS SDK). */
  async function fetchHead(key: string): Promise<Record<string, string>> {
    const h = await s3Client(srv).send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return { etag: h.ETag ?? '', 'x-amz-server-side-encryption': h.ServerSideEncryption ?? '' };
  }
});

describe('rclone (Debian) over HTTPS with SSE-C (sse_customer_key)', { skip }, () => {
  let srv: TestServer;
  let home: string;
  let env: NodeJS.ProcessEnv;
  let ca: string;
  const bucket = 'rclone-tls';

  before(async () => {
    home = tempDir('coffer-rclone-tls-');
    const tls = selfSignedCert(home);
    ca = tls.cert;
    // SSE-C over TLS as S3 requires it (the AWS SDK in rclone refuses to send SSE-C keys over HTTP).
    srv = await startTestServer({ tls });
    const config = path.join(home, 'rclone.conf');
    writeFileSync(config, '');
    env = cleanEnv(home, {
      RCLONE_CONFIG: config,
      RCLONE_CONFIG_TLS_TYPE: 's3', RCLONE_CONFIG_TLS_PROVIDER: 'Other', RCLONE_CONFIG_TLS_ACCESS_KEY_ID: ACCESS_KEY_ID,
      RCLONE_CONFIG_TLS_SECRET_ACCESS_KEY: ACCESS_KEY_SECRET, RCLONE_CONFIG_TLS_ENDPOINT: srv.url, RCLONE_CONFIG_TLS_REGION: srv.region,
      RCLONE_CONFIG_TLS_FORCE_PATH_STYLE: 'true',
      RCLONE_CONFIG_TLS_SSE_CUSTOMER_ALGORITHM: 'AES256', RCLONE_CONFIG_TLS_SSE_CUSTOMER_KEY: randomBytes(16).toString('hex'),
    });
  });
  after(async () => {
    await srv?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('sync a tree up and back, check: every object SSE-C, ciphertext on disk', async () => {
    const rclone = async (...args: string[]): Promise<string> =>
      (await run(requireTool('rclone'), [...args, '--ca-cert', ca, '--s3-upload-cutoff', '5M', '--s3-chunk-size', '5M'], { env })).stdout;
    const m = marker(64);
    const tree = sampleTree(m.token);
    const src = path.join(home, 'up');
    writeTree(src, tree);
    await rclone('mkdir', `tls:${bucket}`);
    await rclone('sync', src, `tls:${bucket}/tree`);
    await rclone('check', '--download', src, `tls:${bucket}/tree`);
    const back = path.join(home, 'down');
    await rclone('sync', `tls:${bucket}/tree`, back);
    assertTree(back, tree);
    for (const rel of Object.keys(tree)) assert.equal(encryptionOf(await record(srv, bucket, `tree/${rel}`))?.algorithm, 'SSE-C', rel);
    assert.deepEqual(filesContaining(srv.dataDir, [m.token]), []);
  });
});
