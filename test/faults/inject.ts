/**
 * Disk faults for tests, preloaded into a `coffer server` process (node --require): file system
 * calls on blob files fail with the error the control file names, as a failing disk would answer
 * them. The server's own code runs unchanged; only the operating system's answers are replaced.
 *
 *   COFFER_FAULTS=<file>   JSON such as {"write":"EIO","fsync":"EIO","read":"EIO"}; a missing or
 *                          empty file means no faults. Re-read whenever it changes.
 */
import fs from 'node:fs';

type Op = 'write' | 'fsync' | 'read';
type Callback = (err: NodeJS.ErrnoException | null, ...rest: unknown[]) => void;

const control = process.env.COFFER_FAULTS;
const BLOB = /\/blobs\/[0-9a-f]{2}\/[0-9a-f]{32}$/;
const ERRNO: Record<string, number> = { EIO: -5, ENOSPC: -28 };

if (control) {
  const blobFds = new Set<number>();
  let seen = { mtime: -1, faults: {} as Partial<Record<Op, string>> };
  const fault = (op: Op, fd: unknown): NodeJS.ErrnoException | null => {
    if (typeof fd !== 'number' || !blobFds.has(fd)) return null;
    try {
      const st = fs.statSync(control);
      if (st.mtimeMs !== seen.mtime) seen = { mtime: st.mtimeMs, faults: JSON.parse(fs.readFileSync(control, 'utf8') || '{}') };
    } catch {
      seen = { mtime: -1, faults: {} };
    }
    const code = seen.faults[op];
    if (!code) return null;
    return Object.assign(new Error(`${code}: i/o error (injected), ${op}`), { code, errno: ERRNO[code] ?? -5, syscall: op });
  };
  const wrap = (name: 'write' | 'writev' | 'fsync' | 'fdatasync' | 'read', op: Op): void => {
    const original = fs[name] as (...args: unknown[]) => void;
    (fs as unknown as Record<string, unknown>)[name] = function (this: unknown, ...args: unknown[]) {
      const err = fault(op, args[0]);
      if (err) {
        const cb = args[args.length - 1] as Callback;
        process.nextTick(() => cb(err));
        return;
      }
      return original.apply(this, args);
    };
  };
  wrap('write', 'write');
  wrap('writev', 'write');
  wrap('fsync', 'fsync');
  wrap('fdatasync', 'fsync');
  wrap('read', 'read');
  const open = fs.open as (...args: unknown[]) => void;
  (fs as unknown as Record<string, unknown>).open = function (this: unknown, ...args: unknown[]) {
    const cb = args[args.length - 1] as Callback;
    args[args.length - 1] = (err: NodeJS.ErrnoException | null, fd: number) => {
      if (!err && typeof args[0] === 'string' && BLOB.test(args[0])) blobFds.add(fd);
      cb(err, fd);
    };
    return open.apply(this, args);
  };
  const close = fs.close as (...args: unknown[]) => void;
  (fs as unknown as Record<string, unknown>).close = function (this: unknown, ...args: unknown[]) {
    blobFds.delete(args[0] as number);
    return close.apply(this, args);
  };
}
