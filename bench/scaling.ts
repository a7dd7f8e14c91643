/**
 * Scaling: the same small (4 KiB) and large (64 MiB) PUT/GET cases at concurrency 16 against
 *   - embedded-1:   the embedded store served by one process (--workers 1), large bodies hashed on
 *                   its hashing thread (--hash-threads defaults to 1 on two cores);
 *   - embedded-1-inline: the same with --hash-threads 0, everything on the event loop;
 *   - embedded-w2:  the embedded store served by two worker processes (--workers 2);
 *   - cluster-2:    two nodes over PostgreSQL + Ceph RGW, requests alternated between them as a
 *                   load balancer would (needs COFFER_TEST_POSTGRES_URL and COFFER_TEST_S3_ENDPOINT:
 *                   `npm run bench` starts both through scripts/with-services.sh).
 * Every figure comes from one run; the machine's busy cores are reported next to each case, since
 * on two cores the client competes with the servers for CPU.
 */
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { CofferDriver, COFFER_ENV, type Driver } from './clients';
import { startCoffer, machineBusySeconds, type ServerProcess } from './proc';
import { fmt, table } from './report';
import { closedLoop, makeBody, MiB, sizeLabel, type Body } from './workload';

const BUCKET = 'bench';

export interface ScalingCase { id: string; opsPerSec: number; mibPerSec: number; busyCores: number }
export interface ScalingResult { setup: string; cases: ScalingCase[] }

/** Alternates requests between drivers, one per node. */
class RoundRobin implements Driver {
  private next = 0;
  constructor(private readonly drivers: Driver[]) {}
  private pick(): Driver {
    return this.drivers[this.next++ % this.drivers.length];
  }
  put(key: string, body: Buffer, md5: string): Promise<void> {
    return this.pick().put(key, body, md5);
  }
  get(key: string, range?: string): Promise<number> {
    return this.pick().get(key, range);
  }
}

export async function freshDatabase(admin: string): Promise<string> {
  const name = `coffer_bench_${randomBytes(4).toString('hex')}`;
  const c = new Client({ connectionString: admin });
  await c.connect();
  try {
    await c.query(`CREATE DATABASE ${name}`);
  } finally {
    await c.end();
  }
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return url.toString();
}

interface Setup { name: string; servers: ServerProcess[]; driver: Driver }

async function setups(progress: (m: string) => void, only: (name: string) => boolean): Promise<Setup[]> {
  const out: Setup[] = [];
  const start = async (name: string, args: string[][], env: NodeJS.ProcessEnv = {}): Promise<void> => {
    progress(`${name}: starting`);
    const servers: ServerProcess[] = [];
    // The first node prepares the store alone; the others join it.
    for (const [i, a] of args.entries()) servers.push((await startCoffer(`${name}-${i}`, { ...COFFER_ENV, ...env }, [], a)).server);
    const drivers = servers.map((s) => new CofferDriver(s.url, BUCKET, null));
    await drivers[0].createBucket();
    out.push({ name, servers, driver: drivers.length > 1 ? new RoundRobin(drivers) : drivers[0] });
  };
  if (only('embedded-1')) await start('embedded-1', [['--workers', '1']]);
  if (only('embedded-1-inline')) await start('embedded-1-inline', [['--workers', '1', '--hash-threads', '0']]);
  if (only('embedded-w2')) await start('embedded-w2', [['--workers', '2']]);
  if (only('cluster-2')) {
    const pg = process.env.COFFER_TEST_POSTGRES_URL;
    const s3 = process.env.COFFER_TEST_S3_ENDPOINT;
    if (!pg || !s3) throw new Error('cluster-2 needs COFFER_TEST_POSTGRES_URL and COFFER_TEST_S3_ENDPOINT (run the bench with `npm run bench`, which starts PostgreSQL and Ceph RGW)');
    const db = await freshDatabase(pg);
    const blobs = `s3://coffer-bench-${randomBytes(4).toString('hex')}?endpoint=${encodeURIComponent(s3)}&region=${process.env.AWS_REGION ?? 'us-east-1'}`;
    const node = (i: number): string[] => ['--workers', '1', '--metadata', db, '--blobs', blobs, '--node-name', `bench-node${i}`];
    await start('cluster-2', [node(0), node(1)]);
  }
  return out;
}

