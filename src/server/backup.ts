/**
 * Online backups of the embedded store (`coffer admin backup DIR`, admin API BackupStore and
 * DescribeBackup): a consistent copy of meta.db and of every blob it names, taken while the server
 * serves writes, from which a server started with the same root key serves every object that was
 * committed when the snapshot began. The root key is not copied (keep it elsewhere), nor the
 * generated root credentials.
 *
 * Consistency. A read transaction on a connection of our own pins one state of meta.db (WAL: it
 * holds off nothing but checkpoints past it). Within that transaction, in one synchronous run
 * that no other code of this process can interleave with, the blob ids its objects and parts name
 * are read and leased from this process's collector; then SQLite's online backup API copies the
 * pinned state page by page (a few milliseconds per step, the event loop turning in between)
 * and the transaction ends.
 *
 * The blobs must outlive the snapshot: a writer may retire one a moment after it, and a collector
 * may delete it before it is copied. This process's collector never deletes a leased blob. Other
 * processes (--workers N) only delete blobs retired longer than the grace period ago (the server
 * requires a grace with more than one process), so each named blob is then pinned at once by a
 * hard link in <data-dir>/backup-staging/<id>/ (metadata only: microseconds per blob, on the same
 * filesystem), after which the leases are dropped and the slow copy reads the links, safe from
 * any collector however long it takes. Where hard links are not possible the copy reads the live
 * blobs under the leases instead. A named blob found missing fails the backup, so a copy without
 * backup.json is never complete. Blobs are copied through a BlobStore on the target directory
 * (fsync'd, 0600 files in 0700 directories), then backup.json is written last.
 *
 * Progress is a document in the metadata store, so any worker answers DescribeBackup; a Running
 * backup whose document is not refreshed for a minute was lost with its process.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import Database from 'better-sqlite3';
import type { BackupStatus, StoreBackups } from '../admin/service';
import type { Logger } from '../common/log';
import type { BlobCollector } from '../core/blob-collector';
import { invalidParameter } from '../rpc/params';
import { METADATA_FILE, openBlobStore } from '../store/open';
import type { MetadataStore } from '../store/types';

const DOC_KIND = 'store-backup';
const STAGING = 'backup-staging';
export const MANIFEST_FILE = 'backup.json';
/** How often a running backup refreshes its document; one not refreshed for LOST_MS is lost. */
const HEARTBEAT_MS = 1_000;
const LOST_MS = 60_000;
/** Blobs copied at once: small blobs are bound by fsync, large ones by the disk. */
const COPY_CONCURRENCY = 4;
/** Link errors that mean "no hard links here", not "no such blob". */
const NO_LINKS = new Set(['EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK']);

/** Where the filesystem blob store keeps a blob under `root` (src/store/fs/blob-store.ts): blobs/<2 hex>/<id>. */
const blobPath = (root: string, id: string): string => path.join(root, 'blobs', id.slice(0, 2), id);

/** The data directory when the server runs on the embedded store (SQLite and files), else null. */
export function embeddedDataDir(opts: { dataDir: string; metadata?: string; blobs?: string }): string | null {
  const embedded = (spec: string | undefined, name: string): boolean => spec === undefined || spec === '' || spec === name;
  return embedded(opts.metadata, 'sqlite') && embedded(opts.blobs, 'fs') ? opts.dataDir : null;
}

export interface BackupDeps {
  dataDir: string;
  meta: MetadataStore;
  collector: BlobCollector;
  logger: Logger;
}

/** For tests: runs right after the snapshot is pinned and its blobs leased, before anything is copied. */
export type SnapshotHook = () => Promise<void>;

const errorCode = (err: unknown): string | undefined => (err as { code?: string } | null)?.code;

export class EmbeddedBackups implements StoreBackups {
  private readonly running = new Set<Promise<void>>();
  private closing = false;

  constructor(private readonly deps: BackupDeps, private readonly onSnapshot?: SnapshotHook) {}

