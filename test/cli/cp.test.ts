/**
 * `coffer cp`: uploads, downloads and server-side copies, one or -r many, with SSE options; the
 * parallel multipart upload and its resume after the CLI is killed mid-upload; the progress bar.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { progressLine, Progress } from '../../src/cli/progress';
import { assertFails, OSS_REQUEST_ID, startCli, type Cli } from './helpers';

let cli: Cli;
let c: any;
const BUCKET = 'cp-bucket';
before(async () => {
  cli = await startCli();
  c = cli.srv.client({ bucket: BUCKET });
  await c.putBucket(BUCKET);
});
after(async () => { await cli.close(); });

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');
const local = (...p: string[]): string => path.join(cli.dir, ...p);
const head = async (key: string): Promise<Record<string, string>> => (await c.head(key)).res.headers;
const content = async (key: string): Promise<Buffer> => (await c.get(key)).content;

function file(name: string, data: Buffer | string): string {
  mkdirSync(path.dirname(local(name)), { recursive: true });
  writeFileSync(local(name), data);
  return local(name);
}

describe('one file or object', () => {
  test('upload into a "directory" URL keeps the name; download back; --json reports size and ETag', async () => {
    file('hello.txt', 'hello from the CLI\n');
    const up = await cli.run(['cp', 'hello.txt', `oss://${BUCKET}/docs/`]);
    assert.equal(up.code, 0, up.stderr);
    assert.equal(up.stdout, `Uploaded hello.txt to oss://${BUCKET}/docs/hello.txt: 19 bytes.\n`);
    const h = await head('docs/hello.txt');
    assert.equal(h['content-type'], 'text/plain');
    assert.equal(h['x-oss-server-side-encryption'], undefined);
    assert.equal((await content('docs/hello.txt')).toString(), 'hello from the CLI\n');

    const down = await cli.json(['cp', `oss://${BUCKET}/docs/hello.txt`, 'copy-of-hello.txt']);
    assert.deepEqual([down.size, down.etag], [19, h.etag.replace(/"/g, '')]);
    assert.equal(readFileSync(local('copy-of-hello.txt'), 'utf8'), 'hello from the CLI\n');
    file('empty.txt', '');
    assert.equal((await cli.run(['cp', 'empty.txt', `oss://${BUCKET}/docs/`])).stdout, `Uploaded empty.txt to oss://${BUCKET}/docs/empty.txt: 0 bytes.\n`);
    assert.equal((await head('docs/empty.txt'))['content-length'], '0');
        mkdirSync(local('into'), { recursive: true });
    const intoDir = await cli.run(['cp', `oss://${BUCKET}/docs/hello.txt`, 'into']);
    assert.equal(intoDir.code, 0, intoDir.stderr);
    assert.equal(readFileSync(local('into', 'hello.txt'), 'utf8'), 'hello from the CLI\n');
  });

  test('--sse-algorithm SM4, and KMS with a key id and SM4 data, encrypt the upload', async () => {
    file('secret.bin', randomBytes(5000));
    const sm4 = await cli.run(['cp', 'secret.bin', `oss://${BUCKET}/sse/sm4.bin`, '--sse-algorithm', 'SM4']);
    assert.equal(sm4.code, 0, sm4.stderr);
    assert.equal((await head('sse/sm4.bin'))['x-oss-server-side-encryption'], 'SM4');

    const keyId = await cli.newKey();
    const kms = await cli.run(['cp', 'secret.bin', `oss://${BUCKET}/sse/kms.bin`, '--sse-algorithm', 'KMS', '--sse-key-id', keyId, '--sse-data-encryption', 'SM4']);
    assert.equal(kms.code, 0, kms.stderr);
    const h = await head('sse/kms.bin');
    assert.deepEqual([h['x-oss-server-side-encryption'], h['x-oss-server-side-encryption-key-id'], h['x-oss-server-side-data-encryption']], ['KMS', keyId, 'SM4']);
    assert.ok((await content('sse/kms.bin')).equals(readFileSync(local('secret.bin'))));
  });

  test('oss → oss copies on the server; the SSE options apply to the copy, which does not inherit the source\'s', async () => {
    const enc = await cli.run(['cp', `oss://${BUCKET}/sse/sm4.bin`, `oss://${BUCKET}/copies/`, '--sse-algorithm', 'AES256']);
    assert.equal(enc.code, 0, enc.stderr);
    assert.equal(enc.stdout, `Copied oss://${BUCKET}/sse/sm4.bin to oss://${BUCKET}/copies/sm4.bin.\n`);
    assert.equal((await head('copies/sm4.bin'))['x-oss-server-side-encryption'], 'AES256');
    const plain = await cli.run(['cp', `oss://${BUCKET}/sse/sm4.bin`, `oss://${BUCKET}/copies/plain.bin`]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal((await head('copies/plain.bin'))['x-oss-server-side-encryption'], undefined);
    assert.ok((await content('copies/plain.bin')).equals(readFileSync(local('secret.bin'))));
  });

  test('failures: a missing bucket or object exits 1 with its code and leaves no file; bad arguments exit 2', async () => {
    file('x.txt', 'x');
    const noBucket = await cli.run(['cp', 'x.txt', 'oss://no-such-bucket/x.txt']);
    assertFails(noBucket, 1, /^coffer: NoSuchBucket: /);
    assert.match(noBucket.stderr, OSS_REQUEST_ID);
    assertFails(await cli.run(['cp', `oss://${BUCKET}/missing.txt`, 'missing.txt']), 1, /^coffer: NoSuchKey: The specified key does not exist\./);
    assertFails(await cli.run(['cp', 'oss://no-such-bucket/x.txt', 'missing.txt']), 1, /^coffer: NoSuchBucket: /);
    assert.deepEqual(readdirSync(cli.dir).filter((n) => n.startsWith('missing.txt')), []);
    assertFails(await cli.run(['cp', 'x.txt', `oss://${BUCKET}/x.txt`, '--access-key-secret', 'wrong']), 1, /^coffer: SignatureDoesNotMatch: /);

    const cases: Array<[string[], RegExp]> = [
      [['nowhere.txt', `oss://${BUCKET}/`], /nowhere\.txt: no such file or directory/],
      [['x.txt', 'y.txt'], /cp needs an oss:\/\/ URL as source or destination/],
      [[`oss://${BUCKET}/x.txt`, 'y.txt', '--sse-algorithm', 'AES256'], /a download is decrypted by the server/],
      [['x.txt', `oss://${BUCKET}/`, '--part-size', '1KiB'], /--part-size must be from 100KiB to 5GiB/],
      [['x.txt', `oss://${BUCKET}/`, '--part-size', 'lots'], /--part-size must be a size such as 8MiB/],
      [['x.txt', `oss://${BUCKET}/`, '--parallel', '0'], /--parallel must be a whole number from 1 to 64/],
      [['x.txt', `oss://${BUCKET}/`, '--sse-key-id', 'k'], /--sse-key-id needs --sse-algorithm KMS/],
      [['.', `oss://${BUCKET}/`], /\. is a directory: use -r/],
      [[`oss://${BUCKET}/docs/`, 'out'], /names no object: give a key, or -r/],
    ];
    for (const [args, message] of cases) assertFails(await cli.run(['cp', ...args]), 2, message);
    await assert.rejects(c.head('x.txt'), { status: 404 });
  });
});

describe('-r', () => {
  const tree: Record<string, string> = { 'a.txt': 'A', 'sub/b.txt': 'BB', 'sub/deeper/c.txt': 'CCC' };
  before(() => { for (const [name, data] of Object.entries(tree)) file(`tree/${name}`, data); });

  test('uploads a directory under a prefix, downloads it back, copies it on the server', async () => {
    const up = await cli.run(['cp', '-r', 'tree', `oss://${BUCKET}/backup`]);
    assert.equal(up.code, 0, up.stderr);
    assert.equal(up.stdout, `Uploaded 3 of 3 item(s) (6 bytes) from tree to oss://${BUCKET}/backup; 0 failed.\n`);
    for (const [name, data] of Object.entries(tree)) assert.equal((await content(`backup/${name}`)).toString(), data);

    const down = await cli.json(['cp', '-r', `oss://${BUCKET}/backup/`, 'restored']);
    assert.equal(down.transferred.length, 3);
    assert.deepEqual(down.failed, []);
    for (const [name, data] of Object.entries(tree)) assert.equal(readFileSync(local('restored', name), 'utf8'), data);

    const copy = await cli.run(['cp', '-r', `oss://${BUCKET}/backup/`, `oss://${BUCKET}/mirror/`, '--sse-algorithm', 'AES256', '--jobs', '2']);
    assert.equal(copy.code, 0, copy.stderr);
    for (const name of Object.keys(tree)) assert.equal((await head(`mirror/${name}`))['x-oss-server-side-encryption'], 'AES256');
  });

  test('a failed item does not stop the others; the summary names it and the exit code is 1', async () => {
    // A local file where a directory must go: that one download cannot be written.
    file('blocked/sub', 'in the way');
    const r = await cli.run(['cp', '-r', `oss://${BUCKET}/backup/`, 'blocked']);
    assertFails(r, 1, /^coffer: 2 of 3 item\(s\) failed\n$/);
    assert.match(r.stdout, /^Downloaded 1 of 3 item\(s\) \(1 bytes\) from oss:\/\/cp-bucket\/backup\/ to blocked; 2 failed\.\n/);
    // A local error, told as such (not as an unreachable endpoint).
    assert.match(r.stdout, /\n {2}FAILED oss:\/\/cp-bucket\/backup\/sub\/b\.txt: (ENOTDIR|EEXIST): /);
    assert.equal(readFileSync(local('blocked', 'a.txt'), 'utf8'), 'A');
  });
});

describe('multipart', () => {
  const partArgs = ['--bigfile-threshold', '1MiB', '--part-size', '256KiB'];

  test('above the threshold: parallel parts, the right bytes, SSE on the whole object, no checkpoint left', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 12345);
    file('big.bin', data);
    const keyId = await cli.newKey();
    const r = await cli.json(['cp', 'big.bin', `oss://${BUCKET}/big.bin`, ...partArgs, '--parallel', '3', '--sse-algorithm', 'KMS', '--sse-key-id', keyId]);
    assert.deepEqual({ ...r.multipart, uploadId: undefined }, { uploadId: undefined, partSize: 256 * 1024, parts: 13, resumedParts: 0, uploadedParts: 13 });
    assert.match(r.etag, /^[0-9A-F]{32}-13$/);
    const h = await head('big.bin');
    assert.deepEqual([h['x-oss-server-side-encryption'], h['x-oss-server-side-encryption-key-id'], h['content-length']], ['KMS', keyId, String(data.length)]);
    assert.equal(md5(await content('big.bin')), md5(data));
    assert.deepEqual(readdirSync(path.join(cli.home, '.coffer', 'checkpoints')), []);

    const human = await cli.run(['cp', 'big.bin', `oss://${BUCKET}/big2.bin`, ...partArgs]);
    assert.equal(human.stdout, `Uploaded big.bin to oss://${BUCKET}/big2.bin: 3.0 MiB in 13 part(s).\n`);
  });

  test('killed mid-upload, the same command resumes: only the missing parts go up, and the object is right', async () => {
    const data = randomBytes(12 * 1024 * 1024);
    file('resume.bin', data);
    const checkpoints = local('checkpoints');
    const args = ['cp', 'resume.bin', `oss://${BUCKET}/resume.bin`, ...partArgs, '--parallel', '2', '--checkpoint-dir', checkpoints];

    // Throttled to 2 MiB/s, the 48 parts take ~6 s: time to kill the process part-way.
    const child = cli.spawn([...args, '--max-upload-speed', '2MiB']);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    let cp: { uploadId: string; parts: Record<string, string> } | null = null;
    // Polled against a deadline rather than a count, so that a slow machine gets the same time.
    for (const deadline = Date.now() + 30_000; Date.now() < deadline && !(cp && Object.keys(cp.parts).length >= 8); ) {
      await sleep(20);
      const [name] = existsSync(checkpoints) ? readdirSync(checkpoints).filter((n) => n.endsWith('.json')) : [];
      if (name) cp = JSON.parse(readFileSync(path.join(checkpoints, name), 'utf8'));
    }
    child.kill('SIGKILL');
    await exited;
    assert.ok(cp, 'no checkpoint was written');
    const [name] = readdirSync(checkpoints).filter((n) => n.endsWith('.json'));
    cp = JSON.parse(readFileSync(path.join(checkpoints, name), 'utf8'));
    const recorded = Object.keys(cp!.parts).length;
    assert.ok(recorded >= 8 && recorded < 48, `${recorded} parts recorded`);
    // The server holds at least the recorded parts of that upload; no object yet.
    const listed = await c.listParts('resume.bin', cp!.uploadId, { 'max-parts': 1000 });
    const parts = Array.isArray(listed.parts) ? listed.parts : [listed.parts];
    assert.ok(parts.length >= recorded);
    await assert.rejects(c.head('resume.bin'), { status: 404 });

    const resumed = await cli.json(args);
    assert.equal(resumed.multipart.uploadId, cp!.uploadId);
    assert.equal(resumed.multipart.parts, 48);
    assert.ok(resumed.multipart.resumedParts >= recorded, JSON.stringify(resumed.multipart));
    assert.equal(resumed.multipart.uploadedParts, 48 - resumed.multipart.resumedParts);
    assert.equal(md5(await content('resume.bin')), md5(data));
    assert.match(resumed.etag, /^[0-9A-F]{32}-48$/);
    assert.deepEqual(readdirSync(checkpoints).filter((n) => n.endsWith('.json')), []);
    assert.deepEqual((await c.listUploads({ prefix: 'resume.bin' })).uploads, []);
  });

  test('a file changed since the interruption starts over, and the stale upload is aborted', async () => {
    const checkpoints = local('checkpoints-changed');
    const args = ['cp', 'changed.bin', `oss://${BUCKET}/changed.bin`, ...partArgs, '--parallel', '1', '--checkpoint-dir', checkpoints];
    file('changed.bin', randomBytes(4 * 1024 * 1024));
    const child = cli.spawn([...args, '--max-upload-speed', '1MiB']);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    let uploadId = '';
    for (const deadline = Date.now() + 30_000; Date.now() < deadline && !uploadId; ) {
      await sleep(20);
      const [name] = existsSync(checkpoints) ? readdirSync(checkpoints).filter((n) => n.endsWith('.json')) : [];
      const cp = name ? JSON.parse(readFileSync(path.join(checkpoints, name), 'utf8')) : null;
      if (cp && Object.keys(cp.parts).length >= 2) uploadId = cp.uploadId;
    }
    child.kill('SIGKILL');
    await exited;
    assert.ok(uploadId, 'no parts were checkpointed');

    const data = randomBytes(4 * 1024 * 1024);
    file('changed.bin', data);
    utimesSync(local('changed.bin'), new Date(), new Date(Date.now() + 5000));
    const r = await cli.json(args);
    assert.notEqual(r.multipart.uploadId, uploadId);
    assert.equal(r.multipart.resumedParts, 0);
    assert.equal(md5(await content('changed.bin')), md5(data));
    await assert.rejects(c.listParts('changed.bin', uploadId, {}), { code: 'NoSuchUpload' });
  });
});

describe('progress', () => {
  test('the line shows the bar, percentage, amounts, rate and ETA', () => {
    const line = progressLine('upload', 'bytes', 512 * 1024 * 1024, 1024 * 1024 * 1024, 4, 0);
    assert.equal(line, 'upload [############............]  50%  512.0 MiB / 1.0 GiB  128.0 MiB/s  ETA 4s');
    // Parts done by an earlier run count as done but not towards the rate.
    assert.match(progressLine('upload', 'bytes', 768 * 1024 * 1024, 1024 * 1024 * 1024, 2, 512 * 1024 * 1024), / 75% .* 128\.0 MiB\/s {2}ETA 2s$/);
    assert.equal(progressLine('encrypt', 'objects', 30, 300, 3), 'encrypt [##......................]  10%  30 / 300 objects  10.0/s  ETA 27s');
  });

  test('on a terminal: redrawn in place from the live transfers, ended with a newline; elsewhere: nothing', async () => {
    const written: string[] = [];
    const terminal = { isTTY: true, columns: 100, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream;
    const p = new Progress('download', 'bytes', 1000, terminal);
    let read = 400;
    const settle = p.track(() => read);
    await sleep(250);
    assert.ok(written.some((s) => / 40% {2}400 bytes \/ 1000 bytes/.test(s)), written.join('|'));
    read = 1000;
    settle(1000);
    p.finish();
    assert.ok(written.slice(0, -1).every((s) => s.startsWith('\r') && s.endsWith('\x1b[K')));
    assert.match(written.at(-2)!, /100% {2}1000 bytes \/ 1000 bytes/);
    assert.equal(written.at(-1), '\n');

    const piped: string[] = [];
    const pipe = new Progress('download', 'bytes', 1000, { isTTY: false, write: (s: string) => piped.push(s) } as unknown as NodeJS.WriteStream);
    pipe.track(() => 500)(1000);
    await sleep(150);
    pipe.finish();
    assert.deepEqual(piped, []);
  });
});
