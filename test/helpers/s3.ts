/** AWS SDK clients for a Coffer test server's S3 dialect (same listener as OSS). */
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { ACCESS_KEY_ID, ACCESS_KEY_SECRET, type TestServer } from './server';

export interface S3Credentials { accessKeyId: string; accessKeySecret: string }

/**
 * The SDK with its default settings (flexible checksums, its choice of payload signing), path
 * style as it chooses for an IP endpoint.
 */
export function s3Client(srv: Pick<TestServer, 'url' | 'region'>, creds?: S3Credentials, config: Partial<S3ClientConfig> = {}): S3Client {
  return new S3Client({
    endpoint: srv.url,
    region: srv.region,
    forcePathStyle: true,
    credentials: { accessKeyId: creds?.accessKeyId ?? ACCESS_KEY_ID, secretAccessKey: creds?.accessKeySecret ?? ACCESS_KEY_SECRET },
    maxAttempts: 1,
    ...config,
  });
}

/** The S3 error an SDK call failed with: its code and HTTP status. */
export async function s3Rejects(call: Promise<unknown>, code: string, status?: number): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await call;
  } catch (err) {
    const e = err as Error & { name: string; Code?: string; $metadata?: { httpStatusCode?: number } };
    if ((e.Code ?? e.name) !== code) throw new Error(`expected ${code}, got ${e.Code ?? e.name}: ${e.message}`);
    if (status !== undefined && e.$metadata?.httpStatusCode !== status) throw new Error(`expected status ${status}, got ${e.$metadata?.httpStatusCode}`);
    return e;
  }
  throw new Error(`expected ${code}, but the call succeeded`);
}

export async function bodyBytes(body: unknown): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}
