/** Shared pieces of the SSE-KMS tests: a server on a settable KMS clock, the KMS call counters, KMS refusals as ali-oss sees them. */
import assert from 'node:assert/strict';
import { KMS_CALLS } from '../../src/kms/accounting';
import { Clock, wrapMaterial } from '../kms/helpers';
import { bodyOf, Kms, type KmsClient } from '../helpers/kms';
import { assertNothingStored, rejectsWith, storedFiles } from '../helpers/oss-http';
import { startTestServer, type TestServer } from '../helpers/server';
import { SSE, SSE_DATA, SSE_KEY_ID } from '../helpers/sse';

/** A test server whose KMS runs on a clock that starts now and moves only when the test advances it; its KMS call counters name the key (--metrics-key-ids). */
export async function startClockedServer(): Promise<{ srv: TestServer; clock: Clock }> {
  const clock = new Clock(Date.now());
  return { srv: await startTestServer({ now: clock.now, metricsKeyIds: true }), clock };
}

/** Request headers for SSE-KMS under `keyId` (a fresh object: ali-oss adds to the headers it is given). */
export const kmsHeaders = (keyId: string, data?: 'SM4'): Record<string, string> => ({ [SSE]: 'KMS', [SSE_KEY_ID]: keyId, ...(data ? { [SSE_DATA]: data } : {}) });

/** The SSE headers of a response, for comparison. */
export const sseOf = (res: any): { sse?: string; data?: string; keyId?: string } =>
  ({ sse: res.headers[SSE], data: res.headers[SSE_DATA], keyId: res.headers[SSE_KEY_ID] });

/** Calls of `action` on `keyId` made by the object server (via 'oss'), with the given outcome; the server must run with metricsKeyIds. */
export function ossKmsCalls(srv: TestServer, action: 'GenerateDataKey' | 'Decrypt', keyId: string, outcome = 'ok'): number {
  return srv.running.metrics.value(KMS_CALLS, { action, key: keyId, outcome, via: 'oss' });
}

/** An ali-oss call refused because the KMS refused the key: 403 AccessDenied whose message names the KMS code. */
export async function kmsDenied(call: Promise<unknown>, kmsCode: string): Promise<void> {
  const err = await rejectsWith(call, 403, 'AccessDenied');
  assert.ok(String(err.message).includes(kmsCode), `the message does not name ${kmsCode}: ${err.message}`);
}

/** A write the KMS refused: kmsDenied, and no blob was stored. */
export async function writeDenied(srv: TestServer, write: () => Promise<unknown>, kmsCode: string): Promise<void> {
  const before = storedFiles(srv);
  await kmsDenied(write(), kmsCode);
  assertNothingStored(srv, before);
}

/**
 * Initiate (with the SSE headers), one UploadPart per buffer, Complete. ali-oss multipartUpload
 * cannot do this with a key id: it strips only x-oss-server-side-encryption from the part
 * requests, and OSS refuses UploadPart with the key-id or data-encryption header.
 */
export async function multipart(c: any, key: string, parts: Buffer[], headers: Record<string, string>): Promise<{ init: any; uploaded: any[]; complete: any }> {
  const init = await c.initMultipartUpload(key, { headers: { ...headers } });
  const uploaded = [];
  for (const [i, p] of parts.entries()) uploaded.push(await c.uploadPart(key, init.uploadId, i + 1, p, 0, p.length));
  const complete = await c.completeMultipartUpload(key, init.uploadId, uploaded.map((u, i) => ({ number: i + 1, etag: u.etag })));
  return { init, uploaded, complete };
}

/** GetParametersForImport (a fresh RSA wrapping key each time), wrap with node crypto, ImportKeyMaterial. */
export async function importMaterial(kms: KmsClient, keyId: string, material: Buffer, keyMaterialExpireUnix = 0): Promise<void> {
  const params = bodyOf(await kms.getParametersForImport(new Kms.GetParametersForImportRequest({
    keyId, wrappingAlgorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_2048',
  })));
  assert.equal(params.keyId, keyId);
  await kms.importKeyMaterial(new Kms.ImportKeyMaterialRequest({
    keyId,
    encryptedKeyMaterial: wrapMaterial(params.publicKey, material, 'RSAES_OAEP_SHA_256'),
    importToken: params.importToken,
    keyMaterialExpireUnix,
  }));
}
