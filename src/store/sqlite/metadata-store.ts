/**
 * MetadataStore on SQLite (better-sqlite3, WAL). Two connections: a writer used only inside
 * serialized transactions, and a reader that sees committed state, so a read issued while a
 * transaction is open never observes its uncommitted writes.
 * Object keys are stored as BLOBs of their UTF-8 bytes so that ordering and prefix ranges are
 * bytewise, as OSS lists them.
 */
import Database from 'better-sqlite3';
import type {
  BucketRecord,
  ListObjectsQuery,
  ListUploadsQuery,
  MetadataStore,
  MetadataTx,
  ObjectRecord,
  PartRecord,
  UploadRecord,
} from '../types';

const SCHEMA = `
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

const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');

/** The smallest byte string greater than every string starting with `prefix`. */
function prefixEnd(prefix: Buffer): Buffer | null {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] !== 0xff) {
      end[i]++;
      return end.subarray(0, i + 1);
    }
  }
  return null;
}

type Row = { data: string };
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
    return !o && !u;
  }

  async getObject(bucket: string, key: string): Promise<ObjectRecord | null> {
    return this.one('SELECT data FROM objects WHERE bucket = ? AND key = ?', bucket, utf8(key));
  }

  /** Builds "key > lower AND key < upper" bounds from prefix, after and skipPrefix. */
  private keyRange(prefix: string | undefined, after: Buffer | null): { lo: Buffer; loIncl: boolean; hi: Buffer | null } {
    const p = utf8(prefix ?? '');
    let lo = p;
    let loIncl = true;
    if (after && Buffer.compare(after, lo) >= 0) {
      lo = after;
      loIncl = false;
    }
    return { lo, loIncl, hi: p.length ? prefixEnd(p) : null };
  }

  async listObjects(bucket: string, q: ListObjectsQuery): Promise<ObjectRecord[]> {
    let after: Buffer | null = q.after !== undefined ? utf8(q.after) : null;
    let inclusive = false;
    if (q.skipPrefix !== undefined) {
      const end = prefixEnd(utf8(q.skipPrefix));
      if (!end) return [];
      if (!after || Buffer.compare(end, after) > 0) {
        after = end;
        inclusive = true;
      }
    }
    const r = this.keyRange(q.prefix, after);
    const loOp = r.loIncl || inclusive ? '>=' : '>';
    if (r.hi) {
      return this.many(
        `SELECT data FROM objects WHERE bucket = ? AND key ${loOp} ? AND key < ? ORDER BY key LIMIT ?`,
        bucket, r.lo, r.hi, q.limit,
      );
    }
    return this.many(
      `SELECT data FROM objects WHERE bucket = ? AND key ${loOp} ? ORDER BY key LIMIT ?`,
      bucket, r.lo, q.limit,
    );
  }

  async getUpload(uploadId: string): Promise<UploadRecord | null> {
    return this.one('SELECT data FROM uploads WHERE upload_id = ?', uploadId);
  }

  async listUploads(bucket: string, q: ListUploadsQuery): Promise<UploadRecord[]> {
    const p = utf8(q.prefix ?? '');
    const hi = p.length ? prefixEnd(p) : null;
    let key = p;
    let idAfter = '';
    let keyOp = '>=';
    if (q.keyMarker !== undefined && Buffer.compare(utf8(q.keyMarker), key) >= 0) {
      key = utf8(q.keyMarker);
      if (q.uploadIdMarker) idAfter = q.uploadIdMarker;
      else keyOp = '>';
    }
    if (q.skipPrefix !== undefined) {
      const end = prefixEnd(utf8(q.skipPrefix));
      if (!end) return [];
      if (Buffer.compare(end, key) > 0) {
        key = end;
        keyOp = '>=';
        idAfter = '';
      }
    }
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

  async countDocs(kind: string): Promise<number> {
    return (this.stmt('SELECT count(*) AS n FROM docs WHERE kind = ?').get(kind) as { n: number }).n;
  }

  async retiredBlobs(limit: number): Promise<string[]> {
    return (this.stmt('SELECT blob_id FROM blobs WHERE live = 0 LIMIT ?').all(limit) as { blob_id: string }[])
      .map((r) => r.blob_id);
  }

  async isLiveBlob(blobId: string): Promise<boolean> {
    return !!this.stmt('SELECT 1 FROM blobs WHERE blob_id = ? AND live = 1').get(blobId);
  }

  async stats(): Promise<{ buckets: number; objects: number; bytes: number; uploads: number }> {
    const o = this.stmt('SELECT count(*) AS n, coalesce(sum(size), 0) AS b FROM objects').get() as { n: number; b: number };
    const u = this.stmt('SELECT count(*) AS n FROM uploads').get() as { n: number };
    return { buckets: await this.countBuckets(), objects: o.n, bytes: o.b, uploads: u.n };
  }
}

class Tx extends Reader implements MetadataTx {
  async putBucket(b: BucketRecord): Promise<void> {
    this.stmt('INSERT OR REPLACE INTO buckets (name, data) VALUES (?, ?)').run(b.name, JSON.stringify(b));
  }

  async deleteBucket(name: string): Promise<void> {
    this.stmt('DELETE FROM buckets WHERE name = ?').run(name);
  }

  private live(blobIds: Iterable<string>): void {
    const s = this.stmt('INSERT INTO blobs (blob_id, live) VALUES (?, 1) ON CONFLICT (blob_id) DO UPDATE SET live = 1');
    for (const id of blobIds) s.run(id);
  }

  async retireBlobs(blobIds: Iterable<string>): Promise<void> {
    const s = this.stmt('INSERT INTO blobs (blob_id, live) VALUES (?, 0) ON CONFLICT (blob_id) DO UPDATE SET live = 0');
    for (const id of blobIds) s.run(id);
  }

  async forgetBlobs(blobIds: string[]): Promise<void> {
    const s = this.stmt('DELETE FROM blobs WHERE blob_id = ? AND live = 0');
    for (const id of blobIds) s.run(id);
  }

  async putObject(o: ObjectRecord): Promise<ObjectRecord | null> {
    const old = await this.getObject(o.bucket, o.key);
    const keep = new Set(o.segments.map((s) => s.blobId));
    this.live(keep);
    if (old) await this.retireBlobs(old.segments.map((s) => s.blobId).filter((id) => !keep.has(id)));
    this.stmt('INSERT OR REPLACE INTO objects (bucket, key, size, data) VALUES (?, ?, ?, ?)')
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

function open(file: string): Handle {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  // NORMAL in WAL mode: a process crash loses nothing committed; blobs are fsync'd before commit.
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  // Deleted rows (destroyed KMS key material, retired secrets) are overwritten, not left in free pages.
  db.pragma('secure_delete = ON');
  return db;
}

export class SqliteMetadataStore extends Reader implements MetadataStore {
  private readonly writer: Handle;
  private readonly tx: Tx;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(reader: Handle, writer: Handle) {
    super(reader);
    this.writer = writer;
    this.tx = new Tx(writer);
  }

  static open(file: string): SqliteMetadataStore {
    const writer = open(file);
    writer.exec(SCHEMA);
    return new SqliteMetadataStore(open(file), writer);
  }

  transaction<T>(fn: (tx: MetadataTx) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      this.writer.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(this.tx);
        this.writer.exec('COMMIT');
        return result;
      } catch (err) {
        if (this.writer.inTransaction) this.writer.exec('ROLLBACK');
        throw err;
      }
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    await this.queue;
    this.db.close();
    this.writer.close();
  }
}
