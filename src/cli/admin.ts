/**
 * `coffer admin …`: calls a running server's admin API (RPC style, version ADMIN_VERSION, on the
 * KMS endpoint) with the generic Alibaba RPC client (pop-core).
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { ADMIN_VERSION } from '../admin/service';
import { action, connectionOptions, examples, type CommonFlags, type Context } from './context';
import { UsageError } from './errors';
import { formatBytes, formatDuration, parseCount } from './format';
import { Progress } from './progress';
import { popClient } from './sdk';

type Body = Record<string, any>;

const TIMEOUT_MS = 30_000;

function call(ctx: Context, api: string, params: Record<string, string | number> = {}, timeout = TIMEOUT_MS): Promise<Body> {
  // POST keeps the AccessKeyId and signature out of URLs (and so out of proxy and access logs).
  return popClient(ctx, ADMIN_VERSION).request<Body>(api, params, { method: 'POST', timeout });
}

function rotationText(body: Body): string {
  const rows = (body.MasterKeyVersions.MasterKeyVersion as Body[])
    .map((v) => `  ${String(v.Version).padEnd(8)} ${v.CreationDate.padEnd(21)} ${v.Current ? 'current' : ''}`.trimEnd());
  return [
    `Rotated the SSE-OSS master key: version ${body.MasterKeyVersion} is now current; new objects use it, older versions stay for reading.`,
    `  ${'VERSION'.padEnd(8)} CREATED`,
    ...rows,
  ].join('\n');
}

function statusText(body: Body, endpoint: string): string {
  const s = body.Storage;
  const keys = body.MasterKeys;
  return [
    `Coffer ${body.ServerVersion} at ${endpoint}`,
    `  Node         ${body.Node} (metadata: ${body.MetadataBackend}, blobs: ${body.BlobBackend})`,
    `  Up since     ${body.StartTime} (${formatDuration(body.UptimeSeconds)})`,
    `  Buckets      ${s.Buckets}`,
    `  Objects      ${s.Objects} (${formatBytes(s.Bytes)})`,
    `  Multipart    ${s.MultipartUploads} upload(s) in progress`,
    `  Master keys  ${keys.Count} version(s), current ${keys.CurrentVersion ?? 'none yet'}`,
  ].join('\n');
}

interface RewrapFlags extends CommonFlags { batch: string }

/**
 * Drives RewrapMasterKeys step by step (one request each, so none runs long) to the end of the
 * pass. An interrupted run is simply run again: objects already under the current version are
 * only looked at, not written.
 */
async function rewrap(ctx: Context<RewrapFlags>): Promise<void> {
  const batch = Number(ctx.flags.batch);
  if (!Number.isInteger(batch) || batch < 1 || batch > 10_000) throw new UsageError(`--batch must be a whole number from 1 to 10000, got ${JSON.stringify(ctx.flags.batch)}`);
  const status = await call(ctx, 'DescribeStatus');
  const progress = new Progress('rewrap', 'objects', status.Storage.Objects);
  const total = { objects: { scanned: 0, rewrapped: 0 }, uploads: { scanned: 0, rewrapped: 0 }, steps: 0, version: 0 };
  let marker: string | undefined;
  try {
    do {
      const step = await call(ctx, 'RewrapMasterKeys', { MaxObjects: batch, ...(marker ? { Marker: marker } : {}) });
      total.steps++;
      total.version = step.MasterKeyVersion;
      total.objects.scanned += step.Objects.Scanned;
      total.objects.rewrapped += step.Objects.Rewrapped;
      total.uploads.scanned += step.MultipartUploads.Scanned;
      total.uploads.rewrapped += step.MultipartUploads.Rewrapped;
      progress.add(step.Objects.Scanned);
      marker = step.Truncated ? step.NextMarker : undefined;
    } while (marker);
  } finally {
    progress.finish();
  }
  const body = {
    MasterKeyVersion: total.version,
    Objects: { Scanned: total.objects.scanned, Rewrapped: total.objects.rewrapped },
    MultipartUploads: { Scanned: total.uploads.scanned, Rewrapped: total.uploads.rewrapped },
    Steps: total.steps,
  };
  ctx.print(body, () => [
    `Rewrapped under SSE-OSS master key version ${total.version}: no object data was read or rewritten.`,
    `  Objects     ${total.objects.rewrapped} re-sealed of ${total.objects.scanned} looked at`,
    `  Multipart   ${total.uploads.rewrapped} re-sealed of ${total.uploads.scanned} unfinished upload(s)`,
  ].join('\n'));
}

