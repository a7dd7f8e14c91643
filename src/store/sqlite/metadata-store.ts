/**
 * MetadataStore on SQLite (better-sqlite3, WAL). Two connections: a writer used only inside
 * serialized transactions, and a reader that sees committed state, so a read issued while a
 * transaction is open never observes its uncommitted writes.
 * Object keys are stored as BLOBs of their UTF-8 bytes so that ordering and prefix ranges are
 * bytewise, as OSS lists them.
 *
 * Several processes may share one file (`coffer server --workers N`): transactions serialize on
 * SQLite's write lock (BEGIN IMMEDIATE), the schema is migrated under that lock, and notify()
 * travels through a `changes` table that every watching store polls.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import type {
  AuditEntry,
  AuditRecord,
  BlobState,
  BucketRecord,
  ListObjectsQuery,
  ListUploadsQuery,
  ListVersionsQuery,
  MetadataStore,
  MetadataTx,
  ObjectRecord,
  PartRecord,
  TransactionOptions,
  UploadRecord,
  VersionEntry,
  VersionRecord,
} from '../types';
import { CURRENT_SEQ, isDeleteMarker, versionIdOf } from '../types';
import { mergeVersions, objectKeyRange, uploadKeyRange, utf8, versionRanges } from '../key-range';
import { DiskReserve } from './disk-reserve';

/**
 * Schema version 1: the tables as they were before versioning (such data directories have
 * user_version 0 and all these tables; every statement is IF NOT EXISTS, so for them it changes
 * nothing). Never edit a step that has shipped: add one.
 */
const SCHEMA_V1 = `
CREATE TABLE IF NOT EXISTS buckets (name TEXT PRIMARY KEY, data TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS objects (
  bucket TEXT NOT NULL, key BLOB NOT NULL, size INTEGER NOT NULL, data TEXT NOT NULL,
  PRIMARY KEY (bucket, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS uploads (
  upload_id TEXT PRIMARY KEY, bucket TEXT NOT NULL, key BLOB NOT NULL, data TEXT NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS uploads_by_key ON uploads (bucket, key, upload_id);
CREATE TABLE IF NOT EXISTS parts (
  upload_id TEXT NOT NULL, part_number INTEGER NOT NULL, blob_id TEXT NOT NULL, data TEXT NOT NULL,
  PRIMARY KEY (upload_id, part_number)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS blobs (blob_id TEXT PRIMARY KEY, live INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS blobs_retired ON blobs (live) WHERE live = 0;
CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS docs (kind TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (kind, id)) WITHOUT ROWID;
`;

/** Migration steps: MIGRATIONS[i] takes a database from user_version i to i + 1. */
const MIGRATIONS: ((db: Handle, now: number) => void)[] = [
  (db) => db.exec(SCHEMA_V1),
  // 2: retirement times (grace-delayed collection), the KMS audit trail, cross-process notify.
  (db, now) => {
    db.exec(`
ALTER TABLE blobs ADD COLUMN retired_at INTEGER;
DROP INDEX IF EXISTS blobs_retired;
CREATE INDEX blobs_retired_at ON blobs (retired_at) WHERE live = 0;
CREATE TABLE audit (seq INTEGER PRIMARY KEY AUTOINCREMENT, data TEXT NOT NULL);
CREATE TABLE changes (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, channel TEXT NOT NULL, message TEXT NOT NULL, at INTEGER NOT NULL);
`);
    // Blobs retired before times were kept count as retired now: their grace delay starts here.
    db.prepare('UPDATE blobs SET retired_at = ? WHERE live = 0').run(now);
  },
  // 3: object versioning. The current object stays in `objects` (unversioned reads and writes do
  // not change); noncurrent versions and delete markers live here, newest first within a key.
  (db) => db.exec(`
CREATE TABLE versions (
  bucket TEXT NOT NULL, key BLOB NOT NULL, seq INTEGER NOT NULL, version_id TEXT NOT NULL,
  size INTEGER NOT NULL, data TEXT NOT NULL,
  PRIMARY KEY (bucket, key, seq DESC)) WITHOUT ROWID;
CREATE UNIQUE INDEX versions_by_id ON versions (bucket, key, version_id);
`),
  // 4: objects and noncurrent versions in rowid tables, found through unique indexes on their keys.
  // In a WITHOUT ROWID table the whole row is the b-tree entry: a row over about 1000 bytes (4 KiB
  // pages) spills onto an overflow page, and SQLite reads the whole of such an entry for each
  // comparison on the way down the tree, so finding or writing one object cost a dozen overflow
  // reads (an SSE-KMS object's record is about that size; user metadata and tags make any record
  // so). An index entry here is only the key columns; the record is read once, by its rowid.
  (db) => db.exec(`
CREATE TABLE objects_v4 (bucket TEXT NOT NULL, key BLOB NOT NULL, size INTEGER NOT NULL, data TEXT NOT NULL);
INSERT INTO objects_v4 (bucket, key, size, data) SELECT bucket, key, size, data FROM objects ORDER BY bucket, key;
DROP TABLE objects;
ALTER TABLE objects_v4 RENAME TO objects;
CREATE UNIQUE INDEX objects_by_key ON objects (bucket, key);
CREATE TABLE versions_v4 (
  bucket TEXT NOT NULL, key BLOB NOT NULL, seq INTEGER NOT NULL, version_id TEXT NOT NULL,
  size INTEGER NOT NULL, data TEXT NOT NULL);
INSERT INTO versions_v4 (bucket, key, seq, version_id, size, data)
  SELECT bucket, key, seq, version_id, size, data FROM versions ORDER BY bucket, key, seq DESC;
DROP TABLE versions;
ALTER TABLE versions_v4 RENAME TO versions;
CREATE UNIQUE INDEX versions_by_seq ON versions (bucket, key, seq DESC);
CREATE UNIQUE INDEX versions_by_id ON versions (bucket, key, version_id);
`),
];
const SCHEMA_VERSION = MIGRATIONS.length;

