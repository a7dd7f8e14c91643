/** `coffer stat`, `set-meta`, `rm` and `presign`. */
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { action, connectionOptions, examples, type CommonFlags, type Context } from './context';
import { UsageError } from './errors';
import { formatTime, keyValueLines, parseCount } from './format';
import { allObjects, explain404, ossClient, ossUrl, parseOssUrl, sseFrom, SSE, SSE_DATA, SSE_KEY_ID, type Headers, type OssClient, type OssResult } from './oss-client';

/** Go's http.CanonicalHeaderKey, which ossutil prints: "x-oss-hash-crc64ecma" → "X-Oss-Hash-Crc64ecma". */
const canonicalHeader = (name: string): string =>
  name.toLowerCase().split('-').map((w) => (w ? w[0].toUpperCase() + w.slice(1) : w)).join('-');

/** Response headers about the connection, not the object; ossutil leaves them out too. */
const NOT_OBJECT = new Set(['date', 'server', 'connection', 'keep-alive', 'transfer-encoding', 'x-oss-request-id', 'x-oss-server-time']);

/** HeadObject and GetObjectACL, at once. */
async function headWithAcl(client: OssClient, key: string): Promise<{ headers: Headers; acl: string; owner: string }> {
  const [head, acl] = await Promise.all([client.head(key).catch((err) => explain404(client, key, err)), client.getACL(key)]);
  return { headers: head.res.headers, acl: acl.acl, owner: acl.owner.id };
}

