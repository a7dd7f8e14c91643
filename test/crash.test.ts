/**
 * Crash safety, end to end. A real `coffer server` process is SIGKILLed while PutObject,
 * AppendObject, DeleteObject, multipart uploads and Completes are in flight, then started again
 * on the same data directory. Every object must then be exactly one version that was written —
 * the last acknowledged one, or one that was in flight at the kill — in full: never a mix, never
 * a truncated body; acknowledged writes are never lost. Start-up must leave no temp file and no
 * blob file that the metadata does not name. SIGTERM must let in-flight uploads finish, then exit 0.
 */
import assert from 'node:assert/strict';
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { Crc64 } from '../src/crypto/crc64';
import type { ObjectRecord } from '../src/store/types';
import { blobFile, listFiles } from './helpers/data-dir';
import { spawnServer, type ServerProcess } from './helpers/process-server';
import { tempDir } from './helpers/server';
import { popClient } from './rpc/helpers';

const BUCKET = 'crash-test';
const SSE = 'x-oss-server-side-encryption';
const KiB = 1024;
const MiB = 1024 * KiB;
/** `npm run crash-campaign` sets CRASH_ROUNDS=100. */
const ROUNDS = Number(process.env.CRASH_ROUNDS ?? 8);
const PUT_KEYS = Array.from({ length: 12 }, (_, i) => `obj/${i}`);
const APPEND_KEYS = ['app/0', 'app/1'];
/** Written once before the first round and never changed, so that a copy's content is known. */
const COPY_SOURCES = Array.from({ length: 4 }, (_, i) => `src/${i}`);
const COPY_TARGETS = Array.from({ length: 4 }, (_, i) => `copy/${i}`);
/** An appendable object is deleted and started over after this many appends, to bound its size. */
const MAX_APPENDS = 12;

const rand = (lo: number, hi: number): number => lo + Math.floor(Math.random() * (hi - lo + 1));
const pick = <T>(xs: readonly T[]): T => xs[rand(0, xs.length - 1)];
const md5Hex = (b: Buffer): string => createHash('md5').update(b).digest('hex').toUpperCase();
const unquote = (etag: string): string => etag.replace(/^"|"$/g, '');
const sseHeaders = (sse: boolean): Record<string, string> => (sse ? { [SSE]: 'AES256' } : {});

// ---------------------------------------------------------------------------------------------
// Versions: what an object can hold. Bytes are regenerated from seeds rather than kept, since a
// run writes hundreds of MiB.

interface Piece { seed: string; size: number }

type Kind = 'Normal' | 'Multipart' | 'Appendable';

interface Version {
  label: string;
  kind: Kind;
  sse: boolean;
  pieces: Piece[];
  size: number;
  md5: string;
  crc64: string;
  /** The ETag OSS defines for it; null for appendable objects, whose ETag is not a content hash. */
  etag: string | null;
}

let seeds = 0;
const newPiece = (key: string, size: number): Piece => ({ seed: `${key}#${++seeds}`, size });