/** How often a store with watchers looks for new notifications, and how long they are kept. */
const POLL_MS = 200;
const CHANGES_KEPT_MS = 60_000;
const PRUNE_EVERY_MS = 10_000;
/** How long a transaction waits for another connection's write lock before failing. */
const LOCK_WAIT_MS = 30_000;

type Row = { data: string };
type SeqRow = { seq: number; data: string };
const entry = (r: SeqRow): VersionEntry => ({ seq: r.seq, record: JSON.parse(r.data) as VersionRecord });
const blobsOf = (v: VersionRecord): string[] => (isDeleteMarker(v) ? [] : v.segments.map((s) => s.blobId));
type Handle = Database.Database;

class Reader {
  private readonly cache = new Map<string, Database.Statement>();
  constructor(protected readonly db: Handle) {}

  protected stmt(sql: string): Database.Statement {
    let s = this.cache.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.cache.set(sql, s);
    }
    return s;
  }

  protected one<T>(sql: string, ...args: unknown[]): T | null {
    const row = this.stmt(sql).get(...args) as Row | undefined;
    return row ? (JSON.parse(row.data) as T) : null;
  }

  protected many<T>(sql: string, ...args: unknown[]): T[] {
    return (this.stmt(sql).all(...args) as Row[]).map((r) => JSON.parse(r.data) as T);
  }

  async getBucket(name: string): Promise<BucketRecord | null> {
    return this.one('SELECT data FROM buckets WHERE name = ?', name);
  }

  async listBuckets(q: { prefix?: string; after?: string; limit: number }): Promise<BucketRecord[]> {
    const prefix = q.prefix ?? '';
    return this.many(
      "SELECT data FROM buckets WHERE name > ? AND substr(name, 1, length(?)) = ? ORDER BY name LIMIT ?",
      q.after ?? '', prefix, prefix, q.limit,
    );
  }

  async countBuckets(): Promise<number> {
    return (this.stmt('SELECT count(*) AS n FROM buckets').get() as { n: number }).n;
  }

  async bucketIsEmpty(name: string): Promise<boolean> {
    const o = this.stmt('SELECT 1 FROM objects WHERE bucket = ? LIMIT 1').get(name);
    const u = this.stmt('SELECT 1 FROM uploads WHERE bucket = ? LIMIT 1').get(name);
    const v = this.stmt('SELECT 1 FROM versions WHERE bucket = ? LIMIT 1').get(name);
    return !o && !u && !v;
  }

  async getObject(bucket: string, key: string): Promise<ObjectRecord | null> {
    return this.one('SELECT data FROM objects WHERE bucket = ? AND key = ?', bucket, utf8(key));
  }

  /** One range of the primary key (src/store/key-range.ts). */
  async listObjects(bucket: string, q: ListObjectsQuery): Promise<ObjectRecord[]> {
    const r = objectKeyRange(q);
    if (!r) return [];
    if (r.hi) {
      return this.many(
        `SELECT data FROM objects WHERE bucket = ? AND key ${r.loOp} ? AND key < ? ORDER BY key LIMIT ?`,
        bucket, r.lo, r.hi, q.limit,
      );
    }
    return this.many(
      `SELECT data FROM objects WHERE bucket = ? AND key ${r.loOp} ? ORDER BY key LIMIT ?`,
      bucket, r.lo, q.limit,
    );
  }

  protected noncurrent(bucket: string, key: string, versionId: string): VersionEntry | null {
    const row = this.stmt('SELECT seq, data FROM versions WHERE bucket = ? AND key = ? AND version_id = ?')
      .get(bucket, utf8(key), versionId) as SeqRow | undefined;
    return row ? entry(row) : null;
  }

  async getVersion(bucket: string, key: string, versionId: string): Promise<VersionEntry | null> {
    const current = await this.getObject(bucket, key);
    if (current && versionIdOf(current) === versionId) return { seq: CURRENT_SEQ, record: current };
    return this.noncurrent(bucket, key, versionId);
  }

  async newestNoncurrent(bucket: string, key: string): Promise<VersionEntry | null> {
    const row = this.stmt('SELECT seq, data FROM versions WHERE bucket = ? AND key = ? ORDER BY seq DESC LIMIT 1')
      .get(bucket, utf8(key)) as SeqRow | undefined;
    return row ? entry(row) : null;
  }

  /** The rest of `after`'s key, then current objects and noncurrent versions of the key range, merged. */
  async listVersions(bucket: string, q: ListVersionsQuery): Promise<VersionEntry[]> {
    const { within, keys } = versionRanges(q);
    const out = within
      ? (this.stmt('SELECT seq, data FROM versions WHERE bucket = ? AND key = ? AND seq < ? ORDER BY seq DESC LIMIT ?')
        .all(bucket, within.key, within.seqBelow, q.limit) as SeqRow[]).map(entry)
      : [];
    const limit = q.limit - out.length;
    const r = objectKeyRange(keys);
    if (!limit || !r) return out;
    const current = await this.listObjects(bucket, { ...keys, limit });
    const rows = (r.hi
      ? this.stmt(`SELECT seq, data FROM versions WHERE bucket = ? AND key ${r.loOp} ? AND key < ? ORDER BY key, seq DESC LIMIT ?`)
        .all(bucket, r.lo, r.hi, limit)
      : this.stmt(`SELECT seq, data FROM versions WHERE bucket = ? AND key ${r.loOp} ? ORDER BY key, seq DESC LIMIT ?`)
        .all(bucket, r.lo, limit)) as SeqRow[];
    return out.concat(mergeVersions(current, rows.map(entry), limit));
  }

  async getUpload(uploadId: string): Promise<UploadRecord | null> {
    return this.one('SELECT data FROM uploads WHERE upload_id = ?', uploadId);
  }

  async listUploads(bucket: string, q: ListUploadsQuery): Promise<UploadRecord[]> {
    const r = uploadKeyRange(q);
    if (!r) return [];
    const { lo: key, loOp: keyOp, hi, idAfter } = r;
    const where = ['bucket = ?'];
    const args: unknown[] = [bucket];
    if (idAfter) {
      where.push('(key > ? OR (key = ? AND upload_id > ?))');
      args.push(key, key, idAfter);
    } else {
      where.push(`key ${keyOp} ?`);
      args.push(key);
    }
    if (hi) {
      where.push('key < ?');
      args.push(hi);
    }
    args.push(q.limit);
    return this.many(`SELECT data FROM uploads WHERE ${where.join(' AND ')} ORDER BY key, upload_id LIMIT ?`, ...args);
  }

  async getPart(uploadId: string, partNumber: number): Promise<PartRecord | null> {
    return this.one('SELECT data FROM parts WHERE upload_id = ? AND part_number = ?', uploadId, partNumber);
  }

  async listParts(uploadId: string, q: { after?: number; limit: number }): Promise<PartRecord[]> {
    return this.many(
      'SELECT data FROM parts WHERE upload_id = ? AND part_number > ? ORDER BY part_number LIMIT ?',
      uploadId, q.after ?? 0, q.limit,
    );
  }

  async getSetting(name: string): Promise<string | null> {
    const row = this.stmt('SELECT value FROM settings WHERE name = ?').get(name) as { value: string } | undefined;
    return row ? row.value : null;
  }

  async getDoc<T>(kind: string, id: string): Promise<T | null> {
    return this.one('SELECT data FROM docs WHERE kind = ? AND id = ?', kind, id);
  }

  async listDocs<T>(kind: string, q: { after?: string; limit: number }): Promise<T[]> {
    return this.many('SELECT data FROM docs WHERE kind = ? AND id > ? ORDER BY id LIMIT ?', kind, q.after ?? '', q.limit);
  }

  async listDocEntries<T>(kind: string, q: { after?: string; limit: number }): Promise<Array<{ id: string; doc: T }>> {
    return (this.stmt('SELECT id, data FROM docs WHERE kind = ? AND id > ? ORDER BY id LIMIT ?')
      .all(kind, q.after ?? '', q.limit) as { id: string; data: string }[])
      .map((r) => ({ id: r.id, doc: JSON.parse(r.data) as T }));
  }

  async docKinds(): Promise<string[]> {
    return (this.stmt('SELECT DISTINCT kind FROM docs ORDER BY kind').all() as { kind: string }[]).map((r) => r.kind);
  }

  async listSettings(): Promise<Array<{ name: string; value: string }>> {
    return this.stmt('SELECT name, value FROM settings ORDER BY name').all() as { name: string; value: string }[];
  }

  async countDocs(kind: string): Promise<number> {
    return (this.stmt('SELECT count(*) AS n FROM docs WHERE kind = ?').get(kind) as { n: number }).n;
  }

  async retiredBlobs(limit: number, retiredBefore?: number): Promise<string[]> {
    return (this.stmt('SELECT blob_id FROM blobs WHERE live = 0 AND retired_at <= ? ORDER BY retired_at, blob_id LIMIT ?')
      .all(retiredBefore ?? Number.MAX_SAFE_INTEGER, limit) as { blob_id: string }[])
      .map((r) => r.blob_id);
  }

  async blobState(blobId: string): Promise<BlobState> {
    const row = this.stmt('SELECT live FROM blobs WHERE blob_id = ?').get(blobId) as { live: number } | undefined;
    return row ? (row.live ? 'live' : 'retired') : null;
  }

  async listAudit(q: { after?: number; limit: number }): Promise<AuditEntry[]> {
    return (this.stmt('SELECT seq, data FROM audit WHERE seq > ? ORDER BY seq LIMIT ?')
      .all(q.after ?? 0, q.limit) as { seq: number; data: string }[])
      .map((r) => ({ seq: r.seq, ...(JSON.parse(r.data) as AuditRecord) }));
  }

  async stats(): Promise<{ buckets: number; objects: number; bytes: number; uploads: number }> {
    const o = this.stmt('SELECT count(*) AS n, coalesce(sum(size), 0) AS b FROM objects').get() as { n: number; b: number };
    const v = this.stmt('SELECT coalesce(sum(size), 0) AS b FROM versions').get() as { b: number };
    const u = this.stmt('SELECT count(*) AS n FROM uploads').get() as { n: number };
    return { buckets: await this.countBuckets(), objects: o.n, bytes: o.b + v.b, uploads: u.n };
  }
}

