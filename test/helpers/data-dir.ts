/** Looking at a data directory from outside: every file, a blob's file, snapshots that prove nothing changed. */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';

/** Every regular file under dir, as paths relative to it. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const e of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const p = path.join(rel, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(p);
    }
  };
  walk('');
  return out.sort();
}

/** Files (relative paths) whose bytes contain any of the needles. */
export function filesContaining(dir: string, needles: Buffer[]): string[] {
  return listFiles(dir).filter((f) => {
    const bytes = readFileSync(path.join(dir, f));
    return needles.some((n) => bytes.includes(n));
  });
}

/** Where the filesystem blob store keeps a blob: blobs/<first 2 hex>/<id>. */
export function blobFile(dataDir: string, blobId: string): string {
  return path.join(dataDir, 'blobs', blobId.slice(0, 2), blobId);
}

/** Size, mtime and content hash of every file: equal snapshots mean nothing was written. */
export function snapshotFiles(dir: string): Record<string, string> {
  const snap: Record<string, string> = {};
  for (const f of listFiles(dir)) {
    const full = path.join(dir, f);
    const st = statSync(full);
    snap[f] = `${st.size} ${st.mtimeMs} ${createHash('sha256').update(readFileSync(full)).digest('hex')}`;
  }
  return snap;
}

/** Flips bits of one byte of a file in place (tamper tests): `mask` XORed into the byte at `offset`. */
export function flipByte(file: string, offset: number, mask = 0x01): void {
  const fd = openSync(file, 'r+');
  try {
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, offset);
    b[0] ^= mask;
    writeSync(fd, b, 0, 1, offset);
  } finally {
    closeSync(fd);
  }
}
