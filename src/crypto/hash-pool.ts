/**
 * Hashing of large bodies on worker threads, so that one event loop is not capped at the speed of
 * MD5 + CRC-64 (~2 ms of CPU per MiB, several times what receiving and writing the bytes cost)
 * and a machine's other cores take that work.
 *
 * Bytes reach a thread through shared memory: a body's chunks are copied into 256 KiB slabs of
 * SharedArrayBuffer, and a full slab is handed over by message (the memory is shared, not copied
 * again) and comes back once hashed. A body has at most SLABS_PER_BODY slabs queued and the pool
 * at most `maxSlabs` in all; a body that gets ahead of its thread waits (its stream's
 * backpressure), so memory stays bounded whatever the object size. Slabs are small enough that
 * sixteen bodies arriving at once, each filling one, still leave the thread a queue. Each body is
 * hashed in order on one thread; bodies are spread over the threads, started on first use.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { InlineHasher, type BodyDigests, type BodyHasher } from './body-hasher';
import type { ChecksumAlgorithm } from './checksums';

const SLAB_BYTES = 256 * 1024;
/** Enough to keep a thread busy while the body's next slab fills. */
const SLABS_PER_BODY = 8;
/** Smaller bodies are hashed inline: handing over costs more than it saves. */
export const POOL_MIN_BYTES = 1024 * 1024;

export type ToWorker =
  | { op: 'start'; job: number; extras: ChecksumAlgorithm[] }
  | { op: 'data'; job: number; slab: SharedArrayBuffer; length: number }
  | { op: 'end'; job: number }
  | { op: 'abort'; job: number };

export type FromWorker =
  | { op: 'hashed'; job: number; slab: SharedArrayBuffer }
  | { op: 'digests'; job: number; md5: Uint8Array; crc64: bigint; extras: Partial<Record<ChecksumAlgorithm, Uint8Array>> };

const asBuffer = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

class Thread {
  readonly jobs = new Map<number, PooledHasher>();
  readonly worker: Worker;

  constructor(private readonly pool: HashPool) {
    this.worker = new Worker(path.join(__dirname, 'hash-worker.js'));
    // Idle threads must not keep a process alive that has nothing else to do.
    this.worker.unref();
    this.worker.on('message', (m: FromWorker) => {
      if (m.op === 'hashed') {
        this.pool.giveSlab(m.slab);
        this.jobs.get(m.job)?.hashed();
        return;
      }
      const job = this.jobs.get(m.job);
      this.jobs.delete(m.job);
      job?.done({ md5: asBuffer(m.md5), crc64: m.crc64, extras: Object.fromEntries(Object.entries(m.extras).map(([k, v]) => [k, asBuffer(v!)])) });
    });
    const fail = (err: Error): void => this.pool.lost(this, err);
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`hashing thread exited (code ${code})`)));
  }

  post(m: ToWorker): void {
    this.worker.postMessage(m);
  }
}

export class HashPool {
  private readonly threads: Thread[] = [];
  private readonly free: SharedArrayBuffer[] = [];
  private slabs = 0;
  /** Bodies waiting for a slab, woken as slabs come back. */
  private readonly waiters: PooledHasher[] = [];
  private nextJob = 1;
  private closed = false;

