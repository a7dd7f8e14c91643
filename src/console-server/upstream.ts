/**
 * The console's clients of Coffer's own APIs, one set per session, signed with the session's
 * access key pair: ali-oss for the OSS endpoint, the official KMS (2016-01-20) and RAM (2015-05-01)
 * SDKs for the RPC endpoint, and pop-core for Coffer's admin API there. Every console action is
 * one or more of these calls, so it passes the same signature and policy checks as any other
 * client, and a refusal comes back as the API's error.
 */
import https from 'node:https';
import type { Readable } from 'node:stream';
import KmsClient from '@alicloud/kms20160120';
import RPCClient from '@alicloud/pop-core';
import RamClient from '@alicloud/ram20150501';
import { ADMIN_VERSION } from '../admin/service';
import { XMLParser } from 'fast-xml-parser';
import { ApiError, type ErrorSource } from './http';

/** Where the APIs listen (the listeners' own URLs) and the region to sign V4 / name in requests. */
export interface UpstreamTarget {
  oss: string;
  kms: string;
  region: string;
}

export interface OssBucketInfo {
  Name: string;
  Location: string;
  CreationDate: string;
  StorageClass: string;
  AccessControlList: { Grant: string };
  ServerSideEncryptionRule: { SSEAlgorithm: string; KMSMasterKeyID?: string; KMSDataEncryption?: string };
}

export interface OssObjectSummary { name: string; lastModified: string; etag: string; size: number; type: string; storageClass: string }

type Headers = Record<string, string>;
interface OssRequestParams { method: string; headers?: Headers; mime?: string; content?: string; successStatuses?: number[] }

/** The ali-oss calls the console makes (ali-oss ships no type declarations). */
/** One object version as ali-oss's getBucketVersions reads it. */
export interface OssVersionSummary { name: string; versionId: string; isLatest: boolean; lastModified: string; etag: string; size: number }

export interface OssClient {
  listBuckets(query: Record<string, string | number>): Promise<{ buckets: { name: string }[] | null; isTruncated: boolean }>;
  getBucketInfo(name: string): Promise<{ bucket: OssBucketInfo }>;
  putBucket(name: string, options: { acl: string; headers: Headers }): Promise<unknown>;
  deleteBucket(name: string): Promise<unknown>;
  /** GetBucketStat: the figures as strings (ObjectCount, Storage, MultipartUploadCount, LastModifiedTime in seconds, …). */
  getBucketStat(name: string): Promise<{ stat: Record<string, string> }>;
  getBucketEncryption(name: string): Promise<{ encryption: { SSEAlgorithm: string; KMSMasterKeyID?: string; KMSDataEncryption?: string } }>;
  deleteBucketEncryption(name: string): Promise<unknown>;
  deleteBucketPolicy(name: string): Promise<unknown>;
  listV2(query: Record<string, string | number>): Promise<{
    objects: OssObjectSummary[]; prefixes: string[] | null; isTruncated: boolean; nextContinuationToken: string | null;
  }>;
  head(name: string): Promise<{ res: { headers: Record<string, string> } }>;
  getACL(name: string): Promise<{ acl: string }>;
  delete(name: string, options?: { versionId?: string }): Promise<unknown>;
  /** ListObjectVersions; query names in camelCase (keyMarker, versionIdMarker, maxKeys). */
  getBucketVersions(query: Record<string, string | number>): Promise<{
    objects: OssVersionSummary[]; deleteMarker: Array<{ name: string; versionId: string; lastModified: string }>;
    isTruncated: boolean; nextKeyMarker: string | null; nextVersionIdMarker: string | null;
  }>;
  putStream(name: string, stream: Readable, options: { contentLength: number; mime?: string; headers: Headers }): Promise<{ res: { headers: Record<string, string> } }>;
  copy(name: string, source: string, options: { headers: Headers }): Promise<unknown>;
  initMultipartUpload(name: string, options: { mime?: string; headers: Headers }): Promise<{ uploadId: string }>;
  /** ali-oss's own part upload from a stream of known size (its public uploadPart reads a file). */
  _uploadPart(name: string, uploadId: string, partNo: number, data: { stream: Readable; size: number }): Promise<{ etag: string }>;
  completeMultipartUpload(name: string, uploadId: string, parts: { number: number; etag: string }[]): Promise<{ res: { headers: Record<string, string> } }>;
  abortMultipartUpload(name: string, uploadId: string): Promise<unknown>;
  /** ali-oss's request builders and sender, as its own bucket and object calls use them. */
  _bucketRequestParams(method: string, bucket: string, subres: string): OssRequestParams;
  _objectRequestParams(method: string, key: string, options: Record<string, unknown>): OssRequestParams;
  request(params: OssRequestParams & { customResponse?: boolean }): Promise<unknown>;
}

