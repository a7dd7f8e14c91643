import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before } from 'node:test';
import type { AuthRequest, AuthTarget } from '../../src/auth';

/** A request as it reached the loopback server. */
export interface Captured {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

export interface Recorder {
  port: number;
  requests: Captured[];
  close(): Promise<void>;
}

/** Loopback HTTP server that records requests and answers 200 with an empty body. */
export async function startRecorder(): Promise<Recorder> {
  const requests: Captured[] = [];
  const server = createServer((req, res) => {
    requests.push({ method: req.method!, url: req.url!, headers: req.headers });
    req.resume();
    req.on('end', () => res.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A recorder that runs for the enclosing test file or suite. */
export function useRecorder(): Recorder {
  const recorder = {} as Recorder;
  before(async () => {
    Object.assign(recorder, await startRecorder());
  });
  after(() => recorder.close());
  return recorder;
}

const decodeQuery = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
const VIRTUAL_HOST = /^(?:([^.]*)\.)?oss-[a-z0-9-]+\.aliyuncs\.com$/;

/** Builds the AuthRequest the way the router would (reference §1.2/§1.3). */
export function toAuthRequest(c: Captured): AuthRequest {
  const q = c.url.indexOf('?');
  const rawPath = q < 0 ? c.url : c.url.slice(0, q);
  const query = q < 0 ? [] : c.url.slice(q + 1).split('&').filter((p) => p !== '').map((pair): [string, string] => {
    const eq = pair.indexOf('=');
    return eq < 0 ? [decodeQuery(pair), ''] : [decodeQuery(pair.slice(0, eq)), decodeQuery(pair.slice(eq + 1))];
  });
  const path = decodeURIComponent(rawPath);
  const host = (c.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
  const virtual = VIRTUAL_HOST.exec(host);
  const targets: AuthTarget[] = [];
  const pathStyle = pathStyleTarget(path);
  if (virtual) {
    const bucket = virtual[1] || undefined;
    targets.push(bucket === undefined ? {} : { bucket, ...(path.length > 1 && { key: path.slice(1) }) });
    // ali-oss IP endpoint + sldEnable: bucket both in Host and in the path.
    if (bucket !== undefined && pathStyle.bucket === bucket) targets.push(pathStyle);
  } else {
    targets.push(pathStyle);
  }
  return { method: c.method, headers: c.headers, rawPath, query, targets };
}

function pathStyleTarget(path: string): AuthTarget {
  const rest = path.slice(1);
  if (rest === '') return {};
  const slash = rest.indexOf('/');
  if (slash < 0 || slash === rest.length - 1) return { bucket: slash < 0 ? rest : rest.slice(0, slash) };
  return { bucket: rest.slice(0, slash), key: rest.slice(slash + 1) };
}

/** The slice of the ali-oss client the tests drive (the package ships no types). */
export interface AliClient {
  put(name: string, content: Buffer, options?: object): Promise<unknown>;
  get(name: string, options?: object): Promise<unknown>;
  head(name: string): Promise<unknown>;
  list(query: object): Promise<unknown>;
  listV2(query: object): Promise<unknown>;
  listBuckets(query?: object): Promise<unknown>;
  putBucketACL(bucket: string, acl: string): Promise<unknown>;
  initMultipartUpload(name: string): Promise<unknown>;
  uploadPart(name: string, uploadId: string, partNo: number, file: Buffer, start: number, end: number): Promise<unknown>;
  signatureUrl(name: string, options?: object): string;
  signatureUrlV4(method: string, expires: number, request?: object, objectName?: string, additionalHeaders?: string[]): Promise<string>;
}

const OSS = require('ali-oss') as new (options: object) => AliClient;

export const AK = 'LTAI5tCofferTestKey';
export const BUCKET = 'coffer-bkt';
export const SECRET = 'c0ffer-secret/with+odd=chars';

export const lookup = async (accessKeyId: string) => (accessKeyId === AK ? { accessKeyId: AK, secret: SECRET } : null);

/** Endpoint styles from reference §1.1: clean path style, IP (bucket in Host only), and the ambiguous IP + sldEnable. */
export const ENDPOINTS = {
  pathStyle: (port: number) => ({ endpoint: `http://localhost:${port}`, sldEnable: true }),
  ipHost: (port: number) => ({ endpoint: `http://127.0.0.1:${port}` }),
  ipSld: (port: number) => ({ endpoint: `http://127.0.0.1:${port}`, sldEnable: true }),
} as const;

export function aliClient(options: object): AliClient {
  return new OSS({ accessKeyId: AK, accessKeySecret: SECRET, bucket: BUCKET, timeout: 5000, ...options });
}

/** Runs one client call against the recorder and returns the single request it sent. */
export async function captureCall(recorder: Recorder, call: () => Promise<unknown>): Promise<Captured> {
  const seen = recorder.requests.length;
  // The empty 200 answer often fails the client's response parsing; only the request matters.
  await call().catch(() => undefined);
  const sent = recorder.requests.slice(seen);
  if (sent.length !== 1) throw new Error(`expected one request, got ${sent.length}`);
  return sent[0]!;
}

/** Sends a request to a presigned URL, byte for byte, to the recorder and returns what arrived. */
export async function capturePresigned(
  recorder: Recorder,
  url: string,
  method = 'GET',
  headers: Record<string, string> = {},
): Promise<Captured> {
  const m = /^https?:\/\/([^/]+)(\/.*)$/.exec(url);
  if (!m) throw new Error(`unexpected URL ${url}`);
  return captureCall(recorder, () =>
    new Promise((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: recorder.port, method, path: m[2], headers: { host: m[1]!, ...headers } },
        (res) => res.resume().on('end', resolve),
      );
      req.on('error', reject).end();
    }),
  );
}

/** ali-oss's own signing helpers, used to build the forms other SDKs (oss2, Go) send. */
export interface AliSignUtils {
  buildCanonicalString(method: string, resource: string, request: { headers: object; parameters?: object }, expires?: string): string;
  computeSignature(secret: string, stringToSign: string): string;
  getCanonicalRequest(method: string, request: { headers: object; queries?: object }, bucket?: string, object?: string, additionalHeaders?: string[]): string;
  getStringToSign(region: string, date: string, canonicalRequest: string): string;
  getSignatureV4(secret: string, day: string, region: string, stringToSign: string): string;
}

export const aliSignUtils = require('ali-oss/lib/common/signUtils.js') as AliSignUtils;
