/** `coffer cp`: upload (file → oss), download (oss → file) and server-side copy (oss → oss), one or -r many. */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { action, connectionOptions, examples, type CommonFlags, type Context } from './context';
import { describeFailure, UsageError } from './errors';
import { formatBytes, parseCount, parseSize } from './format';
import { allObjects, isOssUrl, objectSse, objectSseOptions, ossClient, ossUrl, parseOssUrl, sseHeaders, type Headers, type ObjectSseFlags, type OssUrl } from './oss-client';
import { forEachLimit, Progress, Throttle } from './progress';
import { downloadObject, MAX_PART_SIZE, MIN_PART_SIZE, uploadFile, type TransferOptions } from './transfer';

interface CpFlags extends CommonFlags, ObjectSseFlags {
  recursive?: boolean;
  partSize: string;
  bigfileThreshold: string;
  parallel: string;
  jobs: string;
  checkpointDir?: string;
  maxUploadSpeed?: string;
  versionId?: string;
}

/** One file or object to move; `run` returns what the --json output reports about it. */
interface Item {
  source: string;
  destination: string;
  run(): Promise<Record<string, unknown>>;
}

const isDirName = (key: string): boolean => key === '' || key.endsWith('/');
const asPrefix = (key: string): string => (isDirName(key) ? key : `${key}/`);

/** Where -r puts an object: its key from just after the prefix's last "/", so "photos/" brings what is inside photos and "photos" brings photos itself. */
const relativeTo = (prefix: string, key: string): string => key.slice(prefix.lastIndexOf('/') + 1);

async function walk(dir: string, rel = ''): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await fs.readdir(path.join(dir, rel), { withFileTypes: true })) {
    const child = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...(await walk(dir, child)));
    // A link to a file counts as the file; links to directories (they can loop) and dangling links are left out.
    else if (entry.isFile() || (entry.isSymbolicLink() && (await fs.stat(path.join(dir, child)).catch(() => null))?.isFile())) files.push(child);
  }
  return files.sort();
}

/** Refuses an object path that would leave the destination directory. */
function checkInside(dir: string, rel: string): void {
  if (!rel || rel.split('/').some((s) => s === '..') || path.isAbsolute(rel)) throw new Error(`refusing to write ${JSON.stringify(rel)} outside ${dir}`);
}

function transferOptions(ctx: Context<CpFlags>, progress: Progress): TransferOptions {
  const f = ctx.flags;
  const partSize = parseSize(f.partSize, '--part-size');
  if (partSize < MIN_PART_SIZE || partSize > MAX_PART_SIZE) throw new UsageError(`--part-size must be from 100KiB to 5GiB, got ${f.partSize}`);
  const speed = f.maxUploadSpeed === undefined ? 0 : parseSize(f.maxUploadSpeed, '--max-upload-speed');
  return {
    threshold: parseSize(f.bigfileThreshold, '--bigfile-threshold'),
    partSize,
    parallel: parseCount(f.parallel, '--parallel', 1, 64),
    checkpointDir: path.resolve(f.checkpointDir ?? path.join(os.homedir(), '.coffer', 'checkpoints')),
    endpoint: ctx.endpoint('oss').origin,
    throttle: speed > 0 ? new Throttle(speed) : null,
    progress,
  };
}

async function localStat(p: string): Promise<import('node:fs').Stats | null> {
  return fs.stat(p).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err;
  });
}

async function uploads(ctx: Context<CpFlags>, src: string, dest: OssUrl, headers: Headers, opts: TransferOptions): Promise<Item[]> {
  const st = await localStat(src);
  if (!st) throw new UsageError(`${src}: no such file or directory`);
  const client = ossClient(ctx, dest.bucket);
  const item = (file: string, key: string): Item => ({
    source: file,
    destination: ossUrl(dest.bucket, key),
    run: async () => ({ ...(await uploadFile(client, path.resolve(file), dest.bucket, key, headers, opts)) }),
  });
  if (!st.isDirectory()) {
    opts.progress.expect(st.size);
    return [item(src, isDirName(dest.key) ? dest.key + path.basename(src) : dest.key)];
  }
  if (!ctx.flags.recursive) throw new UsageError(`${src} is a directory: use -r`);
  const files = await walk(src);
  for (const f of files) opts.progress.expect((await fs.stat(path.join(src, f))).size);
  return files.map((f) => item(path.join(src, f), dest.key ? asPrefix(dest.key) + f : f));
}