interface CheckFlags extends CommonFlags { batch: string }

/** A CheckObjects step reads up to 256 MiB, but always a whole object, and the largest is 5 GiB. */
const CHECK_STEP_TIMEOUT_MS = 10 * 60_000;

const location = (f: Body): string => `oss://${f.Bucket}/${f.Key}${f.UploadId !== undefined ? ` (upload ${f.UploadId}, part ${f.PartNumber})` : ''}`;

/**
 * Drives CheckObjects step by step over the whole store, with progress by bytes read, and lists
 * what is missing or damaged; exit code 1 when anything is.
 */
async function check(ctx: Context<CheckFlags>): Promise<void> {
  const batch = parseCount(ctx.flags.batch, '--batch', 1, 10_000);
  const status = await call(ctx, 'DescribeStatus');
  const progress = new Progress('check', 'bytes', status.Storage.Bytes);
  const total = { objects: 0, bytes: 0, uploads: 0, parts: 0, steps: 0 };
  const problems: Body[] = [];
  const unverified: Body[] = [];
  let marker: string | undefined;
  try {
    do {
      const step = await call(ctx, 'CheckObjects', { MaxObjects: batch, ...(marker ? { Marker: marker } : {}) }, CHECK_STEP_TIMEOUT_MS);
      total.steps++;
      total.objects += step.Objects.Scanned;
      total.bytes += step.Objects.Bytes;
      total.uploads += step.MultipartUploads.Scanned;
      total.parts += step.MultipartUploads.Parts;
      problems.push(...step.Problems.Problem);
      unverified.push(...step.Unverified.Object);
      progress.add(step.Objects.Bytes);
      marker = step.Truncated ? step.NextMarker : undefined;
    } while (marker);
  } finally {
    progress.finish();
  }
  const body = {
    Objects: { Scanned: total.objects, Bytes: total.bytes },
    MultipartUploads: { Scanned: total.uploads, Parts: total.parts },
    Problems: problems,
    Unverified: unverified,
    Steps: total.steps,
  };
  ctx.print(body, () => [
    `Checked ${total.objects} object(s) (${formatBytes(total.bytes)}) and ${total.uploads} unfinished multipart upload(s) (${total.parts} part(s)): `
      + (problems.length ? `${problems.length} problem(s).` : 'no problems found.'),
    ...problems.map((p) => `  ${String(p.Kind).toUpperCase().padEnd(15)} ${location(p)}: ${p.Detail}`),
    ...(unverified.length ? [`Not verified: the server could not unseal the key of ${unverified.length} object(s) or part(s) (KMS refused, or SSE-C: the key is the customer's); their blobs are present with the right lengths.`] : []),
    ...unverified.map((u) => `  ${location(u)}: ${u.Reason}`),
  ].join('\n'));
  if (problems.length) throw new Error(`${problems.length} object(s) or part(s) are missing data or damaged`);
}

/** How often a running backup is asked how far it got. */
const BACKUP_POLL_MS = 500;

/**
 * Starts BackupStore into DIR (a directory on the server's machine: a relative DIR is taken from
 * here, which is right when both run on one machine), then follows it with DescribeBackup and a
 * progress bar by bytes until it is done; exit code 1 if it fails.
 */
async function backup(ctx: Context, dir: string): Promise<void> {
  const started = await call(ctx, 'BackupStore', { Directory: path.resolve(dir) });
  const progress = new Progress('backup', 'bytes');
  let status = started;
  let expected = 0;
  let shown = 0;
  try {
    while (status.State === 'Running') {
      await sleep(BACKUP_POLL_MS);
      status = await call(ctx, 'DescribeBackup', { BackupId: started.BackupId });
      progress.expect(status.Bytes.Total - expected);
      expected = status.Bytes.Total;
      progress.add(status.Bytes.Copied - shown);
      shown = status.Bytes.Copied;
    }
  } finally {
    progress.finish();
  }
  if (status.State !== 'Done') throw new Error(`the backup into ${status.Directory} failed: ${status.Error}`);
  ctx.print(status, () => [
    `Backed up the store into ${status.Directory}: the metadata as of ${status.SnapshotTime} and the ${status.Blobs.Total} blob(s) it names (${formatBytes(status.Bytes.Total)}).`,
    'The root key is not in the backup: keep it separately. To restore, start a server on the directory with the same root key:',
    `  coffer server --data-dir ${status.Directory} --root-key-file <the root key file>`,
  ].join('\n'));
}