class Tx extends Reader implements MetadataTx {
  /** Set by notify(): the store polls right after the commit instead of at its next tick. */
  notified = false;
  private lastPrune = 0;

  async putBucket(b: BucketRecord): Promise<void> {
    this.stmt('INSERT OR REPLACE INTO buckets (name, data) VALUES (?, ?)').run(b.name, JSON.stringify(b));
  }

  async deleteBucket(name: string): Promise<void> {
    this.stmt('DELETE FROM buckets WHERE name = ?').run(name);
  }

  private live(blobIds: Iterable<string>): void {
    const s = this.stmt(
      'INSERT INTO blobs (blob_id, live, retired_at) VALUES (?, 1, NULL) ON CONFLICT (blob_id) DO UPDATE SET live = 1, retired_at = NULL',
    );
    for (const id of blobIds) s.run(id);
  }

  async retireBlobs(blobIds: Iterable<string>): Promise<void> {
    const s = this.stmt(
      'INSERT INTO blobs (blob_id, live, retired_at) VALUES (?, 0, ?) ON CONFLICT (blob_id) DO UPDATE SET live = 0, retired_at = excluded.retired_at',
    );
    const now = Date.now();
    for (const id of blobIds) s.run(id, now);
  }

  async forgetBlobs(blobIds: string[]): Promise<void> {
    const s = this.stmt('DELETE FROM blobs WHERE blob_id = ? AND live = 0');
    for (const id of blobIds) s.run(id);
  }

