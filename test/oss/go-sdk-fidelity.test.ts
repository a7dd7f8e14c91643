/**
 * The Go SDK (Debian's golang-github-aliyun-aliyun-oss-go-sdk-dev, as test/oss/go-sdk.test.ts
 * runs it) through the calls it offers among issue 13's behaviours: CreateBucket with a storage
 * class and the 409 on another one, ExtranetEndpoint/IntranetEndpoint, Archive objects with
 * RestoreObject, PutSymlink/GetSymlink and reads through links (test/go-sdk/fidelity/main.go).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { ACCESS_KEY_ID, ACCESS_KEY_SECRET, startTestServer, tempDir, type TestServer } from '../helpers/server';

const GO = '/usr/bin/go';
const GOPATH = '/usr/share/gocode';
const PROGRAM = path.resolve(__dirname, '../../../test/go-sdk/fidelity/main.go');

let srv: TestServer;
let work: string;
before(async () => {
  // A short restore, so the program's wait for it stays short.
  srv = await startTestServer({ restoreDelayMs: 500 });
  work = tempDir('coffer-go-fidelity-');
});
after(async () => {
  await srv.close();
  rmSync(work, { recursive: true, force: true });
});

test('the Go SDK: storage classes, endpoints, RestoreObject and symlinks', async () => {
  assert.ok(existsSync(GO) && existsSync(path.join(GOPATH, 'src/github.com/aliyun/aliyun-oss-go-sdk/oss')),
    'needs Debian\'s golang-go and golang-github-aliyun-aliyun-oss-go-sdk-dev (.ci/run installs them)');
  const env = { ...process.env, GO111MODULE: 'off', GOPATH, GOCACHE: path.join(work, 'gocache'), GOFLAGS: '' };
  const run = await promisify(execFile)(GO, ['run', PROGRAM, srv.url, ACCESS_KEY_ID, ACCESS_KEY_SECRET, 'go-fidelity'], { env, timeout: 300_000 })
    .catch((err: { stdout?: string; stderr?: string; message: string }) => assert.fail(`go run failed: ${err.message}\n${err.stdout ?? ''}${err.stderr ?? ''}`));
  const lines = run.stdout.trim().split('\n');
  assert.deepEqual(lines.filter((l) => !l.startsWith('ok ')), ['done'], run.stdout);
  for (const step of ['ok CreateBucket with another class is 409 BucketAlreadyExists', 'ok GetBucketInfo ExtranetEndpoint names this server',
    'ok GetObject frozen is 403 InvalidObjectState', 'ok RestoreObject again is 409 RestoreAlreadyInProgress', 'ok restored content',
    'ok GetSymlink target', 'ok content through the link', 'ok GetObject of a dangling link is 404 SymlinkTargetNotExist',
    'ok GetObject of a link to a link is 400 InvalidTargetType']) {
    assert.ok(lines.includes(step), `missing: ${step}`);
  }
  assert.equal(await srv.running.coffer.meta.getBucket('go-fidelity-archive'), null);
  assert.equal(await srv.running.coffer.meta.getBucket('go-fidelity-links'), null);
});
