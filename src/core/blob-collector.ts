/**
 * Removes blobs nobody owns, safely with any number of processes on one store:
 *  - retired blobs (overwritten, deleted, aborted) once they were retired more than `graceMs` ago;
 *  - orphans (written by a request that never committed, e.g. a crash) once the blob store says
 *    they were last written more than `graceMs` ago and no record ever named them.
 * A reader on another process that looked up a record just before an overwrite can still open
 * its blobs for the whole grace period, so the grace must exceed the longest request. Within this
 * process, blobs being read or written are also leased and never collected while leased.
 * The periodic pass runs under a cluster-wide job lease (src/core/jobs.ts); the orphan scan walks
 * the blob store in bounded steps, resuming from a cursor kept in the metadata store.
 */
import type { BlobStore, MetadataStore } from '../store/types';
import { FREES_SPACE } from './coffer';

const BATCH = 500;
/** Blobs looked at per orphan-scan step. */
const SCAN_STEP = 1000;
const CURSOR = 'blob-orphan-scan';

interface ScanState { cursor: string; passStartedAt: number; lastPassEndedAt: number }

export interface CollectorOptions {
  graceMs: number;
  /** Pause between two complete orphan scans; a process also starts one if none began since it started (a crash may have left orphans). */
  scanEveryMs?: number;
  now?: () => number;
}

export interface CollectionReport { retired: number; orphans: number; partial: number; scanned: number; passComplete: boolean }

export class BlobCollector {
  private readonly leases = new Map<string, number>();
  private running: Promise<void> | null = null;
  private again = false;
  readonly graceMs: number;
  private readonly scanEveryMs: number;
  private readonly now: () => number;
  private readonly startedAt: number;

  constructor(private readonly meta: MetadataStore, private readonly blobs: BlobStore, opts: CollectorOptions) {
    this.graceMs = opts.graceMs;
    this.scanEveryMs = opts.scanEveryMs ?? 3_600_000;
    this.now = opts.now ?? Date.now;
    this.startedAt = this.now();
  }

  /** Holds blobs against collection in this process while a request reads or writes them; returns the release function. */
  lease(blobIds: string[]): () => void {
    for (const id of blobIds) this.leases.set(id, (this.leases.get(id) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const id of blobIds) {
        const n = (this.leases.get(id) ?? 1) - 1;
        if (n <= 0) this.leases.delete(id);
        else this.leases.set(id, n);
      }
    };
  }

  /** Deletes retired blobs whose grace has passed and that are not leased here; returns how many. */
  async sweepRetired(): Promise<number> {
    let removed = 0;
    for (;;) {
      const due = await this.meta.retiredBlobs(BATCH, this.now() - this.graceMs);
      const ids = due.filter((id) => !this.leases.has(id));
      if (ids.length === 0) return removed;
      await Promise.all(ids.map((id) => this.blobs.delete(id)));
      await this.meta.transaction((tx) => tx.forgetBlobs(ids), FREES_SPACE);
      removed += ids.length;
      if (due.length < BATCH) return removed;
    }
  }

  /**
   * One bounded step of the orphan scan; a new pass starts scanEveryMs after the last one ended.
   * Also aborts partial writes (an S3 store's incomplete multipart uploads) older than the grace.
   */
  async scanStep(force = false): Promise<Omit<CollectionReport, 'retired'>> {
    const now = this.now();
    const cutoff = now - this.graceMs;
    const raw = await this.meta.getSetting(CURSOR);
    const state: ScanState = raw ? JSON.parse(raw) : { cursor: '', passStartedAt: 0, lastPassEndedAt: 0 };
    const report = { orphans: 0, partial: 0, scanned: 0, passComplete: false };
    const due = force || state.passStartedAt < this.startedAt || now - state.lastPassEndedAt >= this.scanEveryMs;
    if (!state.cursor && !due) return report;
    if (!state.cursor) {
      state.passStartedAt = now;
      report.partial = await this.blobs.collectPartial(cutoff);
    }
    let last = '';
    for await (const b of this.blobs.list(state.cursor || undefined)) {
      last = b.blobId;
      report.scanned++;
      if (b.modifiedAt < cutoff && !this.leases.has(b.blobId) && (await this.meta.blobState(b.blobId)) === null) {
        await this.blobs.delete(b.blobId);
        report.orphans++;
      }
      if (report.scanned >= SCAN_STEP) break;
    }
    report.passComplete = report.scanned < SCAN_STEP;
    const next: ScanState = report.passComplete
      ? { cursor: '', passStartedAt: state.passStartedAt, lastPassEndedAt: now }
      : { ...state, cursor: last };
    await this.meta.transaction((tx) => tx.setSetting(CURSOR, JSON.stringify(next)));
    return report;
  }

  /** Everything due now: the retired sweep and orphan-scan steps to the end of a pass. */
  async collectAll(): Promise<CollectionReport> {
    const total: CollectionReport = { retired: await this.sweepRetired(), orphans: 0, partial: 0, scanned: 0, passComplete: false };
    let first = true;
    do {
      const r = await this.scanStep(first);
      first = false;
      total.orphans += r.orphans;
      total.partial += r.partial;
      total.scanned += r.scanned;
      total.passComplete = r.passComplete;
    } while (!total.passComplete);
    return total;
  }

  /** Asks this process for a sweep of retired blobs soon; coalesces bursts into one pass. */
  sweepSoon(): void {
    // With a grace period nothing just retired is due yet: the periodic pass will find it.
    if (this.graceMs > 0) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.sweepRetired().catch(() => undefined);
      } while (this.again);
      this.running = null;
    })();
  }

  async stop(): Promise<void> {
    await this.running;
  }
}