  async notify(channel: string, message: string): Promise<void> {
    const now = Date.now();
    this.stmt('INSERT INTO changes (channel, message, at) VALUES (?, ?, ?)').run(channel, message, now);
    this.notified = true;
    // Every watcher polls several times a second: what is older than a minute has been read.
    if (now - this.lastPrune > PRUNE_EVERY_MS) {
      this.lastPrune = now;
      this.stmt('DELETE FROM changes WHERE at < ?').run(now - CHANGES_KEPT_MS);
    }
  }

  async appendAudit(records: AuditRecord[]): Promise<void> {
    const s = this.stmt('INSERT INTO audit (data) VALUES (?)');
    for (const r of records) {
      const { seq: _seq, ...record } = r as AuditRecord & { seq?: number };
      s.run(JSON.stringify(record));
    }
  }

  async putObject(o: ObjectRecord): Promise<ObjectRecord | null> {
    const old = await this.getObject(o.bucket, o.key);
    const keep = new Set(o.segments.map((s) => s.blobId));
    this.live(keep);
    if (old) await this.retireBlobs(old.segments.map((s) => s.blobId).filter((id) => !keep.has(id)));
    // Updated in place: a REPLACE would delete the row and its index entry, then insert both anew.
    this.stmt('INSERT INTO objects (bucket, key, size, data) VALUES (?, ?, ?, ?) ON CONFLICT (bucket, key) DO UPDATE SET size = excluded.size, data = excluded.data')
      .run(o.bucket, utf8(o.key), o.size, JSON.stringify(o));
    return old;
  }

