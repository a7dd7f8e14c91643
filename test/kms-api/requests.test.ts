/**
 * Bad KMS requests over the wire: parameter errors naming the parameter (MissingParameter,
 * InvalidParameter), signature errors through the real clients (wrong secret, unknown access
 * key), stale timestamps and replayed nonces — and none of them changes anything.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { KMS_CALLS } from '../../src/kms/accounting';
import { KMS_VERSION } from '../../src/kms/api';
import { createKey, Kms, kmsClient } from '../helpers/kms';
import { startTestServer, type TestServer } from '../helpers/server';
import { assertRpcError, rpcHttp, rpcTime, signV1, v1Params, v1Request, v3Headers, v3Request } from '../rpc/helpers';
import { kmsV1Request, okBody, popCaller, rejectsWith, v3Caller } from './helpers';

let srv: TestServer;
let keyId: string;
let externalKeyId: string;

before(async () => {
  srv = await startTestServer({ metricsKeyIds: true });
  keyId = await createKey(kmsClient(srv));
  externalKeyId = await createKey(kmsClient(srv), { origin: 'EXTERNAL' });
});
after(() => srv.close());

const keyCount = async (): Promise<number> => okBody(await kmsV1Request(srv, 'ListKeys', {})).TotalCount;

test('MissingParameter (400) names the parameter that is missing', async () => {
  const blob = okBody(await kmsV1Request(srv, 'Encrypt', { KeyId: keyId, Plaintext: 'eA==' })).CiphertextBlob;
  const cases: Array<[string, Record<string, string>, string]> = [
    ['Encrypt', { KeyId: keyId }, 'Plaintext'],
    ['Encrypt', { Plaintext: 'eA==' }, 'KeyId'],
    ['Decrypt', {}, 'CiphertextBlob'],
    ['DescribeKey', {}, 'KeyId'],
    ['GenerateDataKey', {}, 'KeyId'],
    ['ReEncrypt', { CiphertextBlob: blob }, 'DestinationKeyId'],
    ['ScheduleKeyDeletion', { KeyId: keyId }, 'PendingWindowInDays'],
    ['UpdateKeyDescription', { KeyId: keyId }, 'Description'],
    ['CreateAlias', { KeyId: keyId }, 'AliasName'],
    ['DeleteAlias', {}, 'AliasName'],
    ['DescribeKeyVersion', { KeyId: keyId }, 'KeyVersionId'],
    ['UpdateRotationPolicy', { KeyId: keyId }, 'EnableAutomaticRotation'],
    ['TagResource', { KeyId: keyId }, 'Tags'],
    ['UntagResource', { KeyId: keyId }, 'TagKeys'],
    ['GetParametersForImport', { KeyId: externalKeyId, WrappingKeySpec: 'RSA_2048' }, 'WrappingAlgorithm'],
    ['ImportKeyMaterial', { KeyId: externalKeyId, ImportToken: 'dG9rZW4=' }, 'EncryptedKeyMaterial'],
  ];
  for (const [action, params, name] of cases) {
    assertRpcError(await kmsV1Request(srv, action, params), 400, 'MissingParameter', new RegExp(`\\b${name}\\b`));
  }
  await rejectsWith(popCaller(srv, 'POST').call('Encrypt', { KeyId: keyId }), 'pop', 'MissingParameter', 400, /Plaintext/);
});

test('InvalidParameter (400) names the parameter: page sizes, data key sizes, booleans, intervals, aliases, JSON params', async () => {
  const keys = await keyCount();
  const ctx = 'EncryptionContext';
  const cases: Array<[string, Record<string, string>, string]> = [
    ...['0', '101', 'ten', '-1', '1.5', ' 5'].map((v): [string, Record<string, string>, string] => ['ListKeys', { PageSize: v }, 'PageSize']),
    ['ListKeys', { PageNumber: '0' }, 'PageNumber'],
    ['ListAliases', { PageSize: '1000' }, 'PageSize'],
    ['ListKeyVersions', { KeyId: keyId, PageSize: '0' }, 'PageSize'],
    ...['0', '1025', 'x', '32.0'].map((v): [string, Record<string, string>, string] => ['GenerateDataKey', { KeyId: keyId, NumberOfBytes: v }, 'NumberOfBytes']),
    ['GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_512' }, 'KeySpec'],
    ['CreateKey', { EnableAutomaticRotation: 'yes', RotationInterval: '30d' }, 'EnableAutomaticRotation'],
    ['CreateKey', { EnableAutomaticRotation: '1', RotationInterval: '30d' }, 'EnableAutomaticRotation'],
    ['UpdateRotationPolicy', { KeyId: keyId, EnableAutomaticRotation: 'on' }, 'EnableAutomaticRotation'],
    ['CreateKey', { EnableAutomaticRotation: 'true', RotationInterval: '6d' }, 'RotationInterval'],
    ['CreateKey', { EnableAutomaticRotation: 'true', RotationInterval: '1y' }, 'RotationInterval'],
    ['CreateKey', { Origin: 'external' }, 'Origin'],
    ['CreateKey', { KeyUsage: 'SIGN/VERIFY' }, 'KeyUsage'],
    ['ScheduleKeyDeletion', { KeyId: keyId, PendingWindowInDays: '6' }, 'PendingWindowInDays'],
    ['ScheduleKeyDeletion', { KeyId: keyId, PendingWindowInDays: '367' }, 'PendingWindowInDays'],
    ['CreateAlias', { KeyId: keyId, AliasName: 'no-prefix' }, 'AliasName'],
    ['CreateAlias', { KeyId: keyId, AliasName: 'alias/acs/mine' }, 'AliasName'],
    ['TagResource', { KeyId: keyId, Tags: '{"TagKey":"k"}' }, 'Tags'],
    ['UntagResource', { KeyId: keyId, TagKeys: 'k' }, 'TagKeys'],
    ['GetParametersForImport', { KeyId: externalKeyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_512', WrappingKeySpec: 'RSA_2048' }, 'WrappingAlgorithm'],
    ['GetParametersForImport', { KeyId: externalKeyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_1', WrappingKeySpec: 'RSA_4096' }, 'WrappingKeySpec'],
    ['Decrypt', { CiphertextBlob: 'bm90IGEgYmxvYg==' }, 'CiphertextBlob'],
    // EncryptionContext must be a JSON object of strings, given once.
    ...['{"n":1}', '["a"]', '{"a":{"b":"c"}}', '{"a":null}', 'not json', '"text"'].map(
      (v): [string, Record<string, string>, string] => ['Encrypt', { KeyId: keyId, Plaintext: 'eA==', [ctx]: v }, ctx]),
    ['Encrypt', { KeyId: keyId, Plaintext: 'eA==', [ctx]: '{"a":"1"}', [`${ctx}.a`]: '1' }, ctx],
    ['GenerateDataKey', { KeyId: keyId, [ctx]: '{"a":"1"}', [`${ctx}.b`]: '2' }, ctx],
  ];
  for (const [action, params, name] of cases) {
    const res = await kmsV1Request(srv, action, params);
    assertRpcError(res, 400, 'InvalidParameter', new RegExp(`\\b${name}\\b`));
  }
  assert.equal(await keyCount(), keys, 'no refused CreateKey made a key');
  assert.equal(okBody(await kmsV1Request(srv, 'DescribeKey', { KeyId: keyId })).KeyMetadata.KeyState, 'Enabled');
  await rejectsWith(v3Caller(srv).call('ListKeys', { PageSize: '0' }), 'openapi', 'InvalidParameter', 400, /PageSize/);
  await rejectsWith(kmsClient(srv).generateDataKey(new Kms.GenerateDataKeyRequest({ keyId, numberOfBytes: 2048 })), 'kms', 'InvalidParameter', 400, /NumberOfBytes/);
});

test('a flattened EncryptionContext keeps every key, even "__proto__", as its JSON form does', async () => {
  const sealed = okBody(await kmsV1Request(srv, 'Encrypt', { KeyId: keyId, Plaintext: 'eA==', 'EncryptionContext.__proto__': 'x' }));
  assertRpcError(await kmsV1Request(srv, 'Decrypt', { CiphertextBlob: sealed.CiphertextBlob }), 400, 'InvalidParameter', /CiphertextBlob/);
  const opened = okBody(await kmsV1Request(srv, 'Decrypt', { CiphertextBlob: sealed.CiphertextBlob, EncryptionContext: '{"__proto__":"x"}' }));
  assert.equal(opened.Plaintext, 'eA==');
});

test('a wrong secret is SignatureDoesNotMatch (400) and an unknown access key InvalidAccessKeyId.NotFound (404), in every client', async () => {
  const keys = await keyCount();
  const wrongSecret = { accessKeySecret: 'not-the-secret' };
  const unknownKey = { accessKeyId: 'LTAIunknownkey', accessKeySecret: 'whatever' };
  for (const [creds, code, status] of [[wrongSecret, 'SignatureDoesNotMatch', 400], [unknownKey, 'InvalidAccessKeyId.NotFound', 404]] as const) {
    await rejectsWith(kmsClient(srv, creds).createKey(new Kms.CreateKeyRequest({})), 'kms', code, status);
    await rejectsWith(kmsClient(srv, creds).generateDataKey(new Kms.GenerateDataKeyRequest({ keyId })), 'kms', code, status);
    await rejectsWith(v3Caller(srv, creds).call('CreateKey'), 'openapi', code, status);
    for (const method of ['GET', 'POST'] as const) {
      await rejectsWith(popCaller(srv, method, creds).call('Decrypt', { CiphertextBlob: 'AAAA' }), 'pop', code, status);
    }
  }
  assert.equal(await keyCount(), keys);
});

test('a Timestamp or x-acs-date more than 15 minutes off is InvalidTimeStamp.Expired (400); a malformed one IllegalTimestamp', async () => {
  const keys = await keyCount();
  for (const offset of [-16, 16]) {
    const when = rpcTime(new Date(Date.now() + offset * 60_000));
    assertRpcError(await kmsV1Request(srv, 'CreateKey', { Timestamp: when }), 400, 'InvalidTimeStamp.Expired');
    assertRpcError(await kmsV1Request(srv, 'CreateKey', { Timestamp: when }, 'POST'), 400, 'InvalidTimeStamp.Expired');
    assertRpcError(await v3Request(srv.kmsUrl, { action: 'CreateKey', version: KMS_VERSION, date: when }), 400, 'InvalidTimeStamp.Expired');
  }
  assertRpcError(await kmsV1Request(srv, 'CreateKey', { Timestamp: '2024-01-01 00:00:00' }), 400, 'IllegalTimestamp');
  assert.equal(await keyCount(), keys);
  // Within the window is fine.
  okBody(await kmsV1Request(srv, 'DescribeRegions', { Timestamp: rpcTime(new Date(Date.now() - 14 * 60_000)) }));
});

test('a replayed request (same nonce) is SignatureNonceUsed (400) and does not run again, V1 and V3 alike', async () => {
  const keys = await keyCount();
  const signed = signV1('POST', v1Params('CreateKey', { Version: KMS_VERSION }));
  const first = okBody(await v1Request(srv.kmsUrl, 'POST', signed));
  assertRpcError(await v1Request(srv.kmsUrl, 'POST', signed), 400, 'SignatureNonceUsed');

  const query = new URLSearchParams({ KeySpec: 'Aliyun_SM4' }).toString();
  const headers = v3Headers(srv.kmsUrl, { action: 'CreateKey', version: KMS_VERSION, query: { KeySpec: 'Aliyun_SM4' } });
  const v3First = okBody(await rpcHttp(srv.kmsUrl, { method: 'POST', path: `/?${query}`, headers }));
  assert.equal(v3First.KeyMetadata.KeySpec, 'Aliyun_SM4');
  assertRpcError(await rpcHttp(srv.kmsUrl, { method: 'POST', path: `/?${query}`, headers }), 400, 'SignatureNonceUsed');

  assert.equal(await keyCount(), keys + 2);
  for (const created of [first, v3First]) {
    const labels = { action: 'CreateKey', key: created.KeyMetadata.KeyId, outcome: 'ok', via: 'api' };
    assert.equal(srv.running.metrics.value(KMS_CALLS, labels), 1, 'the replay was not accounted as a call');
  }
});

test('an action Coffer does not serve is InvalidAction.NotFound (404), even through the generated client', async () => {
  await rejectsWith(kmsClient(srv).getPublicKey(new Kms.GetPublicKeyRequest({ keyId, keyVersionId: 'v' })), 'kms', 'InvalidAction.NotFound', 404, /GetPublicKey/);
  await rejectsWith(popCaller(srv, 'GET').call('CreateSecret', { SecretName: 's' }), 'pop', 'InvalidAction.NotFound', 404);
});
