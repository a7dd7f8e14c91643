/**
 * Chooses the backends from the server's configuration: the embedded SQLite + files in the data
 * directory by default, PostgreSQL (`postgres://…`) and an S3-compatible store (`s3://…`) for a
 * cluster. The cluster drivers load only when asked for, so the embedded server starts without them.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { BlobStore, MetadataStore } from './types';

export const METADATA_FILE = 'meta.db';

/** `--metadata`: a postgres:// URL, or absent for SQLite in the data directory. */
export async function openMetadataStore(spec: string | undefined, dataDir: string): Promise<MetadataStore> {
  if (spec === undefined || spec === '' || spec === 'sqlite') {
    await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
    const { SqliteMetadataStore }: typeof import('./sqlite/metadata-store') = require('./sqlite/metadata-store');
    return SqliteMetadataStore.open(path.join(dataDir, METADATA_FILE));
  }
  if (/^postgres(ql)?:\/\//.test(spec)) {
    const { PostgresMetadataStore }: typeof import('./postgres/metadata-store') = require('./postgres/metadata-store');
    return PostgresMetadataStore.open(spec);
  }
  throw new Error(`--metadata: expected a postgres:// URL, got ${JSON.stringify(redact(spec))}`);
}

/** `--blobs`: an s3:// URL, or absent for files in the data directory. */
export async function openBlobStore(spec: string | undefined, dataDir: string, env: NodeJS.ProcessEnv): Promise<BlobStore> {
  if (spec === undefined || spec === '' || spec === 'fs') {
    const { FsBlobStore }: typeof import('./fs/blob-store') = require('./fs/blob-store');
    return FsBlobStore.open(dataDir);
  }
  if (spec.startsWith('s3://')) {
    const { S3BlobStore }: typeof import('./s3/blob-store') = require('./s3/blob-store');
    return S3BlobStore.open(spec, env);
  }
  throw new Error(`--blobs: expected an s3:// URL, got ${JSON.stringify(redact(spec))}`);
}

/** A connection string with any password masked, for messages and logs. */
export function redact(spec: string): string {
  return spec.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1***@');
}
