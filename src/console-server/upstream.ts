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
export interface OssClient {
  listBuckets(query: Record<string, string | number>): Promise<{ buckets: { name: string }[] | null; isTruncated: boolean }>;
  getBucketInfo(name: string): Promise<{ bucket: OssBucketInfo }>;
  putBucket(name: string, options: { acl: string; headers: Headers }): Promise<unknown>;
  deleteBucket(name: string): Promise<unknown>;
  getBucketEncryption(name: string): Promise<{ encryption: { SSEAlgorithm: string; KMSMasterKeyID?: string; KMSDataEncryption?: string } }>;
  deleteBucketEncryption(name: string): Promise<unknown>;
  listV2(query: Record<string, string | number>): Promise<{
    objects: OssObjectSummary[]; prefixes: string[] | null; isTruncated: boolean; nextContinuationToken: string | null;
  }>;
  head(name: string): Promise<{ res: { headers: Record<string, string> } }>;
  getACL(name: string): Promise<{ acl: string }>;
  getStream(name: string): Promise<{ stream: Readable; res: { headers: Record<string, string> } }>;
  delete(name: string): Promise<unknown>;
  putStream(name: string, stream: Readable, options: { contentLength: number; mime?: string; headers: Headers }): Promise<{ res: { headers: Record<string, string> } }>;
  copy(name: string, source: string, options: { headers: Headers }): Promise<unknown>;
  initMultipartUpload(name: string, options: { mime?: string; headers: Headers }): Promise<{ uploadId: string }>;
  /** ali-oss's own part upload from a stream of known size (its public uploadPart reads a file). */
  _uploadPart(name: string, uploadId: string, partNo: number, data: { stream: Readable; size: number }): Promise<{ etag: string }>;
  completeMultipartUpload(name: string, uploadId: string, parts: { number: number; etag: string }[]): Promise<{ res: { headers: Record<string, string> } }>;
  abortMultipartUpload(name: string, uploadId: string): Promise<unknown>;
  /** ali-oss's request builder and sender, as its own bucket calls use them. */
  _bucketRequestParams(method: string, bucket: string, subres: string): OssRequestParams;
  request(params: OssRequestParams): Promise<unknown>;
}

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
    oss: (bucket) => new OSS({
      endpoint: oss.origin, region: `oss-${target.region}`, accessKeyId, accessKeySecret, bucket, timeout: OSS_TIMEOUT_MS,
      ...(tls ? { httpsAgent: selfTlsAgent } : {}),
    }),
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

/**
 * Awaits an API call, turning its failure into the API's own error (status, code, message,
 * request id), so the page shows what the API said. ali-oss reports OSS errors as
 * { status, code, requestId }; the RPC SDKs put the JSON error body in `data`.
 */
export async function call<T>(source: Exclude<ErrorSource, 'console'>, pending: Promise<T>): Promise<T> {
  try {
    return await pending;
  } catch (raw) {
    const err = (raw ?? {}) as SdkError;
    if (err.data?.Code) {
      const status = err.statusCode ?? err.entry?.response?.statusCode ?? Number(/\bcode: (\d{3})\b/.exec(err.message ?? '')?.[1] ?? 502);
      throw new ApiError(status, err.data.Code, err.data.Message ?? '', source, err.data.RequestId);
    }
    if (typeof err.status === 'number' && err.status >= 400 && err.code) {
      throw new ApiError(err.status, err.code, (err.message ?? '').split('\n')[0], source, err.requestId);
    }
    // ali-oss checks some arguments (bucket names) before sending anything.
    if (raw instanceof Error && raw.name === 'Error' && err.status === undefined && err.code === undefined) {
      throw new ApiError(400, 'InvalidArgument', raw.message, source);
    }
    throw new ApiError(502, 'UpstreamUnavailable', `The ${source.toUpperCase()} endpoint could not be reached: ${err.code ?? err.name ?? 'error'}.`, source);
  }
}
