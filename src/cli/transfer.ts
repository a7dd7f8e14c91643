/**
 * Moving one file: upload (PutObject, or a parallel multipart upload above a threshold, resumable
 * through a checkpoint file) and download.
 *
 * Resume: the checkpoint (one JSON file per upload in the checkpoint directory) records the
 * upload id, the file's size and mtime, the part size and the parts done. On the next run with
 * the same file and destination, the parts that ListParts confirms (right size, and the ETag the
 * checkpoint recorded) are kept and only the others are uploaded.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fs, type Stats } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { forEachLimit, type Progress, type Throttle } from './progress';
import { explain404, type Headers, type ListedPart, type OssClient } from './oss-client';

export interface TransferOptions {
  /** Files of at least this size go up as multipart uploads. */
  threshold: number;
  partSize: number;
  /** Parts in flight at once. */
  parallel: number;
  checkpointDir: string;
  /** Identifies the server in checkpoint names: the same bucket/key elsewhere is another upload. */
  endpoint: string;
  throttle: Throttle | null;
  progress: Progress;
}

export interface MultipartSummary {
  uploadId: string;
  partSize: number;
  parts: number;
  /** Parts an earlier, interrupted run had uploaded (confirmed by ListParts). */
  resumedParts: number;
  uploadedParts: number;
}

export interface UploadResult {
  size: number;
  etag: string | undefined;
  multipart?: MultipartSummary;
}

const MAX_PARTS = 10_000;
export const MIN_PART_SIZE = 100 * 1024;
export const MAX_PART_SIZE = 5 * 1024 ** 3;

interface Checkpoint {
  version: 1;
  endpoint: string;
  bucket: string;
  key: string;
  file: string;
  size: number;
  mtimeMs: number;
  partSize: number;
  headers: Headers;
  uploadId: string;
  /** Part number → ETag. */
  parts: Record<string, string>;
}

/** Writes of one checkpoint, one at a time and each atomic, so a kill leaves the last complete state. */
class CheckpointFile {
  private chain: Promise<void> = Promise.resolve();

  constructor(readonly file: string) {}

  static for(dir: string, endpoint: string, bucket: string, key: string, file: string): CheckpointFile {
    const id = createHash('sha256').update(JSON.stringify([endpoint, bucket, key, file])).digest('hex').slice(0, 32);
    return new CheckpointFile(path.join(dir, `${id}.json`));
  }

  async read(): Promise<Checkpoint | null> {
    try {
      const cp = JSON.parse(await fs.readFile(this.file, 'utf8')) as Checkpoint;
      return cp.version === 1 ? cp : null;
    } catch {
      // Missing, or unreadable after some outside damage: either way, nothing to resume from.
      return null;
    }
  }

  save(cp: Checkpoint): Promise<void> {
    const text = JSON.stringify(cp);
    this.chain = this.chain.then(async () => {
      await fs.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
      const tmp = `${this.file}.tmp`;
      await fs.writeFile(tmp, text, { mode: 0o600 });
      await fs.rename(tmp, this.file);
    });
    return this.chain;
  }

  async remove(): Promise<void> {
    await this.chain;
    await fs.rm(this.file, { force: true });
  }
}

const sameHeaders = (a: Headers, b: Headers): boolean =>
  JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());

/** A part size that keeps the upload within 10,000 parts. */
function effectivePartSize(size: number, partSize: number): number {
  return Math.max(partSize, Math.ceil(size / MAX_PARTS));
}

const partRange = (n: number, partSize: number, size: number): [number, number] => [(n - 1) * partSize, Math.min(n * partSize, size)];

/** ali-oss turns an extension into a Content-Type (as its put(file) does from the file name); without one, from the key's. */
const mimeHint = (file: string): string | undefined => path.extname(file) || undefined;

