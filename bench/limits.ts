/**
 * The machine's own limits, measured in the same run as the servers: what a 64 MiB PUT and GET
 * could cost at best on this disk, and what the work each must do costs in this process (MD5 and
 * CRC-64 of every PUT; AES-256-GCM and SM4 of encrypted ones), so each Coffer figure can be read
 * next to its limit. The floor of the platform too: a bare node:http server doing only that work
 * (bench/floor-server.ts), its CPU per MiB measured as Coffer's is.
 */
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { closeSync, fdatasyncSync, mkdirSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Crc64 } from '../src/crypto/crc64';
import { ServerProcess } from './proc';
import { createEncryptStream, generateObjectKey, generateSalt } from '../src/crypto/package-format';
import type { Suite } from '../src/crypto/suites';
import { fmt, table, type Ratio, type TargetResult } from './report';
import type { CaseResult } from './workload';

const MiB = 1024 * 1024;
const CHUNK = 512 * 1024;

export interface Limits {
  /** Sequential write of `bytes` in 512 KiB writes, then one fdatasync: MiB/s. */
  diskWriteMiBs: number;
  /** Reading it back (page cache, as a GET right after a PUT would): MiB/s. */
  diskReadMiBs: number;
  /** CPU ms per MiB in this process. */
  md5MsPerMiB: number;
  crc64MsPerMiB: number;
  /**
   * One AES-256-GCM cipher over the data in 64 KiB updates: the cipher's own cost. (Each update
   * allocates its output; at 512 KiB glibc maps every one afresh, which measures the allocator.)
   */
  aesGcmMsPerMiB: number;
  /** Coffer's encrypted format (64 KiB packages, a cipher and tag each) with AES-256-GCM and SM4. */
  aesGcmPackagesMsPerMiB: number;
  sm4MsPerMiB: number;
  /** Server CPU ms per MiB of the bare node:http server (bench/floor-server.ts): 64 MiB PUTs and GETs, one at a time. */
  floorPutMsPerMiB: number;
  floorGetMsPerMiB: number;
}

const FLOOR_CHILD = path.join(__dirname, 'floor-server.js');
const FLOOR_ROUNDS = 4;

