/**
 * MetadataStore on PostgreSQL, shared by every Coffer node of a cluster.
 *
 * Driver: `pg` (node-postgres), because it is the standard PostgreSQL client for Node, pure
 * JavaScript (nothing to compile) and comes with a connection pool and LISTEN/NOTIFY support.
 *
 * - Transactions are SERIALIZABLE on a pooled connection and re-run fn on a serialization failure
 *   or deadlock (SQLSTATE 40001 / 40P01), as the MetadataStore contract allows.
 * - Reads outside a transaction go to the pool: each sees the latest committed state.
 * - Keys are bytea of their UTF-8 bytes, and listings are keyset range scans of the primary key
 *   (bucket, key) with the same bounds as the SQLite store, so they never scan a whole bucket.
 * - notify() is pg_notify inside the transaction (PostgreSQL delivers it only on commit, in commit
 *   order); watch() LISTENs on one dedicated connection per store.
 */
import pg from 'pg';
import type {
  AuditEntry,
  AuditRecord,
  BlobState,
  BucketRecord,
  ListObjectsQuery,
  ListUploadsQuery,
  ListVersionsQuery,
  MetadataReader,
  MetadataStore,
  MetadataTx,
  ObjectRecord,
  PartRecord,
  UploadRecord,
  VersionEntry,
  VersionRecord,
} from '../types';
import { CURRENT_SEQ, isDeleteMarker, versionIdOf } from '../types';
import { mergeVersions, objectKeyRange, uploadKeyRange, utf8, versionRanges } from '../key-range';
import { MIGRATIONS } from './migrations';

/** pg_advisory_lock key held while migrating ("coffer-m" as a big-endian int64). */
const MIGRATION_LOCK = '7165058122144427373';
const CHANNEL = 'coffer_changes';
/** Serialization failure and deadlock: the transaction is safe to run again from the start. */
const RETRYABLE = new Set(['40001', '40P01']);
const MAX_RETRIES = 20;
/** How often the LISTEN connection proves it is alive. */
const HEARTBEAT_MS = 10_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const sqlState = (err: unknown): string | undefined => (err as { code?: string } | null)?.code;

type Query = <R extends pg.QueryResultRow>(text: string, values?: unknown[]) => Promise<pg.QueryResult<R>>;

/**
 * Named (server-side prepared) statements: parsed and planned once per connection. The name is
 * derived from the text, so the same text always maps to the same statement.
 */
const statementNames = new Map<string, string>();
function named(text: string, values: unknown[] | undefined): pg.QueryConfig {
  let name = statementNames.get(text);
  if (!name) {
    name = `coffer_${statementNames.size}`;
    statementNames.set(text, name);
  }
  return { name, text, values };
}

type DataRow = { data: string };
type SeqRow = { seq: string; data: string };
const entry = (r: SeqRow): VersionEntry => ({ seq: Number(r.seq), record: JSON.parse(r.data) as VersionRecord });
const blobsOf = (v: VersionRecord): string[] => (isDeleteMarker(v) ? [] : v.segments.map((s) => s.blobId));

class Reader implements MetadataReader {
  constructor(protected readonly query: Query) {}

  protected async one<T>(text: string, ...values: unknown[]): Promise<T | null> {
    const { rows } = await this.query<DataRow>(text, values);
    return rows.length ? (JSON.parse(rows[0].data) as T) : null;
  }

  protected async many<T>(text: string, ...values: unknown[]): Promise<T[]> {
    const { rows } = await this.query<DataRow>(text, values);
    return rows.map((r) => JSON.parse(r.data) as T);
  }

  async getBucket(name: string): Promise<BucketRecord | null> {
    return this.one('SELECT data FROM buckets WHERE name = $1', name);
  }

  async listBuckets(q: { prefix?: string; after?: string; limit: number }): Promise<BucketRecord[]> {
    return this.many(
      'SELECT data FROM buckets WHERE name > $1 AND name >= $2 AND left(name, char_length($2)) = $2 ORDER BY name LIMIT $3',
      q.after ?? '', q.prefix ?? '', q.limit,
    );
  }