/** What ali-oss's request() resolves to with customResponse: the body left unread in `res`. */
interface OssRawResponse { status: number; headers: Record<string, string>; res: Readable }

/** Every status counts as an answer: the caller reads a refusal's body itself. */
const ANY_STATUS = Array.from({ length: 500 }, (_, i) => 100 + i);

// eslint-disable-next-line @typescript-eslint/no-require-imports
const OSS: new (options: Record<string, unknown>) => OssClient = require('ali-oss');

export type KmsRuntime = Parameters<KmsClient['describeKeyEx']>[1];
export type RamRuntime = Parameters<RamClient['getUserWithOptions']>[1];

export interface Upstream {
  /** An ali-oss client, for one bucket or (no argument) for service-level calls. */
  oss(bucket?: string): OssClient;
  kms: KmsClient;
  kmsRuntime: KmsRuntime;
  ram: RamClient;
  ramRuntime: RamRuntime;
  /** One admin API action (POST, so the signature stays out of URLs). */
  admin(action: string, params?: Record<string, string | number>): Promise<Record<string, any>>;
}

/** A rewrap step over a large store takes a while; pop-core's default is 3 s. */
const ADMIN_TIMEOUT_MS = 60_000;

/** Long enough for an upload part from a slow browser; ali-oss's default is 60 s. */
const OSS_TIMEOUT_MS = 300_000;

/**
 * Over TLS the calls go to this process's own listeners, at the local address they are bound to,
 * so no network lies between the ends; the certificate (often issued for a host name, not that
 * address) is therefore not verified on these connections.
 */
const selfTlsAgent = new https.Agent({ keepAlive: true, rejectUnauthorized: false });

/** A listener bound to every address is reached on loopback. */
function reachable(url: string): URL {
  const u = new URL(url);
  if (u.hostname === '0.0.0.0') u.hostname = '127.0.0.1';
  if (u.hostname === '[::]') u.hostname = '[::1]';
  return u;
}

export function upstreamFor(target: UpstreamTarget, accessKeyId: string, accessKeySecret: string): Upstream {
  const oss = reachable(target.oss);
  const rpc = reachable(target.kms);
  const tls = rpc.protocol === 'https:';
  const rpcConfig = { endpoint: rpc.host, protocol: rpc.protocol.slice(0, -1), accessKeyId, accessKeySecret, regionId: target.region };
  // The SDKs read plain objects; their declared parameter types are tea Model classes.
  const runtime = tls ? { ignoreSSL: true } : {};
  const admin = new RPCClient({ endpoint: rpc.origin, apiVersion: ADMIN_VERSION, accessKeyId, accessKeySecret });
  const adminOptions = { method: 'POST', timeout: ADMIN_TIMEOUT_MS, ...(tls ? { agent: selfTlsAgent } : {}) };
  return {
    oss: (bucket) => {
      try {
        return new OSS({
          endpoint: oss.origin, region: `oss-${target.region}`, accessKeyId, accessKeySecret, bucket, timeout: OSS_TIMEOUT_MS,
          ...(tls ? { httpsAgent: selfTlsAgent } : {}),
        });
      } catch (err) {
        // ali-oss checks the bucket name here, before any request.
        throw upstreamError('oss', err);
      }
    },
    kms: new KmsClient(rpcConfig as unknown as ConstructorParameters<typeof KmsClient>[0]),
    kmsRuntime: runtime as unknown as KmsRuntime,
    ram: new RamClient(rpcConfig as unknown as ConstructorParameters<typeof RamClient>[0]),
    ramRuntime: runtime as unknown as RamRuntime,
    admin: (action, params = {}) => admin.request<Record<string, any>>(action, params, adminOptions),
  };
}

interface SdkError {
  name?: string;
  status?: number;
  statusCode?: number;
  code?: string;
  message?: string;
  requestId?: string;
  data?: { Code?: string; Message?: string; RequestId?: string };
  /** pop-core: the HTTP exchange. */
  entry?: { response?: { statusCode?: number } };
}

/** ali-oss's own check of a bucket name, thrown before anything is sent. */
const ALI_OSS_BUCKET_CHECK = 'The bucket must be conform to the specifications';
/** Node refusing a header value (CR/LF, non-Latin-1), as ali-oss passes it on. */
const INVALID_HEADER = /Invalid character in header content \["([^"]+)"\]/;
/** Node's codes for a request that cannot be sent as asked: the input's fault, not the network's. */
const UNSENDABLE = new Set(['ERR_INVALID_CHAR', 'ERR_HTTP_INVALID_HEADER_VALUE', 'ERR_INVALID_HTTP_TOKEN', 'ERR_UNESCAPED_CHARACTERS', 'ERR_INVALID_URL']);