async function downloads(ctx: Context<CpFlags>, src: OssUrl, dest: string, progress: Progress): Promise<Item[]> {
  const client = ossClient(ctx, src.bucket);
  const item = (key: string, file: string, listedSize?: number): Item => ({
    source: ossUrl(src.bucket, key),
    destination: file,
    run: async () => ({ ...(await downloadObject(client, key, file, progress, listedSize, ctx.flags.versionId)) }),
  });
  if (!ctx.flags.recursive) {
    if (isDirName(src.key)) throw new UsageError(`${ossUrl(src.bucket, src.key)} names no object: give a key, or -r for everything under the prefix`);
    const st = await localStat(dest);
    const into = st?.isDirectory() || dest.endsWith('/') || dest.endsWith(path.sep);
    return [item(src.key, into ? path.join(dest, path.posix.basename(src.key)) : dest)];
  }
  const objects = (await allObjects(client, src.key)).filter((o) => !o.name.endsWith('/'));
  for (const o of objects) progress.expect(o.size);
  return objects.map((o) => {
    const rel = relativeTo(src.key, o.name);
    const it = item(o.name, path.join(dest, rel), o.size);
    // A key like "../x" fails on its own; the other objects still come down.
    return { ...it, run: async () => { checkInside(dest, rel); return it.run(); } };
  });
}