/** A piece's bytes: an AES-CTR keystream, reproducible from the seed and fast enough for tens of MiB. */
function bytesOf(p: Piece): Buffer {
  const key = createHash('sha256').update(p.seed).digest();
  return createCipheriv('aes-256-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(p.size));
}

function version(kind: Kind, sse: boolean, pieces: Piece[]): Version {
  const md5 = createHash('md5');
  const crc = new Crc64();
  const pieceMd5s: Buffer[] = [];
  for (const p of pieces) {
    const b = bytesOf(p);
    md5.update(b);
    crc.update(b);
    pieceMd5s.push(createHash('md5').update(b).digest());
  }
  const whole = md5.digest('hex').toUpperCase();
  const etags: Record<Kind, string | null> = {
    Normal: whole,
    Multipart: `${md5Hex(Buffer.concat(pieceMd5s))}-${pieces.length}`,
    Appendable: null,
  };
  return {
    label: `${kind}${sse ? '+SSE' : ''}(${pieces.map((p) => `${p.seed}:${p.size}`).join(' ')})`,
    kind,
    sse,
    pieces,
    size: pieces.reduce((n, p) => n + p.size, 0),
    md5: whole,
    crc64: crc.toString(),
    etag: etags[kind],
  };
}

const labelOf = (v: Version | null): string => (v ? v.label : 'absent');

/** What a GET returned. */
interface Got { size: number; md5: string; etag: string; crc64: string; type: string; sse: string | undefined }

async function getObject(c: any, key: string): Promise<Got | null> {
  try {
    const r = await c.get(key);
    const h = r.res.headers;
    return {
      size: r.content.length,
      md5: md5Hex(r.content),
      etag: unquote(h.etag),
      crc64: h['x-oss-hash-crc64ecma'],
      type: h['x-oss-object-type'],
      sse: h[SSE],
    };
  } catch (err: any) {
    if (err.status === 404 && err.code === 'NoSuchKey') return null;
    throw err;
  }
}

/** The version among `options` that the GET returned (null: absent); fails if it is none of them. */
function identify(key: string, got: Got | null, options: Array<Version | null>): Version | null {
  // Type and encryption count too: empty versions differ only there.
  const i = options.findIndex((v) => (v === null || got === null
    ? v === got
    : got.size === v.size && got.md5 === v.md5 && got.type === v.kind && got.sse === (v.sse ? 'AES256' : undefined)));
  const seen = got ? `${got.type}${got.sse ? `+${got.sse}` : ''}, ${got.size} bytes, MD5 ${got.md5}` : 'absent';
  assert.ok(i >= 0, `${key}: read ${seen}, which is none of ${options.map(labelOf).join(', ')}`);
  const v = options[i];
  if (got && v) {
    assert.equal(got.crc64, v.crc64, `${key}: x-oss-hash-crc64ecma`);
    if (v.etag) assert.equal(got.etag, v.etag, `${key}: ETag`);
  }
  return v;
}

async function assertObject(c: any, key: string, v: Version): Promise<void> {
  identify(key, await getObject(c, key), [v]);
}

/** Sends `body` 32 KiB at a time, one chunk every `ms`, so that a signal lands mid-body. */
function slowly(body: Buffer, ms: number, progress: { sent: number } = { sent: 0 }): Readable {
  return new Readable({
    read() {
      setTimeout(() => {
        if (this.destroyed) return;
        const chunk = body.subarray(progress.sent, progress.sent + 32 * KiB);
        progress.sent += chunk.length;
        this.push(chunk.length ? chunk : null);
      }, ms);
    },
  });
}

// ---------------------------------------------------------------------------------------------
// The data directory, read from outside while the server runs (SQLite in WAL mode allows it).

const blobIds = (dataDir: string): string[] => listFiles(path.join(dataDir, 'blobs')).map((f) => path.basename(f));

/** Blobs that objects (their segments) and parts of open uploads name. */
function namedBlobs(dataDir: string): Set<string> {
  const db = new Database(path.join(dataDir, 'meta.db'), { readonly: true, fileMustExist: true });
  const named = new Set<string>();
  try {
    for (const { data } of db.prepare('SELECT data FROM objects').all() as Array<{ data: string }>) {
      for (const s of (JSON.parse(data) as ObjectRecord).segments) named.add(s.blobId);
    }
    for (const { blob_id } of db.prepare('SELECT blob_id FROM parts').all() as Array<{ blob_id: string }>) named.add(blob_id);
  } finally {
    db.close();
  }
  return named;
}

/** Every blob file belongs to a live object or part, and every named blob has its file. */
function assertBlobsMatchMetadata(dataDir: string): void {
  assert.deepEqual(blobIds(dataDir).sort(), [...namedBlobs(dataDir)].sort(), 'blob files on disk = blobs the metadata names');
}

/**
 * Waits for the restarted server's background collection (its first pass starts about a second
 * after start-up) to leave exactly the blobs the metadata names.
 */
async function collected(dataDir: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const named = namedBlobs(dataDir);
    const files = blobIds(dataDir);
    if (files.length === named.size && files.every((id) => named.has(id))) break;
    await sleep(100);
  }
  assertBlobsMatchMetadata(dataDir);
}

// ---------------------------------------------------------------------------------------------
// The model: every write to every key, when it started and whether it was acknowledged.

interface Write { version: Version | null; started: number; acked: number | null }

interface KeyHistory {
  /** What the key held at the start of the round (verified after the previous restart). */
  state: Version | null;
  writes: Write[];
  /** Every version ever written, for reads that race with writes. */
  ever: Array<Version | null>;
}

interface Part { piece: Piece; etag: string; acked: boolean }

