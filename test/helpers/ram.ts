/**
 * The RAM API of a test server through the real `@alicloud/ram20150501` client (V3,
 * ACS3-HMAC-SHA256), and RAM users made with it: a user, an access key and policies attached.
 */
import assert from 'node:assert/strict';
import RamClient, * as Ram from '@alicloud/ram20150501';
import { rejectsWith } from './oss-http';
import { ACCESS_KEY_ID, ACCESS_KEY_SECRET, type TestServer } from './server';

export { Ram, RamClient };

export interface Credentials {
  accessKeyId: string;
  accessKeySecret: string;
}

/** A RAM client for the server's RPC listener, signed with the test root key unless `creds` say otherwise. */
export function ramClient(srv: Pick<TestServer, 'kmsUrl' | 'region'>, creds?: Credentials): RamClient {
  const config = {
    endpoint: new URL(srv.kmsUrl).host, protocol: 'http', regionId: srv.region,
    accessKeyId: ACCESS_KEY_ID, accessKeySecret: ACCESS_KEY_SECRET, ...creds,
  };
  // The client reads a plain object; its declared Config type is a class (tea Model).
  return new RamClient(config as unknown as ConstructorParameters<typeof RamClient>[0]);
}

/** Awaits a RAM call that must fail with `code` (and HTTP `status`); returns the error message. */
export async function ramRejects(call: Promise<unknown>, code: string, status?: number): Promise<string> {
  const err = await call.then(() => assert.fail(`expected ${code}`), (e: { code?: string; statusCode?: number; message?: string }) => e);
  assert.equal(err.code, code, `expected ${code}, got ${err.code}: ${err.message}`);
  if (status !== undefined) assert.equal(err.statusCode, status);
  return String(err.message);
}

/** A policy to attach: a system one by name, or a custom one created from its document. */
export type PolicySpec = string | { name: string; document: object | string };

/** Creates the custom policy if needed and attaches it to the user. */
export async function attachPolicy(ram: RamClient, userName: string, spec: PolicySpec): Promise<void> {
  if (typeof spec === 'string') {
    await ram.attachPolicyToUser(new Ram.AttachPolicyToUserRequest({ policyType: 'System', policyName: spec, userName }));
    return;
  }
  const policyDocument = typeof spec.document === 'string' ? spec.document : JSON.stringify(spec.document);
  await ram.createPolicy(new Ram.CreatePolicyRequest({ policyName: spec.name, policyDocument }));
  await ram.attachPolicyToUser(new Ram.AttachPolicyToUserRequest({ policyType: 'Custom', policyName: spec.name, userName }));
}

/** A RAM user with one access key and the given policies attached; returns the key. */
export async function newRamUser(srv: Pick<TestServer, 'kmsUrl' | 'region'>, userName: string, policies: PolicySpec[] = []): Promise<Credentials> {
  const ram = ramClient(srv);
  await ram.createUser(new Ram.CreateUserRequest({ userName }));
  const key = (await ram.createAccessKey(new Ram.CreateAccessKeyRequest({ userName }))).body!.accessKey!;
  for (const p of policies) await attachPolicy(ram, userName, p);
  return { accessKeyId: key.accessKeyId!, accessKeySecret: key.accessKeySecret! };
}

/** One Allow (or Deny) statement, as a policy document. */
export const statement = (effect: 'Allow' | 'Deny', action: string | string[], resource: string | string[], condition?: object): object => ({
  Version: '1',
  Statement: [{ Effect: effect, Action: action, Resource: resource, ...(condition ? { Condition: condition } : {}) }],
});

/** An ali-oss client signed with a RAM user's key, bound to `bucket`. */
export const userOss = (srv: TestServer, creds: Credentials, bucket?: string): any => srv.client({ ...creds, bucket });

/** The RAM resource of a bucket (and object pattern) in the server's account. */
export const ossArn = (srv: TestServer, relative: string): string => `acs:oss:*:${srv.running.coffer.accountId}:${relative}`;

/** An OSS request refused because the caller may not use the CMK: 403 AccessDenied, "This request is forbidden by kms". */
export async function forbiddenByKms(call: Promise<unknown>): Promise<void> {
  const err = await rejectsWith(call, 403, 'AccessDenied');
  assert.equal(err.message, 'This request is forbidden by kms');
}
