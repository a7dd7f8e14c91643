/**
 * The KMS API of a test server through the real `@alicloud/kms20160120` client (reference §1.1):
 * the 1.x client signs V1, returns the fields at the top level in camelCase and reports a KMS
 * error as `code` = `<Code>Error` with the JSON body as `data`.
 */
import assert from 'node:assert/strict';
import KmsClient, * as Kms from '@alicloud/kms20160120';
import { ACCESS_KEY_ID, ACCESS_KEY_SECRET, type TestServer } from './server';

export { KmsClient, Kms };

/** Who signs: the test root key unless overridden. */
export interface Credentials {
  accessKeyId?: string;
  accessKeySecret?: string;
}

/** A client for the server's KMS listener, signed with the test root key unless `creds` say otherwise. */
export function kmsClient(srv: Pick<TestServer, 'kmsUrl'>, creds: Credentials = {}): KmsClient {
  const config = { endpoint: new URL(srv.kmsUrl).host, protocol: 'http', accessKeyId: ACCESS_KEY_ID, accessKeySecret: ACCESS_KEY_SECRET, ...creds };
  // The client reads a plain object; its declared Config type is a class (tea Model).
  return new KmsClient(config as unknown as ConstructorParameters<typeof KmsClient>[0]);
}

/** A response's fields: 1.x returns them at the top level, 2.x builds put them under `body`. */
export function bodyOf<T>(r: T): T {
  return (r as { body?: T }).body ?? r;
}

/** Awaits a KMS call that must fail with the KMS error `code`. */
export async function kmsRejects(call: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(call, (err: { code?: unknown; data?: { Code?: string } }) => {
    assert.equal(err.data?.Code, code, `expected ${code}, got ${String(err.code)}`);
    return true;
  });
}

/** CreateKey through the client; returns the new key id. */
export async function createKey(kms: KmsClient, req: Record<string, unknown> = {}): Promise<string> {
  return bodyOf(await kms.createKey(new Kms.CreateKeyRequest(req))).keyMetadata.keyId;
}

/** DescribeKey through the client. */
export async function describeKey(kms: KmsClient, keyId: string): Promise<Kms.DescribeKeyResponseKeyMetadata> {
  return bodyOf(await kms.describeKey(new Kms.DescribeKeyRequest({ keyId }))).keyMetadata;
}
