/**
 * Servers under test run as child processes so their memory and CPU can be read from /proc
 * apart from the client's. Every child and temp dir is registered so an exit, a signal or a
 * failure never leaves them behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const children = new Set<ChildProcess>();
let root: string | null = null;

/** Kills every server still running and removes the temp root; safe to call more than once. */
export function cleanUp(): void {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
  if (root) rmSync(root, { recursive: true, force: true });
  root = null;
}

process.on('exit', cleanUp);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    cleanUp();
    process.exit(130);
  });
}

const COFFER_BIN = path.resolve(__dirname, '../../bin/coffer.js');

/**
 * `coffer server` on free ports, its data in a fresh bench directory; `env` holds the root
 * credentials and key, `nodeArgs` go to node before the script (e.g. --cpu-prof).
 */
export async function startCoffer(name: string, env: NodeJS.ProcessEnv, nodeArgs: string[] = [], serverArgs: string[] = ['--workers', '1']): Promise<{ server: ServerProcess; readyFile: string }> {
  const dir = tempDir(name);
  const readyFile = path.join(dir, 'ready.json');
  const server = await ServerProcess.start(name, [
    ...nodeArgs, COFFER_BIN, 'server', '--data-dir', path.join(dir, 'data'), '--oss-port', '0', '--kms-port', '0', '--console-port', '0', '--ready-file', readyFile, '--log-level', 'warn',
    ...serverArgs,
  ], { dir, readyFile, urlField: 'oss', env });
  server.metricsUrl = `${JSON.parse(readFileSync(readyFile, 'utf8')).console as string}/metrics`;
  return { server, readyFile };
}

/** A fresh directory under the bench's own temp root (removed at exit). */
export function tempDir(name: string): string {
  root ??= mkdtempSync(path.join(os.tmpdir(), 'coffer-bench-'));
  const dir = path.join(root, name);
  mkdirSync(dir);
  return dir;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const CLOCK_TICKS = 100; // USER_HZ; Linux fixes it at 100 for /proc/<pid>/stat

/** CPU seconds the whole machine has spent busy (every process, every core), from /proc/stat. */
export function machineBusySeconds(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: all but idle and iowait.
  return (f[0] + f[1] + f[2] + f[5] + f[6] + f[7]) / CLOCK_TICKS;
}

export interface PhaseStats {
  /** Peak VmRSS during the phase (max of ~50 ms samples and the kernel's high-water mark). */
  peakRssMiB: number;
  /** VmRSS when the phase began. */
  baseRssMiB: number;
  /** User + system CPU the server used during the phase (all threads), and the system part of it. */
  cpuSeconds: number;
  cpuSystemSeconds: number;
  /** Full (mark-compact) collections the server ran, from its /metrics; absent for servers without them. */
  majorGcs?: number;
}

const KIB = 1024;

function parseStatus(text: string): { rssKiB: number; hwmKiB: number } {
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
  return { rssKiB: field('VmRSS'), hwmKiB: field('VmHWM') };
}

export class ServerProcess {
  /** Set once the child has exited: every later reading fails with it instead of a bare ENOENT. */
  private exited: string | null = null;
  private readonly gone: Promise<void>;
  /** VmRSS once started (before any workload). */
  readonly startRssMiB: number;
  /** Coffer's Prometheus endpoint (the console port), for its GC counts. */
  metricsUrl?: string;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    readonly url: string,
    readonly dir: string,
    stderrTail: () => string,
  ) {
    this.gone = new Promise((resolve) => child.once('exit', (code, signal) => {
      this.exited = `${name} exited (${signal ?? `code ${code}`}): ${stderrTail()}`;
      resolve();
    }));
    this.startRssMiB = this.status().rssKiB / KIB;
  }

  /**
   * Starts `node args…` with `dir` as its working area and waits for it to write readyFile
   * (JSON holding the endpoint under `urlField`).
   */
  static async start(name: string, args: string[], opts: { dir: string; readyFile: string; urlField: string; env?: NodeJS.ProcessEnv }): Promise<ServerProcess> {
    const child = spawn(process.execPath, args, { cwd: opts.dir, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'ignore', 'pipe'] });
    children.add(child);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${name} exited during start-up: ${stderr}`);
      if (Date.now() > deadline) throw new Error(`${name} did not become ready within 30 s: ${stderr}`);
      try {
        // The ready file may be caught half-written; a parse error just means try again.
        const url = JSON.parse(readFileSync(opts.readyFile, 'utf8'))[opts.urlField] as string;
        return new ServerProcess(name, child, url, opts.dir, () => stderr);
      } catch {
        await sleep(50);
      }
    }
  }

  get pid(): number {
    return this.child.pid!;
  }

  private proc(file: 'status' | 'stat'): string {
    if (this.exited) throw new Error(this.exited);
    return readFileSync(`/proc/${this.pid}/${file}`, 'utf8');
  }

  status(): { rssKiB: number; hwmKiB: number } {
    return parseStatus(this.proc('status'));
  }

  rssMiB(): number {
    return this.status().rssKiB / KIB;
  }

  cpu(): { user: number; system: number } {
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const stat = this.proc('stat');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { user: Number(f[11]) / CLOCK_TICKS, system: Number(f[12]) / CLOCK_TICKS };
  }

  /** Mark-compact collections so far (prom-client's nodejs_gc_duration_seconds, kind major). */
  private async majorGcs(): Promise<number | undefined> {
    if (!this.metricsUrl) return undefined;
    const text = await (await fetch(this.metricsUrl)).text();
    const line = /^nodejs_gc_duration_seconds_count\{[^}]*kind="major"[^}]*\} (\d+)/m.exec(text);
    return Number(line?.[1] ?? 0);
  }

  /** Runs fn while sampling the server's RSS every ~50 ms; the peak covers only this phase. */
  async phase<T>(fn: () => Promise<T>): Promise<{ result: T; stats: PhaseStats }> {
    const base = this.status();
    // "5" resets VmHWM to the current RSS, so the kernel's own peak covers just this phase
    // and catches spikes shorter than the sampling interval.
    writeFileSync(`/proc/${this.pid}/clear_refs`, '5');
    let peak = base.rssKiB;
    const timer = setInterval(() => {
      try {
        peak = Math.max(peak, this.status().rssKiB);
      } catch {
        // The server died: the phase's final reading reports it.
      }
    }, 50);
    const gc0 = await this.majorGcs();
    const cpu0 = this.cpu();
    try {
      const result = await fn();
      const end = this.status();
      peak = Math.max(peak, end.rssKiB, end.hwmKiB);
      const cpu1 = this.cpu();
      const cpuSystemSeconds = cpu1.system - cpu0.system;
      const cpuSeconds = cpu1.user - cpu0.user + cpuSystemSeconds;
      const gc1 = await this.majorGcs();
      const majorGcs = gc0 === undefined || gc1 === undefined ? undefined : gc1 - gc0;
      return { result, stats: { peakRssMiB: peak / KIB, baseRssMiB: base.rssKiB / KIB, cpuSeconds, cpuSystemSeconds, majorGcs } };
    } catch (err) {
      // A dead server shows up first as a failed request, just before its exit event: say why it died.
      await Promise.race([this.gone, sleep(500)]);
      throw this.exited ? new Error(this.exited, { cause: err }) : err;
    } finally {
      clearInterval(timer);
    }
  }

  /** SIGTERM (Coffer drains; a --cpu-prof profile gets written), SIGKILL after 15 s, then removes its dir. */
  async stop(): Promise<void> {
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await this.gone;
    clearTimeout(timer);
    children.delete(this.child);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

