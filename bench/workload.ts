/** The measured operations: a closed-loop runner, the PUT/GET cases, the large upload and the range reads. */
import { createHash, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import type { CofferDriver, Driver } from './clients';
import { machineBusySeconds, type PhaseStats, type ServerProcess } from './proc';

export const MiB = 1024 * 1024;

export interface Body { data: Buffer; md5: string }

/** Random (incompressible) bytes with their Content-MD5, built once and reused by every request. */
export function makeBody(size: number): Body {
  const data = randomBytes(size);
  return { data, md5: createHash('md5').update(data).digest('base64') };
}

export const sizeLabel = (bytes: number): string =>
  bytes >= MiB ? `${bytes / MiB} MiB` : `${bytes / 1024} KiB`;

/**
 * `concurrency` workers each issue one operation at a time until `ops` have started or
 * `seconds` have passed; returns when all started operations have finished.
 */
export async function closedLoop(
  concurrency: number,
  limit: { ops?: number; seconds?: number },
  op: (i: number) => Promise<number>,
): Promise<{ ops: number; bytes: number; seconds: number }> {
  const maxOps = limit.ops ?? Infinity;
  const t0 = performance.now();
  const deadline = limit.seconds === undefined ? Infinity : t0 + limit.seconds * 1000;
  let next = 0;
  let bytes = 0;
  const worker = async (): Promise<void> => {
    while (next < maxOps && performance.now() < deadline) {
      const n = await op(next++);
      bytes += n;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { ops: next, bytes, seconds: (performance.now() - t0) / 1000 };
}

export interface Case {
  op: 'PUT' | 'GET';
  body: Body;
  concurrency: number;
  /** Large objects run a fixed count, small ones for a fixed time. */
  limit: { ops?: number; seconds?: number };
}

const caseId = (c: Pick<Case, 'op' | 'concurrency'> & { objectBytes: number }): string =>
  `${c.op} ${sizeLabel(c.objectBytes)} c${c.concurrency}`;

export interface CaseResult {
  id: string;
  op: 'PUT' | 'GET';
  objectBytes: number;
  concurrency: number;
  ops: number;
  bytes: number;
  seconds: number;
  mibPerSec: number;
  opsPerSec: number;
  clientCpuSeconds: number;
  /** Cores kept busy meanwhile by everything but this client and this server: the noise on a shared machine. */
  otherCores: number;
  server: PhaseStats;
}

/** Keys a PUT case wrote, so the matching GET case reads objects of the same size. */
const keyOf = (size: number, concurrency: number, i: number): string => `obj-${size}-c${concurrency}-${i}`;

export class Workload {
  private readonly written = new Map<string, number>();

  constructor(private readonly server: ServerProcess, private readonly driver: Driver) {}

  async run(c: Case): Promise<CaseResult> {
    const size = c.body.data.length;
    const group = `${size}-c${c.concurrency}`;
    const stored = this.written.get(group) ?? 0;
    if (c.op === 'GET' && stored === 0) throw new Error(`GET case ${group} needs its PUT case first`);
    const op = c.op === 'PUT'
      ? async (i: number) => { await this.driver.put(keyOf(size, c.concurrency, stored + i), c.body.data, c.body.md5); return size; }
      : async (i: number) => {
        const n = await this.driver.get(keyOf(size, c.concurrency, i % stored));
        if (n !== size) throw new Error(`GET returned ${n} bytes, expected ${size}`);
        return n;
      };
    const cpu0 = process.cpuUsage();
    const busy0 = machineBusySeconds();
    const { result, stats } = await this.server.phase(() => closedLoop(c.concurrency, c.limit, op));
    const busy = machineBusySeconds() - busy0;
    const cpu = process.cpuUsage(cpu0);
    const clientCpuSeconds = (cpu.user + cpu.system) / 1e6;
    if (c.op === 'PUT') this.written.set(group, stored + result.ops);
    return {
      id: caseId({ ...c, objectBytes: size }),
      op: c.op,
      objectBytes: size,
      concurrency: c.concurrency,
      ...result,
      mibPerSec: result.bytes / MiB / result.seconds,
      opsPerSec: result.ops / result.seconds,
      clientCpuSeconds,
      otherCores: Math.max(0, busy - clientCpuSeconds - stats.cpuSeconds) / result.seconds,
      server: stats,
    };
  }

  /** Untimed traffic so JIT and connection set-up are not charged to the first case. */
  async warmUp(bodies: Body[]): Promise<void> {
    for (const body of bodies) {
      // Distinct keys: s3rver aborts a read of a key that is being overwritten.
      await closedLoop(4, { ops: body.data.length >= MiB ? 2 : 200 }, async (i) => {
        const key = `warm-${body.data.length}-${i}`;
        await this.driver.put(key, body.data, body.md5);
        return this.driver.get(key);
      });
    }
  }
}

/** `total` bytes produced on demand from one reused chunk: the client never holds the whole body. */
function generated(total: number, chunk: Buffer): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) {
        this.push(null);
        return;
      }
      const n = Math.min(chunk.length, total - sent);
      sent += n;
      this.push(n === chunk.length ? chunk : chunk.subarray(0, n));
    },
  });
}

