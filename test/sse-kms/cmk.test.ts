/**
 * SSE-KMS with a named CMK: both key specs, SM4 data encryption
 * (x-oss-server-side-data-encryption), an alias as the key id (responses carry the resolved id),
 * and bucket rules with KMSMasterKeyID / KMSDataEncryption for uploads without headers, where an
 * object header wins.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createKey, describeKey, Kms, kmsClient, type KmsClient } from '../helpers/kms';
import { bytes } from '../helpers/oss-http';
import { startTestServer, type TestServer } from '../helpers/server';
import { SIGNINGS, SSE, SSE_DATA, SSE_KEY_ID, encryptionOf, newBucket, record } from '../helpers/sse';
import { kmsHeaders, ossKmsCalls, sseOf } from './helpers';

let srv: TestServer;
let kms: KmsClient;
before(async () => {
  srv = await startTestServer({ metricsKeyIds: true });
  kms = kmsClient(srv);
});
after(async () => { await srv.close(); });

const SUITES = { AES256: 'AES256-GCM', SM4: 'SM4-CTR-HMAC-SM3' } as const;

/** The stored encryption in the fields these tests compare. */
async function stored(bucket: string, key: string): Promise<Record<string, unknown>> {
  const info = encryptionOf(await record(srv, bucket, key));
  assert.ok(info, `${bucket}/${key} is not encrypted`);
  return { algorithm: info.algorithm, kmsKeyId: info.kmsKeyId, suite: info.suite, kek: info.kek.provider === 'kms' ? info.kek.keyId : 'oss' };
}

describe('PUT with a named CMK', () => {
  for (const keySpec of ['Aliyun_AES_256', 'Aliyun_SM4']) {
    for (const data of [undefined, 'SM4'] as const) {
      for (const signing of SIGNINGS) {
        test(`${keySpec} CMK, ${data ?? 'AES-256'} data, ali-oss ${signing}`, async () => {
          const cmk = await createKey(kms, { keySpec });
          assert.equal((await describeKey(kms, cmk)).keySpec, keySpec);
          const c = await newBucket(srv, `cmk-${keySpec === 'Aliyun_SM4' ? 'sm4' : 'aes'}-${data ? 'sm4' : 'aes'}-${signing.toLowerCase()}`, signing);
          const body = bytes(150_000, keySpec.length + (data ? 1 : 0));
          const headers = kmsHeaders(cmk, data);
          const expected = { sse: 'KMS', data, keyId: cmk };

          assert.deepEqual(sseOf((await c.put('obj', body, { headers })).res), expected);
          const get = await c.get('obj');
          assert.deepEqual(sseOf(get.res), expected);
          assert.ok(get.content.equals(body));
          assert.deepEqual(sseOf((await c.head('obj')).res), expected);
          assert.deepEqual(await stored(c.options.bucket, 'obj'), { algorithm: 'KMS', kmsKeyId: cmk, suite: SUITES[data ?? 'AES256'], kek: cmk });
          assert.equal(encryptionOf(await record(srv, c.options.bucket, 'obj'))!.dataEncryption, data);
          assert.equal(ossKmsCalls(srv, 'GenerateDataKey', cmk), 1);
        });
      }
    }
  }
});

test('an alias as the key id: the CMK behind it encrypts and every response reports the resolved key id', async () => {
  const c = await newBucket(srv, 'cmk-alias');
  const first = await createKey(kms);
  const second = await createKey(kms);
  await kms.createAlias(new Kms.CreateAliasRequest({ keyId: first, aliasName: 'alias/my-key' }));
  const body = bytes(5000, 7);

  const put = await c.put('by-alias', body, { headers: kmsHeaders('alias/my-key') });
  assert.deepEqual(sseOf(put.res), { sse: 'KMS', data: undefined, keyId: first });
  assert.equal((await c.head('by-alias')).res.headers[SSE_KEY_ID], first);
  assert.deepEqual(await stored('cmk-alias', 'by-alias'), { algorithm: 'KMS', kmsKeyId: first, suite: 'AES256-GCM', kek: first });
  assert.equal(ossKmsCalls(srv, 'GenerateDataKey', first), 1);
  assert.equal(ossKmsCalls(srv, 'GenerateDataKey', 'alias/my-key'), 0);

  // Repointing the alias changes where new objects go, never how old ones are read.
  await kms.updateAlias(new Kms.UpdateAliasRequest({ keyId: second, aliasName: 'alias/my-key' }));
  const again = await c.put('after-update', body, { headers: kmsHeaders('alias/my-key') });
  assert.equal(again.res.headers[SSE_KEY_ID], second);
  const old = await c.get('by-alias');
  assert.equal(old.res.headers[SSE_KEY_ID], first);
  assert.ok(old.content.equals(body));
});

