/**
 * Bucket default encryption (reference §6.3–§6.5): Put/Get/DeleteBucketEncryption through ali-oss
 * and as hand-written XML, how GetBucketInfo shows the rule, PutBucket with SSE headers, and
 * how the default applies to new objects and never to existing ones.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertNothingStored, assertOssError, bytes, rejectsWith, signedHttp, storedFiles, xml } from '../helpers/oss-http';
import { createKey, Kms, kmsClient } from '../helpers/kms';
import { startTestServer, type TestServer } from '../helpers/server';
import { SIGNINGS, SSE, SSE_DATA, SSE_KEY_ID, encryptionOf, newBucket, record } from '../helpers/sse';

let srv: TestServer;
/** A CMK for the rules: a rule must name a key that exists and is Enabled (test/sse-kms/rule-key.test.ts). */
let cmk: string;
before(async () => {
  srv = await startTestServer();
  cmk = await createKey(kmsClient(srv), { description: 'bucket rules' });
});
after(async () => { await srv.close(); });

const ruleXml = (fields: string): string =>
  `<?xml version="1.0" encoding="UTF-8"?><ServerSideEncryptionRule><ApplyServerSideEncryptionByDefault>${fields}</ApplyServerSideEncryptionByDefault></ServerSideEncryptionRule>`;
const putRule = (bucket: string, body: string) => signedHttp(srv, { method: 'PUT', bucket, query: [['encryption', '']], body });

/** The rule as GetBucketEncryption returns it on the wire, parsed. */
async function wireRule(bucket: string): Promise<Record<string, string>> {
  const res = await signedHttp(srv, { bucket, query: [['encryption', '']] });
  assert.equal(res.status, 200, res.text);
  return xml(res.text).ServerSideEncryptionRule.ApplyServerSideEncryptionByDefault;
}

const infoRule = async (c: any): Promise<unknown> => (await c.getBucketInfo(c.options.bucket)).bucket.ServerSideEncryptionRule;

for (const signing of SIGNINGS) {
  test(`ali-oss ${signing}: put, get and delete the bucket encryption rule`, async () => {
    const c = await newBucket(srv, `enc-${signing.toLowerCase()}`, signing);
    const bucket = c.options.bucket;
    await rejectsWith(c.getBucketEncryption(bucket), 404, 'NoSuchServerSideEncryptionRule');

    const rules = [
      { SSEAlgorithm: 'AES256' },
      { SSEAlgorithm: 'SM4' },
      { SSEAlgorithm: 'KMS' },
      { SSEAlgorithm: 'KMS', KMSMasterKeyID: cmk },
    ];
    for (const rule of rules) {
      assert.equal((await c.putBucketEncryption(bucket, rule)).status, 200);
      assert.deepEqual((await c.getBucketEncryption(bucket)).encryption, rule);
      assert.deepEqual(await infoRule(c), rule);
    }

    assert.equal((await c.deleteBucketEncryption(bucket)).status, 204);
    await rejectsWith(c.getBucketEncryption(bucket), 404, 'NoSuchServerSideEncryptionRule');
    assert.deepEqual(await infoRule(c), { SSEAlgorithm: 'None' });
    // Deleting when nothing is set still answers 204 (ali-oss accepts nothing else).
    assert.equal((await c.deleteBucketEncryption(bucket)).status, 204);
  });
}

