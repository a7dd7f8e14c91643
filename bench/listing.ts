/**
 * Listing a 100,000-object bucket through the OSS API (ListObjects, 1000 keys a page, timed to the
 * last byte of the response over plain HTTP, so no SDK's XML parsing is counted): the first
 * page, the last page (marker near the end), and a delimiter listing that folds the keys into 100
 * common prefixes, on the embedded SQLite store and on PostgreSQL. The objects are written
 * straight into each metadata store before its server starts (writing 100,000 objects through the
 * API would take minutes and measure PUTs, not listing). Target: neither the first nor the last
 * page slower than 50 ms. The delimiter listing jumps over each large prefix with one store read,
 * so on PostgreSQL it costs a round trip per prefix.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { signV1, v1CanonicalResource, v1StringToSign } from '../src/auth';
import { PostgresMetadataStore } from '../src/store/postgres/metadata-store';
import { SqliteMetadataStore } from '../src/store/sqlite/metadata-store';
import type { MetadataStore, ObjectRecord } from '../src/store/types';
import { ACCESS_KEY_ID, ACCESS_KEY_SECRET, COFFER_ENV } from './clients';
import { startCoffer, tempDir } from './proc';
import { fmt, table } from './report';
import { freshDatabase } from './scaling';

const BUCKET = 'listing';
const TARGET_MS = 50;

export interface ListingResult { store: string; objects: number; firstMs: number; lastMs: number; delimiterMs: number; pass: boolean }

const keyOf = (i: number): string => `dir${String(Math.floor(i / 1000)).padStart(3, '0')}/file${String(i % 1000).padStart(4, '0')}`;

/** The account the server will serve: set before it first starts, so the bucket is the root's. */
const ACCOUNT = '1000000000000001';

async function populate(meta: MetadataStore, count: number): Promise<void> {
  await meta.transaction(async (tx) => {
    await tx.setSetting('account-id', ACCOUNT);
    await tx.putBucket({
    name: BUCKET, owner: ACCOUNT, region: 'cn-hangzhou', acl: 'private', storageClass: 'Standard',
    dataRedundancyType: 'LRS', createdAt: Date.now(), encryption: null,
    });
  });
  const BATCH = 5000;
  for (let at = 0; at < count; at += BATCH) {
    await meta.transaction(async (tx) => {
      for (let i = at; i < Math.min(count, at + BATCH); i++) {
        const rec: ObjectRecord = {
          bucket: BUCKET, key: keyOf(i), size: 4096, etag: 'D41D8CD98F00B204E9800998ECF8427E', crc64: '0',
          type: 'Normal', storageClass: 'Standard', acl: 'default', lastModified: Date.now(),
          headers: { 'content-type': 'application/octet-stream' }, userMeta: {}, encryption: null,
          segments: [{ blobId: randomBytes(16).toString('hex'), size: 4096 }],
        };
        await tx.putObject(rec);
      }
    });
  }
}

/** Median of `n` timed calls. */
async function median(n: number, fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[Math.floor(n / 2)];
}

async function measure(store: string, count: number, open: (dataDir: string) => Promise<{ meta: MetadataStore; args: string[] }>, progress: (m: string) => void): Promise<ListingResult> {
  const dir = tempDir(`listing-${store}`);
  const dataDir = path.join(dir, 'data');
  const { meta, args } = await open(dataDir);
  progress(`listing/${store}: writing ${count} object records`);
  await populate(meta, count);
  await meta.close();
  const { server } = await startCoffer(`listing-${store}-server`, COFFER_ENV, [], ['--workers', '1', '--data-dir', dataDir, ...args]);
  try {
    // Signed by hand and not parsed: the time is the server's (and the wire's), not an SDK's XML parsing.
    const page = async (query: Record<string, string>, expect: number): Promise<void> => {
      const q: Record<string, string> = { 'max-keys': '1000', ...query };
      const date = new Date().toUTCString();
      const signature = signV1(ACCESS_KEY_SECRET, v1StringToSign('GET', { date }, date, v1CanonicalResource({ bucket: BUCKET }, [])));
      const res = await fetch(`${server.url}/${BUCKET}/?${new URLSearchParams(q)}`, { headers: { date, authorization: `OSS ${ACCESS_KEY_ID}:${signature}` } });
      const text = await res.text();
      const got = (text.match(/<Contents>/g)?.length ?? 0) + (text.match(/<CommonPrefixes>/g)?.length ?? 0);
      if (res.status !== 200 || got !== expect) throw new Error(`listing answered ${res.status} with ${got} entries, expected ${expect}: ${text.slice(0, 300)}`);
    };
    await page({}, 1000); // warm-up
    const firstMs = await median(9, () => page({}, 1000));
    const lastMs = await median(9, () => page({ marker: keyOf(count - 1001) }, 1000));
    const delimiterMs = await median(5, () => page({ delimiter: '/' }, Math.ceil(count / 1000)));
    progress(`listing/${store}: first ${fmt(firstMs, 1)} ms, last ${fmt(lastMs, 1)} ms, delimiter ${fmt(delimiterMs, 1)} ms`);
    // The target is the issue's: the first and the last page. The delimiter listing is shown beside them.
    return { store, objects: count, firstMs, lastMs, delimiterMs, pass: Math.max(firstMs, lastMs) <= TARGET_MS };
  } finally {
    await server.stop();
  }
}

export async function listingBench(count: number, progress: (m: string) => void): Promise<ListingResult[]> {
  const results = [await measure('sqlite', count, async (dataDir) => {
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dataDir, { recursive: true });
    return { meta: SqliteMetadataStore.open(path.join(dataDir, 'meta.db')), args: [] };
  }, progress)];
  const pg = process.env.COFFER_TEST_POSTGRES_URL;
  if (!pg) throw new Error('the PostgreSQL listing case needs COFFER_TEST_POSTGRES_URL (run the bench with `npm run bench`)');
  const url = await freshDatabase(pg);
  results.push(await measure('postgres', count, async () => ({ meta: await PostgresMetadataStore.open(url), args: ['--metadata', url] }), progress));
  return results;
}

export function listingTable(results: ListingResult[]): string {
  return table([
    ['ListObjects, 1000 keys/page', 'objects', 'first page ms', 'last page ms', 'delimiter (100 prefixes) ms', `first, last <= ${TARGET_MS} ms`],
    ...results.map((r) => [r.store, String(r.objects), fmt(r.firstMs, 1), fmt(r.lastMs, 1), fmt(r.delimiterMs, 1), r.pass ? 'PASS' : 'FAIL']),
  ]);
}
