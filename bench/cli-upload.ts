/**
 * `coffer cp` of a large file against ali-oss's multipartUpload of the same file, with the same
 * part size and parallelism, each in a process of its own (so both pay a Node start-up), against
 * one Coffer server. Rounds alternate which client goes first; each client's best round counts.
 * Target: the CLI reaches at least 0.8× ali-oss's throughput.
 *
 * A section of `npm run bench` (BENCH_TARGETS=cli runs only it), or on its own:
 *   node dist/bench/cli-upload.js    (BENCH_QUICK=1: 128 MiB instead of 1 GiB)
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ACCESS_KEY_ID, ACCESS_KEY_SECRET, CofferDriver, COFFER_ENV } from './clients';
import { cleanUp, startCoffer, tempDir } from './proc';
import { fmt, table } from './report';
import { makeBody, MiB, sizeLabel } from './workload';

const COFFER_BIN = path.resolve(__dirname, '../../bin/coffer.js');
const ALI_OSS_CHILD = path.join(__dirname, 'ali-oss-upload.js');
const BUCKET = 'cli-bench';
export const CLI_TARGET = 0.8;

export interface CliUploadConfig {
  bytes: number;
  partSize: number;
  parallel: number;
  rounds: number;
}

export const CLI_UPLOAD_CONFIG: CliUploadConfig = process.env.BENCH_QUICK === '1'
  ? { bytes: 128 * MiB, partSize: 8 * MiB, parallel: 4, rounds: 2 }
  : { bytes: 1024 * MiB, partSize: 8 * MiB, parallel: 4, rounds: 3 };

export interface CliUploadResult extends CliUploadConfig {
  /** Best round of each, MiB/s of wall time from process start to exit. */
  cliMiBPerSec: number;
  aliOssMiBPerSec: number;
  ratio: number;
  pass: boolean;
  rounds: number;
  allRounds: Array<{ client: 'coffer cp' | 'ali-oss'; seconds: number; mibPerSec: number }>;
}

/** A file of `bytes` random-looking bytes (one 64 MiB random block repeated), written without holding it in memory. */
async function bigFile(file: string, bytes: number): Promise<void> {
  const block = makeBody(Math.min(bytes, 64 * MiB)).data;
  const out = createWriteStream(file);
  for (let written = 0; written < bytes; written += block.length) {
    if (!out.write(block.subarray(0, Math.min(block.length, bytes - written)))) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** Runs `node args…` to completion; resolves with the wall time in seconds. */
async function timed(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const [code] = await once(child, 'exit') as [number | null];
  if (code !== 0) throw new Error(`${args.join(' ')} exited ${code}: ${stderr}`);
  return (performance.now() - t0) / 1000;
}

export async function cliUpload(cfg: CliUploadConfig, progress: (msg: string) => void): Promise<CliUploadResult> {
  const dir = tempDir('cli-upload');
  const file = path.join(dir, 'upload.bin');
  progress(`cli: writing a ${sizeLabel(cfg.bytes)} file`);
  await bigFile(file, cfg.bytes);
  const { server } = await startCoffer('cli-upload-server', COFFER_ENV);
  try {
    const driver = new CofferDriver(server.url, BUCKET, null);
    await driver.createBucket();
    // Both clients get the endpoint and credentials from the environment; HOME keeps the CLI's checkpoints in the bench dir.
    const env = { OSS_ACCESS_KEY_ID: ACCESS_KEY_ID, OSS_ACCESS_KEY_SECRET: ACCESS_KEY_SECRET, OSS_ENDPOINT: server.url, HOME: dir };
    const runs = {
      'coffer cp': (key: string) => timed([COFFER_BIN, 'cp', file, `oss://${BUCKET}/${key}`, '--part-size', String(cfg.partSize), '--parallel', String(cfg.parallel)], env),
      'ali-oss': (key: string) => timed([ALI_OSS_CHILD, server.url, BUCKET, key, file, String(cfg.partSize), String(cfg.parallel)], env),
    };
    const allRounds: CliUploadResult['allRounds'] = [];
    for (let round = 0; round < cfg.rounds; round++) {
      const order = round % 2 === 0 ? (['ali-oss', 'coffer cp'] as const) : (['coffer cp', 'ali-oss'] as const);
      for (const client of order) {
        const key = `${client === 'ali-oss' ? 'ali' : 'cli'}-${round}`;
        const seconds = await runs[client](key);
        const size = await driver.size(key);
        if (size !== cfg.bytes) throw new Error(`${client} left ${key} at ${size} bytes, not ${cfg.bytes}`);
        // Deleted at once: the disk holds one copy at a time.
        await driver.delete(key);
        const mibPerSec = cfg.bytes / MiB / seconds;
        allRounds.push({ client, seconds, mibPerSec });
        progress(`cli round ${round + 1}: ${client}: ${fmt(mibPerSec)} MiB/s (${fmt(seconds, 2)} s)`);
      }
    }
    const best = (client: string): number => Math.max(...allRounds.filter((r) => r.client === client).map((r) => r.mibPerSec));
    const cliMiBPerSec = best('coffer cp');
    const aliOssMiBPerSec = best('ali-oss');
    const ratio = cliMiBPerSec / aliOssMiBPerSec;
    return { ...cfg, cliMiBPerSec, aliOssMiBPerSec, ratio, pass: ratio >= CLI_TARGET, allRounds };
  } finally {
    await server.stop();
  }
}

export function cliUploadTable(r: CliUploadResult): string {
  return [
    table([
      [`${sizeLabel(r.bytes)} upload, ${sizeLabel(r.partSize)} parts x ${r.parallel}`, 'MiB/s (best)', 'rounds'],
      ['coffer cp', fmt(r.cliMiBPerSec), r.allRounds.filter((x) => x.client === 'coffer cp').map((x) => fmt(x.mibPerSec)).join(' ')],
      ['ali-oss multipartUpload', fmt(r.aliOssMiBPerSec), r.allRounds.filter((x) => x.client === 'ali-oss').map((x) => fmt(x.mibPerSec)).join(' ')],
    ]),
    `coffer cp / ali-oss = ${fmt(r.ratio, 2)}x (target >= ${CLI_TARGET}): ${r.pass ? 'PASS' : 'FAIL'}`,
  ].join('\n');
}

if (require.main === module) {
  cliUpload(CLI_UPLOAD_CONFIG, (msg) => process.stderr.write(`[bench] ${msg}\n`))
    .then((r) => { process.stdout.write(`${cliUploadTable(r)}\n`); cleanUp(); }, (err) => {
      process.stderr.write(`[bench] failed: ${err && err.stack ? err.stack : err}\n`);
      process.exit(1);
    });
}