describe('PutBucketEncryption with hand-written XML', () => {
  let c: any;
  const bucket = 'enc-xml';
  before(async () => { c = await newBucket(srv, bucket); });

  test('KMS with KMSMasterKeyID and KMSDataEncryption: stored whole; GetBucketInfo shows it flat', async () => {
    const res = await putRule(bucket, ruleXml(`<SSEAlgorithm>KMS</SSEAlgorithm><KMSMasterKeyID>${cmk}</KMSMasterKeyID><KMSDataEncryption>SM4</KMSDataEncryption>`));
    assert.equal(res.status, 200, res.text);
    const expected = { SSEAlgorithm: 'KMS', KMSMasterKeyID: cmk, KMSDataEncryption: 'SM4' };
    assert.deepEqual(await wireRule(bucket), expected);
    assert.deepEqual(await infoRule(c), expected);
  });

  test('AES256 with an empty <KMSMasterKeyID></KMSMasterKeyID> (the official samples) is accepted; GET omits the empty field', async () => {
    const res = await putRule(bucket, ruleXml('<SSEAlgorithm>AES256</SSEAlgorithm><KMSMasterKeyID></KMSMasterKeyID>'));
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(await wireRule(bucket), { SSEAlgorithm: 'AES256' });
    assert.deepEqual((await c.getBucketEncryption(bucket)).encryption, { SSEAlgorithm: 'AES256' });
  });

  test('KMSDataEncryption=SM4 with AES256 or SM4 is accepted and dropped', async () => {
    for (const algorithm of ['AES256', 'SM4']) {
      const res = await putRule(bucket, ruleXml(`<SSEAlgorithm>${algorithm}</SSEAlgorithm><KMSDataEncryption>SM4</KMSDataEncryption>`));
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(await wireRule(bucket), { SSEAlgorithm: algorithm });
      assert.deepEqual(await infoRule(c), { SSEAlgorithm: algorithm });
    }
  });

  const REFUSED: Array<{ name: string; body: string; code: string; argument?: string }> = [
    { name: 'KMSMasterKeyID with AES256', body: ruleXml('<SSEAlgorithm>AES256</SSEAlgorithm><KMSMasterKeyID>cmk-1</KMSMasterKeyID>'), code: 'InvalidArgument', argument: 'KMSMasterKeyID' },
    { name: 'KMSMasterKeyID with SM4', body: ruleXml('<SSEAlgorithm>SM4</SSEAlgorithm><KMSMasterKeyID>cmk-1</KMSMasterKeyID>'), code: 'InvalidArgument', argument: 'KMSMasterKeyID' },
    { name: 'KMSDataEncryption other than SM4 with KMS', body: ruleXml('<SSEAlgorithm>KMS</SSEAlgorithm><KMSDataEncryption>AES256</KMSDataEncryption>'), code: 'InvalidArgument', argument: 'KMSDataEncryption' },
    { name: 'unknown algorithm', body: ruleXml('<SSEAlgorithm>AES128</SSEAlgorithm>'), code: 'InvalidEncryptionAlgorithmError' },
    { name: 'lower-case algorithm', body: ruleXml('<SSEAlgorithm>aes256</SSEAlgorithm>'), code: 'InvalidEncryptionAlgorithmError' },
    { name: 'empty algorithm', body: ruleXml('<SSEAlgorithm></SSEAlgorithm>'), code: 'InvalidEncryptionAlgorithmError' },
    { name: 'unparsable XML', body: '<ServerSideEncryptionRule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256', code: 'MalformedXML' },
    { name: 'no ApplyServerSideEncryptionByDefault', body: '<ServerSideEncryptionRule><SSEAlgorithm>AES256</SSEAlgorithm></ServerSideEncryptionRule>', code: 'MalformedXML' },
    { name: 'wrong root element', body: '<CreateBucketConfiguration><StorageClass>IA</StorageClass></CreateBucketConfiguration>', code: 'MalformedXML' },
  ];
  for (const r of REFUSED) {
    test(`${r.name} → 400 ${r.code}, and the rule in force stays`, async () => {
      await c.putBucketEncryption(bucket, { SSEAlgorithm: 'SM4' });
      const err = assertOssError(await putRule(bucket, r.body), 400, r.code);
      if (r.argument) assert.equal(err.ArgumentName, r.argument);
      assert.deepEqual(await wireRule(bucket), { SSEAlgorithm: 'SM4' });
    });
  }
});

describe('PutBucket with SSE headers sets the default rule', () => {
  test('x-oss-server-side-encryption: SM4', async () => {
    const c = await newBucket(srv, 'pb-sm4', 'V4', { [SSE]: 'SM4' });
    assert.deepEqual((await c.getBucketEncryption('pb-sm4')).encryption, { SSEAlgorithm: 'SM4' });
    assert.deepEqual(await infoRule(c), { SSEAlgorithm: 'SM4' });
  });

  test('KMS with a key id and SM4 data encryption', async () => {
    const c = await newBucket(srv, 'pb-kms', 'V1', { [SSE]: 'KMS', [SSE_KEY_ID]: cmk, [SSE_DATA]: 'SM4' });
    assert.deepEqual(await wireRule('pb-kms'), { SSEAlgorithm: 'KMS', KMSMasterKeyID: cmk, KMSDataEncryption: 'SM4' });
    assert.deepEqual(await infoRule(c), { SSEAlgorithm: 'KMS', KMSMasterKeyID: cmk, KMSDataEncryption: 'SM4' });
  });

  test('an invalid algorithm → 400 InvalidEncryptionAlgorithmError and no bucket', async () => {
    const c = srv.client();
    await rejectsWith(c.putBucket('pb-invalid', { headers: { [SSE]: 'invalid' } }), 400, 'InvalidEncryptionAlgorithmError');
    await rejectsWith(c.getBucketInfo('pb-invalid'), 404, 'NoSuchBucket');
  });
});

