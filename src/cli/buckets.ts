/** `coffer mb`, `rb`, `ls` and `bucket-encryption`: buckets, listings and bucket default encryption. */
import type { Command } from 'commander';
import { action, connectionOptions, examples, type CommonFlags, type Context } from './context';
import { UsageError } from './errors';
import { columns, formatTime, keyValueLines } from './format';
import { describeSse, ossClient, ossUrl, parseOssUrl, putBucketEncryption, sseFrom, sseHeaders, type BucketSummary, type ObjectSummary, type OssClient } from './oss-client';

const ACLS = ['private', 'public-read', 'public-read-write'];

interface BucketSseFlags {
  sseAlgorithm?: string;
  kmsMasterkeyId?: string;
  kmsDataEncryption?: string;
}

const bucketSse = (f: BucketSseFlags) =>
  sseFrom(f.sseAlgorithm, f.kmsMasterkeyId, f.kmsDataEncryption, ['--sse-algorithm', '--kms-masterkey-id', '--kms-data-encryption']);

function bucketSseOptions(cmd: Command): Command {
  return cmd
    .option('--sse-algorithm <algorithm>', 'default encryption of new objects: AES256, SM4 or KMS')
    .option('--kms-masterkey-id <id>', 'with KMS: the CMK id (default: the managed key alias/acs/oss)')
    .option('--kms-data-encryption <cipher>', 'with KMS: SM4 to encrypt the data with SM4 (default AES-256)');
}

/** A bucket URL: oss://bucket with nothing after it. */
function bucketOf(url: string): string {
  const u = parseOssUrl(url);
  if (u.key) throw new UsageError(`expected a bucket URL oss://bucket, got ${url}`);
  return u.bucket;
}

async function listBuckets(ctx: Context): Promise<void> {
  const client = ossClient(ctx);
  const buckets: BucketSummary[] = [];
  let marker: string | null = null;
  do {
    const page: Awaited<ReturnType<OssClient['listBuckets']>> = await client.listBuckets({ 'max-keys': 1000, ...(marker ? { marker } : {}) });
    buckets.push(...(page.buckets ?? []));
    marker = page.isTruncated ? page.nextMarker : null;
  } while (marker);
  ctx.print(buckets.map((b) => ({ name: b.name, region: b.region, creationDate: b.creationDate, storageClass: b.storageClass })), () => [
    ...(buckets.length ? [columns([['CreationTime', 'Region', 'StorageClass', 'BucketName'],
      ...buckets.map((b) => [formatTime(b.creationDate), b.region, b.storageClass, ossUrl(b.name)])])] : []),
    `Bucket Number is: ${buckets.length}`,
  ].join('\n'));
}

interface LsFlags extends CommonFlags {
  dirs?: boolean;
  recursive?: boolean;
  allVersions?: boolean;
}