  /** `size` threads at most (≥ 1), sharing at most `maxSlabs` slabs (16 MiB per thread by default). */
  constructor(readonly size: number, private readonly maxSlabs = size * 64) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`invalid hash pool size ${size}`);
  }

  /** A hasher for a body of about `sizeHint` bytes: on a thread when large, inline when small or unknown. */
  hasher(extras: readonly ChecksumAlgorithm[], sizeHint: number | undefined): BodyHasher {
    if (this.closed || sizeHint === undefined || sizeHint < POOL_MIN_BYTES) return new InlineHasher(extras);
    const thread = this.pick();
    const job = new PooledHasher(this, thread, this.nextJob++);
    thread.jobs.set(job.id, job);
    thread.post({ op: 'start', job: job.id, extras: [...extras] });
    return job;
  }

  /** The least busy thread, starting another while every running one has work. */
  private pick(): Thread {
    let best: Thread | undefined;
    for (const t of this.threads) if (!best || t.jobs.size < best.jobs.size) best = t;
    if (best && (best.jobs.size === 0 || this.threads.length >= this.size)) return best;
    const t = new Thread(this);
    this.threads.push(t);
    return t;
  }

  takeSlab(waiter: PooledHasher): SharedArrayBuffer | null {
    const slab = this.free.pop() ?? (this.slabs < this.maxSlabs ? (this.slabs++, new SharedArrayBuffer(SLAB_BYTES)) : null);
    if (!slab && !this.waiters.includes(waiter)) this.waiters.push(waiter);
    return slab;
  }

  giveSlab(slab: SharedArrayBuffer): void {
    this.free.push(slab);
    while (this.free.length > 0 && this.waiters.length > 0) this.waiters.shift()!.wake();
  }

  /** A thread died: its bodies fail, later bodies get a new thread. */
  lost(thread: Thread, err: Error): void {
    const i = this.threads.indexOf(thread);
    if (i < 0) return;
    this.threads.splice(i, 1);
    for (const job of thread.jobs.values()) {
      // The slabs it held went with it.
      this.slabs -= job.queuedSlabs;
      job.fail(err);
    }
    thread.jobs.clear();
  }

  async close(): Promise<void> {
    this.closed = true;
    const threads = this.threads.splice(0);
    for (const t of threads) for (const job of t.jobs.values()) job.fail(new Error('the hash pool was closed'));
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }
}

class PooledHasher implements BodyHasher {
  private slab: SharedArrayBuffer | null = null;
  private view: Uint8Array | null = null;
  private filled = 0;
  /** Slabs handed to the thread and not yet back. */
  private queued = 0;
  /** The rest of an update() held back until a slab is free. */
  private parked: (() => void) | null = null;
  private failure: Error | null = null;
  private result: { resolve(d: BodyDigests): void; reject(err: Error): void } | null = null;

  constructor(private readonly pool: HashPool, private readonly thread: Thread, readonly id: number) {}

  get queuedSlabs(): number {
    return this.queued;
  }

  update(chunk: Uint8Array, ready: (err?: Error) => void): void {
    this.copy(chunk, 0, ready);
  }

  private copy(chunk: Uint8Array, from: number, ready: (err?: Error) => void): void {
    while (!this.failure && from < chunk.length) {
      if (!this.slab) {
        const slab = this.queued < SLABS_PER_BODY ? this.pool.takeSlab(this) : null;
        if (!slab) {
          this.parked = () => this.copy(chunk, from, ready);
          return;
        }
        this.slab = slab;
        this.view = new Uint8Array(slab);
        this.filled = 0;
      }
      const n = Math.min(chunk.length - from, SLAB_BYTES - this.filled);
      this.view!.set(chunk.subarray(from, from + n), this.filled);
      this.filled += n;
      from += n;
      if (this.filled === SLAB_BYTES) this.send();
    }
    ready(this.failure ?? undefined);
  }

  private send(): void {
    this.thread.post({ op: 'data', job: this.id, slab: this.slab!, length: this.filled });
    this.queued++;
    this.slab = null;
    this.view = null;
    this.filled = 0;
  }

  /** One of this body's slabs is back. */
  hashed(): void {
    this.queued--;
    this.wake();
  }

  wake(): void {
    const parked = this.parked;
    this.parked = null;
    parked?.();
  }

  finish(): Promise<BodyDigests> {
    if (this.failure) {
      this.abort();
      return Promise.reject(this.failure);
    }
    if (this.filled > 0) this.send();
    else if (this.slab) this.pool.giveSlab(this.slab);
    this.slab = null;
    this.thread.post({ op: 'end', job: this.id });
    return new Promise((resolve, reject) => {
      this.result = { resolve, reject };
    });
  }

  done(d: BodyDigests): void {
    this.result?.resolve(d);
  }

  fail(err: Error): void {
    this.failure ??= err;
    this.result?.reject(err);
    this.wake();
  }

  abort(): void {
    this.failure ??= new Error('aborted');
    this.parked = null;
    if (this.slab) this.pool.giveSlab(this.slab);
    this.slab = null;
    if (this.thread.jobs.delete(this.id)) this.thread.post({ op: 'abort', job: this.id });
  }
}