interface Upload {
  key: string;
  sse: boolean;
  /** Null while InitiateMultipartUpload has not been answered. */
  uploadId: string | null;
  parts: Map<number, Part>;
  complete: 'no' | 'sent' | 'acked';
  version?: Version;
}

/**
 * An ali-oss error without a complete HTTP error response: a refused or reset connection (status
 * -1), or a response cut mid-body (ali-oss then fails to parse the partial body, keeping its status).
 */
const isConnectionFailure = (err: any): boolean => typeof err?.status === 'number' && !(err.status >= 300);

class Model {
  killed = false;
  private clock = 0;
  readonly keys = new Map<string, KeyHistory>();
  uploads: Upload[] = [];
  readonly stats = { rewraps: 0, writes: 0, acked: 0, cut: 0, completesAcked: 0, completesCut: 0, uploadsResumed: 0, uploadsAborted: 0, blobLeftovers: 0 };

  history(key: string): KeyHistory {
    let h = this.keys.get(key);
    if (!h) this.keys.set(key, h = { state: null, writes: [], ever: [null] });
    return h;
  }

  /** Runs a request; undefined when the kill cut it, which is the only failure allowed. */
  async call<T>(request: () => Promise<T>): Promise<T | undefined> {
    try {
      return await request();
    } catch (err) {
      if (this.killed && isConnectionFailure(err)) return undefined;
      throw err;
    }
  }

  /** Writes `v` (null: deletes) to `key` and records the outcome; callers check `killed` first. */
  async write(key: string, v: Version | null, request: () => Promise<unknown>): Promise<boolean> {
    const h = this.history(key);
    const w: Write = { version: v, started: ++this.clock, acked: null };
    h.writes.push(w);
    h.ever.push(v);
    this.stats.writes++;
    if ((await this.call(request)) === undefined) return false;
    w.acked = ++this.clock;
    this.stats.acked++;
    return true;
  }

  /**
   * What `key` may hold after the kill: every write cut by the kill (it may or may not have
   * committed), and every acknowledged write not certainly overwritten. W certainly overwrote V
   * when W was acknowledged and started after V was acknowledged: W committed after V did.
   */
  candidates(key: string): Array<Version | null> {
    const h = this.history(key);
    const acked = h.writes.filter((w) => w.acked !== null);
    const overwritten = (w: Write): boolean => w.acked !== null && acked.some((x) => x.started > w.acked!);
    return [...(acked.length ? [] : [h.state]), ...h.writes.filter((w) => !overwritten(w)).map((w) => w.version)];
  }
}

// ---------------------------------------------------------------------------------------------
// Writers. Each runs until the kill.

function randomSize(): number {
  const r = Math.random();
  if (r < 0.05) return 0;
  return r < 0.5 ? rand(1, 64 * KiB) : rand(64 * KiB, 3 * MiB);
}

/** PutObject of a new version, buffered or streamed (with or without Content-Length), a third of them SSE. */
function putVersion(m: Model, c: any, key: string, size: number): Promise<boolean> {
  const v = version('Normal', Math.random() < 0.35, [newPiece(key, size)]);
  const body = bytesOf(v.pieces[0]);
  const headers = sseHeaders(v.sse);
  return m.write(key, v, () => (Math.random() < 0.7
    ? c.put(key, body, { headers })
    : c.putStream(key, Readable.from([body]), { headers, contentLength: Math.random() < 0.5 ? body.length : undefined })));
}

/** PutObject and DeleteObject on a small set of keys, so that writers collide. */
async function putLoop(m: Model, c: any): Promise<void> {
  while (!m.killed) {
    const key = pick(PUT_KEYS);
    if (Math.random() < 0.08) await m.write(key, null, () => c.delete(key));
    else await putVersion(m, c, key, randomSize());
  }
}

/** One slow PutObject, started with the round, so that the kill lands while its body is arriving. */
async function slowPut(m: Model, c: any): Promise<void> {
  const key = pick(PUT_KEYS);
  const v = version('Normal', Math.random() < 0.5, [newPiece(key, rand(1 * MiB, 2 * MiB))]);
  const body = bytesOf(v.pieces[0]);
  await m.write(key, v, () => c.putStream(key, slowly(body, 15), {
    headers: sseHeaders(v.sse),
    contentLength: Math.random() < 0.5 ? body.length : undefined,
  }));
}

