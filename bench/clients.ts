/**
 * The two clients, behind one small interface so every workload runs unchanged against both:
 * ali-oss (V1 signatures, IP endpoint) for Coffer's OSS dialect, @aws-sdk/client-s3 for s3rver
 * and for Coffer's S3 dialect (the same client settings on both). Both are set
 * up so the client spends no CPU on the body beyond sending it: the caller passes a precomputed
 * Content-MD5 (the server still verifies it), and SigV4 signs UNSIGNED-PAYLOAD instead of
 * hashing the body, as V1 never does.
 */
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';

// ali-oss ships no type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const OSS = require('ali-oss');

// The SDK warns on every run that its 2027 releases will drop Node 20, which this project targets.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export const ACCESS_KEY_ID = 'LTAIbenchrootkey0001';
export const ACCESS_KEY_SECRET = 'bench-root-secret-0123456789abcdef';
/** The environment of a bench `coffer server`: the root credentials above and a fixed root key. */
export const COFFER_ENV = { COFFER_ROOT_ACCESS_KEY_ID: ACCESS_KEY_ID, COFFER_ROOT_ACCESS_KEY_SECRET: ACCESS_KEY_SECRET, COFFER_ROOT_KEY: '5a'.repeat(32) };

export interface Credentials { accessKeyId: string; accessKeySecret: string }
const ROOT: Credentials = { accessKeyId: ACCESS_KEY_ID, accessKeySecret: ACCESS_KEY_SECRET };

export interface Driver {
  put(key: string, body: Buffer, md5: string): Promise<void>;
  /** Reads the whole object, or `range` ("bytes=a-b"); resolves to the number of bytes received. */
  get(key: string, range?: string): Promise<number>;
}

/** KMS: SSE-KMS under the managed key alias/acs/oss, through the built-in KMS. */
export type Sse = 'AES256' | 'SM4' | 'KMS';

async function drain(body: AsyncIterable<unknown>): Promise<number> {
  let n = 0;
  for await (const chunk of body) n += (chunk as Buffer).length;
  return n;
}

export class CofferDriver implements Driver {
  private readonly client: any;
  private readonly sseHeaders: Record<string, string>;

  /** Signs as the account root unless `creds` name another key (a RAM user's). */
  constructor(url: string, readonly bucket: string, sse: Sse | null, creds: Credentials = ROOT) {
    this.client = new OSS({
      endpoint: url,
      ...creds,
      region: 'oss-cn-hangzhou',
      bucket,
      timeout: 600_000,
    });
    this.sseHeaders = sse ? { 'x-oss-server-side-encryption': sse } : {};
  }

  createBucket(): Promise<void> {
    return this.client.putBucket(this.bucket);
  }

  async put(key: string, body: Buffer, md5: string): Promise<void> {
    await this.client.put(key, body, { headers: { ...this.sseHeaders, 'Content-MD5': md5 } });
  }

  /** Uploads a stream of known length without the client ever holding the whole body. */
  async putStream(key: string, body: Readable, length: number): Promise<void> {
    await this.client.putStream(key, body, { contentLength: length, headers: { ...this.sseHeaders } });
  }

  async size(key: string): Promise<number> {
    return Number((await this.client.head(key)).res.headers['content-length']);
  }

  async delete(key: string): Promise<void> {
    await this.client.delete(key);
  }

  async get(key: string, range?: string): Promise<number> {
    const { stream, res } = await this.client.getStream(key, range ? { headers: { Range: range } } : {});
    const n = await drain(stream);
    if (res.status !== (range ? 206 : 200)) throw new Error(`GET ${key} ${range ?? ''}: status ${res.status}`);
    return n;
  }
}

export class S3Driver implements Driver {
  private readonly client: S3Client;

  /** s3rver's built-in account by default; Coffer's root for its S3 dialect. */
  constructor(url: string, private readonly bucket: string, creds: Credentials = { accessKeyId: 'S3RVER', accessKeySecret: 'S3RVER' }, region = 'us-east-1') {
    this.client = new S3Client({
      endpoint: url,
      forcePathStyle: true,
      region,
      credentials: { accessKeyId: creds.accessKeyId, secretAccessKey: creds.accessKeySecret },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    this.client.middlewareStack.add((next) => async (args) => {
      (args.request as { headers: Record<string, string> }).headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
      return next(args);
    }, { step: 'build', name: 'benchUnsignedPayload' });
  }

  async put(key: string, body: Buffer, md5: string): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentMD5: md5 }));
  }

  async get(key: string, range?: string): Promise<number> {
    const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: range }));
    return drain(out.Body as Readable);
  }

  destroy(): void {
    this.client.destroy();
  }
}