async function copies(ctx: Context<CpFlags>, src: OssUrl, dest: OssUrl, headers: Headers): Promise<Item[]> {
  const client = ossClient(ctx, dest.bucket);
  const item = (key: string, target: string): Item => ({
    source: ossUrl(src.bucket, key),
    destination: ossUrl(dest.bucket, target),
    run: async () => {
      const res = await client.copy(target, key, src.bucket, { headers, ...(ctx.flags.versionId !== undefined && { versionId: ctx.flags.versionId }) });
      return { etag: res.data?.etag?.replace(/"/g, '') };
    },
  });
  if (!ctx.flags.recursive) {
    if (isDirName(src.key)) throw new UsageError(`${ossUrl(src.bucket, src.key)} names no object: give a key, or -r for everything under the prefix`);
    return [item(src.key, isDirName(dest.key) ? dest.key + path.posix.basename(src.key) : dest.key)];
  }
  const objects = await allObjects(ossClient(ctx, src.bucket), src.key);
  return objects.map((o) => item(o.name, (dest.key ? asPrefix(dest.key) : '') + relativeTo(src.key, o.name)));
}

export function registerCp(program: Command): void {
  const cmd = objectSseOptions(connectionOptions(program.command('cp <source> <destination>'), 'oss'))
    .description('upload (file → oss://), download (oss:// → file) or copy on the server (oss:// → oss://); large files go up in parallel parts and resume after an interruption')
    .option('-r, --recursive', 'a directory, or every object under an oss:// prefix')
    .option('--part-size <size>', 'multipart part size; each part in flight is held in memory', '8MiB')
    .option('--bigfile-threshold <size>', 'files of at least this size use a multipart upload', '100MiB')
    .option('--parallel <n>', 'parts of one file in flight at once', '4')
    .option('--jobs <n>', 'files or objects at once with -r', '4')
    .option('--checkpoint-dir <dir>', 'where interrupted multipart uploads are recorded for resuming (default: ~/.coffer/checkpoints)')
    .option('--max-upload-speed <size>', 'limit uploads to this many bytes per second, e.g. 10MiB (default: no limit)')
    .option('--version-id <id>', 'download or copy that version of the source object (copying an old version onto its key restores it)')
    .addHelpText('after', '\nA destination ending in "/" (or an existing local directory) receives the source under its own name.\n' +
      'Run an interrupted upload again, with the same source and destination, to resume it: the parts\n' +
      'already on the server (checked with ListParts) are not sent again. The SSE options apply to what\n' +
      'is written on the server (uploads and copies); a copy does not take over the source\'s encryption.');
  examples(cmd,
    'coffer cp ./01.txt oss://examplebucket/',
    'coffer cp ./backup.tar oss://examplebucket/backups/backup.tar --sse-algorithm KMS --sse-key-id 0b6f… --part-size 16MiB --parallel 8',
    'coffer cp -r oss://examplebucket/photos/ ./photos',
    'coffer cp oss://examplebucket/01.txt oss://archive/01.txt --sse-algorithm SM4',
    'coffer cp oss://examplebucket/01.txt oss://examplebucket/01.txt --version-id 3q2-Zx…');
  cmd.action(action<CpFlags, [string, string]>(async (ctx, source, destination) => {
    const sse = objectSse(ctx.flags);
    const headers = sseHeaders(sse);
    const jobs = parseCount(ctx.flags.jobs, '--jobs', 1, 64);
    const fromOss = isOssUrl(source);
    const toOss = isOssUrl(destination);
    if (!fromOss && !toOss) throw new UsageError('cp needs an oss:// URL as source or destination');
    if (fromOss && !toOss && sse) throw new UsageError('the SSE options apply to uploads and copies; a download is decrypted by the server');
    if (ctx.flags.versionId !== undefined && (!fromOss || ctx.flags.recursive)) {
      throw new UsageError('--version-id names a version of one source object: it goes with an oss:// source and without -r');
    }
    const verb = toOss ? (fromOss ? 'Copied' : 'Uploaded') : 'Downloaded';
    const progress = new Progress(verb === 'Copied' ? 'copy' : verb === 'Uploaded' ? 'upload' : 'download', verb === 'Copied' ? 'objects' : 'bytes');
    const items = !fromOss
      ? await uploads(ctx, source, parseOssUrl(destination), headers, transferOptions(ctx, progress))
      : !toOss
        ? await downloads(ctx, parseOssUrl(source), destination, progress)
        : await copies(ctx, parseOssUrl(source), parseOssUrl(destination), headers);
    if (verb === 'Copied') progress.expect(items.length);

    const started = Date.now();
    if (!ctx.flags.recursive) {
      const [item] = items;
      const result = await item.run();
      if (verb === 'Copied') progress.add(1);
      progress.finish();
      const seconds = (Date.now() - started) / 1000;
      ctx.print({ source: item.source, destination: item.destination, ...result, seconds }, () => {
        const mp = result.multipart as { parts: number; resumedParts: number } | undefined;
        const size = typeof result.size === 'number' ? `: ${formatBytes(result.size)}` : '';
        const parts = mp ? ` in ${mp.parts} part(s)${mp.resumedParts ? `, ${mp.resumedParts} of them resumed from an earlier run` : ''}` : '';
        return `${verb} ${item.source} to ${item.destination}${size}${parts}.`;
      });
      return;
    }
    const done: Array<Record<string, unknown>> = [];
    const failed: Array<{ source: string; destination: string; error: string }> = [];
    await forEachLimit(items, jobs, async (item) => {
      try {
        done.push({ source: item.source, destination: item.destination, ...(await item.run()) });
      } catch (err) {
        failed.push({ source: item.source, destination: item.destination, error: describeFailure(err, ctx.endpoints).message });
      }
      if (verb === 'Copied') progress.add(1);
    });
    progress.finish();
    const bytes = done.reduce((sum, d) => sum + (typeof d.size === 'number' ? d.size : 0), 0);
    ctx.print({ transferred: done, failed, seconds: (Date.now() - started) / 1000 }, () => [
      `${verb} ${done.length} of ${items.length} item(s)${verb === 'Copied' ? '' : ` (${formatBytes(bytes)})`} from ${source} to ${destination}; ${failed.length} failed.`,
      ...failed.map((f) => `  FAILED ${f.source}: ${f.error}`),
    ].join('\n'));
    if (failed.length) throw new Error(`${failed.length} of ${items.length} item(s) failed`);
  }));
}
