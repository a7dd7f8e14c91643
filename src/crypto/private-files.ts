/**
 * The data directory holds the root key, the root credentials, the metadata (sealed secrets,
 * but also names and ACLs) and every object's bytes: it is private to the server's user. Files
 * are created 0600 and directories 0700; these helpers take group and other bits away from
 * entries that an older release, a copy or an operator left readable to others.
 */
import type { Dirent } from 'node:fs';
import { promises as fs } from 'node:fs';
import path from 'node:path';

/** Removes group and other permission bits from one file or directory; true if it changed. */
export async function makePrivate(file: string): Promise<boolean> {
  const st = await fs.lstat(file);
  // A symlink's own mode means nothing (and chmod would follow it out of the directory).
  if (st.isSymbolicLink() || (st.mode & 0o077) === 0) return false;
  await fs.chmod(file, st.mode & 0o700);
  return true;
}

/**
 * Makes the data directory private. When the directory itself is open to others, everything under
 * it may be too (a copy made with a permissive umask), so the whole tree is walked once and
 * tightened; a private directory is left as it is, at no cost, since nothing below it is
 * reachable by others whatever its own modes. Returns how many entries changed.
 */
export async function makeDataDirPrivate(dir: string): Promise<number> {
  if (!(await makePrivate(dir))) return 0;
  let changed = 1;
  const walk = async (d: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await fs.readdir(d, { withFileTypes: true });
    } catch (err) {
      // Removed meanwhile (another process collecting blobs): nothing left to protect.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isSymbolicLink()) continue;
      if (await makePrivate(p).catch(ignoreVanished)) changed++;
      if (e.isDirectory()) await walk(p);
    }
  };
  await walk(dir);
  return changed;
}

function ignoreVanished(err: NodeJS.ErrnoException): false {
  if (err.code === 'ENOENT') return false;
  throw err;
}
