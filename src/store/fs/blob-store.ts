/**
 * BlobStore on the local filesystem: blobs/<2 hex>/<id>, written as tmp/<id> first.
 * A blob becomes a file under blobs/ only after its bytes are fsync'd (write, fsync, rename,
 * fsync directory), and it becomes part of an object only when the metadata commit names it.
 */
import { randomBytes } from 'node:crypto';
import { close as fsClose, createReadStream, createWriteStream, fstat, fsync, open as fsOpen, promises as fs } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { finished } from 'node:stream/promises';
import type { BlobStore, BlobWriter } from '../types';

const ID = /^[0-9a-f]{32}$/;
const READ_CHUNK = 512 * 1024;

export class FsBlobStore implements BlobStore {
  private readonly blobDir: string;
  private readonly tmpDir: string;

  private constructor(root: string) {
    this.blobDir = path.join(root, 'blobs');
    this.tmpDir = path.join(root, 'tmp');
  }

  static async open(root: string): Promise<FsBlobStore> {
    const store = new FsBlobStore(root);
    await fs.mkdir(store.tmpDir, { recursive: true, mode: 0o700 });
    await fs.mkdir(store.blobDir, { recursive: true, mode: 0o700 });
    // Fan-out directories exist up front so a write never needs mkdir on the hot path.
    await Promise.all(
      Array.from({ length: 256 }, (_, i) =>
        fs.mkdir(path.join(store.blobDir, i.toString(16).padStart(2, '0')), { recursive: true, mode: 0o700 })),
    );
    return store;
  }

  private file(blobId: string): string {
    if (!ID.test(blobId)) throw new Error(`invalid blob id ${JSON.stringify(blobId)}`);
    return path.join(this.blobDir, blobId.slice(0, 2), blobId);
  }

  async create(): Promise<BlobWriter> {
    const blobId = randomBytes(16).toString('hex');
    const tmp = path.join(this.tmpDir, blobId);
    const target = this.file(blobId);
    // A numeric fd: the stream leaves it open (autoClose false) so that commit can fsync it.
    const fd = await promisify(fsOpen)(tmp, 'wx', 0o600);
    const stream = createWriteStream(tmp, { fd, autoClose: false, emitClose: false, highWaterMark: READ_CHUNK });
    let closed = false;
    const close = async (): Promise<void> => {
      if (!closed) {
        closed = true;
        await promisify(fsClose)(fd);
      }
    };
    return {
      blobId,
      stream,
      commit: async () => {
        if (!stream.writableFinished) await finished(stream);
        await promisify(fsync)(fd);
        const { size } = await promisify(fstat)(fd);
        await close();
        await fs.rename(tmp, target);
        await syncDir(path.dirname(target));
        return { size };
      },
      abort: async () => {
        stream.destroy();
        await close().catch(() => undefined);
        await fs.rm(tmp, { force: true });
        await fs.rm(target, { force: true });
      },
    };
  }

  read(blobId: string, range?: { start: number; end: number }): Readable {
    return createReadStream(this.file(blobId), { start: range?.start, end: range?.end, highWaterMark: READ_CHUNK });
  }

  async size(blobId: string): Promise<number> {
    return (await fs.stat(this.file(blobId))).size;
  }

  async delete(blobId: string): Promise<void> {
    await fs.rm(this.file(blobId), { force: true });
  }

  async *list(): AsyncIterable<string> {
    for (const dir of await fs.readdir(this.blobDir)) {
      for (const name of await fs.readdir(path.join(this.blobDir, dir))) {
        if (ID.test(name)) yield name;
      }
    }
  }

  async cleanTemp(): Promise<number> {
    const names = await fs.readdir(this.tmpDir);
    await Promise.all(names.map((n) => fs.rm(path.join(this.tmpDir, n), { force: true, recursive: true })));
    return names.length;
  }
}

async function syncDir(dir: string): Promise<void> {
  const h = await fs.open(dir, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}
