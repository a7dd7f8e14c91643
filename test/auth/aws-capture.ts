/**
 * Requests signed by the AWS SDK's own code (@smithy/signature-v4, @aws-sdk/client-s3), sent over
 * real HTTP to a loopback recorder, and turned into the AwsAuthRequest the router would build:
 * what the server verifies is what a client put on the wire, not what a test assumed it would.
 */
import { createHash, createHmac, type Hash as NodeHash, type Hmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before } from 'node:test';
import { S3Client } from '@aws-sdk/client-s3';
import { HttpRequest } from '@smithy/core/protocols';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { SignatureV4 } from '@smithy/signature-v4';
import type { SourceData } from '@smithy/types';
import type { AwsAuthRequest } from '../../src/auth';

export const AK = 'AKIDCOFFERS3TEST';
/** A secret with the characters that trip up signers: '/', '+', '=', '%', a space. */
export const SECRET = 'c0ffer/s3+secret=with%odd chars';
export const lookup = async (accessKeyId: string) => (accessKeyId === AK ? { accessKeyId: AK, secret: SECRET } : null);

/** SHA-256 / HMAC-SHA256 for the SDK signer, from node:crypto. */
export class Sha256 {
  readonly #secret?: Buffer;
  #hash: NodeHash | Hmac;
  constructor(secret?: SourceData) {
    if (secret !== undefined) this.#secret = toBuffer(secret);
    this.#hash = this.#fresh();
  }
  update(data: SourceData): void {
    this.#hash.update(toBuffer(data));
  }
  async digest(): Promise<Uint8Array> {
    return this.#hash.digest();
  }
  reset(): void {
    this.#hash = this.#fresh();
  }
  #fresh(): NodeHash | Hmac {
    return this.#secret === undefined ? createHash('sha256') : createHmac('sha256', this.#secret);
  }
}

function toBuffer(data: SourceData): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

/** The SDK's signer configured as the S3 client configures it: the path is signed as sent. */
export function s3Signer(region = 'us-east-1', secret = SECRET, accessKeyId = AK): SignatureV4 {
  return new SignatureV4({
    service: 's3',
    region,
    credentials: { accessKeyId, secretAccessKey: secret },
    sha256: Sha256,
    uriEscapePath: false,
    applyChecksum: true,
  });
}

/** S3's encoding of an object key in the path: every byte but unreserved ones and '/'. */
export function encodeKey(key: string): string {
  return key
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))
    .join('/');
}

export interface Captured {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface BodyRecorder {
  port: number;
  requests: Captured[];
}

/** A loopback server that keeps each request (body included) and answers 200 with nothing. */
export function useBodyRecorder(): BodyRecorder {
  const recorder: BodyRecorder = { port: 0, requests: [] };
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => {
      recorder.requests.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(parts) });
      res.end();
    });
  });
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    recorder.port = (server.address() as AddressInfo).port;
  });
  after(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return recorder;
}

export interface Unsigned {
  method?: string;
  /** Host header (and SDK hostname): virtual-hosted or path style. */
  host?: string;
  /** The path as it will be sent (already encoded). */
  path: string;
  query?: Record<string, string | string[]>;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export function httpRequest(r: Unsigned): HttpRequest {
  const host = r.host ?? 's3.example.com';
  return new HttpRequest({
    method: r.method ?? 'GET',
    protocol: 'http:',
    hostname: host,
    path: r.path,
    query: r.query ?? {},
    headers: { host, ...r.headers },
    ...(r.body !== undefined && { body: r.body }),
  });
}

const sender = new NodeHttpHandler();

/** Sends a signed request to the recorder (Host as signed) and returns what arrived. */
export async function sendToRecorder(recorder: BodyRecorder, signed: HttpRequest): Promise<Captured> {
  const request = HttpRequest.clone(signed);
  request.hostname = '127.0.0.1';
  request.port = recorder.port;
  const seen = recorder.requests.length;
  const { response } = await sender.handle(request);
  await new Promise<void>((resolve, reject) => {
    const body = response.body as NodeJS.ReadableStream;
    body.on('error', reject);
    body.on('end', () => resolve());
    body.resume();
  });
  const sent = recorder.requests.slice(seen);
  if (sent.length !== 1) throw new Error(`expected one request, got ${sent.length}`);
  return sent[0]!;
}

/** Signs with the SDK signer and sends; `sign` may be presign. */
export async function signAndCapture(
  recorder: BodyRecorder,
  r: Unsigned,
  sign: (request: HttpRequest) => Promise<HttpRequest> = (request) => s3Signer().sign(request) as Promise<HttpRequest>,
): Promise<AwsAuthRequest> {
  return toAwsRequest(await sendToRecorder(recorder, await sign(httpRequest(r))));
}

const decodeQuery = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));

/** The AwsAuthRequest the router builds: raw path, decoded query pairs in order. */
export function toAwsRequest(c: { method: string; url: string; headers: IncomingHttpHeaders }): AwsAuthRequest {
  const q = c.url.indexOf('?');
  const rawPath = q < 0 ? c.url : c.url.slice(0, q);
  const query = q < 0 ? [] : c.url.slice(q + 1).split('&').filter((p) => p !== '').map((pair): [string, string] => {
    const eq = pair.indexOf('=');
    return eq < 0 ? [decodeQuery(pair), ''] : [decodeQuery(pair.slice(0, eq)), decodeQuery(pair.slice(eq + 1))];
  });
  return { method: c.method, headers: c.headers, rawPath, query };
}

/**
 * The real S3 client, its requests redirected to the recorder after signing (the Host header
 * stays the one signed, so virtual-hosted requests keep their bucket in it).
 */
export function s3Client(recorder: BodyRecorder, options: { forcePathStyle?: boolean; region?: string } = {}): S3Client {
  const inner = new NodeHttpHandler();
  return new S3Client({
    region: options.region ?? 'eu-west-3',
    endpoint: 'http://s3.coffer.test:9000',
    forcePathStyle: options.forcePathStyle ?? false,
    credentials: { accessKeyId: AK, secretAccessKey: SECRET },
    maxAttempts: 1,
    requestHandler: {
      handle: (request: HttpRequest, handlerOptions?: object) => {
        request.hostname = '127.0.0.1';
        request.port = recorder.port;
        return inner.handle(request, handlerOptions);
      },
      updateHttpClientConfig: () => undefined,
      httpHandlerConfigs: () => ({}),
    } as unknown as NodeHttpHandler,
  });
}

/** Runs one client call against the recorder and returns the single request it sent. */
export async function captureS3(recorder: BodyRecorder, call: () => Promise<unknown>): Promise<Captured> {
  const seen = recorder.requests.length;
  // The empty 200 answer may fail the client's response parsing; only the request matters.
  await call().catch(() => undefined);
  const sent = recorder.requests.slice(seen);
  if (sent.length !== 1) throw new Error(`expected one request, got ${sent.length}`);
  return sent[0]!;
}
