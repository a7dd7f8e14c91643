/**
 * Requests to the RPC listener: the real pop-core client, and hand-built V1 / V3 requests for
 * what the client will not send (stale timestamps, replays, wrong methods, V3 signatures).
 * Signing uses src/rpc/signature.ts, which signature.test.ts checks against the reference vectors.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { request, type IncomingHttpHeaders } from 'node:http';
import RPCClient from '@alicloud/pop-core';
import { ADMIN_VERSION } from '../../src/admin/service';
import { V3_ALGORITHM, sha256Hex, v1Signature, v1StringToSign, v3CanonicalRequest, v3Signature, v3StringToSign } from '../../src/rpc/signature';
import { ACCESS_KEY_ID, ACCESS_KEY_SECRET } from '../helpers/server';

export function popClient(endpoint: string, overrides: Partial<RPCClient.Config> = {}): RPCClient {
  return new RPCClient({ endpoint, apiVersion: ADMIN_VERSION, accessKeyId: ACCESS_KEY_ID, accessKeySecret: ACCESS_KEY_SECRET, ...overrides });
}

/** What pop-core throws when the answer has a Code. */
export interface PopError { code: string; data: Record<string, string>; entry: { response: { statusCode: number } } }

/** RPC request ids: upper-case UUIDs. */
export const REQUEST_ID = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/;

/** RPC time format: UTC, whole seconds. */
export const rpcTime = (date = new Date()): string => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

export interface RpcResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Record<string, any>;
}

export interface RawRequest {
  method?: string;
  /** Request target as sent (already encoded). */
  path?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/** One HTTP request to the RPC listener; every answer must be JSON. */
export function rpcHttp(kmsUrl: string, req: RawRequest): Promise<RpcResponse> {
  const url = new URL(kmsUrl);
  const body = req.body === undefined ? undefined : Buffer.from(req.body);
  const headers = { ...req.headers, ...(body ? { 'content-length': String(body.length) } : {}) };
  return new Promise((resolve, reject) => {
    const r = request({ host: url.hostname, port: url.port, method: req.method ?? 'GET', path: req.path ?? '/', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode!, headers: res.headers, body: req.method === 'HEAD' ? {} : JSON.parse(text) });
      });
      res.on('error', reject);
    });
    r.on('error', reject);
    r.end(body);
  });
}

/** The common V1 params pop-core sends, for ACTION of the admin API, with a fresh nonce. */
export function v1Params(action: string, overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const params: Record<string, string | undefined> = {
    Action: action, Version: ADMIN_VERSION, Format: 'JSON', AccessKeyId: ACCESS_KEY_ID, SignatureMethod: 'HMAC-SHA1',
    SignatureVersion: '1.0', SignatureNonce: randomUUID(), Timestamp: rpcTime(), ...overrides,
  };
  return Object.fromEntries(Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined));
}

/** `params` plus their V1 Signature for METHOD. */
export function signV1(method: string, params: Record<string, string>, secret = ACCESS_KEY_SECRET): Record<string, string> {
  return { ...params, Signature: v1Signature(secret, v1StringToSign(method, Object.entries(params))) };
}

/** A V1 request: GET with the params in the query, POST with them in a form body. */
export function v1Request(kmsUrl: string, method: 'GET' | 'POST', params: Record<string, string>, headers: Record<string, string> = {}): Promise<RpcResponse> {
  const encoded = new URLSearchParams(params).toString();
  return method === 'GET'
    ? rpcHttp(kmsUrl, { method, path: `/?${encoded}`, headers })
    : rpcHttp(kmsUrl, { method, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: encoded });
}

export interface V3Options {
  action: string;
  version?: string;
  query?: Record<string, string>;
  body?: string;
  contentType?: string;
  date?: string;
  secret?: string;
  /** Signed headers to leave out of SignedHeaders (they are still sent). */
  unsigned?: string[];
}

/** Headers of an ACS3-HMAC-SHA256 request as @alicloud/openapi-client sends it (POST to /). */
export function v3Headers(kmsUrl: string, o: V3Options): Record<string, string> {
  const headers: Record<string, string> = {
    host: new URL(kmsUrl).host,
    'x-acs-action': o.action,
    'x-acs-version': o.version ?? ADMIN_VERSION,
    'x-acs-date': o.date ?? rpcTime(),
    'x-acs-signature-nonce': randomUUID().replaceAll('-', ''),
    'x-acs-content-sha256': sha256Hex(o.body ?? ''),
    'x-acs-credentials-provider': 'static_ak',
    ...(o.contentType ? { 'content-type': o.contentType } : {}),
  };
  const signedHeaders = Object.keys(headers).filter((h) => !o.unsigned?.includes(h)).sort();
  const canonical = v3CanonicalRequest({
    method: 'POST', path: '/', query: Object.entries(o.query ?? {}),
    headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    signedHeaders, hashedPayload: headers['x-acs-content-sha256']!,
  });
  const signature = v3Signature(o.secret ?? ACCESS_KEY_SECRET, v3StringToSign(canonical));
  return {
    ...headers,
    accept: 'application/json',
    authorization: `${V3_ALGORITHM} Credential=${ACCESS_KEY_ID},SignedHeaders=${signedHeaders.join(';')},Signature=${signature}`,
  };
}

export function v3Request(kmsUrl: string, o: V3Options, tamper: Record<string, string> = {}): Promise<RpcResponse> {
  const query = new URLSearchParams(o.query ?? {}).toString();
  return rpcHttp(kmsUrl, { method: 'POST', path: query ? `/?${query}` : '/', headers: { ...v3Headers(kmsUrl, o), ...tamper }, body: o.body });
}

/** An RPC error answer: status, JSON content type, exactly the four envelope fields, request id header. */
export function assertRpcError(res: RpcResponse, status: number, code: string, message?: RegExp): void {
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status} ${JSON.stringify(res.body)}`);
  assert.equal(res.headers['content-type'], 'application/json;charset=utf-8');
  assert.deepEqual(Object.keys(res.body).sort(), ['Code', 'HostId', 'Message', 'RequestId']);
  assert.equal(res.body.Code, code);
  assert.equal(res.headers['x-acs-request-id'], res.body.RequestId);
  assert.match(res.body.RequestId, REQUEST_ID);
  if (message) assert.match(res.body.Message, message);
}
