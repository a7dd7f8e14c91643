/**
 * BlobStore on the local filesystem: one file per blob, blobs/<2 hex>/<id>.
 * A blob's random name is referenced by nothing until a metadata commit names it, so the file is
 * written in place: no temp file and rename are needed for atomicity, and a crash leaves at
 * worst an unnamed file, which list() shows to the orphan scan (so collectPartial has nothing to
 * do). commit() makes both the file's bytes and its directory entry durable before the metadata
 * may name it; BlobFileStream starts writing the bytes back while they arrive.
 */
import { randomBytes } from 'node:crypto';
import { close as fsClose, createReadStream, fsync, open as fsOpen, promises as fs } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { promisify } from 'node:util';
import type { BlobStore, BlobWriter, ListedBlob } from '../types';
import { BlobFileStream } from './blob-file-stream';

const ID = /^[0-9a-f]{32}$/;
const FAN_OUT = /^[0-9a-f]{2}$/;
const READ_CHUNK = 512 * 1024;
const openFd = promisify(fsOpen);
const closeFd = promisify(fsClose);
const syncFd = promisify(fsync);

const ignoreMissing = (err: NodeJS.ErrnoException): void => {
  if (err.code !== 'ENOENT') throw err;
};

export class FsBlobStore implements BlobStore {
  readonly backend = 'fs';
  private readonly blobDir: string;

  /** Open descriptors of the 256 fan-out directories, kept for fsync after each new file. */
  private constructor(root: string, private readonly dirFds: number[]) {
    this.blobDir = path.join(root, 'blobs');
  }

  static async open(root: string): Promise<FsBlobStore> {
    const blobDir = path.join(root, 'blobs');
    await fs.mkdir(blobDir, { recursive: true, mode: 0o700 });
    // Fan-out directories exist up front so a write never needs mkdir on the hot path.
    const dirFds = await Promise.all(Array.from({ length: 256 }, async (_, i) => {
      const dir = path.join(blobDir, i.toString(16).padStart(2, '0'));
      await fs.mkdir(dir, { recursive: true, mode: 0o700 });
      return openFd(dir, 'r');
    }));
    return new FsBlobStore(root, dirFds);
  }

  private file(blobId: string): string {
    if (!ID.test(blobId)) throw new Error(`invalid blob id ${JSON.stringify(blobId)}`);
    return path.join(this.blobDir, blobId.slice(0, 2), blobId);
  }

  async create(id?: string): Promise<BlobWriter> {
    const blobId = id ?? randomBytes(16).toString('hex');
    const file = this.file(blobId);
    // 'wx': a given id must not exist yet (EEXIST). A numeric fd: the stream leaves it open
    // (autoClose false) so that commit can fsync it.
    const fd = await openFd(file, 'wx', 0o600);
    const stream = new BlobFileStream(fd, READ_CHUNK);
    let closed = false;
    const close = async (): Promise<void> => {
      if (!closed) {
        closed = true;
        // A background writeback still holds the descriptor: closing under it could sync another file.
        await stream.settled().catch(() => undefined);
        await closeFd(fd);
      }
    };
    return {
      blobId,
      stream,
      commit: async () => {
        if (!stream.writableFinished) await finished(stream);
        await stream.settled();
        // The directory entry was made by open(): both syncs can run at once.
        await Promise.all([syncFd(fd), syncFd(this.dirFds[parseInt(blobId.slice(0, 2), 16)])]);
        await close();
        return { size: stream.bytesWritten };
      },
      abort: async () => {
        stream.destroy();
        await close().catch(() => undefined);
        await fs.unlink(file).catch(ignoreMissing);
      },
    };
  }

  read(blobId: string, range?: { start: number; end: number }, chunkSize = READ_CHUNK): Readable {
    return createReadStream(this.file(blobId), { start: range?.start, end: range?.end, highWaterMark: chunkSize });
  }

  async size(blobId: string): Promise<number> {
    return (await fs.stat(this.file(blobId))).size;
  }

  async delete(blobId: string): Promise<void> {
    await fs.unlink(this.file(blobId)).catch(ignoreMissing);
  }

  /** Fan-out directories and names sorted, so blob id order; one directory read at a time. */
  async *list(after?: string): AsyncIterable<ListedBlob> {
    if (after !== undefined && !ID.test(after)) throw new Error(`invalid blob id ${JSON.stringify(after)}`);
    const from = after?.slice(0, 2) ?? '';
    const dirs = (await fs.readdir(this.blobDir)).filter((d) => FAN_OUT.test(d) && d >= from).sort();
    for (const dir of dirs) {
      const names = (await fs.readdir(path.join(this.blobDir, dir)).catch((err) => {
        ignoreMissing(err);
        return [] as string[];
      })).filter((n) => ID.test(n) && n.startsWith(dir) && (after === undefined || n > after)).sort();
      for (const name of names) {
        // A blob deleted since the directory was read is simply not listed.
        const st = await fs.stat(path.join(this.blobDir, dir, name)).catch((err) => ignoreMissing(err));
        if (st) yield { blobId: name, modifiedAt: st.mtimeMs };
      }
    }
  }

  /** A crashed write leaves an ordinary file, which list() finds: nothing else to remove. */
  async collectPartial(_startedBefore: number): Promise<number> {
    return 0;
  }

  async close(): Promise<void> {
    await Promise.all(this.dirFds.splice(0).map((fd) => closeFd(fd)));
  }
}