async function listAllParts(client: OssClient, key: string, uploadId: string): Promise<ListedPart[]> {
  const all: ListedPart[] = [];
  let marker = '0';
  for (;;) {
    const page = await client.listParts(key, uploadId, { 'max-parts': 1000, 'part-number-marker': marker });
    // One <Part> parses as an object, several as an array.
    const parts = Array.isArray(page.parts) ? page.parts : page.parts ? [page.parts] : [];
    all.push(...parts);
    if (String(page.isTruncated) !== 'true') return all;
    marker = page.nextPartNumberMarker;
  }
}

/**
 * The parts of the checkpoint's upload that need no second upload: listed by ListParts with the
 * expected size and the ETag the checkpoint recorded (a part the checkpoint missed, because the
 * process died before writing it, is taken on ListParts' word). null: the upload is gone.
 */
async function confirmedParts(client: OssClient, cp: Checkpoint): Promise<Map<number, string> | null> {
  let listed: ListedPart[];
  try {
    listed = await listAllParts(client, cp.key, cp.uploadId);
  } catch (err) {
    if ((err as { code?: string }).code === 'NoSuchUpload') return null;
    throw err;
  }
  const done = new Map<number, string>();
  for (const p of listed) {
    const n = Number(p.PartNumber);
    const [start, end] = partRange(n, cp.partSize, cp.size);
    const recorded = cp.parts[String(n)];
    if (Number(p.Size) === end - start && (!recorded || recorded === p.ETag)) done.set(n, p.ETag);
  }
  return done;
}