export interface LargeUpload {
  bytes: number;
  seconds: number;
  mibPerSec: number;
  server: PhaseStats;
  rssGrowthMiB: number;
}

export async function largeUpload(server: ServerProcess, driver: CofferDriver, key: string, size: number): Promise<LargeUpload> {
  const chunk = randomBytes(MiB);
  const t0 = performance.now();
  const { stats } = await server.phase(() => driver.putStream(key, generated(size, chunk), size));
  const seconds = (performance.now() - t0) / 1000;
  return { bytes: size, seconds, mibPerSec: size / MiB / seconds, server: stats, rssGrowthMiB: stats.peakRssMiB - stats.baseRssMiB };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Median latency (ms) of `times` sequential GETs, checking each returns `expect` bytes. */
async function getLatency(driver: Driver, key: string, times: number, expect: number, range?: string): Promise<{ medianMs: number; samplesMs: number[] }> {
  const samplesMs: number[] = [];
  for (let i = 0; i < times; i++) {
    const t0 = performance.now();
    const n = await driver.get(key, range);
    samplesMs.push(performance.now() - t0);
    if (n !== expect) throw new Error(`GET ${key} ${range ?? ''} returned ${n} bytes, expected ${expect}`);
  }
  return { medianMs: median(samplesMs), samplesMs };
}

export interface RangeLatency {
  objectBytes: number;
  lastByteRange: { medianMs: number; samplesMs: number[] };
  wholeObject: { medianMs: number; samplesMs: number[]; mibPerSec: number };
  /** A whole GET of a one-package (64 KiB) object under the same encryption: what a range should cost. */
  onePackageObject: { medianMs: number; samplesMs: number[] };
}

/** The 1-byte range at the end of the large object next to whole-object GETs of it and of a 64 KiB object. */
export async function rangeLatency(driver: CofferDriver, key: string, size: number, times: { range: number; whole: number }): Promise<RangeLatency> {
  const pkg = makeBody(64 * 1024);
  await driver.put('one-package', pkg.data, pkg.md5);
  await getLatency(driver, key, 2, 1, `bytes=${size - 1}-${size - 1}`); // warm the path and the page cache
  const lastByteRange = await getLatency(driver, key, times.range, 1, `bytes=${size - 1}-${size - 1}`);
  const onePackageObject = await getLatency(driver, 'one-package', times.range, pkg.data.length);
  const whole = await getLatency(driver, key, times.whole, size);
  return {
    objectBytes: size,
    lastByteRange,
    wholeObject: { ...whole, mibPerSec: size / MiB / (whole.medianMs / 1000) },
    onePackageObject,
  };
}