/** AppendObject on one key, one append at a time, continuing from what the key held after the last restart. */
async function appendLoop(m: Model, c: any, key: string): Promise<void> {
  let current = m.history(key).state;
  while (!m.killed) {
    if (current && current.pieces.length >= MAX_APPENDS) {
      if (!(await m.write(key, null, () => c.delete(key)))) return;
      current = null;
      continue;
    }
    const sse = current ? current.sse : Math.random() < 0.5;
    const piece = newPiece(key, rand(1, 128 * KiB));
    const next = version('Appendable', sse, [...(current?.pieces ?? []), piece]);
    const position = String(current?.size ?? 0);
    if (!(await m.write(key, next, () => c.append(key, bytesOf(piece), { position, headers: sseHeaders(sse) })))) return;
    current = next;
  }
}

/** Initiates an upload and sends its parts (100 KiB+, the last one any size); some parts slowly. */
async function startUpload(m: Model, c: any, key: string, slowParts: boolean): Promise<Upload | null> {
  if (m.killed) return null;
  const u: Upload = { key, sse: Math.random() < 0.5, uploadId: null, parts: new Map(), complete: 'no' };
  m.history(key);
  m.uploads.push(u);
  const init = await m.call(() => c.initMultipartUpload(key, { headers: sseHeaders(u.sse) }));
  if (!init) return null;
  u.uploadId = (init as any).uploadId;
  const count = rand(2, 3);
  for (let n = 1; n <= count; n++) {
    if (m.killed) return null;
    const piece = newPiece(key, n < count ? rand(100 * KiB, 300 * KiB) : rand(1, 300 * KiB));
    const body = bytesOf(piece);
    const part: Part = { piece, etag: md5Hex(body), acked: false };
    u.parts.set(n, part);
    const source = slowParts && Math.random() < 0.3 ? slowly(body, 10) : body;
    if (!(await m.call(() => c.uploadPart(key, u.uploadId, n, source, 0, piece.size)))) return null;
    part.acked = true;
  }
  return u;
}

async function completeUpload(m: Model, c: any, u: Upload): Promise<void> {
  if (m.killed) return;
  const numbers = [...u.parts.keys()];
  u.version = version('Multipart', u.sse, numbers.map((n) => u.parts.get(n)!.piece));
  u.complete = 'sent';
  const parts = numbers.map((n) => ({ number: n, etag: `"${u.parts.get(n)!.etag}"` }));
  if (await m.write(u.key, u.version, () => c.completeMultipartUpload(u.key, u.uploadId, parts))) u.complete = 'acked';
}

/** Whole multipart uploads, some onto keys that PutObject also writes. */
async function multipartLoop(m: Model, c: any, round: number): Promise<void> {
  let n = 0;
  while (!m.killed) {
    const key = Math.random() < 0.3 ? pick(PUT_KEYS) : `mp/r${round}-${n++}-${randomBytes(3).toString('hex')}`;
    const u = await startUpload(m, c, key, true);
    if (!u) return;
    await completeUpload(m, c, u);
  }
}

/**
 * CopyObject onto a few target keys, switching the encryption on or off (a re-encrypting copy
 * writes the data again under a new key); the sources never change, so the content is known.
 */
async function copyLoop(m: Model, c: any): Promise<void> {
  while (!m.killed) {
    const sourceKey = pick(COPY_SOURCES);
    const source = m.history(sourceKey).state!;
    const target = pick(COPY_TARGETS);
    const sse = Math.random() < 0.5;
    const v = version('Normal', sse, source.pieces);
    await m.write(target, v, () => c.copy(target, sourceKey, { headers: sseHeaders(sse) }));
  }
}

/** Master-key rotations and rewrap passes (metadata only) racing with everything else. */
async function rewrapLoop(m: Model, srv: ServerProcess): Promise<void> {
  const admin = popClient(srv.kmsUrl);
  while (!m.killed) {
    const action = Math.random() < 0.3 ? 'RotateMasterKey' : 'RewrapMasterKeys';
    try {
      await admin.request(action, action === 'RewrapMasterKeys' ? { MaxObjects: 20 } : {}, { method: 'POST', timeout: 30_000 });
      m.stats.rewraps++;
    } catch (err) {
      // pop-core reports a cut connection as a bare socket error: only the kill may cause one.
      if (!m.killed) throw err;
    }
    await sleep(50);
  }
}

/** Reads racing with the writers: each GET must be one whole version ever written to the key. */
async function readLoop(m: Model, c: any): Promise<void> {
  while (!m.killed) {
    const key = pick(PUT_KEYS);
    const got = await m.call(() => getObject(c, key));
    if (m.killed) return;
    identify(key, got ?? null, m.history(key).ever);
  }
}