async function multipartUpload(client: OssClient, file: string, st: Stats, bucket: string, key: string, headers: Headers, opts: TransferOptions): Promise<UploadResult> {
  const checkpoint = CheckpointFile.for(opts.checkpointDir, opts.endpoint, bucket, key, file);
  let cp = await checkpoint.read();
  let done = new Map<number, string>();
  if (cp && (cp.size !== st.size || cp.mtimeMs !== st.mtimeMs || !sameHeaders(cp.headers, headers))) {
    // The file or the requested encryption changed: the old parts are of no use. Aborting frees them now; if that fails, the server's own clean-up will.
    await client.abortMultipartUpload(key, cp.uploadId).catch(() => undefined);
    cp = null;
  }
  if (cp) {
    const confirmed = await confirmedParts(client, cp);
    if (confirmed) done = confirmed;
    else cp = null;
  }
  if (!cp) {
    const { uploadId } = await client.initMultipartUpload(key, { headers, mime: mimeHint(file) });
    cp = { version: 1, endpoint: opts.endpoint, bucket, key, file, size: st.size, mtimeMs: st.mtimeMs, partSize: effectivePartSize(st.size, opts.partSize), headers, uploadId, parts: {} };
  }
  const current: Checkpoint = cp;
  current.parts = Object.fromEntries([...done].map(([n, etag]) => [String(n), etag]));
  await checkpoint.save(current);

  const count = Math.max(1, Math.ceil(st.size / current.partSize));
  const todo = Array.from({ length: count }, (_, i) => i + 1).filter((n) => !done.has(n));
  opts.progress.skip(st.size - todo.reduce((sum, n) => { const [s, e] = partRange(n, current.partSize, st.size); return sum + e - s; }, 0));
  const handle = await fs.open(file, 'r');
  // One buffer per part in flight, reused: streaming the file would allocate a buffer per 64 KiB
  // chunk, and the garbage collection that churn sets off costs the client more CPU than the upload.
  const buffers: Buffer[] = [];
  try {
    await forEachLimit(todo, opts.parallel, async (n) => {
      const [start, end] = partRange(n, current.partSize, st.size);
      const buffer = buffers.pop() ?? Buffer.allocUnsafe(current.partSize);
      const part = buffer.subarray(0, end - start);
      await readFully(handle, part, start);
      await opts.throttle?.take(part.length);
      const { etag } = await client.uploadPart(key, current.uploadId, n, part, 0, part.length);
      // Only now: the whole body has gone out once the response is in. (After a failure the buffer is dropped, as a failed request may still hold it.)
      buffers.push(buffer);
      opts.progress.add(part.length);
      current.parts[String(n)] = etag;
      await checkpoint.save(current);
    });
    const after = await fs.stat(file);
    if (after.size !== st.size || after.mtimeMs !== st.mtimeMs) throw new Error(`${file} changed during the upload; run the command again to upload it anew`);
    const parts = Array.from({ length: count }, (_, i) => ({ number: i + 1, etag: current.parts[String(i + 1)] }));
    const res = await client.completeMultipartUpload(key, current.uploadId, parts);
    await checkpoint.remove();
    return {
      size: st.size,
      etag: res.res.headers.etag?.replace(/"/g, ''),
      multipart: { uploadId: current.uploadId, partSize: current.partSize, parts: count, resumedParts: count - todo.length, uploadedParts: todo.length },
    };
  } catch (err) {
    process.stderr.write(`coffer: the upload of ${file} stopped; running the same command again resumes it (checkpoint ${checkpoint.file})\n`);
    throw err;
  } finally {
    await handle.close();
  }
}

/** Fills `buf` from `handle` at `position`; a file that ends early is an error (it changed under us). */
async function readFully(handle: fs.FileHandle, buf: Buffer, position: number): Promise<void> {
  for (let off = 0; off < buf.length;) {
    const { bytesRead } = await handle.read(buf, off, buf.length - off, position + off);
    if (bytesRead === 0) throw new Error(`the file ended early at byte ${position + off}: it changed during the upload; run the command again to upload it anew`);
    off += bytesRead;
  }
}

export async function uploadFile(client: OssClient, file: string, bucket: string, key: string, headers: Headers, opts: TransferOptions): Promise<UploadResult> {
  const st = await fs.stat(file);
  if (st.size > 0 && st.size >= opts.threshold) return multipartUpload(client, file, st, bucket, key, headers, opts);
  await opts.throttle?.take(st.size);
  if (st.size === 0) {
    // putStream announces a zero length as chunked encoding; an empty Buffer goes as Content-Length: 0.
    const res = await client.put(key, Buffer.alloc(0), { headers, mime: mimeHint(file) });
    return { size: 0, etag: res.res.headers.etag?.replace(/"/g, '') };
  }
  // `end` (inclusive) holds the read to the Content-Length announced, should the file grow meanwhile.
  const body = createReadStream(file, { end: st.size - 1 });
  const settle = opts.progress.track(() => body.bytesRead);
  try {
    const res = await client.putStream(key, body, { headers, contentLength: st.size, mime: mimeHint(file) });
    settle(st.size);
    return { size: st.size, etag: res.res.headers.etag?.replace(/"/g, '') };
  } catch (err) {
    settle(0);
    throw err;
  }
}

/**
 * GetObject into `dest`, through a temporary file so that a failed download leaves no half file
 * under the real name. `listedSize`: the size a listing gave, already in the progress total;
 * `versionId`: that version of the object.
 */
export async function downloadObject(
  client: OssClient, key: string, dest: string, progress: Progress, listedSize?: number, versionId?: string,
): Promise<{ size: number; etag: string | undefined }> {
  const options = versionId !== undefined ? { subres: { versionId } } : {};
  const { stream, res } = await client.getStream(key, options).catch((err) => explain404(client, key, err));
  const size = Number(res.headers['content-length']);
  if (listedSize === undefined) progress.expect(size);
  await fs.mkdir(path.dirname(dest), { recursive: true });
  const tmp = `${dest}.coffer-${process.pid}.tmp`;
  const out = createWriteStream(tmp);
  const settle = progress.track(() => out.bytesWritten);
  try {
    await pipeline(stream, out);
    await fs.rename(tmp, dest);
    settle(size);
  } catch (err) {
    settle(0);
    await fs.rm(tmp, { force: true });
    throw err;
  }
  return { size, etag: res.headers.etag?.replace(/"/g, '') };
}
