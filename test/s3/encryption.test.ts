/**
 * Encryption through the S3 dialect, with @aws-sdk/client-s3: SSE-S3 (the SSE-OSS AES-256
 * envelope), SSE-KMS (a key by id, alias and AWS-style ARN, with an encryption context; the caller's
 * KMS permissions checked as for OSS), SSE-C (the key never stored, a wrong key refused, TLS
 * required unless the server allows plain HTTP), bucket default encryption, and the same objects
 * read through the other dialect.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  CompleteMultipartUploadCommand, CopyObjectCommand, CreateBucketCommand, CreateMultipartUploadCommand, DeleteBucketEncryptionCommand,
  GetBucketEncryptionCommand, GetObjectCommand, HeadObjectCommand, PutBucketEncryptionCommand, PutObjectCommand, UploadPartCommand,
} from '@aws-sdk/client-s3';
import { filesContaining } from '../helpers/data-dir';
import { createKey, Kms, kmsClient } from '../helpers/kms';
import { newRamUser, ossArn, statement } from '../helpers/ram';
import { bodyBytes, s3Client, s3Rejects } from '../helpers/s3';
import { startTestServer, type TestServer } from '../helpers/server';
import { encryptionOf, marker, record } from '../helpers/sse';

let srv: TestServer;
let plainSrv: TestServer;
let keyId: string;
const s3 = () => s3Client(srv);
const bucket = 's3-enc';

before(async () => {
  srv = await startTestServer({ allowSseCOverHttp: true });
  plainSrv = await startTestServer();
  await s3().send(new CreateBucketCommand({ Bucket: bucket }));
  keyId = await createKey(kmsClient(srv));
});
after(async () => {
  await srv.close();
  await plainSrv.close();
});

describe('SSE-S3 and SSE-KMS through S3', () => {
  it('AES256: the header is answered, the record is the SSE-OSS AES-256 envelope, the disk holds ciphertext', async () => {
    const m = marker(200_000);
    const put = await s3().send(new PutObjectCommand({ Bucket: bucket, Key: 'aes', Body: m.data, ServerSideEncryption: 'AES256' }));
    assert.equal(put.ServerSideEncryption, 'AES256');
    const got = await s3().send(new GetObjectCommand({ Bucket: bucket, Key: 'aes' }));
    assert.equal(got.ServerSideEncryption, 'AES256');
    assert.deepEqual(await bodyBytes(got.Body), m.data);
    const enc = encryptionOf(await record(srv, bucket, 'aes'))!;
    assert.equal(enc.algorithm, 'AES256');
    assert.equal(enc.kek.provider, 'oss');
    assert.deepEqual(filesContaining(srv.dataDir, [m.token]), []);
  });

  it('aws:kms with a key id, an alias and an AWS-style ARN; the encryption context reaches KMS', async () => {
    const kms = kmsClient(srv);
    await kms.createAlias(new Kms.CreateAliasRequest({ aliasName: 'alias/s3-test', keyId }));
    for (const [name, id] of [['by-id', keyId], ['by-alias', 'alias/s3-test'], ['by-arn', `arn:aws:kms:${srv.region}:${srv.running.coffer.accountId}:key/${keyId}`]] as const) {
      const put = await s3().send(new PutObjectCommand({ Bucket: bucket, Key: `kms-${name}`, Body: 'kms data', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: id }));
      assert.equal(put.ServerSideEncryption, 'aws:kms');
      assert.equal(put.SSEKMSKeyId, keyId, name);
      const head = await s3().send(new HeadObjectCommand({ Bucket: bucket, Key: `kms-${name}` }));
      assert.equal(head.SSEKMSKeyId, keyId);
      assert.equal(encryptionOf(await record(srv, bucket, `kms-${name}`))!.kek.provider, 'kms');
    }
    const context = Buffer.from(JSON.stringify({ project: 'coffer' })).toString('base64');
    const withContext = await s3().send(new PutObjectCommand({ Bucket: bucket, Key: 'kms-ctx', Body: 'with context', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: keyId, SSEKMSEncryptionContext: context }));
    assert.deepEqual(JSON.parse(Buffer.from(withContext.SSEKMSEncryptionContext!, 'base64').toString()), { project: 'coffer' });
    const got = await s3().send(new GetObjectCommand({ Bucket: bucket, Key: 'kms-ctx' }));
    assert.equal((await bodyBytes(got.Body)).toString(), 'with context');
    // The context binds the data key: KMS refuses to decrypt it without the context it was made with.
    const ref = encryptionOf(await record(srv, bucket, 'kms-ctx'))!.kek as { provider: 'kms'; ciphertextBlob: string; context?: Record<string, string> };
    assert.deepEqual(ref.context, { project: 'coffer' });
    await assert.rejects(srv.running.kms.Decrypt({ CiphertextBlob: ref.ciphertextBlob, EncryptionContext: { 'acs:oss:bucket': bucket, 'acs:oss:object': 'kms-ctx' } }));
    await srv.running.kms.Decrypt({ CiphertextBlob: ref.ciphertextBlob, EncryptionContext: { project: 'coffer', 'acs:oss:bucket': bucket, 'acs:oss:object': 'kms-ctx' } });
    const reserved = Buffer.from(JSON.stringify({ 'acs:oss:bucket': 'other' })).toString('base64');
    await s3Rejects(s3().send(new PutObjectCommand({ Bucket: bucket, Key: 'kms-ctx2', Body: 'x', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: keyId, SSEKMSEncryptionContext: reserved })), 'InvalidArgument', 400);
    await s3Rejects(s3().send(new PutObjectCommand({ Bucket: bucket, Key: 'kms-ctx2', Body: 'x', ServerSideEncryption: 'AES256', SSEKMSEncryptionContext: context })), 'InvalidArgument', 400);
  });

  it('aws:kms without a key id uses the managed key; aws:kms:dsse and unknown algorithms are refused', async () => {
    const put = await s3().send(new PutObjectCommand({ Bucket: bucket, Key: 'kms-managed', Body: 'x', ServerSideEncryption: 'aws:kms' }));
    assert.equal(put.ServerSideEncryption, 'aws:kms');
    assert.ok(put.SSEKMSKeyId);
    await s3Rejects(s3().send(new PutObjectCommand({ Bucket: bucket, Key: 'dsse', Body: 'x', ServerSideEncryption: 'aws:kms:dsse' })), 'InvalidArgument', 400);
    await s3Rejects(s3().send(new PutObjectCommand({ Bucket: bucket, Key: 'bad', Body: 'x', ServerSideEncryption: 'rot13' as never })), 'InvalidArgument', 400);
    await s3Rejects(s3().send(new HeadObjectCommand({ Bucket: bucket, Key: 'dsse' })), 'NotFound', 404);
  });

  it('a RAM user without kms:GenerateDataKey on the CMK: "This request is forbidden by kms", nothing written', async () => {
    const creds = await newRamUser(srv, 's3-no-kms', [{ name: 's3-oss-only', document: statement('Allow', 'oss:*', ossArn(srv, '*')) }]);
    const user = s3Client(srv, creds);
    await user.send(new PutObjectCommand({ Bucket: bucket, Key: 'ram-plain', Body: 'allowed' }));
    const e = await s3Rejects(user.send(new PutObjectCommand({ Bucket: bucket, Key: 'ram-kms', Body: 'x', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: keyId })), 'AccessDenied', 403);
    assert.match(e.message, /forbidden by kms/);
    await s3Rejects(s3().send(new HeadObjectCommand({ Bucket: bucket, Key: 'ram-kms' })), 'NotFound', 404);
    // Reading a KMS object needs kms:Decrypt as well.
    await s3Rejects(user.send(new GetObjectCommand({ Bucket: bucket, Key: 'kms-by-id' })), 'AccessDenied', 403);
  });

  it('bucket default encryption: Put/Get/DeleteBucketEncryption through S3 is the bucket rule OSS sees', async () => {
    const b = 's3-enc-default';
    await s3().send(new CreateBucketCommand({ Bucket: b }));
    await s3Rejects(s3().send(new GetBucketEncryptionCommand({ Bucket: b })), 'ServerSideEncryptionConfigurationNotFoundError', 404);
    await s3().send(new PutBucketEncryptionCommand({ Bucket: b, ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyId }, BucketKeyEnabled: true }] } }));
    const rule = await s3().send(new GetBucketEncryptionCommand({ Bucket: b }));
    assert.equal(rule.ServerSideEncryptionConfiguration!.Rules![0].ApplyServerSideEncryptionByDefault!.SSEAlgorithm, 'aws:kms');
    assert.equal(rule.ServerSideEncryptionConfiguration!.Rules![0].ApplyServerSideEncryptionByDefault!.KMSMasterKeyID, keyId);
    const oss = await srv.client({ bucket: b }).getBucketEncryption(b);
    assert.equal(oss.encryption.SSEAlgorithm, 'KMS');
    const put = await s3().send(new PutObjectCommand({ Bucket: b, Key: 'inherits', Body: 'x' }));
    assert.equal(put.ServerSideEncryption, 'aws:kms');
    assert.equal(put.SSEKMSKeyId, keyId);
    await s3Rejects(s3().send(new PutBucketEncryptionCommand({ Bucket: b, ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms:dsse' } }] } })), 'InvalidArgument', 400);
    await s3().send(new DeleteBucketEncryptionCommand({ Bucket: b }));
    await s3Rejects(s3().send(new GetBucketEncryptionCommand({ Bucket: b })), 'ServerSideEncryptionConfigurationNotFoundError', 404);
  });

  it('CopyObject re-encrypts: plain → aws:kms → AES256', async () => {
    await s3().send(new PutObjectCommand({ Bucket: bucket, Key: 'recrypt', Body: 'recrypt me' }));
    const toKms = await s3().send(new CopyObjectCommand({ Bucket: bucket, Key: 'recrypt', CopySource: `${bucket}/recrypt`, ServerSideEncryption: 'aws:kms', SSEKMSKeyId: keyId }));
    assert.equal(toKms.ServerSideEncryption, 'aws:kms');
    const toAes = await s3().send(new CopyObjectCommand({ Bucket: bucket, Key: 'recrypt-aes', CopySource: `${bucket}/recrypt`, ServerSideEncryption: 'AES256' }));
    assert.equal(toAes.ServerSideEncryption, 'AES256');
    assert.equal((await bodyBytes((await s3().send(new GetObjectCommand({ Bucket: bucket, Key: 'recrypt-aes' }))).Body)).toString(), 'recrypt me');
  });
});

describe('SSE-C through S3', () => {
  const key = randomBytes(32);
  const other = randomBytes(32);
  const ssec = (k: Buffer) => ({ SSECustomerAlgorithm: 'AES256', SSECustomerKey: k.toString('base64'), SSECustomerKeyMD5: createHash('md5').update(k).digest('base64') });

  it('PUT / GET / HEAD with the key; the key and the plaintext are in no file; a wrong or missing key is refused', async () => {
    const m = marker(300_000);
    const put = await s3().send(new PutObjectCommand({ Bucket: bucket, Key: 'ssec', Body: m.data, ...ssec(key) }));
    assert.equal(put.SSECustomerAlgorithm, 'AES256');
    assert.equal(put.SSECustomerKeyMD5, ssec(key).SSECustomerKeyMD5);
    const got = await s3().send(new GetObjectCommand({ Bucket: bucket, Key: 'ssec', ...ssec(key) }));
    assert.deepEqual(await bodyBytes(got.Body), m.data);
    assert.equal(got.SSECustomerKeyMD5, ssec(key).SSECustomerKeyMD5);
    const range = await s3().send(new GetObjectCommand({ Bucket: bucket, Key: 'ssec', Range: 'bytes=1000-1999', ...ssec(key) }));
    assert.deepEqual(await bodyBytes(range.Body), m.data.subarray(1000, 2000));
    assert.equal((await s3().send(new HeadObjectCommand({ Bucket: bucket, Key: 'ssec', ...ssec(key) }))).ContentLength, m.data.length);
    await s3Rejects(s3().send(new GetObjectCommand({ Bucket: bucket, Key: 'ssec', ...ssec(other) })), 'AccessDenied', 403);
    await s3Rejects(s3().send(new GetObjectCommand({ Bucket: bucket, Key: 'ssec' })), 'InvalidRequest', 400);
    await assert.rejects(s3().send(new HeadObjectCommand({ Bucket: bucket, Key: 'ssec' })), (e: { $metadata: { httpStatusCode: number } }) => e.$metadata.httpStatusCode === 400);
    assert.deepEqual(filesContaining(srv.dataDir, [m.token, key, Buffer.from(key.toString('base64'))]), []);
    // The OSS dialect cannot send the key: it cannot read the object either.
    await assert.rejects(srv.client({ bucket }).get('ssec'), (e: { status: number; code: string }) => e.status === 400 && e.code === 'InvalidRequest');
  });

  it('CopyObject from SSE-C (source key) to SSE-C under a new key', async () => {
    await s3().send(new CopyObjectCommand({
      Bucket: bucket, Key: 'ssec-copy', CopySource: `${bucket}/ssec`, ...ssec(other),
      CopySourceSSECustomerAlgorithm: 'AES256', CopySourceSSECustomerKey: key.toString('base64'), CopySourceSSECustomerKeyMD5: ssec(key).SSECustomerKeyMD5,
    }));
    const original = await bodyBytes((await s3().send(new GetObjectCommand({ Bucket: bucket, Key: 'ssec', ...ssec(key) }))).Body);
    const copy = await bodyBytes((await s3().send(new GetObjectCommand({ Bucket: bucket, Key: 'ssec-copy', ...ssec(other) }))).Body);
    assert.deepEqual(copy, original);
    await s3Rejects(s3().send(new CopyObjectCommand({ Bucket: bucket, Key: 'ssec-copy2', CopySource: `${bucket}/ssec` })), 'InvalidRequest', 400);
  });

  it('multipart under a customer key: every part needs it', async () => {
    const { UploadId } = await s3().send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'ssec-mpu', ...ssec(key) }));
    const p1 = Buffer.alloc(5 * 1024 * 1024, 1);
    const p2 = Buffer.from('tail');
    const e1 = await s3().send(new UploadPartCommand({ Bucket: bucket, Key: 'ssec-mpu', UploadId, PartNumber: 1, Body: p1, ...ssec(key) }));
    await s3Rejects(s3().send(new UploadPartCommand({ Bucket: bucket, Key: 'ssec-mpu', UploadId, PartNumber: 2, Body: p2, ...ssec(other) })), 'AccessDenied', 403);
    await s3Rejects(s3().send(new UploadPartCommand({ Bucket: bucket, Key: 'ssec-mpu', UploadId, PartNumber: 2, Body: p2 })), 'InvalidRequest', 400);
    const e2 = await s3().send(new UploadPartCommand({ Bucket: bucket, Key: 'ssec-mpu', UploadId, PartNumber: 2, Body: p2, ...ssec(key) }));
    await s3().send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'ssec-mpu', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: e1.ETag, ChecksumCRC32: e1.ChecksumCRC32 }, { PartNumber: 2, ETag: e2.ETag, ChecksumCRC32: e2.ChecksumCRC32 }] }, ...ssec(key) }));
    const got = await bodyBytes((await s3().send(new GetObjectCommand({ Bucket: bucket, Key: 'ssec-mpu', ...ssec(key) }))).Body);
    assert.deepEqual(got, Buffer.concat([p1, p2]));
  });

  it('without --allow-sse-c-over-http, a customer key over plain HTTP is refused and nothing is written', async () => {
    const c = s3Client(plainSrv);
    await c.send(new CreateBucketCommand({ Bucket: 'ssec-tls' }));
    const e = await s3Rejects(c.send(new PutObjectCommand({ Bucket: 'ssec-tls', Key: 'k', Body: 'x', ...ssec(key) })), 'InvalidRequest', 400);
    assert.match(e.message, /secure connection/);
    await s3Rejects(c.send(new HeadObjectCommand({ Bucket: 'ssec-tls', Key: 'k' })), 'NotFound', 404);
  });
});

describe('one store, two dialects', () => {
  it('an object written with ali-oss reads the same through S3, and back, for each encryption mode', async () => {
    const oss = srv.client({ bucket });
    const modes: Array<[string, Record<string, string>, Record<string, unknown>]> = [
      ['plain', {}, {}],
      ['aes', { 'x-oss-server-side-encryption': 'AES256' }, { ServerSideEncryption: 'AES256' }],
      ['kms', { 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-encryption-key-id': keyId }, { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: keyId }],
    ];
    for (const [name, ossHeaders, s3Params] of modes) {
      const data = randomBytes(100_000);
      const fromOss = await oss.put(`x/oss-${name}`, data, { headers: { ...ossHeaders, 'x-oss-meta-origin': 'oss' } });
      const viaS3 = await s3().send(new GetObjectCommand({ Bucket: bucket, Key: `x/oss-${name}` }));
      assert.deepEqual(await bodyBytes(viaS3.Body), data);
      // The same MD5; S3 writes ETags in lower case, OSS in upper case.
      assert.equal(viaS3.ETag, fromOss.res.headers.etag.toLowerCase());
      assert.deepEqual(viaS3.Metadata, { origin: 'oss' });
      assert.equal(viaS3.ServerSideEncryption, (s3Params as { ServerSideEncryption?: string }).ServerSideEncryption);

      const fromS3 = await s3().send(new PutObjectCommand({ Bucket: bucket, Key: `x/s3-${name}`, Body: data, Metadata: { origin: 's3' }, ...s3Params }));
      const viaOss = await oss.get(`x/s3-${name}`);
      assert.deepEqual(viaOss.content, data);
      assert.equal(viaOss.res.headers.etag.toLowerCase(), fromS3.ETag);
      assert.equal(viaOss.res.headers['x-oss-meta-origin'], 's3');
      assert.equal(viaOss.res.headers['x-oss-server-side-encryption'], ossHeaders['x-oss-server-side-encryption']);
    }
  });
});