/** The `Key : Value` pairs of ossutil's stat, sorted as it sorts them (byte order). */
function statRows(headers: Headers, acl: string, owner: string): Array<[string, string]> {
  const rows: Array<[string, string]> = [['ACL', acl], ['Owner', owner]];
  for (const [name, value] of Object.entries(headers)) {
    if (NOT_OBJECT.has(name)) continue;
    const shown = name === 'etag' ? value.replace(/"/g, '') : name === 'last-modified' ? formatTime(value) : value;
    rows.push([canonicalHeader(name), shown]);
  }
  return rows.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

async function statBucket(ctx: Context, bucket: string): Promise<void> {
  const { bucket: b } = await ossClient(ctx, bucket).getBucketInfo(bucket);
  const sse = b.ServerSideEncryptionRule ?? {};
  const rows: Array<[string, string | undefined]> = [
    ['Name', b.Name], ['Location', b.Location], ['CreationDate', b.CreationDate && formatTime(b.CreationDate)],
    ['ExtranetEndpoint', b.ExtranetEndpoint], ['IntranetEndpoint', b.IntranetEndpoint], ['ACL', b.AccessControlList?.Grant],
    ['Owner', b.Owner?.ID], ['StorageClass', b.StorageClass], ['SSEAlgorithm', sse.SSEAlgorithm],
    ['KMSMasterKeyID', sse.KMSMasterKeyID], ['KMSDataEncryption', sse.KMSDataEncryption],
  ];
  const shown = rows.filter((r): r is [string, string] => typeof r[1] === 'string' && r[1] !== '');
  ctx.print(Object.fromEntries(shown), () => keyValueLines(shown, 18));
}

function registerStat(program: Command): void {
  const cmd = connectionOptions(program.command('stat <url>'), 'oss')
    .description("show an object's metadata as ossutil stat does (encryption included), or a bucket's");
  examples(cmd, 'coffer stat oss://examplebucket/01.txt', 'coffer stat oss://examplebucket');
  cmd.action(action<CommonFlags, [string]>(async (ctx, url) => {
    const { bucket, key } = parseOssUrl(url);
    if (!key) return statBucket(ctx, bucket);
    const { headers, acl, owner } = await headWithAcl(ossClient(ctx, bucket), key);
    const rows = statRows(headers, acl, owner);
    ctx.print(Object.fromEntries(rows), () => keyValueLines(rows));
  }));
}

/** Headers set-meta may set: what CopyObject with REPLACE stores, the SSE settings and the ACL. */
const CONTENT = ['cache-control', 'content-disposition', 'content-encoding', 'content-language', 'content-type', 'expires'];
const SSE_NAMES = [SSE, SSE_KEY_ID, SSE_DATA];
const ACL = 'x-oss-object-acl';
const settable = (name: string): boolean => CONTENT.includes(name) || SSE_NAMES.includes(name) || name === ACL || (name.startsWith('x-oss-meta-') && name.length > 'x-oss-meta-'.length);

/** "Name:Value#Name:Value" arguments, as ossutil takes them; with --delete the values may be left out. */
function parseMetaArgs(args: string[], valuesRequired: boolean): Headers {
  const out: Headers = {};
  for (const item of args.flatMap((a) => a.split('#')).filter((s) => s !== '')) {
    const colon = item.indexOf(':');
    const name = (colon < 0 ? item : item.slice(0, colon)).trim().toLowerCase();
    if (colon < 0 && valuesRequired) throw new UsageError(`expected Header:Value, got ${JSON.stringify(item)}`);
    if (!settable(name)) {
      throw new UsageError(`set-meta cannot set ${JSON.stringify(name)}: use ${CONTENT.map(canonicalHeader).join(', ')}, X-Oss-Meta-*, ${SSE_NAMES.map(canonicalHeader).join(', ')} or X-Oss-Object-Acl`);
    }
    out[name] = colon < 0 ? '' : item.slice(colon + 1).trim();
  }
  return out;
}

/**
 * Copies an object onto itself with `headers` (which carry the ACL: a copy resets it), keeping its
 * storage class, and only if it is still the object `current` describes.
 */
export function rewriteObject(client: OssClient, key: string, current: Headers, headers: Headers): Promise<OssResult> {
  return client.copy(key, key, client.options.bucket!, {
    headers: {
      ...headers,
      ...(current['x-oss-storage-class'] ? { 'x-oss-storage-class': current['x-oss-storage-class'] } : {}),
      'x-oss-copy-source-if-match': current.etag,
    },
  });
}

interface SetMetaFlags extends CommonFlags {
  update?: boolean;
  delete?: boolean;
}

/** The header set an object gets from set-meta: see the command's help for the three modes. */
function newMeta(current: Headers, given: Headers, mode: 'replace' | 'update' | 'delete'): Headers {
  const keep = (names: (n: string) => boolean): Headers => Object.fromEntries(Object.entries(current).filter(([n]) => settable(n) && names(n)));
  let next: Headers;
  if (mode === 'update') next = { ...keep(() => true), ...given };
  else if (mode === 'delete') next = keep((n) => !(n in given));
  else next = { ...keep((n) => SSE_NAMES.includes(n) || n === ACL), ...given };
  // Leaving KMS drops the KMS-only settings the object had; naming them with another algorithm is an error.
  if (next[SSE] !== 'KMS') {
    for (const n of [SSE_KEY_ID, SSE_DATA]) {
      if (n in given && mode !== 'delete') throw new UsageError(`${canonicalHeader(n)} needs ${canonicalHeader(SSE)}:KMS`);
      delete next[n];
    }
  }
  if (next[SSE] !== undefined) sseFrom(next[SSE], next[SSE_KEY_ID], next[SSE_DATA], SSE_NAMES.map(canonicalHeader) as [string, string, string]);
  return next;
}

function registerSetMeta(program: Command): void {
  const cmd = connectionOptions(program.command('set-meta <url> [headers...]'), 'oss')
    .description('change the metadata or the encryption of an object in place (CopyObject onto itself, as oss2 update_object_meta does)')
    .option('-u, --update', 'change only the headers given; keep the rest')
    .option('--delete', 'remove the headers named (values may be left out)')
    .addHelpText('after', '\nHeaders are Name:Value, several in one argument joined by #. Without --update or --delete the given\n' +
      'headers replace all content headers and user metadata; the encryption and ACL stay unless named.\n' +
      'Settable: Content-Type, Cache-Control, Content-Disposition, Content-Encoding, Content-Language, Expires,\n' +
      'X-Oss-Meta-*, X-Oss-Server-Side-Encryption, X-Oss-Server-Side-Encryption-Key-Id, X-Oss-Server-Side-Data-Encryption, X-Oss-Object-Acl.');
  examples(cmd,
    'coffer set-meta oss://examplebucket/01.txt X-Oss-Server-Side-Encryption:AES256 --update',
    'coffer set-meta oss://examplebucket/01.txt "X-Oss-Server-Side-Encryption:KMS#X-Oss-Server-Side-Encryption-Key-Id:0b6f…" --update',
    'coffer set-meta oss://examplebucket/01.txt X-Oss-Meta-Author --delete');
  cmd.action(action<SetMetaFlags, [string, string[]]>(async (ctx, url, args) => {
    const { bucket, key } = parseOssUrl(url);
    if (!key) throw new UsageError('set-meta needs an object URL oss://bucket/key');
    if (ctx.flags.update && ctx.flags.delete) throw new UsageError('--update and --delete exclude each other');
    const mode = ctx.flags.update ? 'update' : ctx.flags.delete ? 'delete' : 'replace';
    const given = parseMetaArgs(args, mode !== 'delete');
    if (!Object.keys(given).length) throw new UsageError('name at least one header, e.g. X-Oss-Server-Side-Encryption:AES256');
    const client = ossClient(ctx, bucket);
    const { headers: current, acl } = await headWithAcl(client, key);
    const next = newMeta({ ...current, [ACL]: acl }, given, mode);
    const res = await rewriteObject(client, key, current, { [ACL]: 'default', ...next, 'x-oss-metadata-directive': 'REPLACE' });
    const shown = Object.entries(next).filter(([n, v]) => !(n === ACL && v === 'default')).map(([n, v]): [string, string] => [canonicalHeader(n), v]).sort(([a], [b]) => (a < b ? -1 : 1));
    ctx.print({ url: ossUrl(bucket, key), headers: Object.fromEntries(shown), requestId: res.res.headers['x-oss-request-id'] },
      () => `Updated ${ossUrl(bucket, key)}:\n${keyValueLines(shown)}`);
  }));
}

interface RmFlags extends CommonFlags {
  recursive?: boolean;
  force?: boolean;
  versionId?: string;
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

function registerRm(program: Command): void {
  const cmd = connectionOptions(program.command('rm <url>'), 'oss')
    .description('remove an object, or with -r every object whose key starts with the prefix')
    .option('-r, --recursive', 'remove every object under oss://bucket[/prefix] (DeleteMultipleObjects, 1000 at a time)')
    .option('-f, --force', 'do not ask before removing recursively (needed with -r when stdin is not a terminal)')
    .option('--version-id <id>', 'remove that version of the object (or that delete marker) for good')
    .addHelpText('after', '\nIn a versioned bucket, rm without --version-id (and rm -r) adds a delete marker: the object\n' +
      'disappears from listings and reads, and its versions stay (coffer ls --all-versions shows them).\n' +
      'rm --version-id removes one version, or one delete marker, for good.');
  examples(cmd, 'coffer rm oss://examplebucket/01.txt', 'coffer rm -r -f oss://examplebucket/logs/', 'coffer rm oss://examplebucket/01.txt --version-id 3q2-Zx…');
  cmd.action(action<RmFlags, [string]>(async (ctx, url) => {
    const { bucket, key } = parseOssUrl(url);
    const client = ossClient(ctx, bucket);
    const versionId = ctx.flags.versionId;
    if (versionId !== undefined && ctx.flags.recursive) throw new UsageError('--version-id names one version of one object: it does not go with -r');
    if (!ctx.flags.recursive) {
      if (!key) throw new UsageError('rm needs an object URL oss://bucket/key, or -r for everything under a prefix (coffer rb removes a bucket)');
      const res = await client.delete(key, versionId !== undefined ? { versionId } : {});
      const h = res.res.headers;
      const marker = h['x-oss-delete-marker'] === 'true';
      ctx.print({ removed: [key], ...(versionId !== undefined && { versionId }), ...(marker && { deleteMarker: true, deleteMarkerVersionId: versionId ?? h['x-oss-version-id'] }), requestId: h['x-oss-request-id'] },
        () => versionId !== undefined
          ? `Removed version ${versionId}${marker ? ' (a delete marker)' : ''} of ${ossUrl(bucket, key)}.`
          : `Removed ${ossUrl(bucket, key)}${marker ? ` (delete marker ${h['x-oss-version-id']}; its versions stay)` : ''}.`);
      return;
    }
    if (!ctx.flags.force) {
      if (!process.stdin.isTTY) throw new UsageError('rm -r asks for confirmation; pass -f to remove without asking');
      if (!(await confirm(`Remove every object under ${ossUrl(bucket, key)}? (y/N) `))) throw new UsageError('not confirmed; nothing removed');
    }
    const keys = (await allObjects(client, key)).map((o) => o.name);
    for (let i = 0; i < keys.length; i += 1000) await client.deleteMulti(keys.slice(i, i + 1000), { quiet: true });
    ctx.print({ removed: keys }, () => `Removed ${keys.length} object(s) under ${ossUrl(bucket, key)}.`);
  }));
}

interface PresignFlags extends CommonFlags {
  expires: string;
  method: string;
}

/** Signature V4 allows at most 7 days. */
const MAX_EXPIRES = 7 * 86_400;

function registerPresign(program: Command): void {
  const cmd = connectionOptions(program.command('presign <url>'), 'oss')
    .description('print a presigned URL (signature V4, path style) that lets anyone holding it read, or write, one object until it expires')
    .option('--expires <seconds>', `validity in seconds, 1 to ${MAX_EXPIRES}`, '3600')
    .option('--method <method>', 'GET (default), PUT or HEAD', 'GET');
  examples(cmd, 'coffer presign oss://examplebucket/01.txt --expires 600', 'curl -T report.pdf "$(coffer presign oss://examplebucket/report.pdf --method PUT)"');
  cmd.action(action<PresignFlags, [string]>(async (ctx, url) => {
    const { bucket, key } = parseOssUrl(url);
    if (!key) throw new UsageError('presign needs an object URL oss://bucket/key');
    const expires = parseCount(ctx.flags.expires, '--expires', 1, MAX_EXPIRES);
    const method = ctx.flags.method.toUpperCase();
    if (!['GET', 'PUT', 'HEAD'].includes(method)) throw new UsageError(`--method must be GET, PUT or HEAD, got ${JSON.stringify(ctx.flags.method)}`);
    // Path style keeps the bucket in the URL itself; with an IP endpoint ali-oss would otherwise put it only in a Host header that a browser or curl does not send.
    const signed = await ossClient(ctx, bucket, { pathStyle: true }).signatureUrlV4(method, expires, {}, key);
    ctx.print({ url: signed, method, expiresAt: new Date(Date.now() + expires * 1000).toISOString() }, () => signed);
  }));
}

export function registerObjects(program: Command): void {
  registerStat(program);
  registerSetMeta(program);
  registerRm(program);
  registerPresign(program);
}