// ---------------------------------------------------------------------------------------------
// A round: write, kill, restart, verify.

async function crashRound(m: Model, srv: ServerProcess, round: number): Promise<void> {
  const c = srv.client({ bucket: BUCKET });
  m.killed = false;
  // Uploads with every part in, whose Completes go out right before the kill.
  const finishing = (await Promise.all([pick(PUT_KEYS), `mp/r${round}-last-a`, `mp/r${round}-last-b`]
    .map((key) => startUpload(m, c, key, false)))).filter((u): u is Upload => u !== null);
  const killer = (async () => {
    await sleep(rand(200, 800));
    // A burst of Completes and small PUTs, killed as the first is answered: the others are then
    // somewhere between request and response, and some have committed unanswered.
    const sent = [
      ...finishing.map((u) => completeUpload(m, c, u)),
      ...Array.from({ length: 12 }, () => putVersion(m, c, pick(PUT_KEYS), rand(0, 4 * KiB))),
    ];
    const completes = Promise.allSettled(sent);
    await Promise.race([sleep(100), ...sent]);
    m.killed = true;
    srv.kill('SIGKILL');
    for (const r of await completes) if (r.status === 'rejected') throw r.reason;
  })();
  await Promise.all([
    killer,
    ...Array.from({ length: 4 }, () => putLoop(m, c)),
    ...Array.from({ length: 3 }, () => slowPut(m, c)),
    ...APPEND_KEYS.map((key) => appendLoop(m, c, key)),
    ...Array.from({ length: 2 }, () => multipartLoop(m, c, round)),
    copyLoop(m, c),
    rewrapLoop(m, srv),
    readLoop(m, c),
  ]);
  assert.deepEqual(await srv.exited, { code: null, signal: 'SIGKILL' });
}

/** After a restart: objects, listing, multipart uploads and the data directory agree with the model. */
async function verifyRestart(m: Model, srv: ServerProcess, dataDir: string): Promise<void> {
  await collected(dataDir);
  const c = srv.client({ bucket: BUCKET });

  const present = new Map<string, { size: number; etag: string; type: string }>();
  for (const [key, h] of m.keys) {
    const got = await getObject(c, key);
    const v = identify(key, got, m.candidates(key));
    for (const w of h.writes) if (w.acked === null) m.stats.cut++;
    if (got) present.set(key, { size: got.size, etag: got.etag, type: got.type });
    h.state = v;
  }

  const listing = await c.list({ 'max-keys': 1000 });
  assert.equal(listing.isTruncated, false);
  const listed = new Map<string, { size: number; etag: string; type: string }>(
    listing.objects.map((o: any) => [o.name, { size: o.size, etag: unquote(o.etag), type: o.type }]),
  );
  assert.deepEqual(listed, present, 'ListObjects shows exactly the readable objects, with their sizes and ETags');

  await verifyUploads(m, c);
  for (const h of m.keys.values()) h.writes = [];
}

/**
 * Uploads after a restart: acknowledged Completes are gone; uploads whose Complete never landed
 * are still there with every acknowledged part (and only parts that were sent), and can then be
 * completed or aborted.
 */