interface AuditFlags extends CommonFlags { after: string; limit?: string }

/**
 * Prints the cluster's KMS audit trail, oldest first, one JSON object per line (`--json`: one
 * array), fetched page by page from ExportAuditLog; `--after SEQ` resumes where a previous export
 * ended.
 */
async function audit(ctx: Context<AuditFlags>): Promise<void> {
  const after = Number(ctx.flags.after);
  if (!Number.isInteger(after) || after < 0) throw new UsageError(`--after must be a record number (0 or more), got ${JSON.stringify(ctx.flags.after)}`);
  const limit = ctx.flags.limit === undefined ? Infinity : Number(ctx.flags.limit);
  if (!(limit >= 1)) throw new UsageError(`--limit must be 1 or more, got ${JSON.stringify(ctx.flags.limit)}`);
  const events: Body[] = [];
  let cursor = after;
  while (events.length < limit) {
    const page = await call(ctx, 'ExportAuditLog', { After: cursor, MaxResults: Math.min(1000, limit - events.length) });
    const got = (page.Events?.Event ?? []) as Body[];
    events.push(...got);
    if (!page.Truncated || got.length === 0) break;
    cursor = page.NextAfter;
  }
  ctx.print(events, () => events.map((e) => JSON.stringify(e)).join('\n'));
}

interface MigrateFlags extends CommonFlags { dataDir: string; toMetadata: string; toBlobs: string; rootKeyFile?: string }

/** Copies the embedded store in --data-dir into cluster stores; runs here, against the stores, not through a server. */
async function migrateStore(ctx: Context<MigrateFlags>): Promise<void> {
  const { migrate }: typeof import('../server/migrate') = require('../server/migrate');
  const report = await migrate({
    dataDir: path.resolve(ctx.flags.dataDir),
    toMetadata: ctx.flags.toMetadata,
    toBlobs: ctx.flags.toBlobs,
    rootKeyFile: ctx.flags.rootKeyFile,
    env: process.env,
    progress: ctx.flags.json ? undefined : (line) => process.stderr.write(`${line}\n`),
  });
  ctx.print(report, () => [
    'Migrated and verified: every record and every blob of the embedded store is in the cluster stores.',
    `  Buckets     ${report.buckets}`,
    `  Objects     ${report.objects} (${report.uploads} unfinished multipart upload(s), ${report.parts} part(s))`,
    `  Blobs       ${report.blobs.total}: ${report.blobs.copied} copied (${formatBytes(report.blobs.bytes)}), ${report.blobs.skipped} already there`,
    `  Keys, users and other documents ${report.documents}; settings ${report.settings}; audit records ${report.auditRecords}`,
    'Start the cluster nodes with the same root key (COFFER_ROOT_KEY or --root-key-file).',
  ].join('\n'));
}