  async deleteObject(bucket: string, key: string): Promise<ObjectRecord | null> {
    const old = await this.getObject(bucket, key);
    if (!old) return null;
    await this.retireBlobs(old.segments.map((s) => s.blobId));
    this.stmt('DELETE FROM objects WHERE bucket = ? AND key = ?').run(bucket, utf8(key));
    return old;
  }

  async putVersion(v: VersionRecord): Promise<VersionRecord | null> {
    const old = this.noncurrent(v.bucket, v.key, versionIdOf(v));
    const seq = old?.seq ?? (this.stmt('SELECT coalesce(max(seq), 0) + 1 AS n FROM versions WHERE bucket = ? AND key = ?')
      .get(v.bucket, utf8(v.key)) as { n: number }).n;
    const keep = new Set(blobsOf(v));
    this.live(keep);
    if (old) await this.retireBlobs(blobsOf(old.record).filter((id) => !keep.has(id)));
    this.stmt('INSERT OR REPLACE INTO versions (bucket, key, seq, version_id, size, data) VALUES (?, ?, ?, ?, ?, ?)')
      .run(v.bucket, utf8(v.key), seq, versionIdOf(v), isDeleteMarker(v) ? 0 : v.size, JSON.stringify(v));
    return old?.record ?? null;
  }

  async deleteVersion(bucket: string, key: string, versionId: string): Promise<VersionRecord | null> {
    const old = this.noncurrent(bucket, key, versionId);
    if (!old) return null;
    await this.retireBlobs(blobsOf(old.record));
    this.stmt('DELETE FROM versions WHERE bucket = ? AND key = ? AND seq = ?').run(bucket, utf8(key), old.seq);
    return old.record;
  }

  async putUpload(u: UploadRecord): Promise<void> {
    this.stmt('INSERT OR REPLACE INTO uploads (upload_id, bucket, key, data) VALUES (?, ?, ?, ?)')
      .run(u.uploadId, u.bucket, utf8(u.key), JSON.stringify(u));
  }

