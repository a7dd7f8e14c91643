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

function cleanupNow(): void {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
  if (root) rmSync(root, { recursive: true, force: true });
  root = null;
}

process.on('exit', cleanupNow);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    cleanupNow();
    process.exit(130);
  });
}

/** A fresh directory under the bench's own temp root (removed at exit). */
export function tempDir(name: string): string {
  root ??= mkdtempSync(path.join(os.tmpdir(), 'coffer-bench-'));
  const dir = path.join(root, name);
  mkdirSync(dir);
  return dir;
}

export function removeTempRoot(): void {
  cleanupNow();
}

const CLOCK_TICKS = 100; // USER_HZ; Linux fixes it at 100 for /proc/<pid>/stat

export interface PhaseStats {
  /** Peak VmRSS during the phase (max of ~50 ms samples and the kernel's high-water mark). */
  peakRssMiB: number;
  /** VmRSS when the phase began. */
  baseRssMiB: number;
  /** User + system CPU the server used during the phase. */
  cpuSeconds: number;
}

const KIB = 1024;

function procStatus(pid: number): { rssKiB: number; hwmKiB: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
  return { rssKiB: field('VmRSS'), hwmKiB: field('VmHWM') };
}

export class ServerProcess {
  /** Highest VmRSS seen over the process's whole life, from the samples and VmHWM at each phase end. */
  private lifetimePeakKiB = 0;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    readonly url: string,
    readonly dir: string,
    /** VmRSS once started (before any workload). */
    readonly startRssMiB: number,
  ) {}

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
        return new ServerProcess(name, child, url, opts.dir, procStatus(child.pid!).rssKiB / KIB);
      } catch {
        await sleep(50);
      }
    }
  }

  get pid(): number {
    return this.child.pid!;
  }

  status(): { rssKiB: number; hwmKiB: number } {
    return procStatus(this.pid);
  }

  rssMiB(): number {
    return this.status().rssKiB / KIB;
  }

  peakRssMiB(): number {
    return Math.max(this.lifetimePeakKiB, this.status().hwmKiB) / KIB;
  }

  cpuSeconds(): number {
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLOCK_TICKS;
  }

  /** Runs fn while sampling the server's RSS every ~50 ms; the peak covers only this phase. */
  async phase<T>(fn: () => Promise<T>): Promise<{ result: T; stats: PhaseStats }> {
    const base = this.status();
    this.lifetimePeakKiB = Math.max(this.lifetimePeakKiB, base.hwmKiB);
    // "5" resets VmHWM to the current RSS, so the kernel's own peak covers just this phase
    // and catches spikes shorter than the sampling interval.
    writeFileSync(`/proc/${this.pid}/clear_refs`, '5');
    let peak = base.rssKiB;
    const timer = setInterval(() => { peak = Math.max(peak, this.status().rssKiB); }, 50);
    const cpu0 = this.cpuSeconds();
    try {
      const result = await fn();
      const end = this.status();
      peak = Math.max(peak, end.rssKiB, end.hwmKiB);
      this.lifetimePeakKiB = Math.max(this.lifetimePeakKiB, peak);
      return { result, stats: { peakRssMiB: peak / KIB, baseRssMiB: base.rssKiB / KIB, cpuSeconds: this.cpuSeconds() - cpu0 } };
    } finally {
      clearInterval(timer);
    }
  }

  /** SIGTERM (Coffer drains; a --cpu-prof profile gets written), SIGKILL after 15 s, then removes its dir. */
  async stop(): Promise<void> {
    const exited = new Promise<void>((resolve) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) resolve();
      else this.child.once('exit', () => resolve());
    });
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
    children.delete(this.child);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