/** The bare server's CPU per MiB for PUTs and GETs of `bytes`, after one of each to warm it up. */
async function measureFloor(bytes: number, dir: string): Promise<{ put: number; get: number }> {
  // Its own directory: stop() removes it.
  const root = path.join(dir, 'floor-server');
  const data = path.join(root, 'data');
  mkdirSync(data, { recursive: true });
  const readyFile = path.join(root, 'ready.json');
  const server = await ServerProcess.start('floor', [FLOOR_CHILD, data, readyFile], { dir: root, readyFile, urlField: 'url' });
  const agent = new http.Agent({ keepAlive: true });
  const body = randomBytes(bytes);
  const send = (method: 'PUT' | 'GET', key: string): Promise<void> => new Promise((resolve, reject) => {
    const req = http.request(`${server.url}/${key}`, { method, agent, headers: method === 'PUT' ? { 'content-length': String(bytes) } : {} }, (res) => {
      res.on('data', () => undefined);
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`floor server: ${method} ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(method === 'PUT' ? body : undefined);
  });
  const perMiB = (cpuSeconds: number): number => (cpuSeconds * 1000) / ((FLOOR_ROUNDS * bytes) / MiB);
  try {
    await send('PUT', 'warm');
    await send('GET', 'warm');
    const put = await server.phase(async () => { for (let i = 0; i < FLOOR_ROUNDS; i++) await send('PUT', `k${i}`); });
    const get = await server.phase(async () => { for (let i = 0; i < FLOOR_ROUNDS; i++) await send('GET', `k${i}`); });
    return { put: perMiB(put.stats.cpuSeconds), get: perMiB(get.stats.cpuSeconds) };
  } finally {
    agent.destroy();
    await server.stop();
  }
}

/**
 * CPU ms per MiB of `work` over `bytes`: one pass to warm up, then the best of four. Work that
 * allocates its output pays for first-touching fresh memory on the first passes (the allocator
 * has not yet kept any), which a long-running server does not: the warm passes are its cost.
 */
function cpuPerMiB(bytes: number, work: () => void | Promise<void>): Promise<number> {
  return (async () => {
    await work();
    let best = Infinity;
    for (let i = 0; i < 4; i++) {
      const start = process.cpuUsage();
      await work();
      const used = process.cpuUsage(start);
      best = Math.min(best, (used.user + used.system) / 1000 / (bytes / MiB));
    }
    return best;
  })();
}

function chunksOf(data: Buffer, size = CHUNK): Buffer[] {
  const out: Buffer[] = [];
  for (let o = 0; o < data.length; o += size) out.push(data.subarray(o, o + size));
  return out;
}

function aesGcmCost(data: Buffer): Promise<number> {
  const chunks = chunksOf(data, 64 * 1024);
  return cpuPerMiB(data.length, () => {
    const cipher = createCipheriv('aes-256-gcm', randomBytes(32), randomBytes(12));
    for (const chunk of chunks) cipher.update(chunk);
    cipher.final();
  });
}

function packagesCost(suite: Suite, data: Buffer): Promise<number> {
  const chunks = chunksOf(data);
  return cpuPerMiB(data.length, () =>
    pipeline(Readable.from(chunks), createEncryptStream(suite, generateObjectKey(), generateSalt()), new Writable({ write(_c, _e, cb) { cb(); } })));
}

export async function measureLimits(bytes: number, dir = os.tmpdir()): Promise<Limits> {
  const data = Buffer.alloc(bytes, 0x5a);
  const scratch = mkdtempSync(path.join(dir, 'coffer-limits-'));
  const file = path.join(scratch, 'raw');
  try {
    let writeMs = Infinity;
    let readMs = Infinity;
    for (let round = 0; round < 2; round++) {
      const w0 = process.hrtime.bigint();
      const fd = openSync(file, 'w');
      for (let o = 0; o < bytes; o += CHUNK) writeSync(fd, data, o, Math.min(CHUNK, bytes - o));
      fdatasyncSync(fd);
      closeSync(fd);
      writeMs = Math.min(writeMs, Number(process.hrtime.bigint() - w0) / 1e6);
      const r0 = process.hrtime.bigint();
      const rfd = openSync(file, 'r');
      const buf = Buffer.allocUnsafe(CHUNK);
      while (readSync(rfd, buf, 0, CHUNK, null) > 0);
      closeSync(rfd);
      readMs = Math.min(readMs, Number(process.hrtime.bigint() - r0) / 1e6);
    }
    return {
      diskWriteMiBs: bytes / MiB / (writeMs / 1000),
      diskReadMiBs: bytes / MiB / (readMs / 1000),
      md5MsPerMiB: await cpuPerMiB(bytes, () => { createHash('md5').update(data).digest(); }),
      crc64MsPerMiB: await cpuPerMiB(bytes, () => { new Crc64().update(data).digest(); }),
      aesGcmMsPerMiB: await aesGcmCost(data),
      aesGcmPackagesMsPerMiB: await packagesCost('AES256-GCM', data),
      sm4MsPerMiB: await packagesCost('SM4-CTR-HMAC-SM3', data.subarray(0, Math.min(bytes, 16 * MiB))),
      ...await measureFloor(bytes, scratch).then((f) => ({ floorPutMsPerMiB: f.put, floorGetMsPerMiB: f.get })),
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

export function limitsTable(l: Limits): string {
  return table([
    ['Limits of this machine (same run)', 'value'],
    ['raw sequential write + fdatasync', `${fmt(l.diskWriteMiBs)} MiB/s`],
    ['raw read (page cache)', `${fmt(l.diskReadMiBs)} MiB/s`],
    ['MD5', `${fmt(l.md5MsPerMiB, 2)} ms/MiB`],
    ['CRC-64', `${fmt(l.crc64MsPerMiB, 2)} ms/MiB`],
    ['MD5 + CRC-64 (what an unencrypted PUT must do)', `${fmt(l.md5MsPerMiB + l.crc64MsPerMiB, 2)} ms/MiB`],
    ['AES-256-GCM (one cipher, 64 KiB updates)', `${fmt(l.aesGcmMsPerMiB, 2)} ms/MiB`],
    ['AES-256-GCM packages (the stored format: 64 KiB, a cipher each)', `${fmt(l.aesGcmPackagesMsPerMiB, 2)} ms/MiB`],
    ['SM4-CTR + HMAC-SM3 packages', `${fmt(l.sm4MsPerMiB, 2)} ms/MiB`],
    ['bare node:http server, PUT (MD5 + CRC-64, write, fdatasync)', `${fmt(l.floorPutMsPerMiB, 2)} ms/MiB`],
    ['bare node:http server, GET (file to socket)', `${fmt(l.floorGetMsPerMiB, 2)} ms/MiB`],
  ]);
}

/** Server CPU ms per MiB of a case. */
const cpuMsPerMiB = (c: CaseResult): number => (c.server.cpuSeconds * 1000) / (c.bytes / MiB);

/**
 * Coffer's large-object figures against the limits: PUT throughput against the raw write rate,
 * server CPU per MiB against the work a request must do. Each is a ratio with its target
 * (`min` for at least, `max` for at most).
 */
export function limitRatios(targets: TargetResult[], l: Limits, bigBytes: number): Ratio[] {
  const out: Ratio[] = [];
  const find = (name: string, op: string, concurrency: number): CaseResult | undefined =>
    targets.find((t) => t.name === name)?.cases.find((c) => c.op === op && c.concurrency === concurrency && c.objectBytes === bigBytes);
  /** `bound` empty: an informational ratio. */
  const push = (name: string, value: number, bound: { min?: number; max?: number }): void => {
    if (!Number.isFinite(value)) return;
    const pass = bound.min !== undefined ? value >= bound.min : bound.max !== undefined ? value <= bound.max : undefined;
    out.push({ name, value, ...bound, pass });
  };
  for (const concurrency of [1, 16]) {
    const put = find('coffer', 'PUT', concurrency);
    const get = find('coffer', 'GET', concurrency);
    const aesPut = find('coffer-aes256', 'PUT', concurrency);
    const aesGet = find('coffer-aes256', 'GET', concurrency);
    const id = `64 MiB c${concurrency}`;
    if (put) push(`coffer PUT ${id} / raw write + fdatasync`, put.mibPerSec / l.diskWriteMiBs, { min: 0.7 });
    if (put) push(`coffer PUT ${id} server CPU / (MD5 + CRC-64)`, cpuMsPerMiB(put) / (l.md5MsPerMiB + l.crc64MsPerMiB), { max: 1.4 });
    // An absolute bound: 0.5 ms of server CPU per MiB read, written as the ratio to it.
    if (get) push(`coffer GET ${id} server CPU / 0.5 ms per MiB`, cpuMsPerMiB(get) / 0.5, { max: 1 });
    // Information: how far above the platform's own cost (a bare node:http server) each is.
    if (put) push(`coffer PUT ${id} server CPU / bare node:http PUT`, cpuMsPerMiB(put) / l.floorPutMsPerMiB, {});
    if (get) push(`coffer GET ${id} server CPU / bare node:http GET`, cpuMsPerMiB(get) / l.floorGetMsPerMiB, {});
    // What AES256 adds to the same request, against the cipher's own cost (target: at most +20 %),
    // and, for information, against Coffer's package format run alone.
    for (const [op, plain, aes] of [['PUT', put, aesPut], ['GET', get, aesGet]] as const) {
      if (!plain || !aes) continue;
      const extra = cpuMsPerMiB(aes) - cpuMsPerMiB(plain);
      push(`coffer-aes256 ${op} ${id} extra CPU / AES-256-GCM`, extra / l.aesGcmMsPerMiB, { max: 1.2 });
      push(`coffer-aes256 ${op} ${id} extra CPU / AES-256-GCM packages`, extra / l.aesGcmPackagesMsPerMiB, {});
    }
  }
  return out;
}