  async deleteUpload(uploadId: string, keepBlobs?: ReadonlySet<string>): Promise<void> {
    const blobs = (this.stmt('SELECT blob_id FROM parts WHERE upload_id = ?').all(uploadId) as { blob_id: string }[])
      .map((r) => r.blob_id);
    await this.retireBlobs(blobs.filter((id) => !keepBlobs?.has(id)));
    this.stmt('DELETE FROM parts WHERE upload_id = ?').run(uploadId);
    this.stmt('DELETE FROM uploads WHERE upload_id = ?').run(uploadId);
  }

  async putPart(p: PartRecord): Promise<void> {
    const old = await this.getPart(p.uploadId, p.partNumber);
    this.live([p.segment.blobId]);
    if (old && old.segment.blobId !== p.segment.blobId) await this.retireBlobs([old.segment.blobId]);
    this.stmt('INSERT OR REPLACE INTO parts (upload_id, part_number, blob_id, data) VALUES (?, ?, ?, ?)')
      .run(p.uploadId, p.partNumber, p.segment.blobId, JSON.stringify(p));
  }

  async setSetting(name: string, value: string): Promise<void> {
    this.stmt('INSERT OR REPLACE INTO settings (name, value) VALUES (?, ?)').run(name, value);
  }

  async putDoc<T>(kind: string, id: string, doc: T): Promise<void> {
    this.stmt('INSERT OR REPLACE INTO docs (kind, id, data) VALUES (?, ?, ?)').run(kind, id, JSON.stringify(doc));
  }

  async deleteDoc(kind: string, id: string): Promise<boolean> {
    return this.stmt('DELETE FROM docs WHERE kind = ? AND id = ?').run(kind, id).changes > 0;
  }
}

function isBusy(err: unknown): boolean {
  return typeof (err as { code?: unknown })?.code === 'string' && (err as { code: string }).code.startsWith('SQLITE_BUSY');
}