/**
 * The console's error for a failed API call: the API's own refusal (status, code, message,
 * request id) whenever it answered; 400 when the request could not even be sent because of what
 * the user gave (a bucket name ali-oss refuses, a value no HTTP header may carry); 502/504 when
 * the endpoint did not answer. Anything else is a bug and is left as it is (500, logged).
 */
export function upstreamError(source: Exclude<ErrorSource, 'console'>, raw: unknown): unknown {
  if (raw instanceof ApiError || typeof raw !== 'object' || raw === null) return raw;
  const err = raw as SdkError;
  // The RPC SDKs (kms20160120, ram20150501, pop-core) put the JSON error body in `data`.
  if (err.data?.Code) {
    const status = err.statusCode ?? err.entry?.response?.statusCode ?? Number(/\bcode: (\d{3})\b/.exec(err.message ?? '')?.[1] ?? 502);
    return new ApiError(status, err.data.Code, err.data.Message ?? '', source, err.data.RequestId);
  }
  // ali-oss: { status, code, requestId } once OSS answered (status -1 / -2: no answer).
  if (typeof err.status === 'number' && err.status >= 400) {
    return new ApiError(err.status, err.code || 'UnknownError', (err.message ?? '').split('\n')[0], source, err.requestId);
  }
  const message = err.message ?? '';
  if (message === ALI_OSS_BUCKET_CHECK) return new ApiError(400, 'InvalidBucketName', 'The specified bucket is not valid.');
  const header = INVALID_HEADER.exec(message)?.[1];
  if (header) return new ApiError(400, 'InvalidArgument', `The value for ${header} contains characters an HTTP header cannot carry (control or non-Latin-1 characters).`);
  if (err.code && UNSENDABLE.has(err.code)) return new ApiError(400, 'InvalidArgument', `The request cannot be sent: ${message.split('\n')[0]}`);
  if (/Timeout/.test(err.name ?? '') || err.code === 'ETIMEDOUT') {
    return new ApiError(504, 'UpstreamTimeout', `The ${source.toUpperCase()} endpoint did not answer in time.`, source);
  }
  // No answer at all: a refused or reset connection (Node's E… codes; ali-oss's status -1).
  if (err.status === -1 || /^E[A-Z]+$/.test(err.code ?? '') || /\bE(CONNREFUSED|CONNRESET|PIPE|HOSTUNREACH|NETUNREACH|NOTFOUND|AI_AGAIN)\b/.test(message)) {
    return new ApiError(502, 'UpstreamUnavailable', `The ${source.toUpperCase()} endpoint could not be reached: ${err.code ?? err.name ?? 'error'}.`, source);
  }
  return raw;
}

/**
 * Runs an API call, turning its failure into the API's own error (upstreamError). A function,
 * not a promise: ali-oss throws some refusals synchronously, while the request is being built.
 */
export async function call<T>(source: Exclude<ErrorSource, 'console'>, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (raw) {
    throw upstreamError(source, raw);
  }
}

/** Longest OSS error body read; real ones are well under 1 KiB. */
const MAX_ERROR_BODY = 64 * 1024;
const errorXml = new XMLParser({ processEntities: true, htmlEntities: false, parseTagValue: false });

/**
 * An object's content as a stream (GET), or the API's refusal. ali-oss's getStream discards the
 * body of a refused streamed GET, which carries the error code: this reads it instead.
 */
export async function getObjectStream(
  client: () => OssClient, key: string, range?: string, versionId?: string,
): Promise<{ stream: Readable; headers: Record<string, string> }> {
  const res = await call('oss', () => {
    const oss = client();
    const params = oss._objectRequestParams('GET', key, {
      ...(range && { headers: { Range: range } }), ...(versionId !== undefined && { subres: { versionId } }),
    });
    return oss.request({ ...params, customResponse: true, successStatuses: ANY_STATUS }) as Promise<OssRawResponse>;
  });
  if (res.status === 200 || res.status === 206) return { stream: res.res, headers: res.headers };
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.res as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= MAX_ERROR_BODY) chunks.push(chunk);
  }
  let parsed: { Error?: { Code?: string; Message?: string; RequestId?: string } } = {};
  try {
    parsed = errorXml.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    // Not XML: the status alone says what happened.
  }
  const e = parsed.Error ?? {};
  throw new ApiError(res.status >= 400 ? res.status : 502, e.Code ?? 'UnknownError', e.Message ?? `The OSS API answered ${res.status}.`, 'oss', e.RequestId ?? res.headers['x-oss-request-id']);
}