async function runCase(driver: Driver, op: 'PUT' | 'GET', body: Body, concurrency: number, limit: { ops?: number; seconds?: number }, tag: string): Promise<ScalingCase> {
  const size = body.data.length;
  const key = (i: number): string => `scale-${tag}-${size}-${i}`;
  const busy0 = machineBusySeconds();
  const r = await closedLoop(concurrency, limit, op === 'PUT'
    ? async (i) => { await driver.put(key(i), body.data, body.md5); return size; }
    : async (i) => {
      const n = await driver.get(key(i % concurrency));
      if (n !== size) throw new Error(`GET returned ${n} bytes, expected ${size}`);
      return n;
    });
  return {
    id: `${op} ${sizeLabel(size)} c${concurrency}`,
    opsPerSec: r.ops / r.seconds,
    mibPerSec: r.bytes / MiB / r.seconds,
    busyCores: (machineBusySeconds() - busy0) / r.seconds,
  };
}

export async function scalingBench(cfg: { bigBytes: number; smallSeconds: number }, progress: (m: string) => void, only: (name: string) => boolean): Promise<ScalingResult[]> {
  const small = makeBody(4096);
  const big = makeBody(cfg.bigBytes);
  const running = await setups(progress, only);
  const results: ScalingResult[] = running.map((s) => ({ setup: s.name, cases: [] }));
  try {
    // Case by case across the setups, so a burst of outside load hits all of them alike.
    for (const [body, limit] of [[small, { seconds: cfg.smallSeconds }], [big, { ops: 16 }]] as const) {
      for (const op of ['PUT', 'GET'] as const) {
        for (const [i, s] of running.entries()) {
          const r = await runCase(s.driver, op, body, 16, limit, s.name);
          progress(`${s.name}: ${r.id}: ${fmt(r.opsPerSec)} ops/s, ${fmt(r.mibPerSec)} MiB/s, ${fmt(r.busyCores, 2)} cores busy`);
          results[i].cases.push(r);
        }
      }
    }
  } finally {
    for (const s of running) for (const server of s.servers) await server.stop();
  }
  return results;
}

export function scalingTable(results: ScalingResult[]): string {
  if (results.length === 0) return '';
  const base = results[0];
  const rows = [['Scaling (c16)', ...results.flatMap((r) => [r.setup, r === base ? 'cores busy' : `vs ${base.setup}`])]];
  for (const [i, c] of base.cases.entries()) {
    const fig = (x: ScalingCase): number => (c.id.includes('KiB') ? x.opsPerSec : x.mibPerSec);
    rows.push([`${c.id} (${c.id.includes('KiB') ? 'ops/s' : 'MiB/s'})`, ...results.flatMap((r) => {
      const x = r.cases[i];
      return [fmt(fig(x)), r === base ? fmt(x.busyCores, 2) : `${fmt(fig(x) / fig(c), 2)}x`];
    })]);
  }
  return table(rows);
}

export const SCALING_NOTE = [
  'embedded-1-inline is embedded-1 hashing bodies on its event loop (--hash-threads 0): the 64 MiB PUT',
  'difference is what the hashing thread gives; small bodies are hashed inline in both.',
  'embedded-w2 and cluster-2 run the same code as embedded-1 in more processes; on this 2-core machine',
  'the bench client itself needs about a core, so two server processes cannot both have one. On a',
  'machine with more cores than one event loop can feed, each worker or node adds roughly one core of',
  'request handling until the disk (embedded) or PostgreSQL and the object store (cluster) saturate.',
].join('\n');