  async countBuckets(): Promise<number> {
    const { rows } = await this.query<{ n: string }>('SELECT count(*) AS n FROM buckets');
    return Number(rows[0].n);
  }

  async bucketIsEmpty(name: string): Promise<boolean> {
    const { rows } = await this.query<{ used: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM objects WHERE bucket = $1) OR EXISTS (SELECT 1 FROM uploads WHERE bucket = $1)
         OR EXISTS (SELECT 1 FROM versions WHERE bucket = $1) AS used`,
      [name],
    );
    return !rows[0].used;
  }

  async getObject(bucket: string, key: string): Promise<ObjectRecord | null> {
    return this.one('SELECT data FROM objects WHERE bucket = $1 AND key = $2', bucket, utf8(key));
  }

  /** One range of the primary key (src/store/key-range.ts). */
  async listObjects(bucket: string, q: ListObjectsQuery): Promise<ObjectRecord[]> {
    const r = objectKeyRange(q);
    if (!r) return [];
    if (r.hi) {
      return this.many(
        `SELECT data FROM objects WHERE bucket = $1 AND key ${r.loOp} $2 AND key < $3 ORDER BY key LIMIT $4`,
        bucket, r.lo, r.hi, q.limit,
      );
    }
    return this.many(
      `SELECT data FROM objects WHERE bucket = $1 AND key ${r.loOp} $2 ORDER BY key LIMIT $3`,
      bucket, r.lo, q.limit,
    );
  }

  protected async noncurrent(bucket: string, key: string, versionId: string): Promise<VersionEntry | null> {
    const { rows } = await this.query<SeqRow>(
      'SELECT seq, data FROM versions WHERE bucket = $1 AND key = $2 AND version_id = $3',
      [bucket, utf8(key), versionId],
    );
    return rows.length ? entry(rows[0]) : null;
  }

  async getVersion(bucket: string, key: string, versionId: string): Promise<VersionEntry | null> {
    const current = await this.getObject(bucket, key);
    if (current && versionIdOf(current) === versionId) return { seq: CURRENT_SEQ, record: current };
    return this.noncurrent(bucket, key, versionId);
  }

  async newestNoncurrent(bucket: string, key: string): Promise<VersionEntry | null> {
    const { rows } = await this.query<SeqRow>(
      'SELECT seq, data FROM versions WHERE bucket = $1 AND key = $2 ORDER BY seq DESC LIMIT 1',
      [bucket, utf8(key)],
    );
    return rows.length ? entry(rows[0]) : null;
  }

  /** The rest of `after`'s key, then current objects and noncurrent versions of the key range, merged. */
  async listVersions(bucket: string, q: ListVersionsQuery): Promise<VersionEntry[]> {
    const { within, keys } = versionRanges(q);
    const out = within
      ? (await this.query<SeqRow>(
        'SELECT seq, data FROM versions WHERE bucket = $1 AND key = $2 AND seq < $3 ORDER BY seq DESC LIMIT $4',
        [bucket, within.key, within.seqBelow, q.limit],
      )).rows.map(entry)
      : [];
    const limit = q.limit - out.length;
    const r = objectKeyRange(keys);
    if (!limit || !r) return out;
    const current = await this.listObjects(bucket, { ...keys, limit });
    const { rows } = r.hi
      ? await this.query<SeqRow>(
        `SELECT seq, data FROM versions WHERE bucket = $1 AND key ${r.loOp} $2 AND key < $3 ORDER BY key, seq DESC LIMIT $4`,
        [bucket, r.lo, r.hi, limit],
      )
      : await this.query<SeqRow>(
        `SELECT seq, data FROM versions WHERE bucket = $1 AND key ${r.loOp} $2 ORDER BY key, seq DESC LIMIT $3`,
        [bucket, r.lo, limit],
      );
    return out.concat(mergeVersions(current, rows.map(entry), limit));
  }

  async getUpload(uploadId: string): Promise<UploadRecord | null> {
    return this.one('SELECT data FROM uploads WHERE upload_id = $1', uploadId);
  }

  async listUploads(bucket: string, q: ListUploadsQuery): Promise<UploadRecord[]> {
    const r = uploadKeyRange(q);
    if (!r) return [];
    const { lo: key, loOp: keyOp, hi, idAfter } = r;
    const where = ['bucket = $1'];
    const values: unknown[] = [bucket];
    if (idAfter) {
      // A row comparison is one index bound on (bucket, key, upload_id).
      values.push(key, idAfter);
      where.push(`(key, upload_id) > ($${values.length - 1}, $${values.length})`);
    } else {
      values.push(key);
      where.push(`key ${keyOp} $${values.length}`);
    }
    if (hi) {
      values.push(hi);
      where.push(`key < $${values.length}`);
    }
    values.push(q.limit);
    return this.many(
      `SELECT data FROM uploads WHERE ${where.join(' AND ')} ORDER BY key, upload_id LIMIT $${values.length}`,
      ...values,
    );
  }

  async getPart(uploadId: string, partNumber: number): Promise<PartRecord | null> {
    return this.one('SELECT data FROM parts WHERE upload_id = $1 AND part_number = $2', uploadId, partNumber);
  }

  async listParts(uploadId: string, q: { after?: number; limit: number }): Promise<PartRecord[]> {
    return this.many(
      'SELECT data FROM parts WHERE upload_id = $1 AND part_number > $2 ORDER BY part_number LIMIT $3',
      uploadId, q.after ?? 0, q.limit,
    );
  }

  async getSetting(name: string): Promise<string | null> {
    const { rows } = await this.query<{ value: string }>('SELECT value FROM settings WHERE name = $1', [name]);
    return rows.length ? rows[0].value : null;
  }

  async getDoc<T>(kind: string, id: string): Promise<T | null> {
    return this.one('SELECT data FROM docs WHERE kind = $1 AND id = $2', kind, id);
  }

  async listDocs<T>(kind: string, q: { after?: string; limit: number }): Promise<T[]> {
    return this.many('SELECT data FROM docs WHERE kind = $1 AND id > $2 ORDER BY id LIMIT $3', kind, q.after ?? '', q.limit);
  }

  async listDocEntries<T>(kind: string, q: { after?: string; limit: number }): Promise<Array<{ id: string; doc: T }>> {
    const { rows } = await this.query<{ id: string; data: string }>(
      'SELECT id, data FROM docs WHERE kind = $1 AND id > $2 ORDER BY id LIMIT $3',
      [kind, q.after ?? '', q.limit],
    );
    return rows.map((r) => ({ id: r.id, doc: JSON.parse(r.data) as T }));
  }

  async docKinds(): Promise<string[]> {
    const { rows } = await this.query<{ kind: string }>('SELECT DISTINCT kind FROM docs ORDER BY kind');
    return rows.map((r) => r.kind);
  }

  async listSettings(): Promise<Array<{ name: string; value: string }>> {
    const { rows } = await this.query<{ name: string; value: string }>('SELECT name, value FROM settings ORDER BY name');
    return rows;
  }

  async countDocs(kind: string): Promise<number> {
    const { rows } = await this.query<{ n: string }>('SELECT count(*) AS n FROM docs WHERE kind = $1', [kind]);
    return Number(rows[0].n);
  }

  async retiredBlobs(limit: number, retiredBefore?: number): Promise<string[]> {
    const { rows } = await this.query<{ blob_id: string }>(
      'SELECT blob_id FROM blobs WHERE NOT live AND retired_at <= $1 ORDER BY retired_at, blob_id LIMIT $2',
      [retiredBefore ?? Number.MAX_SAFE_INTEGER, limit],
    );
    return rows.map((r) => r.blob_id);
  }

  async blobState(blobId: string): Promise<BlobState> {
    const { rows } = await this.query<{ live: boolean }>('SELECT live FROM blobs WHERE blob_id = $1', [blobId]);
    return rows.length ? (rows[0].live ? 'live' : 'retired') : null;
  }

  async listAudit(q: { after?: number; limit: number }): Promise<AuditEntry[]> {
    const { rows } = await this.query<{ seq: string; data: string }>(
      'SELECT seq, data FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2',
      [q.after ?? 0, q.limit],
    );
    return rows.map((r) => ({ seq: Number(r.seq), ...(JSON.parse(r.data) as AuditRecord) }));
  }

  async stats(): Promise<{ buckets: number; objects: number; bytes: number; uploads: number }> {
    const { rows } = await this.query<{ b: string; o: string; s: string; u: string }>(
      `SELECT (SELECT count(*) FROM buckets) AS b, (SELECT count(*) FROM objects) AS o,
              (SELECT coalesce(sum(size), 0) FROM objects) + (SELECT coalesce(sum(size), 0) FROM versions) AS s,
              (SELECT count(*) FROM uploads) AS u`,
    );
    const r = rows[0];
    return { buckets: Number(r.b), objects: Number(r.o), bytes: Number(r.s), uploads: Number(r.u) };
  }
}

/** Upserts that mark blobs live (no longer retired) and retired (now), shared by the writes below. */
const LIVE_CTE = `live AS (
  INSERT INTO blobs (blob_id, live, retired_at) SELECT DISTINCT unnest($LIVE::text[]), true, NULL::bigint
  ON CONFLICT (blob_id) DO UPDATE SET live = true, retired_at = NULL)`;
const RETIRE_CTE = `retired AS (
  INSERT INTO blobs (blob_id, live, retired_at) SELECT DISTINCT unnest($RETIRED::text[]), false, $NOW::bigint
  ON CONFLICT (blob_id) DO UPDATE SET live = false, retired_at = excluded.retired_at)`;

const PUT_OBJECT = `WITH up AS (
  INSERT INTO objects (bucket, key, size, data) VALUES ($1, $2, $3, $4)
  ON CONFLICT (bucket, key) DO UPDATE SET size = excluded.size, data = excluded.data),
${LIVE_CTE.replace('$LIVE', '$5')},
${RETIRE_CTE.replace('$RETIRED', '$6').replace('$NOW', '$7')}
SELECT 1`;

/** $8: the seq a new version takes; a replaced one keeps its own (the upsert leaves seq alone). */
const PUT_VERSION = `WITH up AS (
  INSERT INTO versions (bucket, key, seq, version_id, size, data) VALUES ($1, $2, $8, $3, $4, $5)
  ON CONFLICT (bucket, key, version_id) DO UPDATE SET size = excluded.size, data = excluded.data),
${LIVE_CTE.replace('$LIVE', '$6')},
${RETIRE_CTE.replace('$RETIRED', '$7').replace('$NOW', '$9')}
SELECT 1`;

const PUT_PART = `WITH old AS (SELECT blob_id FROM parts WHERE upload_id = $1 AND part_number = $2),
up AS (
  INSERT INTO parts (upload_id, part_number, blob_id, data) VALUES ($1, $2, $3, $4)
  ON CONFLICT (upload_id, part_number) DO UPDATE SET blob_id = excluded.blob_id, data = excluded.data),
live AS (
  INSERT INTO blobs (blob_id, live, retired_at) VALUES ($3, true, NULL)
  ON CONFLICT (blob_id) DO UPDATE SET live = true, retired_at = NULL),
retired AS (
  INSERT INTO blobs (blob_id, live, retired_at) SELECT blob_id, false, $5::bigint FROM old WHERE blob_id <> $3
  ON CONFLICT (blob_id) DO UPDATE SET live = false, retired_at = excluded.retired_at)
SELECT 1`;

const DELETE_UPLOAD = `WITH gone AS (DELETE FROM parts WHERE upload_id = $1 RETURNING blob_id),
up AS (DELETE FROM uploads WHERE upload_id = $1)
INSERT INTO blobs (blob_id, live, retired_at)
  SELECT DISTINCT blob_id, false, $3::bigint FROM gone WHERE NOT (blob_id = ANY ($2::text[]))
  ON CONFLICT (blob_id) DO UPDATE SET live = false, retired_at = excluded.retired_at`;

/**
 * One attempt of a transaction. Statements in one data-modifying CTE all see the snapshot from
 * before it, so "old" parts are read before the upsert replaces them.
 */
class Tx extends Reader implements MetadataTx {
  private notices = 0;

  async putBucket(b: BucketRecord): Promise<void> {
    await this.query(
      'INSERT INTO buckets (name, data) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET data = excluded.data',
      [b.name, JSON.stringify(b)],
    );
  }

  async deleteBucket(name: string): Promise<void> {
    await this.query('DELETE FROM buckets WHERE name = $1', [name]);
  }

  /** Two round trips: read the old record (returned, and its blobs retired), then one statement. */
  async putObject(o: ObjectRecord): Promise<ObjectRecord | null> {
    const old = await this.getObject(o.bucket, o.key);
    const keep = [...new Set(o.segments.map((s) => s.blobId))];
    const retire = old ? old.segments.map((s) => s.blobId).filter((id) => !keep.includes(id)) : [];
    await this.query(PUT_OBJECT, [o.bucket, utf8(o.key), o.size, JSON.stringify(o), keep, retire, Date.now()]);
    return old;
  }

  async deleteObject(bucket: string, key: string): Promise<ObjectRecord | null> {
    const { rows } = await this.query<DataRow>(
      'DELETE FROM objects WHERE bucket = $1 AND key = $2 RETURNING data',
      [bucket, utf8(key)],
    );
    if (!rows.length) return null;
    const old = JSON.parse(rows[0].data) as ObjectRecord;
    await this.retireBlobs(old.segments.map((s) => s.blobId));
    return old;
  }

  async putVersion(v: VersionRecord): Promise<VersionRecord | null> {
    const old = await this.noncurrent(v.bucket, v.key, versionIdOf(v));
    const keep = [...new Set(blobsOf(v))];
    const retire = old ? blobsOf(old.record).filter((id) => !keep.includes(id)) : [];
    const seq = old?.seq ?? Number((await this.query<{ n: string }>(
      'SELECT coalesce(max(seq), 0) + 1 AS n FROM versions WHERE bucket = $1 AND key = $2',
      [v.bucket, utf8(v.key)],
    )).rows[0].n);
    await this.query(PUT_VERSION, [
      v.bucket, utf8(v.key), versionIdOf(v), isDeleteMarker(v) ? 0 : v.size, JSON.stringify(v), keep, retire, seq, Date.now(),
    ]);
    return old?.record ?? null;
  }

  async deleteVersion(bucket: string, key: string, versionId: string): Promise<VersionRecord | null> {
    const { rows } = await this.query<DataRow>(
      'DELETE FROM versions WHERE bucket = $1 AND key = $2 AND version_id = $3 RETURNING data',
      [bucket, utf8(key), versionId],
    );
    if (!rows.length) return null;
    const old = JSON.parse(rows[0].data) as VersionRecord;
    await this.retireBlobs(blobsOf(old));
    return old;
  }

  async putUpload(u: UploadRecord): Promise<void> {
    await this.query(
      `INSERT INTO uploads (upload_id, bucket, key, data) VALUES ($1, $2, $3, $4)
       ON CONFLICT (upload_id) DO UPDATE SET bucket = excluded.bucket, key = excluded.key, data = excluded.data`,
      [u.uploadId, u.bucket, utf8(u.key), JSON.stringify(u)],
    );
  }

  async deleteUpload(uploadId: string, keepBlobs?: ReadonlySet<string>): Promise<void> {
    await this.query(DELETE_UPLOAD, [uploadId, [...(keepBlobs ?? [])], Date.now()]);
  }

  async putPart(p: PartRecord): Promise<void> {
    await this.query(PUT_PART, [p.uploadId, p.partNumber, p.segment.blobId, JSON.stringify(p), Date.now()]);
  }

  async setSetting(name: string, value: string): Promise<void> {
    await this.query(
      'INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
      [name, value],
    );
  }

  async putDoc<T>(kind: string, id: string, doc: T): Promise<void> {
    await this.query(
      'INSERT INTO docs (kind, id, data) VALUES ($1, $2, $3) ON CONFLICT (kind, id) DO UPDATE SET data = excluded.data',
      [kind, id, JSON.stringify(doc)],
    );
  }

  async deleteDoc(kind: string, id: string): Promise<boolean> {
    const r = await this.query('DELETE FROM docs WHERE kind = $1 AND id = $2', [kind, id]);
    return (r.rowCount ?? 0) > 0;
  }

  async retireBlobs(blobIds: Iterable<string>): Promise<void> {
    const ids = [...blobIds];
    if (!ids.length) return;
    await this.query(
      `INSERT INTO blobs (blob_id, live, retired_at) SELECT DISTINCT unnest($1::text[]), false, $2::bigint
       ON CONFLICT (blob_id) DO UPDATE SET live = false, retired_at = excluded.retired_at`,
      [ids, Date.now()],
    );
  }

  async forgetBlobs(blobIds: string[]): Promise<void> {
    if (!blobIds.length) return;
    await this.query('DELETE FROM blobs WHERE blob_id = ANY ($1::text[]) AND NOT live', [blobIds]);
  }

  async notify(channel: string, message: string): Promise<void> {
    // n: PostgreSQL folds identical payloads sent in one transaction into one; the SQLite store
    // delivers each notify(), and so must this one.
    const payload = JSON.stringify({ c: channel, m: message, n: this.notices++ });
    await this.query('SELECT pg_notify($1, $2)', [CHANNEL, payload]);
  }

  async appendAudit(records: AuditRecord[]): Promise<void> {
    if (!records.length) return;
    const data = records.map((r) => {
      const { seq: _seq, ...record } = r as AuditRecord & { seq?: number };
      return JSON.stringify(record);
    });
    // ORDER BY n: seqs are drawn in the order of the records given.
    await this.query(
      'INSERT INTO audit (data) SELECT d FROM unnest($1::text[]) WITH ORDINALITY AS t (d, n) ORDER BY n',
      [data],
    );
  }
}

interface Watcher {
  listener: (channel: string, message: string) => void;
}

export class PostgresMetadataStore extends Reader implements MetadataStore {
  readonly backend = 'postgres';
  private readonly watchers = new Set<Watcher>();
  /** The LISTEN loop while one runs; it runs while there are watchers. */
  private listening: Promise<void> | null = null;
  private listenClient: pg.Client | null = null;
  /** Ends the LISTEN loop's backoff sleep early (close, last watcher gone). */
  private wake: (() => void) | null = null;
  private closed = false;

  private constructor(private readonly pool: pg.Pool, private readonly url: string) {
    super((text, values) => pool.query(named(text, values)));
  }

  static async open(url: string, opts: { poolSize?: number } = {}): Promise<PostgresMetadataStore> {
    const pool = new pg.Pool({ connectionString: url, max: opts.poolSize ?? 10, application_name: 'coffer' });
    // An idle pooled connection that breaks (server restart, network) is dropped by the pool;
    // without a listener the 'error' event would crash the process.
    pool.on('error', () => undefined);
    try {
      await migrate(pool);
    } catch (err) {
      await pool.end();
      throw err;
    }
    return new PostgresMetadataStore(pool, url);
  }

  async transaction<T>(fn: (tx: MetadataTx) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const client = await this.pool.connect();
      let firstError: unknown;
      let done = false;
      const query: Query = async (text, values) => {
        if (done) throw new Error('MetadataTx used after its transaction ended');
        try {
          return await client.query(named(text, values));
        } catch (err) {
          firstError ??= err;
          throw err;
        }
      };
      let broken: Error | undefined;
      try {
        await client.query('BEGIN ISOLATION LEVEL SERIALIZABLE');
        const result = await fn(new Tx(query));
        // A failed statement aborts the transaction, and COMMIT would then quietly roll back:
        // if fn caught such an error and went on, the transaction must fail, not look committed.
        if (firstError !== undefined) throw firstError;
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch((e: Error) => { broken = e; });
        // A conflict makes the attempt's reads worthless, whatever fn then threw.
        const conflict = [err, firstError].some((e) => RETRYABLE.has(sqlState(e) ?? ''));
        if (!conflict || attempt >= MAX_RETRIES || this.closed) throw err;
      } finally {
        done = true;
        client.release(broken);
      }
      // Jittered exponential backoff, so that the conflicting transactions do not collide again.
      await sleep(Math.random() * Math.min(200, 2 * 2 ** attempt));
    }
  }

  /**
   * Listeners hear every committed notify() of every node. Besides, the reserved channel '*'
   * (message '') means "notifications may have been missed: drop every cache". It is sent when
   * the LISTEN connection is established, for what was committed between watch() and LISTEN
   * taking effect, and again after it reconnects from a connection loss.
   */
  watch(listener: (channel: string, message: string) => void): () => void {
    if (this.closed) return () => undefined;
    const w: Watcher = { listener };
    this.watchers.add(w);
    if (!this.listening) this.startListening();
    return () => {
      this.watchers.delete(w);
      if (!this.watchers.size) this.stopListening();
    };
  }

  private stopListening(): void {
    this.listenClient?.end().catch(() => undefined);
    this.wake?.();
  }

  private startListening(): void {
    this.listening = this.listen().finally(() => {
      this.listening = null;
      // A watcher that arrived while the loop was ending.
      if (this.watchers.size && !this.closed) this.startListening();
    });
  }

  private async listen(): Promise<void> {
    let delay = 100;
    while (this.watchers.size && !this.closed) {
      const client = new pg.Client({
        connectionString: this.url,
        application_name: 'coffer-listen',
        connectionTimeoutMillis: 10_000,
        // The heartbeat's bound: a connection that silently died (a network partition sends no
        // FIN) must not leave this store deaf.
        query_timeout: HEARTBEAT_MS,
        keepAlive: true,
      });
      const lost = new Promise<void>((resolve) => {
        client.on('error', () => resolve());
        client.on('end', () => resolve());
      });
      client.on('notification', (n) => this.onNotification(n));
      try {
        await client.connect();
        await client.query(`LISTEN ${CHANNEL}`);
        this.listenClient = client;
        if (this.closed || !this.watchers.size) break;
        delay = 100;
        this.deliver('*', '');
        const heartbeat = setInterval(() => {
          client.query('SELECT 1').catch(() => client.end().catch(() => undefined));
        }, HEARTBEAT_MS);
        heartbeat.unref();
        await lost.finally(() => clearInterval(heartbeat));
      } catch {
        // Could not connect or LISTEN: try again after the backoff below.
      } finally {
        if (this.listenClient === client) this.listenClient = null;
        await client.end().catch(() => undefined);
      }
      if (!this.watchers.size || this.closed) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay / 2 + (Math.random() * delay) / 2);
        this.wake = () => { clearTimeout(timer); resolve(); };
      });
      this.wake = null;
      delay = Math.min(delay * 2, 5000);
    }
  }

  private onNotification(n: pg.Notification): void {
    if (n.channel !== CHANNEL || !n.payload) return;
    let msg: { c?: unknown; m?: unknown };
    try {
      msg = JSON.parse(n.payload) as { c?: unknown; m?: unknown };
    } catch {
      return;
    }
    if (typeof msg.c === 'string' && typeof msg.m === 'string') this.deliver(msg.c, msg.m);
  }

  private deliver(channel: string, message: string): void {
    for (const w of [...this.watchers]) {
      if (!this.watchers.has(w)) continue;
      try {
        w.listener(channel, message);
      } catch (err) {
        // One failing listener must not keep the others from hearing about the change.
        process.emitWarning(err as Error);
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.watchers.clear();
    this.stopListening();
    await this.listening;
    await this.pool.end();
  }
}

/**
 * Applies the MIGRATIONS the database lacks. The advisory lock makes nodes that start together
 * take turns: the first migrates, the others then find nothing left to do.
 */
async function migrate(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK]);
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS coffer_schema_migrations (
        version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)`);
      const { rows } = await client.query<{ version: number }>('SELECT version FROM coffer_schema_migrations');
      const done = new Set(rows.map((r) => r.version));
      const newest = Math.max(0, ...done);
      const known = Math.max(...MIGRATIONS.map((m) => m.version));
      if (newest > known) {
        throw new Error(`metadata schema version ${newest} is newer than this Coffer's (${known})`);
      }
      for (const m of MIGRATIONS) {
        if (done.has(m.version)) continue;
        await client.query('BEGIN');
        try {
          await client.query(m.sql);
          await client.query(
            'INSERT INTO coffer_schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)',
            [m.version, m.name, Date.now()],
          );
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw err;
        }
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK]).catch((e: Error) => { broken = e; });
    }
  } finally {
    client.release(broken);
  }
}
