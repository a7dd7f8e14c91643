/**
 * Runs `coffer server` as a child process, the way an operator does, so that a test can kill it
 * (SIGKILL mid-write, SIGTERM to drain) and start it again on the same data directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ACCESS_KEY_ID, ACCESS_KEY_SECRET, ROOT_KEY, ossClient, tempDir } from './server';

// Compiled to dist/test/helpers/; the launcher is <repo>/bin/coffer.js.
const COFFER = path.resolve(__dirname, '../../../bin/coffer.js');
const READY_TIMEOUT_MS = 30_000;

export interface Exit { code: number | null; signal: NodeJS.Signals | null }

export interface ServerProcess {
  url: string;
  /** The RPC-style listener: KMS API, admin API, RAM API. */
  kmsUrl: string;
  /** The console listener, which also serves /metrics. */
  consoleUrl: string;
  region: string;
  /** What the server printed so far (its banner). */
  stdout(): string;
  pid: number;
  child: ChildProcess;
  /** An ali-oss client on the IP endpoint. */
  client(options?: Record<string, unknown>): any;
  /** Sends a signal; a no-op once the process has exited. */
  kill(signal: NodeJS.Signals): void;
  /** Resolves when the process has exited. */
  exited: Promise<Exit>;
}

export interface SpawnOptions {
  dataDir: string;
  /** Extra environment; the test root credentials and root key are set by default. */
  env?: NodeJS.ProcessEnv;
  /** Extra server flags; by default one process (--workers 1) that collects blobs at once (--blob-grace-seconds 0). */
  args?: string[];
  /** Options for node itself, before the script (e.g. --require of a fault injector). */
  nodeArgs?: string[];
}

/**
 * Starts the server on port 0 and resolves once it has written its ready file. The caller kills
 * it (e.g. in t.after); a live child would keep the test process waiting.
 */
export async function spawnServer(opts: SpawnOptions): Promise<ServerProcess> {
  const readyDir = tempDir('coffer-ready-');
  const readyFile = path.join(readyDir, 'ready.json');
  const child = spawn(process.execPath, [
    ...(opts.nodeArgs ?? []), COFFER, 'server', '--data-dir', opts.dataDir, '--oss-port', '0', '--kms-port', '0', '--console-port', '0',
    '--ready-file', readyFile, '--log-level', 'warn', '--workers', '1', '--blob-grace-seconds', '0', ...(opts.args ?? []),
  ], {
    env: {
      ...process.env,
      COFFER_ROOT_ACCESS_KEY_ID: ACCESS_KEY_ID,
      COFFER_ROOT_ACCESS_KEY_SECRET: ACCESS_KEY_SECRET,
      COFFER_ROOT_KEY: ROOT_KEY,
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => { stdout += s; });
  // Passed through, so that a server-side error (its log goes to stderr) shows in the test output.
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => {
    stderr += s;
    process.stderr.write(s);
  });
  let exit = null as Exit | null;
  const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve(exit = { code, signal })));
  try {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (exit) throw new Error(`coffer server exited (${exit.code ?? exit.signal}) before it was ready: ${stderr}`);
      // The file may be seen half-written; it is complete once it parses.
      const ready = readReady(readyFile);
      if (ready) {
        return {
          url: ready.oss,
          kmsUrl: ready.kms,
          consoleUrl: ready.console,
          region: ready.region,
          stdout: () => stdout,
          pid: child.pid!,
          child,
          client: (options = {}) => ossClient(ready.oss, ready.region, options),
          kill: (signal) => { if (!exit) child.kill(signal); },
          exited,
        };
      }
      if (Date.now() > deadline) throw new Error(`coffer server not ready after ${READY_TIMEOUT_MS} ms: ${stderr}`);
      await sleep(20);
    }
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  } finally {
    rmSync(readyDir, { recursive: true, force: true });
  }
}

function readReady(file: string): { oss: string; kms: string; console: string; region: string } | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}
