/**
 * listPage, the delimiter listing behind ListObjects and ListMultipartUploads, against a sorted
 * key list: the page equals a plain reading of the OSS rules for random keys, prefixes,
 * delimiters, markers and page sizes, and a bucket of many large common prefixes is listed
 * without reading the keys under each prefix.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { listPage, type Page } from '../../src/core/listing';

const bytewise = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** A store of sorted keys answering as MetadataStore.listObjects does, counting what it reads. */
function store(keys: string[], opts: { prefix: string; marker?: string }) {
  const sorted = [...keys].sort(bytewise);
  const stats = { calls: 0, rows: 0 };
  const fetch = async (last: string | undefined, skipPrefix: string | undefined, limit: number): Promise<string[]> => {
    stats.calls++;
    const after = last ?? opts.marker;
    const out: string[] = [];
    for (const k of sorted) {
      if (out.length === limit) break;
      if (!k.startsWith(opts.prefix)) continue;
      if (after !== undefined && bytewise(k, after) <= 0) continue;
      // As the stores do: the read starts past every key under skipPrefix.
      if (skipPrefix !== undefined && (k.startsWith(skipPrefix) || bytewise(k, skipPrefix) < 0)) continue;
      out.push(k);
    }
    stats.rows += out.length;
    return out;
  };
  return { fetch, stats, sorted };
}

/** The OSS rules read literally: every key after the marker, rolled up, the first maxKeys entries (a marker that is a common prefix resumes after that prefix). */
function naive(keys: string[], o: { prefix: string; delimiter: string; marker?: string; maxKeys: number }): Page<string> {
  const page: Page<string> = { items: [], commonPrefixes: [], truncated: false };
  const entries: Array<{ entry: string; item?: string }> = [];
  const markerIsPrefix = !!o.delimiter && o.marker !== undefined && o.marker.startsWith(o.prefix) && o.marker.endsWith(o.delimiter)
    && o.marker.indexOf(o.delimiter, o.prefix.length) === o.marker.length - o.delimiter.length;
  for (const k of [...keys].sort(bytewise)) {
    if (!k.startsWith(o.prefix)) continue;
    if (markerIsPrefix && k.startsWith(o.marker!)) continue;
    const at = o.delimiter ? k.indexOf(o.delimiter, o.prefix.length) : -1;
    const entry = at >= 0 ? k.slice(0, at + o.delimiter.length) : k;
    // Keys after the marker are rolled up (as OSS and S3 do): a prefix may sort before the marker.
    if (o.marker !== undefined && bytewise(k, o.marker) <= 0) continue;
    if (entries.at(-1)?.entry === entry && at >= 0) continue;
    entries.push(at >= 0 ? { entry } : { entry, item: k });
  }
  for (const e of entries.slice(0, o.maxKeys)) {
    if (e.item !== undefined) page.items.push(e.item);
    else page.commonPrefixes.push(e.entry);
    page.next = e.entry;
  }
  page.truncated = entries.length > o.maxKeys;
  return page;
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

test('pages equal the literal OSS rules for 2,000 random listings', async () => {
  const rand = rng(7);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
  for (let round = 0; round < 2000; round++) {
    const alphabet = ['a', 'b', '/', '-', 'é'];
    const keys = new Set<string>();
    const n = Math.floor(rand() * 60);
    for (let i = 0; i < n; i++) keys.add(Array.from({ length: 1 + Math.floor(rand() * 6) }, () => pick(alphabet)).join(''));
    const list = [...keys];
    const o = {
      prefix: pick(['', 'a', 'a/', 'b']),
      delimiter: pick(['', '/', '-']),
      marker: rand() < 0.5 ? undefined : pick([...list, 'a/', 'b-', 'zz', '']),
      maxKeys: 1 + Math.floor(rand() * 12),
    };
    const { fetch } = store(list, o);
    const got = await listPage(fetch, (k) => k, o);
    const want = naive(list, o);
    assert.deepEqual({ ...got, next: got.truncated ? got.next : undefined }, { ...want, next: want.truncated ? want.next : undefined }, JSON.stringify({ list, o }));
  }
});

test('100 common prefixes of 1,000 keys each: one page, a few reads per prefix, not the keys under them', async () => {
  const keys = Array.from({ length: 100_000 }, (_, i) => `dir${String(Math.floor(i / 1000)).padStart(3, '0')}/file${String(i % 1000).padStart(4, '0')}`);
  const { fetch, stats } = store(keys, { prefix: '' });
  const page = await listPage(fetch, (k) => k, { prefix: '', delimiter: '/', maxKeys: 1000 });
  assert.equal(page.commonPrefixes.length, 100);
  assert.equal(page.items.length, 0);
  assert.equal(page.truncated, false);
  assert.ok(stats.calls <= 110, `${stats.calls} reads`);
  assert.ok(stats.rows <= 4000, `${stats.rows} rows read for 100 prefixes`);
});

test('many small prefixes are rolled up within the batch already read', async () => {
  const keys = Array.from({ length: 5000 }, (_, i) => `p${String(Math.floor(i / 3)).padStart(5, '0')}/k${i % 3}`);
  const { fetch, stats } = store(keys, { prefix: '' });
  const page = await listPage(fetch, (k) => k, { prefix: '', delimiter: '/', maxKeys: 1000 });
  assert.equal(page.commonPrefixes.length, 1000);
  assert.equal(page.truncated, true);
  assert.ok(stats.calls <= 5, `${stats.calls} reads`);
});