  /** At shutdown: running backups stop (as Failed, their partial copies left without backup.json). */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.running);
  }

  private checkOpen(): void {
    if (this.closing) throw new Error('the server stopped before the backup finished');
  }

  async start(directory: string): Promise<BackupStatus> {
    const dir = await this.prepare(directory);
    await this.sweepStaging();
    const status: BackupStatus = {
      id: randomBytes(8).toString('hex'), directory: dir, state: 'Running', startedAt: Date.now(),
      blobs: { total: 0, copied: 0 }, bytes: { total: 0, copied: 0 },
    };
    this.checkOpen();
    await this.save(status);
    // Answered now; the caller follows it with DescribeBackup.
    const run = this.run(status).finally(() => this.running.delete(run));
    this.running.add(run);
    return status;
  }

  async describe(id: string): Promise<BackupStatus | null> {
    const s = await this.deps.meta.getDoc<BackupStatus & { updatedAt: number }>(DOC_KIND, id);
    if (!s) return null;
    const { updatedAt, ...status } = s;
    if (status.state === 'Running' && Date.now() - updatedAt > LOST_MS) {
      return { ...status, state: 'Failed', error: 'The server process that ran this backup stopped before it finished.' };
    }
    return status;
  }

  /** The target: an absolute path outside the data directory, absent or an empty directory. */
  private async prepare(directory: string): Promise<string> {
    if (!path.isAbsolute(directory)) throw invalidParameter('Directory', 'expected an absolute path on the server\'s machine');
    const dir = path.resolve(directory);
    const data = path.resolve(this.deps.dataDir);
    if (dir === data || dir.startsWith(data + path.sep) || data.startsWith(dir + path.sep)) {
      throw invalidParameter('Directory', 'a backup must be outside the data directory, and not contain it');
    }
    await fs.mkdir(dir, { recursive: true, mode: 0o700 }).catch((err) => {
      throw invalidParameter('Directory', `it cannot be created: ${errorCode(err) ?? String(err)}`);
    });
    const entries = await fs.readdir(dir).catch((err) => {
      throw invalidParameter('Directory', `it cannot be read: ${errorCode(err) ?? String(err)}`);
    });
    if (entries.length) throw invalidParameter('Directory', 'it is not empty; a backup goes into a new or empty directory');
    return dir;
  }

  /** Staging links of backups no longer running (their process died): nothing uses them. */
  private async sweepStaging(): Promise<void> {
    const root = path.join(this.deps.dataDir, STAGING);
    for (const id of await fs.readdir(root).catch(() => [] as string[])) {
      if ((await this.describe(id))?.state !== 'Running') await fs.rm(path.join(root, id), { recursive: true, force: true });
    }
  }

  private async save(status: BackupStatus): Promise<void> {
    await this.deps.meta.transaction((tx) => tx.putDoc(DOC_KIND, status.id, { ...status, updatedAt: Date.now() }));
  }

  private async run(status: BackupStatus): Promise<void> {
    const staging = path.join(this.deps.dataDir, STAGING, status.id);
    // A heartbeat for the whole run: any worker can tell a running backup from a lost one.
    let beating: Promise<void> = Promise.resolve();
    const heartbeat = setInterval(() => {
      beating = this.save(status).catch(() => undefined);
    }, HEARTBEAT_MS);
    heartbeat.unref();
    try {
      await this.copy(status, staging);
      status.state = 'Done';
      this.deps.logger.log('info', 'store backup done', { backup: status.id, directory: status.directory, blobs: status.blobs.total, bytes: status.bytes.total });
    } catch (err) {
      status.state = 'Failed';
      status.error = err instanceof Error ? err.message : String(err);
      this.deps.logger.log('error', 'store backup failed', { backup: status.id, directory: status.directory, error: status.error });
    } finally {
      clearInterval(heartbeat);
      status.finishedAt = Date.now();
      await fs.rm(staging, { recursive: true, force: true }).catch(() => undefined);
    }
    await beating;
    await this.save(status).catch((err) => this.deps.logger.log('error', 'store backup: its outcome was not saved', { backup: status.id, error: String(err) }));
  }

  private async copy(status: BackupStatus, staging: string): Promise<void> {
    const { dataDir, collector } = this.deps;
    // Created before the backup API writes it, so it never exists with a wider mode.
    const dbCopy = path.join(status.directory, METADATA_FILE);
    await fs.writeFile(dbCopy, '', { mode: 0o600, flag: 'wx' });
    const db = new Database(path.join(dataDir, METADATA_FILE), { readonly: true, fileMustExist: true });
    let release: () => void = () => undefined;
    let ids: string[];
    try {
      db.pragma('busy_timeout = 5000');
      db.exec('BEGIN');
      // The first read starts the transaction and pins its state; the leases are taken in the same synchronous run.
      ids = db.prepare(`
        SELECT json_extract(s.value, '$.blobId') FROM objects, json_each(objects.data, '$.segments') AS s
        UNION SELECT json_extract(s.value, '$.blobId') FROM versions, json_each(versions.data, '$.segments') AS s
        UNION SELECT blob_id FROM parts`).pluck().all() as string[];
      release = collector.lease(ids);
      status.snapshotAt = Date.now();
      await this.onSnapshot?.();
      await db.backup(dbCopy);
      db.exec('COMMIT');
      db.close();
      status.blobs.total = ids.length;
      const { source, linked } = await this.pin(ids, staging, status);
      // Hard links hold every named blob now; without them the leases must last the whole copy.
      if (linked) release();
      await this.copyBlobs(ids, source, status);
    } finally {
      release();
      if (db.open) db.close();
    }
    await this.writeManifest(status);
  }

  /**
   * Hard-links every named blob into the staging directory and totals their sizes; returns where
   * the copy reads each blob. Throws, naming them, when named blobs are missing.
   */
  private async pin(ids: string[], staging: string, status: BackupStatus): Promise<{ source: (id: string) => string; linked: boolean }> {
    const live = (id: string): string => blobPath(this.deps.dataDir, id);
    let linked = true;
    const missing: string[] = [];
    for (const id of ids) {
      this.checkOpen();
      if (linked) {
        await fs.mkdir(path.dirname(blobPath(staging, id)), { recursive: true, mode: 0o700 });
        try {
          await fs.link(live(id), blobPath(staging, id));
        } catch (err) {
          if (NO_LINKS.has(errorCode(err) ?? '')) linked = false;
          else if (errorCode(err) === 'ENOENT') {
            missing.push(id);
            continue;
          } else throw err;
        }
      }
      try {
        status.bytes.total += (await fs.stat(linked ? blobPath(staging, id) : live(id))).size;
      } catch (err) {
        if (errorCode(err) !== 'ENOENT') throw err;
        missing.push(id);
      }
    }
    if (missing.length) {
      throw new Error(`${missing.length} blob(s) named by the metadata are missing from the store (${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', …' : ''}); `
        + 'run coffer admin check to see which objects they belong to');
    }
    if (!linked) this.deps.logger.log('warn', 'store backup: no hard links in the data directory; copying live blobs under in-process leases', { backup: status.id });
    return { source: linked ? (id) => blobPath(staging, id) : live, linked };
  }

  private async copyBlobs(ids: string[], source: (id: string) => string, status: BackupStatus): Promise<void> {
    const target = await openBlobStore(undefined, status.directory, {});
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < ids.length) {
        this.checkOpen();
        const id = ids[next++];
        const w = await target.create(id);
        try {
          await pipeline(createReadStream(source(id)), w.stream);
          // Not `+= await`: that reads the total before the await, losing the other workers' additions.
          const { size } = await w.commit();
          status.bytes.copied += size;
        } catch (err) {
          await w.abort();
          throw err;
        }
        status.blobs.copied++;
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(COPY_CONCURRENCY, ids.length) }, worker));
    } finally {
      await target.close();
    }
  }

  /** Written last: a directory with backup.json holds a complete backup. */
  private async writeManifest(status: BackupStatus): Promise<void> {
    const manifest = {
      format: 1,
      server: require('../../../package.json').version as string,
      snapshotTime: new Date(status.snapshotAt!).toISOString(),
      finishedTime: new Date().toISOString(),
      metadata: METADATA_FILE,
      blobs: status.blobs.total,
      bytes: status.bytes.total,
      restore: 'coffer server --data-dir <this directory> with the same root key (COFFER_ROOT_KEY or --root-key-file); the root key is not in the backup',
    };
    const file = path.join(status.directory, MANIFEST_FILE);
    const handle = await fs.open(file, 'wx', 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(manifest, null, 2)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    const dirHandle = await fs.open(status.directory, 'r');
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
  }
}