describe('the bucket default applies to new objects only', () => {
  let c: any;
  const bucket = 'default-rule';
  const data = bytes(90_000, 21);
  before(async () => {
    c = await newBucket(srv, bucket, 'V4');
    await c.putBucketEncryption(bucket, { SSEAlgorithm: 'AES256' });
  });

  test('writes without a header get the default, and every response reports it', async () => {
    const put = await c.put('by-default', data);
    assert.equal(put.res.headers[SSE], 'AES256');
    assert.equal((await c.head('by-default')).res.headers[SSE], 'AES256');
    assert.deepEqual((await c.get('by-default')).content, data);
    assert.equal(encryptionOf(await record(srv, bucket, 'by-default'))?.suite, 'AES256-GCM');

    const appended = await c.append('append-default', data);
    assert.equal(appended.res.headers[SSE], 'AES256');

    const init = await c.initMultipartUpload('mp-default');
    assert.equal(init.res.headers[SSE], 'AES256');
    const part = await c.uploadPart('mp-default', init.uploadId, 1, data, 0, data.length);
    const done = await c.completeMultipartUpload('mp-default', init.uploadId, [{ number: 1, etag: part.etag }]);
    assert.equal(done.res.headers[SSE], 'AES256');
    assert.deepEqual((await c.get('mp-default')).content, data);

    const copied = await c.copy('copy-default', 'by-default');
    assert.equal(copied.res.headers[SSE], 'AES256');
  });

  test('an object header wins over the default', async () => {
    const put = await c.put('by-header', data, { headers: { [SSE]: 'SM4' } });
    assert.equal(put.res.headers[SSE], 'SM4');
    assert.equal(encryptionOf(await record(srv, bucket, 'by-header'))?.suite, 'SM4-CTR-HMAC-SM3');
    assert.deepEqual((await c.get('by-header')).content, data);
  });

  test('changing or deleting the rule leaves existing objects and started uploads as they are', async () => {
    await c.putBucketEncryption(bucket, { SSEAlgorithm: 'AES256' });
    await c.put('old', data);
    const oldRecord = await record(srv, bucket, 'old');
    const init = await c.initMultipartUpload('mp-started');

    await c.putBucketEncryption(bucket, { SSEAlgorithm: 'SM4' });
    assert.deepEqual(await record(srv, bucket, 'old'), oldRecord);
    assert.equal((await c.head('old')).res.headers[SSE], 'AES256');
    assert.equal((await c.put('after-sm4', data)).res.headers[SSE], 'SM4');
    // The upload's encryption was decided at Initiate.
    const part = await c.uploadPart('mp-started', init.uploadId, 1, data, 0, data.length);
    assert.equal(part.res.headers[SSE], 'AES256');
    const done = await c.completeMultipartUpload('mp-started', init.uploadId, [{ number: 1, etag: part.etag }]);
    assert.equal(done.res.headers[SSE], 'AES256');

    await c.deleteBucketEncryption(bucket);
    assert.deepEqual(await record(srv, bucket, 'old'), oldRecord);
    assert.equal((await c.head('after-sm4')).res.headers[SSE], 'SM4');
    assert.deepEqual((await c.get('after-sm4')).content, data);
    const plain = await c.put('after-delete', data);
    assert.equal(plain.res.headers[SSE], undefined);
    assert.equal((await record(srv, bucket, 'after-delete')).encryption, null);
  });

  test('a KMS default whose CMK was disabled after the rule was set: 403 and nothing stored; the managed key encrypts when no CMK is named', async () => {
    const kms = kmsClient(srv);
    const doomed = await createKey(kms, { description: 'disabled under a rule' });
    await c.putBucketEncryption(bucket, { SSEAlgorithm: 'KMS', KMSMasterKeyID: doomed });
    await kms.disableKey(new Kms.DisableKeyRequest({ keyId: doomed }));
    const stored = storedFiles(srv);
    await rejectsWith(c.put('kms-default', data), 403, 'AccessDenied');
    assertNothingStored(srv, stored);
    await rejectsWith(c.head('kms-default'), 404, 'NoSuchKey');
    assert.equal((await c.put('kms-default', data, { headers: { [SSE]: 'AES256' } })).res.headers[SSE], 'AES256');
    await c.putBucketEncryption(bucket, { SSEAlgorithm: 'KMS' });
    const put = await c.put('kms-managed', data);
    assert.equal(put.res.headers[SSE], 'KMS');
    assert.ok(put.res.headers['x-oss-server-side-encryption-key-id']);
    assert.deepEqual((await c.get('kms-managed')).content, data);
    await c.deleteBucketEncryption(bucket);
  });
});
