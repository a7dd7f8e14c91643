/**
 * Runs a Go program against Alibaba's Go OSS SDK as Debian packages it
 * (golang-github-aliyun-aliyun-oss-go-sdk-dev, built in GOPATH mode with Debian's Go; .ci/run
 * installs both). The programs print one "ok <step>" line per step and "done" at the end.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const GO = '/usr/bin/go';
const GOPATH = '/usr/share/gocode';

/** A program under test/go-sdk/ (the tests run from dist/test/<dir>/). */
export const goProgram = (relative: string): string => path.resolve(__dirname, '../../../test/go-sdk', relative);

/** Runs `go run program args…` (GOCACHE under `work`); fails the test unless every line is "ok …" and the last is "done". */
export async function runGoProgram(program: string, args: string[], work: string): Promise<string[]> {
  assert.ok(existsSync(GO) && existsSync(path.join(GOPATH, 'src/github.com/aliyun/aliyun-oss-go-sdk/oss')),
    'needs Debian\'s golang-go and golang-github-aliyun-aliyun-oss-go-sdk-dev (.ci/run installs them)');
  const env = { ...process.env, GO111MODULE: 'off', GOPATH, GOCACHE: path.join(work, 'gocache'), GOFLAGS: '' };
  const run = await promisify(execFile)(GO, ['run', program, ...args], { env, timeout: 300_000 })
    .catch((err: { stdout?: string; stderr?: string; message: string }) => assert.fail(`go run failed: ${err.message}\n${err.stdout ?? ''}${err.stderr ?? ''}`));
  const lines = run.stdout.trim().split('\n');
  assert.deepEqual(lines.filter((l) => !l.startsWith('ok ')), ['done'], run.stdout);
  return lines;
}