async function verifyUploads(m: Model, c: any): Promise<void> {
  const r = await c.listUploads({ 'max-uploads': 1000 });
  assert.equal(r.isTruncated, false);
  const listed: Array<{ name: string; uploadId: string }> = r.uploads;
  const isListed = (u: Upload): boolean => listed.some((l) => l.uploadId === u.uploadId);
  for (const u of m.uploads) {
    if (u.complete === 'acked') {
      assert.equal(isListed(u), false, `completed upload ${u.uploadId} is gone`);
      m.stats.completesAcked++;
    } else if (u.complete === 'sent') {
      // Landed (the key holds it) ⇒ gone. Not landed ⇒ still there, unless another write to the
      // key may have replaced it after it landed.
      m.stats.completesCut++;
      const h = m.history(u.key);
      const landed = h.state === u.version;
      if (landed || h.writes.every((w) => w.version === u.version)) {
        assert.equal(isListed(u), !landed, `upload ${u.uploadId} is listed exactly when its Complete did not land`);
      }
    } else if (u.uploadId !== null) {
      assert.ok(isListed(u), `upload ${u.uploadId} was initiated and is still there`);
    }
  }

  for (const [i, l] of listed.entries()) {
    // An Initiate cut by the kill may have landed: the only uploads we never learnt the id of.
    const u = m.uploads.find((x) => x.uploadId === l.uploadId)
      ?? m.uploads.find((x) => x.uploadId === null && x.key === l.name);
    assert.ok(u, `listed upload ${l.name} ${l.uploadId} was initiated by this test`);
    u.uploadId = l.uploadId;
    const pr = await c.listParts(l.name, l.uploadId, { 'max-parts': 1000 });
    const parts: any[] = [].concat(pr.parts);
    for (const [n, p] of u.parts) {
      if (p.acked) assert.ok(parts.some((x) => Number(x.PartNumber) === n), `acknowledged part ${n} of ${l.uploadId} is there`);
    }
    for (const x of parts) {
      const sent = u.parts.get(Number(x.PartNumber));
      assert.ok(sent, `part ${x.PartNumber} of ${l.uploadId} was sent`);
      assert.equal(unquote(x.ETag), sent.etag);
      assert.equal(Number(x.Size), sent.piece.size);
    }
    if (parts.length > 0 && i % 2 === 0) {
      const v = version('Multipart', u.sse, parts.map((x) => u.parts.get(Number(x.PartNumber))!.piece));
      await c.completeMultipartUpload(l.name, l.uploadId, parts.map((x) => ({ number: Number(x.PartNumber), etag: x.ETag })));
      await assertObject(c, l.name, v);
      const h = m.history(l.name);
      h.state = v;
      h.ever.push(v);
      m.stats.uploadsResumed++;
    } else {
      await c.abortMultipartUpload(l.name, l.uploadId);
      await assert.rejects(c.listParts(l.name, l.uploadId), { code: 'NoSuchUpload' });
      m.stats.uploadsAborted++;
    }
  }
  assert.deepEqual((await c.listUploads({ 'max-uploads': 1000 })).uploads, []);
  m.uploads = [];
}

