/**
 * The OSS side of the CLI: oss://bucket/key URLs, the ali-oss client (typed here for the calls the
 * CLI makes; ali-oss ships no declarations), and the SSE options shared by mb, cp and encrypt.
 */
import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import type { Command } from 'commander';
import type { Context } from './context';
import { UsageError } from './errors';

export interface OssUrl {
  bucket: string;
  /** '' for the bucket itself; a prefix or a key otherwise. */
  key: string;
}

// OSS bucket names: 3-63 of a-z 0-9 -, starting and ending with a letter or digit.
const BUCKET = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

export const isOssUrl = (s: string): boolean => s.startsWith('oss://');

export function parseOssUrl(s: string): OssUrl {
  if (!isOssUrl(s)) throw new UsageError(`expected an oss://bucket[/key] URL, got ${JSON.stringify(s)}`);
  const rest = s.slice('oss://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  if (!BUCKET.test(bucket)) throw new UsageError(`invalid bucket name ${JSON.stringify(bucket)} in ${s}: 3-63 characters of a-z, 0-9 and -, starting and ending with a letter or digit`);
  return { bucket, key: slash < 0 ? '' : rest.slice(slash + 1) };
}

export const ossUrl = (bucket: string, key = ''): string => (key ? `oss://${bucket}/${key}` : `oss://${bucket}`);

export type Headers = Record<string, string>;

export interface OssResult {
  res: { status: number; headers: Headers };
}

export interface ObjectSummary {
  name: string;
  size: number;
  lastModified: string;
  etag: string;
  type: string;
  storageClass: string;
}

export interface BucketSummary {
  name: string;
  region: string;
  creationDate: string;
  storageClass: string;
}

export interface ListedPart {
  PartNumber: string;
  ETag: string;
  Size: string;
}

/** The ali-oss 6.x calls the CLI makes. */
/** One object version as ali-oss's getBucketVersions reads it. */
export interface VersionSummary { name: string; versionId: string; isLatest: boolean; lastModified: string; etag: string; size: number; storageClass: string }

export interface OssClient {
  options: { bucket: string | null };
  putBucket(name: string, options?: { acl?: string; headers?: Headers; storageClass?: string }): Promise<OssResult>;
  deleteBucket(name: string): Promise<OssResult>;
  listBuckets(query: Record<string, string | number>): Promise<{ buckets: BucketSummary[] | null; isTruncated: boolean; nextMarker: string | null }>;
  getBucketInfo(name: string): Promise<{ bucket: Record<string, any> }>;
  getBucketEncryption(name: string): Promise<{ encryption: Record<string, string> }>;
  getBucketVersioning(name: string): Promise<{ versionStatus?: 'Enabled' | 'Suspended' }>;
  deleteBucketEncryption(name: string): Promise<OssResult>;
  listV2(query: Record<string, string | number>, options?: object): Promise<{ objects?: ObjectSummary[] | null; prefixes?: string[] | null; isTruncated: boolean; nextContinuationToken: string | null }>;
  head(key: string): Promise<OssResult>;
  getACL(key: string): Promise<{ acl: string; owner: { id: string; displayName: string } }>;
  put(key: string, data: Buffer, options?: { headers?: Headers; mime?: string }): Promise<OssResult>;
  putStream(key: string, stream: Readable, options?: { headers?: Headers; contentLength?: number; mime?: string }): Promise<OssResult>;
  /** `subres.versionId`: that version (getStream has no versionId option of its own). */
  getStream(key: string, options?: { subres?: Record<string, string> }): Promise<{ stream: Readable; res: OssResult['res'] }>;
  /** `versionId`: the source version. */
  copy(target: string, source: string, sourceBucket: string, options?: { headers?: Headers; versionId?: string }): Promise<OssResult & { data?: { etag: string } }>;
  delete(key: string, options?: { versionId?: string }): Promise<OssResult>;
  /** ListObjectVersions; query names in camelCase (keyMarker, versionIdMarker, maxKeys). */
  getBucketVersions(query: Record<string, string | number>): Promise<{
    objects: VersionSummary[]; deleteMarker: Array<Omit<VersionSummary, 'etag' | 'size' | 'storageClass' | 'isLatest'>>; prefixes: string[] | null;
    isTruncated: boolean; nextKeyMarker: string | null; nextVersionIdMarker: string | null;
  }>;
  deleteMulti(keys: string[], options: { quiet: boolean }): Promise<{ deleted: unknown[] }>;
  initMultipartUpload(key: string, options?: { headers?: Headers; mime?: string }): Promise<{ uploadId: string }>;
  uploadPart(key: string, uploadId: string, partNo: number, data: Buffer, start: number, end: number): Promise<{ etag: string }>;
  completeMultipartUpload(key: string, uploadId: string, parts: Array<{ number: number; etag: string }>): Promise<OssResult & { etag: string }>;
  listParts(key: string, uploadId: string, query: Record<string, string | number>): Promise<{ parts: ListedPart | ListedPart[]; isTruncated: string | boolean; nextPartNumberMarker: string }>;
  abortMultipartUpload(key: string, uploadId: string): Promise<OssResult>;
  signatureUrlV4(method: string, expires: number, request: { headers?: Headers; queries?: Record<string, string> }, objectName: string): Promise<string>;
  // Generic signed request, for what ali-oss has no method for (see putBucketEncryption below).
  request(params: Record<string, unknown>): Promise<OssResult>;
  _bucketRequestParams(method: string, bucket: string, subres: string, options?: object): Record<string, unknown>;
}

/** Path style (bucket in the path) for host names; ali-oss moves the bucket into the Host header itself for IP endpoints. */
export function ossClient(ctx: Context, bucket?: string, options: { pathStyle?: boolean } = {}): OssClient {
  const endpoint = ctx.endpoint('oss');
  const hostname = endpoint.hostname.replace(/^\[|\]$/g, '');
  const OSS = require('ali-oss');
  return new OSS({
    endpoint: endpoint.origin,
    ...ctx.credentials(),
    region: `oss-${ctx.region()}`,
    bucket,
    sldEnable: options.pathStyle ?? isIP(hostname) === 0,
    // A whole request, e.g. one 8 MiB part on a slow link, not an idle timeout.
    timeout: 10 * 60_000,
  });
}

export const SSE = 'x-oss-server-side-encryption';
export const SSE_KEY_ID = 'x-oss-server-side-encryption-key-id';
export const SSE_DATA = 'x-oss-server-side-data-encryption';

export interface SseTarget {
  algorithm: 'AES256' | 'SM4' | 'KMS';
  keyId?: string;
  dataEncryption?: 'SM4';
}

const ALGORITHMS = ['AES256', 'SM4', 'KMS'] as const;

/**
 * The encryption requested by `--<algorithmFlag>`, `--<keyFlag>` and `--<dataFlag>`, checked as
 * OSS checks them: a key id or SM4 data encryption only with KMS.
 */
export function sseFrom(algorithm: string | undefined, keyId: string | undefined, data: string | undefined, names: [string, string, string]): SseTarget | null {
  const [algorithmFlag, keyFlag, dataFlag] = names;
  if (algorithm === undefined) {
    if (keyId !== undefined || data !== undefined) throw new UsageError(`${keyId !== undefined ? keyFlag : dataFlag} needs ${algorithmFlag} KMS`);
    return null;
  }
  const upper = algorithm.toUpperCase();
  if (!(ALGORITHMS as readonly string[]).includes(upper)) throw new UsageError(`${algorithmFlag} must be AES256, SM4 or KMS, got ${JSON.stringify(algorithm)}`);
  if (upper !== 'KMS' && (keyId !== undefined || data !== undefined)) throw new UsageError(`${keyId !== undefined ? keyFlag : dataFlag} needs ${algorithmFlag} KMS`);
  if (data !== undefined && data.toUpperCase() !== 'SM4') throw new UsageError(`${dataFlag} supports only SM4, got ${JSON.stringify(data)}`);
  if (keyId !== undefined && !keyId.trim()) throw new UsageError(`${keyFlag} must not be empty`);
  return { algorithm: upper as SseTarget['algorithm'], keyId, dataEncryption: data ? 'SM4' : undefined };
}

export function sseHeaders(sse: SseTarget | null): Headers {
  if (!sse) return {};
  const h: Headers = { [SSE]: sse.algorithm };
  if (sse.keyId) h[SSE_KEY_ID] = sse.keyId;
  if (sse.dataEncryption) h[SSE_DATA] = sse.dataEncryption;
  return h;
}

export const describeSse = (sse: SseTarget): string =>
  [sse.algorithm, sse.keyId && `key ${sse.keyId}`, sse.dataEncryption && 'SM4 data'].filter(Boolean).join(', ');

/** Whether an object's response headers show it encrypted as `sse` asks; without a key id, any KMS key will do. */
export function hasSse(headers: Headers, sse: SseTarget): boolean {
  if (headers[SSE] !== sse.algorithm) return false;
  if (sse.algorithm !== 'KMS') return true;
  if (sse.keyId && headers[SSE_KEY_ID] !== sse.keyId) return false;
  return (headers[SSE_DATA] ?? undefined) === sse.dataEncryption;
}

/** --sse-algorithm, --sse-key-id, --sse-data-encryption, as cp and encrypt take them. */
export function objectSseOptions(cmd: Command): Command {
  return cmd
    .option('--sse-algorithm <algorithm>', 'server-side encryption: AES256, SM4 (SSE-OSS) or KMS (SSE-KMS)')
    .option('--sse-key-id <id>', 'with KMS: the CMK id (default: the managed key alias/acs/oss)')
    .option('--sse-data-encryption <cipher>', 'with KMS: SM4 to encrypt the data with SM4 (default AES-256)');
}

export interface ObjectSseFlags {
  sseAlgorithm?: string;
  sseKeyId?: string;
  sseDataEncryption?: string;
}

export const objectSse = (f: ObjectSseFlags): SseTarget | null =>
  sseFrom(f.sseAlgorithm, f.sseKeyId, f.sseDataEncryption, ['--sse-algorithm', '--sse-key-id', '--sse-data-encryption']);

const xmlEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** PutBucketEncryption. ali-oss 6.23's putBucketEncryption cannot send KMSDataEncryption, so the rule is sent through its generic signed request. */
export async function putBucketEncryption(client: OssClient, bucket: string, rule: SseTarget): Promise<void> {
  const fields = [
    `<SSEAlgorithm>${rule.algorithm}</SSEAlgorithm>`,
    rule.keyId !== undefined ? `<KMSMasterKeyID>${xmlEscape(rule.keyId)}</KMSMasterKeyID>` : '',
    rule.dataEncryption ? `<KMSDataEncryption>${rule.dataEncryption}</KMSDataEncryption>` : '',
  ].join('');
  const params = client._bucketRequestParams('PUT', bucket, 'encryption');
  await client.request({
    ...params,
    mime: 'xml',
    content: `<?xml version="1.0" encoding="UTF-8"?>\n<ServerSideEncryptionRule><ApplyServerSideEncryptionByDefault>${fields}</ApplyServerSideEncryptionByDefault></ServerSideEncryptionRule>`,
    successStatuses: [200],
  });
}

/**
 * Rethrows `err` from a HEAD or a streamed GET of `key`, made precise: those responses carry no
 * error body, so ali-oss reports any 404 as NoSuchKey; GetObjectACL answers with the real error
 * (NoSuchBucket, …) and its RequestId.
 */
export async function explain404(client: OssClient, key: string, err: unknown): Promise<never> {
  if ((err as { status?: number }).status === 404) await client.getACL(key);
  throw err;
}

/** Every object under `prefix` (ListObjectsV2 pages of 1000), page by page. */
export async function* listObjects(client: OssClient, prefix: string): AsyncGenerator<ObjectSummary[]> {
  let token: string | null = null;
  do {
    const page: Awaited<ReturnType<OssClient['listV2']>> = await client.listV2({ prefix, 'max-keys': 1000, ...(token ? { 'continuation-token': token } : {}) });
    if (page.objects?.length) yield page.objects;
    token = page.isTruncated ? page.nextContinuationToken : null;
  } while (token);
}

export async function allObjects(client: OssClient, prefix: string): Promise<ObjectSummary[]> {
  const all: ObjectSummary[] = [];
  for await (const page of listObjects(client, prefix)) all.push(...page);
  return all;
}