describe('bucket rules', () => {
  let c: any;
  let cmk: string;
  let other: string;
  const bucket = 'cmk-rule';
  const body = bytes(20_000, 9);
  before(async () => {
    c = await newBucket(srv, bucket, 'V4');
    cmk = await createKey(kms);
    other = await createKey(kms);
  });

  test('KMS with KMSMasterKeyID: an upload without headers is encrypted under that CMK (PUT, multipart, append, copy)', async () => {
    await c.putBucketEncryption(bucket, { SSEAlgorithm: 'KMS', KMSMasterKeyID: cmk });
    const expected = { sse: 'KMS', data: undefined, keyId: cmk };
    assert.deepEqual(sseOf((await c.put('put', body)).res), expected);
    assert.deepEqual(await stored(bucket, 'put'), { algorithm: 'KMS', kmsKeyId: cmk, suite: 'AES256-GCM', kek: cmk });

    const init = await c.initMultipartUpload('mp');
    assert.deepEqual(sseOf(init.res), expected);
    const part = await c.uploadPart('mp', init.uploadId, 1, body, 0, body.length);
    assert.deepEqual(sseOf((await c.completeMultipartUpload('mp', init.uploadId, [{ number: 1, etag: part.etag }])).res), expected);
    assert.deepEqual(sseOf((await c.append('append', body)).res), expected);
    assert.deepEqual(sseOf((await c.copy('copy', 'put')).res), expected);
    for (const key of ['put', 'mp', 'append', 'copy']) {
      const get = await c.get(key);
      assert.deepEqual(sseOf(get.res), expected, key);
      assert.ok(get.content.equals(body), key);
    }
  });

  test('KMS with KMSMasterKeyID and KMSDataEncryption SM4 (set by PutBucket headers): SM4 data under the CMK', async () => {
    const sm4 = await newBucket(srv, 'cmk-rule-sm4', 'V1', { [SSE]: 'KMS', [SSE_KEY_ID]: cmk, [SSE_DATA]: 'SM4' });
    const put = await sm4.put('obj', body);
    assert.deepEqual(sseOf(put.res), { sse: 'KMS', data: 'SM4', keyId: cmk });
    assert.deepEqual(await stored('cmk-rule-sm4', 'obj'), { algorithm: 'KMS', kmsKeyId: cmk, suite: 'SM4-CTR-HMAC-SM3', kek: cmk });
    assert.ok((await sm4.get('obj')).content.equals(body));
  });

  test('an object header wins over the rule: AES256, another CMK, or KMS without a key id (the managed key)', async () => {
    await c.putBucketEncryption(bucket, { SSEAlgorithm: 'KMS', KMSMasterKeyID: cmk });
    const before = ossKmsCalls(srv, 'GenerateDataKey', cmk);

    assert.deepEqual(sseOf((await c.put('aes', body, { headers: { [SSE]: 'AES256' } })).res), { sse: 'AES256', data: undefined, keyId: undefined });
    assert.deepEqual(await stored(bucket, 'aes'), { algorithm: 'AES256', kmsKeyId: undefined, suite: 'AES256-GCM', kek: 'oss' });

    assert.equal((await c.put('other', body, { headers: kmsHeaders(other) })).res.headers[SSE_KEY_ID], other);
    assert.deepEqual(await stored(bucket, 'other'), { algorithm: 'KMS', kmsKeyId: other, suite: 'AES256-GCM', kek: other });

    const managed = await c.put('managed', body, { headers: { [SSE]: 'KMS' } });
    assert.equal(managed.res.headers[SSE_KEY_ID], (await describeKey(kms, 'alias/acs/oss')).keyId);

    const sm4 = await c.put('sm4-data', body, { headers: kmsHeaders(other, 'SM4') });
    assert.deepEqual(sseOf(sm4.res), { sse: 'KMS', data: 'SM4', keyId: other });
    assert.equal(ossKmsCalls(srv, 'GenerateDataKey', cmk), before, 'the rule\'s CMK was used although a header chose another');
    for (const key of ['aes', 'other', 'managed', 'sm4-data']) assert.ok((await c.get(key)).content.equals(body), key);
  });
});