function useDataDir(t: TestContext): string {
  const dir = tempDir('coffer-crash-');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test(`SIGKILL during uploads, appends, deletes, Completes, re-encrypting copies and rewraps, ${ROUNDS} times: after each restart every object is one whole written version`, async (t) => {
  // urllib (under ali-oss) console.warns about every socket a kill cuts; keep the report readable.
  const warn = console.warn;
  console.warn = (...args: unknown[]) => { if (!String(args[0]).startsWith('[urllib:warn]')) warn(...args); };
  t.after(() => { console.warn = warn; });
  const dataDir = useDataDir(t);
  let srv = await spawnServer({ dataDir });
  t.after(() => srv.kill('SIGKILL'));
  await srv.client({ bucket: BUCKET }).putBucket(BUCKET);
  const m = new Model();
  for (const key of COPY_SOURCES) assert.ok(await putVersion(m, srv.client({ bucket: BUCKET }), key, rand(1, 300 * KiB)));
  for (const key of COPY_SOURCES) m.history(key).state = m.history(key).writes[0].version;
  for (let round = 1; round <= ROUNDS; round++) {
    await crashRound(m, srv, round);
    const named = namedBlobs(dataDir);
    m.stats.blobLeftovers += blobIds(dataDir).filter((id) => !named.has(id)).length;
    srv = await spawnServer({ dataDir });
    await verifyRestart(m, srv, dataDir);
  }
  t.diagnostic(`${ROUNDS} kills, ${m.keys.size} keys, ${JSON.stringify(m.stats)}`);
  // The run proves something only if kills really cut writes and left files to collect.
  assert.ok(m.stats.acked > 0 && m.stats.cut > 0, 'some writes were acknowledged and some cut by the kills');
  assert.ok(m.stats.blobLeftovers > 0, 'the kills left unnamed blob files for start-up to collect');
  assert.ok(m.stats.rewraps > 0, 'rotations and rewraps ran during the rounds');
});

test('SIGTERM drains: uploads in flight finish with 200, the process exits 0, and the objects are intact after restart', async (t) => {
  const dataDir = useDataDir(t);
  let srv = await spawnServer({ dataDir });
  t.after(() => srv.kill('SIGKILL'));
  const c = srv.client({ bucket: BUCKET });
  await c.putBucket(BUCKET);
  const { uploadId } = await c.initMultipartUpload('multi', { headers: sseHeaders(true) });

  const puts = [
    { key: 'chunked', v: version('Normal', false, [newPiece('chunked', 1 * MiB)]), sized: false },
    { key: 'sized-sse', v: version('Normal', true, [newPiece('sized-sse', 1 * MiB)]), sized: true },
  ];
  const part = newPiece('multi', 512 * KiB);
  const appended = version('Appendable', false, [newPiece('appended', 768 * KiB)]);
  const progress = Array.from({ length: 4 }, () => ({ sent: 0 }));
  const requests = [
    ...puts.map(({ key, v, sized }, i) => c.putStream(key, slowly(bytesOf(v.pieces[0]), 15, progress[i]), {
      headers: sseHeaders(v.sse), contentLength: sized ? v.size : undefined,
    })),
    c.uploadPart('multi', uploadId, 1, slowly(bytesOf(part), 15, progress[2]), 0, part.size),
    c.append('appended', slowly(bytesOf(appended.pieces[0]), 15, progress[3]), { position: '0' }),
  ];
  const all = Promise.all(requests);
  // Signal once every body is well under way (so its request is being served), and far from done;
  // a request failing meanwhile fails the test here rather than stalling it.
  while (progress.some((p) => p.sent < 128 * KiB)) await Promise.race([sleep(5), all]);
  srv.kill('SIGTERM');
  const sentAtSignal = progress.map((p) => p.sent);
  const results = await all;
  const answered = Date.now();
  for (const r of results) assert.equal(r.res.status, 200);
  assert.deepEqual(await srv.exited, { code: 0, signal: null });
  // Well under the 5 s keep-alive timeout: the answered connections did not linger.
  assert.ok(Date.now() - answered < 3000, `exited ${Date.now() - answered} ms after the last response`);
  const sizes = [...puts.map((p) => p.v.size), part.size, appended.size];
  sentAtSignal.forEach((sent, i) => assert.ok(sent < sizes[i], `request ${i} was still sending its body at SIGTERM`));

  srv = await spawnServer({ dataDir });
  await collected(dataDir);
  const c2 = srv.client({ bucket: BUCKET });
  for (const { key, v } of puts) await assertObject(c2, key, v);
  await assertObject(c2, 'appended', appended);
  await c2.completeMultipartUpload('multi', uploadId, [{ number: 1, etag: `"${md5Hex(bytesOf(part))}"` }]);
  await assertObject(c2, 'multi', version('Multipart', true, [part]));
});

test('start-up deletes temp files and unnamed blob files a crash left behind, and nothing that is live', async (t) => {
  const dataDir = useDataDir(t);
  let srv = await spawnServer({ dataDir });
  t.after(() => srv.kill('SIGKILL'));
  const c = srv.client({ bucket: BUCKET });
  await c.putBucket(BUCKET);
  const plain = version('Normal', false, [newPiece('plain', 300 * KiB)]);
  const encrypted = version('Normal', true, [newPiece('encrypted', 300 * KiB)]);
  for (const [key, v] of [['plain', plain], ['encrypted', encrypted]] as const) {
    await c.put(key, bytesOf(v.pieces[0]), { headers: sseHeaders(v.sse) });
  }
  // An open upload: its part's blob is named only by the parts table.
  const { uploadId } = await c.initMultipartUpload('open');
  const part = newPiece('open', 200 * KiB);
  await c.uploadPart('open', uploadId, 1, bytesOf(part), 0, part.size);
  srv.kill('SIGKILL');
  await srv.exited;

  const strays = [blobFile(dataDir, randomBytes(16).toString('hex')), blobFile(dataDir, randomBytes(16).toString('hex'))];
  for (const f of strays) writeFileSync(f, randomBytes(4 * KiB));
  assert.equal(blobIds(dataDir).length, 5, 'three live blobs and the strays');

  srv = await spawnServer({ dataDir });
  await collected(dataDir);
  for (const f of strays) assert.equal(existsSync(f), false, `${f} was collected`);
  assert.equal(blobIds(dataDir).length, 3);
  const c2 = srv.client({ bucket: BUCKET });
  await assertObject(c2, 'plain', plain);
  await assertObject(c2, 'encrypted', encrypted);
  await c2.completeMultipartUpload('open', uploadId, [{ number: 1, etag: `"${md5Hex(bytesOf(part))}"` }]);
  await assertObject(c2, 'open', version('Multipart', false, [part]));
});
