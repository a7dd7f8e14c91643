/**
 * Accounting of KMS API calls over the wire: the coffer_kms_calls_total counter per action, key
 * and outcome (via "api"), and the audit trail in the metadata store — one record per call that
 * reached an action, never any plaintext, data key or imported material.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { after, before, test } from 'node:test';
import { KMS_CALLS } from '../../src/kms/accounting';
import { createKey, Kms, kmsClient } from '../helpers/kms';
import { auditRecords, startTestServer, type TestServer } from '../helpers/server';
import { wrapMaterial } from '../kms/helpers';
import { kmsV1Request, okBody, popCaller, rejectsWith, v3Caller } from './helpers';

const MISSING_KEY = '00000000-0000-4000-8000-000000000000';

let srv: TestServer;
let started: number;
/** [action, keyId, outcome] of every call made, in order. */
const calls: Array<[string, string, string]> = [];
/** What must never reach the log: plaintexts, data keys and imported material, base64 and hex. */
const secrets: string[] = [];
let keyId: string;
let external: string;
let version: string;

const secret = (bytes: Buffer): void => {
  secrets.push(bytes.toString('base64'), bytes.toString('hex'));
};

before(async () => {
  started = Date.now();
  srv = await startTestServer({ metricsKeyIds: true });
  const kms = kmsClient(srv);
  const pop = popCaller(srv, 'POST');
  const v3 = v3Caller(srv);

  keyId = await createKey(kms);
  external = await createKey(kms, { origin: 'EXTERNAL' });
  calls.push(['CreateKey', keyId, 'ok'], ['CreateKey', external, 'ok']);

  const plaintext = randomBytes(48);
  secret(plaintext);
  const sealed = await kms.encrypt(new Kms.EncryptRequest({ keyId, plaintext: plaintext.toString('base64'), encryptionContext: { k: 'v' } }));
  version = sealed.keyVersionId;
  const dk = await pop.call('GenerateDataKey', { KeyId: keyId });
  secret(Buffer.from(dk.Plaintext, 'base64'));
  assert.equal((await v3.call('Decrypt', { CiphertextBlob: dk.CiphertextBlob })).Plaintext, dk.Plaintext);
  await v3.call('GenerateDataKeyWithoutPlaintext', { KeyId: keyId });
  calls.push(['Encrypt', keyId, 'ok'], ['GenerateDataKey', keyId, 'ok'], ['Decrypt', keyId, 'ok'], ['GenerateDataKeyWithoutPlaintext', keyId, 'ok']);

  const material = randomBytes(32);
  secret(material);
  const params = await v3.call('GetParametersForImport', { KeyId: external, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' });
  await pop.call('ImportKeyMaterial', {
    KeyId: external, ImportToken: params.ImportToken, EncryptedKeyMaterial: wrapMaterial(params.PublicKey, material, 'RSAES_OAEP_SHA_256'),
  });
  calls.push(['GetParametersForImport', external, 'ok'], ['ImportKeyMaterial', external, 'ok']);

  await kms.disableKey(new Kms.DisableKeyRequest({ keyId }));
  await rejectsWith(kms.encrypt(new Kms.EncryptRequest({ keyId, plaintext: 'eA==' })), 'kms', 'Rejected.Disabled', 409);
  await rejectsWith(pop.call('Decrypt', { CiphertextBlob: dk.CiphertextBlob }), 'pop', 'Rejected.Disabled', 409);
  await rejectsWith(v3.call('DescribeKey', { KeyId: MISSING_KEY }), 'openapi', 'Forbidden.KeyNotFound', 404);
  okBody(await kmsV1Request(srv, 'ListKeys', {}));
  calls.push(['DisableKey', keyId, 'ok'], ['Encrypt', keyId, 'Rejected.Disabled'], ['Decrypt', keyId, 'Rejected.Disabled'],
    ['DescribeKey', MISSING_KEY, 'Forbidden.KeyNotFound'], ['ListKeys', '', 'ok']);

  // Refused before any action runs: neither counted nor logged.
  await rejectsWith(kmsClient(srv, { accessKeySecret: 'wrong' }).encrypt(new Kms.EncryptRequest({ keyId, plaintext: 'eA==' })),
    'kms', 'SignatureDoesNotMatch', 400);
});
after(() => srv.close());

test('coffer_kms_calls_total counts each call by action, key and outcome, via api; refusals too', async () => {
  const expected = new Map<string, number>();
  for (const [action, key, outcome] of calls) {
    const labels = JSON.stringify({ action, key, outcome, via: 'api' });
    expected.set(labels, (expected.get(labels) ?? 0) + 1);
  }
  for (const [labels, count] of expected) assert.equal(srv.running.metrics.value(KMS_CALLS, JSON.parse(labels)), count, labels);
  assert.equal(srv.running.metrics.value(KMS_CALLS, { action: 'Encrypt', key: keyId, outcome: 'ok', via: 'oss' }), 0);
  const rendered = await srv.running.metrics.render();
  assert.ok(rendered.includes(`${KMS_CALLS}{action="Decrypt",key="${keyId}",outcome="Rejected.Disabled",via="api",node="${os.hostname()}"} 1\n`), rendered);
  assert.equal(rendered.match(new RegExp(`^${KMS_CALLS}\\{`, 'gm'))?.length, expected.size, 'no series for the call with a bad signature');
});

test('the audit trail has one record per call: time, node, root identity, action, keyId, keyVersionId for crypto, outcome', async () => {
  const lines = await auditRecords(srv);
  assert.deepEqual(lines.map((l) => [l.action, l.keyId, l.outcome]), calls);
  const cryptoOk = new Set(['Encrypt', 'Decrypt', 'GenerateDataKey', 'GenerateDataKeyWithoutPlaintext']);
  for (const line of lines) {
    const t = Date.parse(line.time!);
    assert.ok(t >= started && t <= Date.now(), line.time);
    assert.equal(line.identity, `root:${srv.running.coffer.accountId}`);
    assert.equal(line.via, 'api');
    const hasVersion = cryptoOk.has(line.action!) && line.outcome === 'ok';
    assert.deepEqual(Object.keys(line).sort(), ['action', 'identity', 'keyId', ...(hasVersion ? ['keyVersionId'] : []), 'node', 'outcome', 'time', 'via']);
    assert.equal(line.node, srv.running.jobs.holder.split('/')[0]);
    if (hasVersion) assert.equal(line.keyVersionId, version);
  }
});

test('the audit trail never holds a plaintext, a data key or imported material', async () => {
  const text = JSON.stringify(await auditRecords(srv));
  assert.equal(secrets.length, 6);
  for (const s of secrets) assert.equal(text.includes(s), false, `the log holds ${s}`);
});
