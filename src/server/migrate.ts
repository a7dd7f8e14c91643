/**
 * `coffer admin migrate`: copies an embedded store (SQLite + blob files in a data directory) into
 * cluster stores (PostgreSQL + an S3-compatible store) as it is — records, KMS keys, sealed
 * secrets and blobs are copied byte for byte, nothing is decrypted or re-encrypted — then verifies
 * the copy: every count, every record, and the SHA-256 of every blob.
 *
 * It is resumable: blobs already in the target with the right size are not copied again, records
 * are upserts, and the audit trail continues where the target's ends. Run it with the source server
 * stopped (or read-only), so the copy is one consistent state.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { RootKeyMismatchError, verifyRootKey } from '../core/keys/root-key-check';
import { loadRootKey } from '../crypto/root-key';
import { loadRootCredentials, ROOT_CREDENTIALS_FILE } from '../iam/root-credentials';
import { METADATA_FILE, openBlobStore, openMetadataStore } from '../store/open';
import { CURRENT_SEQ, isDeleteMarker, versionIdOf, type BlobStore, type MetadataReader, type MetadataStore, type Segment, type VersionRecord } from '../store/types';

export interface MigrateOptions {
  dataDir: string;
  toMetadata: string;
  toBlobs: string;
  rootKeyFile?: string;
  env: NodeJS.ProcessEnv;
  /** Called with progress lines. */
  progress?: (line: string) => void;
}

export interface MigrationReport {
  buckets: number;
  objects: number;
  /** Noncurrent object versions and delete markers. */
  versions: number;
  uploads: number;
  parts: number;
  documents: number;
  settings: number;
  auditRecords: number;
  blobs: { total: number; copied: number; skipped: number; bytes: number };
  verified: true;
}

const PAGE = 1000;
/** Settings that describe one store's own housekeeping, not its content. */
const LOCAL_SETTINGS = new Set(['blob-orphan-scan']);
/** Documents of the same kind: leases name processes of the source. */
const LOCAL_DOC_KINDS = new Set(['job-lease']);

type Item = { kind: 'bucket' | 'object' | 'version' | 'upload' | 'part'; value: any };

/**
 * A bucket's objects and their noncurrent versions and delete markers. A key's noncurrent ones come
 * oldest first: the target's putVersion makes each the newest it has, so their order carries over.
 */
async function* versionsOf(meta: MetadataReader, bucket: string): AsyncGenerator<Item> {
  let older: VersionRecord[] = [];
  const flush = function* (): Generator<Item> {
    for (const v of older.reverse()) yield { kind: 'version', value: v };
    older = [];
  };
  for (let after: { key: string; seq: number } | undefined; ;) {
    const page = await meta.listVersions(bucket, { after, limit: PAGE });
    for (const e of page) {
      if (older.length && older[0].key !== e.record.key) yield* flush();
      if (e.seq === CURRENT_SEQ) yield { kind: 'object', value: e.record };
      else older.push(e.record);
    }
    if (page.length < PAGE) break;
    after = { key: page.at(-1)!.record.key, seq: page.at(-1)!.seq };
  }
  yield* flush();
}

/** Every object, version and part of the store, bucket by bucket, page by page. */
async function* everything(meta: MetadataReader): AsyncGenerator<Item> {
  for (let after: string | undefined; ;) {
    const buckets = await meta.listBuckets({ after, limit: PAGE });
    for (const b of buckets) {
      yield { kind: 'bucket', value: b };
      yield* versionsOf(meta, b.name);
      for (let keyMarker: string | undefined, uploadIdMarker: string | undefined; ;) {
        const page = await meta.listUploads(b.name, { keyMarker, uploadIdMarker, limit: PAGE });
        for (const u of page) {
          yield { kind: 'upload', value: u };
          for (let n: number | undefined; ;) {
            const parts = await meta.listParts(u.uploadId, { after: n, limit: PAGE });
            for (const p of parts) yield { kind: 'part', value: p };
            if (parts.length < PAGE) break;
            n = parts.at(-1)!.partNumber;
          }
        }
        if (page.length < PAGE) break;
        keyMarker = page.at(-1)!.key;
        uploadIdMarker = page.at(-1)!.uploadId;
      }
    }
    if (buckets.length < PAGE) break;
    after = buckets.at(-1)!.name;
  }
}

