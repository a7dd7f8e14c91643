/**
 * Running the built `coffer` CLI as a child process against a real in-process test server. Each
 * fixture has its own HOME, so ~/.coffer (profile file, checkpoints) is never the developer's.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ACCESS_KEY_ID, ACCESS_KEY_SECRET, startTestServer, tempDir, type TestServer } from '../helpers/server';

// Compiled to dist/test/cli/; the launcher is <repo>/bin/coffer.js.
export const COFFER = path.resolve(__dirname, '../../../bin/coffer.js');

export const OSS_REQUEST_ID = /RequestId [0-9A-F]{24}\b/;
export const KMS_REQUEST_ID = /RequestId [0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\b/;

export interface Run { code: number | null; stdout: string; stderr: string }

/** Only PATH and HOME are passed on, so OSS_* variables of the surrounding shell cannot leak in. */
function childEnv(home: string, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: home, ...env };
}

/** Runs the CLI without blocking this process's event loop (the server under test lives here). */
export function runCoffer(args: string[], home: string, env: NodeJS.ProcessEnv = {}, cwd?: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [COFFER, ...args], { env: childEnv(home, env), cwd, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
    });
  });
}

/** Starts the CLI and returns the child, for a test that kills it mid-way. */
export function spawnCoffer(args: string[], home: string, cwd?: string): ChildProcess {
  return spawn(process.execPath, [COFFER, ...args], { env: childEnv(home, {}), cwd, stdio: 'ignore' });
}

export interface Cli {
  srv: TestServer;
  /** HOME of the CLI runs; its ~/.coffer/config points at `srv` with the root credentials. */
  home: string;
  /** A scratch directory for local files. */
  dir: string;
  run(args: string[], env?: NodeJS.ProcessEnv): Promise<Run>;
  /** Starts a run and returns the child process. */
  spawn(args: string[]): ChildProcess;
  /** Runs, asserts exit 0 and parses the --json output. */
  json(args: string[], env?: NodeJS.ProcessEnv): Promise<any>;
  /** A new CMK, made in the server's KMS directly (no HTTP client in the test process to keep alive). */
  newKey(): Promise<string>;
  close(): Promise<void>;
}

/** Writes a profile file by hand, as a user might; `coffer config` itself is tested in config.test.ts. */
export function writeConfig(home: string, settings: Record<string, string>): string {
  const file = path.join(home, '.coffer', 'config');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `[default]\n${Object.entries(settings).map(([k, v]) => `${k} = ${v}`).join('\n')}\n`, { mode: 0o600 });
  return file;
}

export async function startCli(): Promise<Cli> {
  const srv = await startTestServer();
  const home = tempDir('coffer-cli-home-');
  const dir = tempDir('coffer-cli-files-');
  writeConfig(home, { 'endpoint': srv.url, 'kms-endpoint': srv.kmsUrl, 'access-key-id': ACCESS_KEY_ID, 'access-key-secret': ACCESS_KEY_SECRET });
  const run = (args: string[], env: NodeJS.ProcessEnv = {}) => runCoffer(args, home, env, dir);
  return {
    srv, home, dir, run,
    spawn: (args) => spawnCoffer(args, home, dir),
    json: async (args, env) => {
      const r = await run([...args, '--json'], env);
      assert.equal(r.code, 0, `coffer ${args.join(' ')}: ${r.stderr}`);
      return JSON.parse(r.stdout);
    },
    newKey: async () => (await srv.running.kms.CreateKey()).KeyMetadata.KeyId,
    close: async () => {
      await srv.close();
      rmSync(home, { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Asserts a failed run: the exit code, and stderr matching `message`. */
export function assertFails(r: Run, code: 1 | 2, message: RegExp): void {
  assert.equal(r.code, code, `expected exit ${code}, got ${r.code}: ${r.stderr}`);
  assert.match(r.stderr, message);
}
