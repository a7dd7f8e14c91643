/**
 * The KMS API over the wire through the generic clients, next to kms20160120 1.2.0
 * (../helpers/kms.ts), and how each client reports a KMS error (reference kms-api.md §0, §1.8):
 * - @alicloud/kms20160120 1.2.0: V1 HMAC-SHA1, POST with every param in the query, map-typed
 *   EncryptionContext flattened to EncryptionContext.<k>=<v>; err.code = `<Code>Error`;
 * - @alicloud/openapi-client: ACS3-HMAC-SHA256 as kms20160120 ≥ 2 calls it; err.code = `<Code>`;
 * - @alicloud/pop-core: V1 over GET (default) or POST with a form body; err.code = `<Code>`.
 * Plus a hand-signed V1 request for what no client sends (bad types, both context forms, stale times).
 */
import assert from 'node:assert/strict';
import OpenApi, { Config, OpenApiRequest, Params } from '@alicloud/openapi-client';
import { KMS_VERSION } from '../../src/kms/api';
import type { Credentials } from '../helpers/kms';
import { ACCESS_KEY_ID, ACCESS_KEY_SECRET, type TestServer } from '../helpers/server';
import { popClient, signV1, v1Params, v1Request, type RpcResponse } from '../rpc/helpers';

/** Which client threw: they shape errors differently. */
export type ClientKind = 'kms' | 'openapi' | 'pop';

/** Wire-named params in, the parsed JSON body out as plain objects, whatever the client built. */
export interface Caller {
  kind: ClientKind;
  call(action: string, params?: Record<string, string>): Promise<Record<string, any>>;
}

/** openapi-client calling an RPC action exactly as kms20160120 ≥ 2 does (params in the query). */
export function v3Caller(srv: TestServer, creds: Credentials = {}): Caller {
  const client = new OpenApi(new Config({
    endpoint: new URL(srv.kmsUrl).host, protocol: 'http', accessKeyId: ACCESS_KEY_ID, accessKeySecret: ACCESS_KEY_SECRET, ...creds,
  }));
  // callApi reads only the runtime options that are set; none are needed here.
  const runtime = {} as Parameters<OpenApi['callApi']>[2];
  return {
    kind: 'openapi',
    call: async (action, query = {}) => {
      const params = new Params({
        action, version: KMS_VERSION, protocol: 'HTTP', pathname: '/', method: 'POST',
        authType: 'AK', style: 'RPC', reqBodyType: 'formData', bodyType: 'json',
      });
      return (await client.callApi(params, new OpenApiRequest({ query }), runtime)).body as Record<string, any>;
    },
  };
}

export function popCaller(srv: TestServer, method: 'GET' | 'POST', creds: Credentials = {}): Caller {
  const client = popClient(srv.kmsUrl, { apiVersion: KMS_VERSION, ...creds });
  return {
    kind: 'pop',
    // json-bigint builds null-prototype objects, which deepEqual tells from plain ones.
    call: async (action, params = {}) => JSON.parse(JSON.stringify(await client.request(action, params, { method }))),
  };
}

/** The generic clients: every essential flow must work through each of them. */
export const GENERIC_CLIENTS: ReadonlyArray<{ name: string; make(srv: TestServer): Caller }> = [
  { name: 'openapi-client (V3)', make: (srv) => v3Caller(srv) },
  { name: 'pop-core GET', make: (srv) => popCaller(srv, 'GET') },
  { name: 'pop-core POST', make: (srv) => popCaller(srv, 'POST') },
];

export const genericCallers = (srv: TestServer): Array<Caller & { name: string }> =>
  GENERIC_CLIENTS.map(({ name, make }) => ({ name, ...make(srv) }));

/** Asserts that `call` fails with the KMS `code` and HTTP `status`, as the client of `kind` reports it. */
export async function rejectsWith(call: Promise<unknown>, kind: ClientKind, code: string, status: number, message?: RegExp): Promise<void> {
  await assert.rejects(call, (err: any) => {
    assert.equal(err.data?.Code, code, `expected ${code}, got ${err.code}: ${err.message}`);
    if (message) assert.match(err.data.Message, message);
    if (kind === 'kms') {
      assert.equal(err.code, `${code}Error`);
      assert.match(err.message, new RegExp(`code: ${status}, `));
    } else if (kind === 'openapi') {
      assert.equal(err.code, code);
      assert.equal(err.statusCode, status);
    } else {
      assert.equal(err.code, code);
      assert.equal(err.name, `${code}Error`);
      assert.equal(err.entry.response.statusCode, status);
    }
    return true;
  });
}

/** A V1-signed KMS request built by hand: GET with a query, or POST with a form body. */
export function kmsV1Request(
  srv: TestServer,
  action: string,
  params: Record<string, string>,
  method: 'GET' | 'POST' = 'GET',
): Promise<RpcResponse> {
  return v1Request(srv.kmsUrl, method, signV1(method, v1Params(action, { Version: KMS_VERSION, ...params })));
}

/** A 200 answer's body; a failure shows its body. */
export function okBody(res: RpcResponse): Record<string, any> {
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

/** Key and key version ids: lower-case UUIDs. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