async function digest(blobs: BlobStore, id: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of blobs.read(id)) h.update(chunk as Buffer);
  return h.digest('hex');
}

async function copyBlob(from: BlobStore, to: BlobStore, id: string): Promise<'copied' | 'skipped'> {
  const want = await from.size(id);
  const have = await to.size(id).catch((err) => {
    if (err?.code === 'ENOENT') return -1;
    throw err;
  });
  if (have === want) return 'skipped';
  if (have >= 0) await to.delete(id);
  const w = await to.create(id);
  try {
    await pipeline(from.read(id), w.stream);
    await w.commit();
  } catch (err) {
    await w.abort();
    throw err;
  }
  return 'copied';
}

export async function migrate(opts: MigrateOptions): Promise<MigrationReport> {
  const say = opts.progress ?? (() => undefined);
  const dbFile = path.join(opts.dataDir, METADATA_FILE);
  await fs.access(dbFile).catch(() => {
    throw new Error(`no embedded store in ${opts.dataDir} (${METADATA_FILE} is missing)`);
  });
  const src = await openMetadataStore(undefined, opts.dataDir);
  const closers: Array<() => Promise<void>> = [() => src.close()];
  try {
    const rootKey = await loadRootKey({ env: opts.env.COFFER_ROOT_KEY, file: opts.rootKeyFile, dataDir: opts.dataDir });
    if (rootKey.origin === 'generated') throw new Error('unreachable: a root key was generated for an existing store');
    await verifyRootKey(src, rootKey.key).catch((err) => {
      throw err instanceof RootKeyMismatchError ? new Error('the root key given does not open this data directory') : err;
    });
    const srcBlobs = await openBlobStore(undefined, opts.dataDir, opts.env);
    closers.push(() => srcBlobs.close());
    const dst: MetadataStore = await openMetadataStore(opts.toMetadata, opts.dataDir);
    closers.push(() => dst.close());
    if ((await dst.getSetting('root-key-check')) !== null) {
      // Resuming, or a target that already serves another store: only the same root key may go on.
      await verifyRootKey(dst, rootKey.key).catch(() => {
        throw new Error('the target metadata store belongs to another root key; migrate into an empty database');
      });
    }
    const dstBlobs = await openBlobStore(opts.toBlobs, opts.dataDir, opts.env);
    closers.push(() => dstBlobs.close());

    // 1. Blobs first: a record copied later never names a blob the target lacks.
    const blobs = { total: 0, copied: 0, skipped: 0, bytes: 0 };
    const segmentsOf = (item: { kind: string; value: any }): Segment[] =>
      item.kind === 'object' ? item.value.segments : item.kind === 'version' ? (isDeleteMarker(item.value) ? [] : item.value.segments)
        : item.kind === 'part' ? [item.value.segment] : [];
    for await (const item of everything(src)) {
      for (const seg of segmentsOf(item)) {
        const r = await copyBlob(srcBlobs, dstBlobs, seg.blobId);
        blobs.total++;
        blobs[r]++;
        if (r === 'copied') blobs.bytes += await srcBlobs.size(seg.blobId);
        if (blobs.total % 100 === 0) say(`blobs: ${blobs.total} (${blobs.copied} copied, ${blobs.skipped} already there)`);
      }
    }
    say(`blobs: ${blobs.total} (${blobs.copied} copied, ${blobs.skipped} already there)`);

    // 2. Settings and documents (KMS keys and aliases, RAM users, policies, sessions …), sealed as they are.
    const settings = (await src.listSettings()).filter((s) => !LOCAL_SETTINGS.has(s.name));
    await dst.transaction(async (tx) => { for (const s of settings) await tx.setSetting(s.name, s.value); });
    let documents = 0;
    for (const kind of (await src.docKinds()).filter((k) => !LOCAL_DOC_KINDS.has(k))) {
      for (let after: string | undefined; ;) {
        const page = await src.listDocEntries(kind, { after, limit: PAGE });
        await dst.transaction(async (tx) => { for (const d of page) await tx.putDoc(kind, d.id, d.doc); });
        documents += page.length;
        if (page.length < PAGE) break;
        after = page.at(-1)!.id;
      }
    }
    // The embedded store keeps the root's key pair in a file; a cluster keeps it in the store, sealed.
    const creds = path.join(opts.dataDir, ROOT_CREDENTIALS_FILE);
    if (await fs.access(creds).then(() => true, () => false)) {
      const pair = await loadRootCredentials({ env: {}, dataDir: opts.dataDir });
      await loadRootCredentials({ env: {}, store: { meta: dst, rootKey: rootKey.key }, adopt: pair });
    }
    say(`settings: ${settings.length}, documents: ${documents}`);

    // 3. Buckets, objects, uploads and parts, in batches.
    const counts = { buckets: 0, objects: 0, versions: 0, uploads: 0, parts: 0 };
    let batch: Array<{ kind: string; value: any }> = [];
    const flush = async (): Promise<void> => {
      const items = batch;
      batch = [];
      await dst.transaction(async (tx) => {
        for (const { kind, value } of items) {
          if (kind === 'bucket') await tx.putBucket(value);
          else if (kind === 'object') await tx.putObject(value);
          else if (kind === 'version') await tx.putVersion(value);
          else if (kind === 'upload') await tx.putUpload(value);
          else await tx.putPart(value);
        }
      });
    };
    for await (const item of everything(src)) {
      counts[`${item.kind}s` as keyof typeof counts]++;
      batch.push(item);
      if (batch.length >= 200) await flush();
    }
    await flush();
    say(`records: ${counts.buckets} buckets, ${counts.objects} objects, ${counts.versions} older versions, ${counts.uploads} uploads, ${counts.parts} parts`);

    // 4. The audit trail, continuing after what the target already holds.
    const already = (await dst.listAudit({ limit: Number.MAX_SAFE_INTEGER })).length;
    let auditRecords = already;
    let skip = already;
    for (let after: number | undefined; ;) {
      const page = await src.listAudit({ after, limit: PAGE });
      const fresh = page.slice(Math.min(skip, page.length));
      skip -= page.length - fresh.length;
      if (fresh.length) await dst.transaction((tx) => tx.appendAudit(fresh.map(({ seq: _seq, ...r }) => r)));
      auditRecords += fresh.length;
      if (page.length < PAGE) break;
      after = page.at(-1)!.seq;
    }

    // 5. Verify: the same records, and every blob's bytes.
    say('verifying…');
    for await (const item of everything(src)) {
      const v = item.value;
      const got = item.kind === 'bucket' ? await dst.getBucket(v.name)
        : item.kind === 'object' ? await dst.getObject(v.bucket, v.key)
          : item.kind === 'version' ? (await dst.getVersion(v.bucket, v.key, versionIdOf(v)))?.record
          : item.kind === 'upload' ? await dst.getUpload(v.uploadId)
            : await dst.getPart(v.uploadId, v.partNumber);
      if (JSON.stringify(got) !== JSON.stringify(v)) throw new Error(`verification failed: the ${item.kind} ${JSON.stringify(v.key ?? v.name ?? v.uploadId)} differs in the target`);
      for (const seg of segmentsOf(item)) {
        if ((await digest(srcBlobs, seg.blobId)) !== (await digest(dstBlobs, seg.blobId))) {
          throw new Error(`verification failed: blob ${seg.blobId} differs in the target`);
        }
      }
    }
    for (const s of settings) {
      if ((await dst.getSetting(s.name)) !== s.value) throw new Error(`verification failed: setting ${s.name} differs in the target`);
    }
    for (const kind of (await src.docKinds()).filter((k) => !LOCAL_DOC_KINDS.has(k))) {
      if ((await src.countDocs(kind)) !== (await dst.countDocs(kind))) throw new Error(`verification failed: ${kind} documents differ in number`);
    }
    const [a, b] = await Promise.all([src.stats(), dst.stats()]);
    if (a.buckets !== b.buckets || a.objects !== b.objects || a.bytes !== b.bytes || a.uploads !== b.uploads) {
      throw new Error(`verification failed: the target holds ${JSON.stringify(b)}, the source ${JSON.stringify(a)}`);
    }
    say('verified: every record and every blob matches');
    return { ...counts, documents, settings: settings.length, auditRecords, blobs, verified: true };
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  }
}