/** Creates the file 0600 if absent, and makes an existing one (and its WAL files) 0600. */
function restrictMode(file: string, suffixes: string[]): void {
  if (file === ':memory:' || file === '') return;
  for (const suffix of suffixes) {
    try {
      chmodSync(file + suffix, 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}

function open(file: string): Handle {
  if (file !== ':memory:' && file !== '') {
    try {
      writeFileSync(file, '', { flag: 'wx', mode: 0o600 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    restrictMode(file, ['']);
  }
  const db = new Database(file);
  // First, so that switching to WAL and migrating wait for another process that holds a lock.
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_mode = WAL');
  // NORMAL in WAL mode: a process crash loses nothing committed; blobs are fsync'd before commit.
  db.pragma('synchronous = NORMAL');
  // Deleted rows (destroyed KMS key material, retired secrets) are overwritten, not left in free pages.
  db.pragma('secure_delete = ON');
  // SQLite gives the WAL files the main file's mode; files left by an older version may differ.
  restrictMode(file, ['-wal', '-shm']);
  return db;
}

/**
 * Brings the schema to SCHEMA_VERSION. Other processes may open the same file at the same time:
 * the steps run under the write lock (BEGIN IMMEDIATE), and the version is read again once it is
 * held, so exactly one of them migrates.
 */
function migrate(db: Handle, file: string): void {
  const version = (): number => db.pragma('user_version', { simple: true }) as number;
  const check = (v: number): void => {
    if (v > SCHEMA_VERSION) {
      throw new Error(`${file}: metadata schema version ${v} is newer than this Coffer's (${SCHEMA_VERSION})`);
    }
  };
  check(version());
  if (version() === SCHEMA_VERSION) return;
  db.exec('BEGIN IMMEDIATE');
  try {
    let v = version();
    check(v);
    for (; v < SCHEMA_VERSION; v++) MIGRATIONS[v](db, Date.now());
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
    db.exec('COMMIT');
  } catch (err) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw err;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Watcher {
  listener: (channel: string, message: string) => void;
  /** Deliver only changes after this seq: a watcher sees nothing committed before watch(). */
  from: number;
}

export class SqliteMetadataStore extends Reader implements MetadataStore {
  readonly backend = 'sqlite';
  private readonly writer: Handle;
  private readonly tx: Tx;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly watchers = new Set<Watcher>();
  private timer: NodeJS.Timeout | null = null;
  /** The last seq of `changes` delivered to watchers. */
  private lastSeq = 0;
  private closed = false;

  private constructor(reader: Handle, writer: Handle, private readonly reserve: DiskReserve) {
    super(reader);
    this.writer = writer;
    this.tx = new Tx(writer);
  }

  static open(file: string): SqliteMetadataStore {
    const writer = open(file);
    try {
      migrate(writer, file);
      // From here on, waiting for another process's write lock happens in transaction(), which
      // retries without blocking the event loop (a blocked loop could never let this process's
      // own other store instance commit and release the lock).
      writer.pragma('busy_timeout = 0');
      return new SqliteMetadataStore(open(file), writer, new DiskReserve(`${file}.reserve`));
    } catch (err) {
      writer.close();
      throw err;
    }
  }

  /** BEGIN IMMEDIATE, waiting asynchronously while another connection holds the write lock. */
  private async begin(): Promise<void> {
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (let attempt = 0; ; attempt++) {
      try {
        this.writer.exec('BEGIN IMMEDIATE');
        return;
      } catch (err) {
        if (!isBusy(err) || Date.now() > deadline) throw err;
        await sleep(Math.random() * Math.min(50, 2 ** attempt));
      }
    }
  }

  transaction<T>(fn: (tx: MetadataTx) => Promise<T>, opts: TransactionOptions = {}): Promise<T> {
    const attempt = async (): Promise<T> => {
      await this.begin();
      this.tx.notified = false;
      try {
        const result = await fn(this.tx);
        this.writer.exec('COMMIT');
        if (this.tx.notified && this.watchers.size) setImmediate(() => this.pollSafely());
        return result;
      } catch (err) {
        if (this.writer.inTransaction) this.writer.exec('ROLLBACK');
        throw err;
      }
    };
    const run = async (): Promise<T> => {
      try {
        const result = await attempt();
        this.reserve.keep();
        return result;
      } catch (err) {
        // A delete on a full disk: give SQLite the reserved space and try once more.
        if (opts.freesSpace && (err as { code?: string }).code === 'SQLITE_FULL' && this.reserve.release()) return attempt();
        throw err;
      }
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  watch(listener: (channel: string, message: string) => void): () => void {
    if (this.closed) return () => undefined;
    // The highest seq ever allocated, even when pruning emptied the table.
    const row = this.stmt("SELECT seq FROM sqlite_sequence WHERE name = 'changes'").get() as { seq: number } | undefined;
    const current = row?.seq ?? 0;
    if (!this.timer) {
      this.lastSeq = current;
      this.timer = setInterval(() => this.pollSafely(), POLL_MS);
      this.timer.unref();
    }
    const w: Watcher = { listener, from: current };
    this.watchers.add(w);
    return () => {
      this.watchers.delete(w);
      if (!this.watchers.size) this.stopPolling();
    };
  }

  private stopPolling(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private pollSafely(): void {
    try {
      this.poll();
    } catch (err) {
      // e.g. the file briefly locked: the next tick tries again, nothing is lost meanwhile.
      process.emitWarning(err as Error);
    }
  }

  /** Delivers the changes committed since the last poll, in seq (= commit) order. */
  private poll(): void {
    if (this.closed || !this.watchers.size) return;
    for (;;) {
      const rows = this.stmt('SELECT seq, channel, message FROM changes WHERE seq > ? ORDER BY seq LIMIT 500')
        .all(this.lastSeq) as { seq: number; channel: string; message: string }[];
      for (const r of rows) {
        // Seqs are allocated without gaps (one writer; a rollback also rolls back the counter),
        // so a gap means rows were pruned before this process read them (it stalled for a
        // minute): tell watchers to drop every cache, as the PostgreSQL store does on reconnect.
        if (r.seq > this.lastSeq + 1) this.deliver('*', '', r.seq - 1);
        this.lastSeq = r.seq;
        this.deliver(r.channel, r.message, r.seq);
      }
      if (rows.length < 500) return;
    }
  }

  private deliver(channel: string, message: string, seq: number): void {
    for (const w of [...this.watchers]) {
      if (seq <= w.from || !this.watchers.has(w)) continue;
      try {
        w.listener(channel, message);
      } catch (err) {
        // One failing listener must not keep the others from hearing about the change.
        process.emitWarning(err as Error);
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopPolling();
    this.watchers.clear();
    await this.queue;
    this.db.close();
    this.writer.close();
  }
}