const objectRow = (bucket: string, o: ObjectSummary): string[] =>
  [formatTime(o.lastModified), String(o.size).padStart(12), o.storageClass.padEnd(12), o.etag.replace(/"/g, '').padEnd(38), ossUrl(bucket, o.name)];

/** Objects under a prefix, printed page by page so that a long listing starts at once. */
async function listObjectsAt(ctx: Context<LsFlags>, url: string): Promise<void> {
  const { bucket, key: prefix } = parseOssUrl(url);
  const client = ossClient(ctx, bucket);
  const objects: ObjectSummary[] = [];
  const dirs: string[] = [];
  let token: string | null = null;
  let header = false;
  do {
    const page: Awaited<ReturnType<OssClient['listV2']>> = await client.listV2({
      prefix, 'max-keys': 1000, ...(ctx.flags.dirs ? { delimiter: '/' } : {}), ...(token ? { 'continuation-token': token } : {}),
    });
    const found = page.objects ?? [];
    objects.push(...found);
    dirs.push(...(page.prefixes ?? []));
    if (!ctx.json && found.length) {
      if (!header) process.stdout.write(`${['LastModifiedTime'.padEnd(formatTime(found[0].lastModified).length), 'Size(B)'.padStart(12), 'StorageClass', 'ETAG'.padEnd(38), 'ObjectName'].join('  ')}\n`);
      header = true;
      process.stdout.write(found.map((o) => objectRow(bucket, o).join('  ')).join('\n') + '\n');
    }
    token = page.isTruncated ? page.nextContinuationToken : null;
  } while (token);
  ctx.print(
    { objects: objects.map((o) => ({ key: o.name, size: o.size, lastModified: o.lastModified, etag: o.etag.replace(/"/g, ''), storageClass: o.storageClass, type: o.type })), ...(ctx.flags.dirs ? { directories: dirs } : {}) },
    () => ctx.flags.dirs
      ? [...dirs.map((d) => ossUrl(bucket, d)), `Object and Directory Number is: ${objects.length + dirs.length}`].join('\n')
      : `Object Number is: ${objects.length}`,
  );
}

interface VersionRow { key: string; versionId: string; latest: boolean; deleteMarker: boolean; lastModified: string; size?: number; etag?: string; storageClass?: string }

const bytewise = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

/**
 * Every version and delete marker under a prefix (ListObjectVersions), by key, newest first. ali-oss
 * reads a page's versions and delete markers into two lists (and drops the markers' IsLatest): so a
 * key's versions come first, then its markers, and a key none of whose versions is the latest has a
 * delete marker as its newest.
 */
async function listVersionsAt(ctx: Context<LsFlags>, url: string): Promise<void> {
  const { bucket, key: prefix } = parseOssUrl(url);
  const client = ossClient(ctx, bucket);
  const rows: VersionRow[] = [];
  const dirs: string[] = [];
  let marker: Record<string, string> | null = {};
  while (marker) {
    const page: Awaited<ReturnType<OssClient['getBucketVersions']>> = await client.getBucketVersions({ prefix, maxKeys: 1000, ...(ctx.flags.dirs ? { delimiter: '/' } : {}), ...marker });
    const found: VersionRow[] = [
      ...page.objects.map((o) => ({ key: o.name, versionId: o.versionId, latest: o.isLatest, deleteMarker: false, lastModified: o.lastModified, size: o.size, etag: o.etag.replace(/"/g, ''), storageClass: o.storageClass })),
      ...page.deleteMarker.map((m) => ({ key: m.name, versionId: m.versionId, latest: false, deleteMarker: true, lastModified: m.lastModified })),
    ];
    rows.push(...found.sort((a, b) => bytewise(a.key, b.key)));
    dirs.push(...(page.prefixes ?? []));
    marker = page.isTruncated ? { keyMarker: page.nextKeyMarker!, ...(page.nextVersionIdMarker ? { versionIdMarker: page.nextVersionIdMarker } : {}) } : null;
  }
  const withLatest = new Set(rows.filter((r) => r.latest).map((r) => r.key));
  for (const r of rows) {
    if (r.deleteMarker && !withLatest.has(r.key)) {
      r.latest = true;
      withLatest.add(r.key);
    }
  }
  ctx.print({ versions: rows, ...(ctx.flags.dirs ? { directories: dirs } : {}) }, () => [
    ...(rows.length ? [columns([['LastModifiedTime', 'Size(B)', 'StorageClass', 'ETAG', 'VersionId', 'Latest', 'ObjectName'],
      ...rows.map((r) => [formatTime(r.lastModified), r.deleteMarker ? '(delete marker)' : String(r.size), r.storageClass ?? '', r.etag ?? '', r.versionId, r.latest ? 'yes' : '', ossUrl(bucket, r.key)])])] : []),
    ...(ctx.flags.dirs ? dirs.map((d) => ossUrl(bucket, d)) : []),
    `Version Number is: ${rows.length}`,
  ].join('\n'));
}

function registerLs(program: Command): void {
  const cmd = connectionOptions(program.command('ls [url]'), 'oss')
    .description('list buckets (no URL), or the objects under oss://bucket[/prefix]')
    .option('-d, --dirs', 'one level only: objects and the directories (common prefixes, delimiter "/") right under the prefix')
    .option('-r, --recursive', 'every object under the prefix, however deep (the default)')
    .option('--all-versions', 'every version and delete marker (ListObjectVersions), with their version ids, newest first per key');
  examples(cmd, 'coffer ls', 'coffer ls oss://examplebucket/photos/', 'coffer ls -d oss://examplebucket', 'coffer ls --all-versions oss://examplebucket/report.pdf');
  cmd.action(action<LsFlags, [string | undefined]>(async (ctx, url) => {
    if (ctx.flags.dirs && ctx.flags.recursive) throw new UsageError('-d (one level) and -r (every level) exclude each other');
    if (url === undefined || url === 'oss://') {
      if (ctx.flags.allVersions) throw new UsageError('--all-versions lists the objects of a bucket: give oss://bucket[/prefix]');
      await listBuckets(ctx);
    } else if (ctx.flags.allVersions) {
      await listVersionsAt(ctx, url);
    } else {
      await listObjectsAt(ctx, url);
    }
  }));
}

interface MbFlags extends CommonFlags, BucketSseFlags {
  acl?: string;
  storageClass?: string;
}

function registerMb(program: Command): void {
  const cmd = bucketSseOptions(connectionOptions(program.command('mb <url>'), 'oss')
    .description('make a bucket, optionally with an ACL and default encryption for new objects')
    .option('--acl <acl>', 'private (default), public-read or public-read-write')
    .option('--storage-class <class>', 'Standard (default), IA, Archive, …'));
  examples(cmd, 'coffer mb oss://examplebucket', 'coffer mb oss://examplebucket --sse-algorithm KMS --kms-masterkey-id 0b6f…');
  cmd.action(action<MbFlags, [string]>(async (ctx, url) => {
    const bucket = bucketOf(url);
    if (ctx.flags.acl && !ACLS.includes(ctx.flags.acl)) throw new UsageError(`--acl must be one of ${ACLS.join(', ')}, got ${JSON.stringify(ctx.flags.acl)}`);
    const sse = bucketSse(ctx.flags);
    const client = ossClient(ctx);
    // PutBucket takes the default encryption as SSE headers (reference §6.5): one request, no window without the rule.
    const res = await client.putBucket(bucket, { acl: ctx.flags.acl, headers: sseHeaders(sse), ...(ctx.flags.storageClass ? { storageClass: ctx.flags.storageClass } : {}) });
    ctx.print({ bucket, requestId: res.res.headers['x-oss-request-id'], encryption: sse },
      () => `Created ${ossUrl(bucket)}${sse ? ` with default encryption ${describeSse(sse)}` : ''}.`);
  }));
}

function registerRb(program: Command): void {
  const cmd = connectionOptions(program.command('rb <url>'), 'oss')
    .description('remove an empty bucket (empty it first with coffer rm -r -f oss://bucket)');
  examples(cmd, 'coffer rb oss://examplebucket');
  cmd.action(action<CommonFlags, [string]>(async (ctx, url) => {
    const bucket = bucketOf(url);
    const res = await ossClient(ctx).deleteBucket(bucket);
    ctx.print({ bucket, requestId: res.res.headers['x-oss-request-id'] }, () => `Removed ${ossUrl(bucket)}.`);
  }));
}

interface BucketEncryptionFlags extends CommonFlags, BucketSseFlags {
  method: string;
}

function registerBucketEncryption(program: Command): void {
  const cmd = bucketSseOptions(connectionOptions(program.command('bucket-encryption <url>'), 'oss')
    .description('put, get or delete the default encryption of a bucket (it applies to objects written later, not to existing ones: see coffer encrypt)')
    .requiredOption('--method <method>', 'put, get or delete'));
  examples(cmd,
    'coffer bucket-encryption --method put oss://examplebucket --sse-algorithm AES256',
    'coffer bucket-encryption --method put oss://examplebucket --sse-algorithm KMS --kms-masterkey-id 0b6f… --kms-data-encryption SM4',
    'coffer bucket-encryption --method get oss://examplebucket');
  cmd.action(action<BucketEncryptionFlags, [string]>(async (ctx, url) => {
    const bucket = bucketOf(url);
    const method = ctx.flags.method.toLowerCase();
    const sse = bucketSse(ctx.flags);
    if (method !== 'put' && method !== 'get' && method !== 'delete') throw new UsageError(`--method must be put, get or delete, got ${JSON.stringify(ctx.flags.method)}`);
    if (method === 'put' && !sse) throw new UsageError('--method put needs --sse-algorithm');
    if (method !== 'put' && sse) throw new UsageError(`--method ${method} takes no --sse-algorithm, --kms-masterkey-id or --kms-data-encryption`);
    const client = ossClient(ctx, bucket);
    if (method === 'put') {
      await putBucketEncryption(client, bucket, sse!);
      ctx.print({ bucket, rule: { SSEAlgorithm: sse!.algorithm, KMSMasterKeyID: sse!.keyId, KMSDataEncryption: sse!.dataEncryption } },
        () => `Set the default encryption of ${ossUrl(bucket)} to ${describeSse(sse!)}. Existing objects are unchanged (coffer encrypt ${ossUrl(bucket)} re-encrypts them).`);
    } else if (method === 'get') {
      const { encryption } = await client.getBucketEncryption(bucket);
      const rule = { SSEAlgorithm: encryption.SSEAlgorithm, KMSMasterKeyID: encryption.KMSMasterKeyID, KMSDataEncryption: encryption.KMSDataEncryption };
      ctx.print({ bucket, rule }, () => keyValueLines(Object.entries(rule).filter((e): e is [string, string] => !!e[1]), 18));
    } else {
      await client.deleteBucketEncryption(bucket);
      ctx.print({ bucket, rule: null }, () => `Removed the default encryption of ${ossUrl(bucket)}.`);
    }
  }));
}

export function registerBuckets(program: Command): void {
  registerMb(program);
  registerRb(program);
  registerLs(program);
  registerBucketEncryption(program);
}
