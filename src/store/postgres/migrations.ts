/**
 * The PostgreSQL schema, as an ordered list of steps. PostgresMetadataStore.open applies the
 * steps a database lacks, each in its own transaction, recorded in coffer_schema_migrations,
 * under an advisory lock so that nodes starting together migrate exactly once.
 * Never edit a step that has shipped: append one.
 *
 * Same tables and meaning as the SQLite store. Portable forms where they cost nothing (plain
 * tables, text, bytea, bigint; no extensions, triggers or functions), so CockroachDB could run
 * them too. Ordering must be bytewise, as in SQLite and OSS:
 * - object and upload keys are bytea of their UTF-8 bytes (bytea compares byte by byte);
 * - text columns that are compared or sorted use COLLATE "C" (byte order of UTF-8, whatever the
 *   database's default locale; CockroachDB's plain STRING already compares this way).
 * Records are JSON in text columns (not jsonb): read and written whole by the store, and text
 * keeps them byte-for-byte.
 */
export interface Migration {
  version: number;
  name: string;
  /** One or more statements, run as one simple query. */
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'buckets, objects, uploads, parts, blobs, settings, docs, audit',
    sql: `
CREATE TABLE buckets (name text COLLATE "C" PRIMARY KEY, data text NOT NULL);
CREATE TABLE objects (
  bucket text COLLATE "C" NOT NULL, key bytea NOT NULL, size bigint NOT NULL, data text NOT NULL,
  PRIMARY KEY (bucket, key));
CREATE TABLE uploads (
  upload_id text COLLATE "C" PRIMARY KEY, bucket text COLLATE "C" NOT NULL, key bytea NOT NULL, data text NOT NULL);
CREATE INDEX uploads_by_key ON uploads (bucket, key, upload_id);
CREATE TABLE parts (
  upload_id text COLLATE "C" NOT NULL, part_number integer NOT NULL, blob_id text COLLATE "C" NOT NULL,
  data text NOT NULL, PRIMARY KEY (upload_id, part_number));
-- live: a committed record names the blob; otherwise retired since retired_at (Unix ms).
CREATE TABLE blobs (blob_id text COLLATE "C" PRIMARY KEY, live boolean NOT NULL, retired_at bigint);
CREATE INDEX blobs_retired_at ON blobs (retired_at, blob_id) WHERE NOT live;
CREATE TABLE settings (name text COLLATE "C" PRIMARY KEY, value text NOT NULL);
CREATE TABLE docs (
  kind text COLLATE "C" NOT NULL, id text COLLATE "C" NOT NULL, data text NOT NULL, PRIMARY KEY (kind, id));
-- seq order is the order in which seqs were allocated, not exactly commit order (a transaction
-- that took a seq may commit after one that took a later seq): fine for an audit export.
CREATE TABLE audit (seq bigserial PRIMARY KEY, data text NOT NULL);
`,
  },
  {
    version: 2,
    name: 'versions: noncurrent object versions and delete markers',
    // The current object stays in objects; a key's other versions are ordered newest first by seq.
    sql: `
CREATE TABLE versions (
  bucket text COLLATE "C" NOT NULL, key bytea NOT NULL, seq bigint NOT NULL, version_id text COLLATE "C" NOT NULL,
  size bigint NOT NULL, data text NOT NULL, PRIMARY KEY (bucket, key, seq));
CREATE INDEX versions_newest_first ON versions (bucket, key, seq DESC);
CREATE UNIQUE INDEX versions_by_id ON versions (bucket, key, version_id);
`,
  },
];
