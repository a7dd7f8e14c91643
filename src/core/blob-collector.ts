/**
 * Removes blob files nobody owns: blobs retired by committed transactions (overwrites, deletes,
 * aborted uploads), and at start-up, files a crash left behind (blobs written but never
 * committed). Blobs being read are leased and left alone until the read ends.
 */
import type { BlobStore, MetadataStore } from '../store/types';

export class BlobCollector {
  private readonly leases = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;

  constructor(private readonly meta: MetadataStore, private readonly blobs: BlobStore) {}

  /** Holds blobs against collection while a read uses them; returns the release function. */
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

  /** Start-up pass: blob files without a live owner (writes a crash interrupted), then the retired list. */
  async collectOrphans(): Promise<{ orphans: number; retired: number }> {
    let orphans = 0;
    for await (const id of this.blobs.list()) {
      if (!(await this.meta.isLiveBlob(id))) {
        await this.blobs.delete(id);
        orphans++;
      }
    }
    const retired = await this.sweepOnce();
    return { orphans, retired };
  }

  /** Deletes retired blobs that are not leased; returns how many. */
  private async sweepOnce(): Promise<number> {
    let removed = 0;
    for (;;) {
      const ids = (await this.meta.retiredBlobs(500)).filter((id) => !this.leases.has(id));
      if (ids.length === 0) return removed;
      await Promise.all(ids.map((id) => this.blobs.delete(id)));
      await this.meta.transaction((tx) => tx.forgetBlobs(ids));
      removed += ids.length;
      if (ids.length < 500) return removed;
    }
  }

  /** Asks for a sweep soon; coalesces bursts of requests into one pass. */
  sweepSoon(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.sweepOnce().catch(() => undefined);
      } while (this.again);
      this.running = null;
    })();
  }

  /** Periodic sweeps pick up blobs whose leases have ended. */
  start(intervalMs = 10_000): void {
    this.timer = setInterval(() => this.sweepSoon(), intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
