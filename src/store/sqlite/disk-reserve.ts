/**
 * Space held back for deletes on a full disk. SQLite needs room in its WAL to commit even a
 * delete, so on a volume filled to the last byte nothing could be deleted and the disk could not
 * be emptied through the API. The store keeps a reserve file of RESERVE_BYTES next to the
 * database; a transaction that frees space and fails with SQLITE_FULL releases it and retries.
 * The reserve is written again in the background once the volume has room for it (checked at
 * most every RECHECK_MS), so the next full disk finds it in place.
 */
import { statfsSync, unlinkSync, existsSync, promises as fs } from 'node:fs';
import path from 'node:path';

export const RESERVE_BYTES = 4 * 1024 * 1024;
const RECHECK_MS = 10_000;

export class DiskReserve {
  private present: boolean;
  private lastCheck = 0;
  private writing = false;

  constructor(private readonly file: string) {
    this.present = existsSync(file);
    this.keep();
  }

  /** Frees the reserve; false when there was none to free. */
  release(): boolean {
    if (!this.present) return false;
    try {
      unlinkSync(this.file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return false;
    }
    this.present = false;
    this.lastCheck = Date.now();
    return true;
  }

  /** Writes the reserve again, in the background, when it is missing and the volume has room for it twice over. */
  keep(): void {
    const now = Date.now();
    if (this.present || this.writing || now - this.lastCheck < RECHECK_MS) return;
    this.lastCheck = now;
    let free: number;
    try {
      const s = statfsSync(path.dirname(this.file));
      free = s.bavail * s.bsize;
    } catch {
      return;
    }
    if (free < 2 * RESERVE_BYTES) return;
    this.writing = true;
    // Zeros, not a sparse file: the blocks must really be taken now to be given back later.
    fs.writeFile(this.file, Buffer.alloc(RESERVE_BYTES), { mode: 0o600 }).then(
      () => { this.present = true; },
      () => fs.unlink(this.file).catch(() => undefined),
    ).finally(() => { this.writing = false; });
  }
}