export function registerAdmin(program: Command): void {
  const admin = program
    .command('admin')
    .description('administer a running Coffer server through its admin API (served on the KMS endpoint)');
  examples(admin, 'coffer admin status', 'coffer admin <command> --help');
  const command = (name: string, description: string, api: string, text: (body: Body, ctx: Context) => string): void => {
    const cmd = connectionOptions(admin.command(name), 'kms').description(description);
    examples(cmd,
      `coffer admin ${name} --kms-endpoint http://127.0.0.1:9002 --access-key-id LTAI… --access-key-secret …`,
      `OSS_ACCESS_KEY_ID=LTAI… OSS_ACCESS_KEY_SECRET=… coffer admin ${name} --kms-endpoint http://127.0.0.1:9002 --json`);
    cmd.action(action<CommonFlags>(async (ctx) => {
      const body = await call(ctx, api);
      ctx.print(body, () => text(body, ctx));
    }));
  };
  command('rotate-master-key', 'add a new SSE-OSS master key version and make it current (account root only)', 'RotateMasterKey', rotationText);
  const rewrapCmd = connectionOptions(admin.command('rewrap-master-keys'), 'kms')
    .description('re-seal the keys of SSE-OSS objects that an older master key version sealed under the current one; data is not touched (account root only)')
    .option('--batch <n>', 'objects per request', '1000');
  examples(rewrapCmd,
    'coffer admin rewrap-master-keys --kms-endpoint http://127.0.0.1:9002 --access-key-id LTAI… --access-key-secret …',
    'coffer admin rotate-master-key && coffer admin rewrap-master-keys --batch 500 --json');
  rewrapCmd.action(action<RewrapFlags>(rewrap));
  command('status', 'show the server version, node, backends, uptime, storage use and master key versions', 'DescribeStatus', (body, ctx) => statusText(body, ctx.endpoint('kms').origin));
  const checkCmd = connectionOptions(admin.command('check'), 'kms')
    .description('read every object and unfinished upload part once and verify it: blobs present with the right length, encrypted packages authenticate, CRC-64 matches; lists what is missing or damaged, exit code 1 if anything is (account root only)')
    .option('--batch <n>', 'objects per request (each also reads at most 256 MiB)', '1000');
  examples(checkCmd,
    'coffer admin check --kms-endpoint http://127.0.0.1:9002 --access-key-id LTAI… --access-key-secret …',
    'coffer admin check --json > problems.json || echo "damaged objects found"');
  checkCmd.action(action<CheckFlags>(check));
  const backupCmd = connectionOptions(admin.command('backup'), 'kms')
    .argument('<dir>', 'a new or empty directory on the server\'s machine (relative: from the current directory)')
    .description('take a consistent online backup of the embedded store (its SQLite metadata and the blobs it names) while the server keeps serving; the root key is not copied (account root only)');
  examples(backupCmd,
    'coffer admin backup /backups/coffer-2026-11-24 --kms-endpoint http://127.0.0.1:9002 --access-key-id LTAI… --access-key-secret …',
    'coffer admin backup ./backup --json');
  backupCmd.action(action<CommonFlags, [string]>(backup));
  command('collect-blobs', 'delete now the blobs no object owns whose grace period has passed (the server also does this in the background)', 'CollectBlobs',
    (body) => `Collected ${body.Retired} retired and ${body.Orphans} orphaned blob(s) and ${body.PartialWrites} partial write(s) (grace ${body.GraceSeconds} s; ${body.Scanned} blob(s) scanned).`);
  const auditCmd = connectionOptions(admin.command('audit'), 'kms')
    .description('export the KMS audit trail of the whole cluster (who used or changed which key), oldest first (account root only)')
    .option('--after <seq>', 'only records after this record number (the Seq of the last record already exported)', '0')
    .option('--limit <n>', 'at most this many records');
  examples(auditCmd,
    'coffer admin audit --kms-endpoint http://127.0.0.1:9002 > audit.jsonl',
    'coffer admin audit --after 1200 --limit 100 --json');
  auditCmd.action(action<AuditFlags>(audit));
  const migrateCmd = admin.command('migrate')
    .description('copy an embedded store (SQLite + files in --data-dir) into cluster stores (PostgreSQL + S3), as it is, then verify every record and blob; resumable. Stop the server first.')
    .option('--data-dir <dir>', 'the embedded store to copy', './data')
    .requiredOption('--to-metadata <url>', 'target metadata store: postgres://user:password@host:port/db')
    .requiredOption('--to-blobs <url>', 'target blob store: s3://bucket[/prefix]?endpoint=http://host:port&region=REGION (credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)')
    .option('--root-key-file <file>', 'the store\'s root key (default: COFFER_ROOT_KEY, else <data-dir>/root.key)')
    .option('--json', 'print the report as JSON');
  examples(migrateCmd,
    "coffer admin migrate --data-dir ./data --to-metadata postgres://coffer:secret@db:5432/coffer --to-blobs 's3://coffer-blobs?endpoint=http://rgw:7480&region=us-east-1'");
  migrateCmd.action(action<MigrateFlags>(migrateStore));
}
