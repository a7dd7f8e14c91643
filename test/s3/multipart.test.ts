/**
 * Multipart uploads through the S3 dialect with @aws-sdk/client-s3: parts with the SDK's default
 * CRC32, composite and full-object checksums (CRC32, SHA256, CRC64NVME), UploadPartCopy, listings,
 * abort, and the refusals; and S3 actions decided by the RAM policies of OSS actions.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand, GetObjectCommand,
  HeadObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, ListPartsCommand, PutObjectCommand, UploadPartCommand,
  UploadPartCopyCommand, type ChecksumAlgorithm, type CompletedPart,
} from '@aws-sdk/client-s3';
import { crc32 } from '../../src/crypto/crc32';
import { newRamUser, ossArn } from '../helpers/ram';
import { bodyBytes, s3Client, s3Rejects } from '../helpers/s3';
import { startTestServer, type TestServer } from '../helpers/server';

let srv: TestServer;
const s3 = () => s3Client(srv);
const bucket = 's3-mpu';
const MiB = 1024 * 1024;

before(async () => {
  srv = await startTestServer();
  await s3().send(new CreateBucketCommand({ Bucket: bucket }));
});
after(async () => {
  await srv.close();
});

async function upload(key: string, parts: Buffer[], algorithm?: ChecksumAlgorithm, type?: 'COMPOSITE' | 'FULL_OBJECT') {
  const c = s3();
  const { UploadId } = await c.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ChecksumAlgorithm: algorithm, ChecksumType: type }));
  const done: CompletedPart[] = [];
  for (const [i, Body] of parts.entries()) {
    const r = await c.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: i + 1, Body, ChecksumAlgorithm: algorithm }));
    done.push({ PartNumber: i + 1, ETag: r.ETag, ChecksumCRC32: r.ChecksumCRC32, ChecksumSHA256: r.ChecksumSHA256, ChecksumCRC64NVME: r.ChecksumCRC64NVME });
  }
  return { UploadId: UploadId!, done };
}

describe('S3 multipart', () => {
  it('CRC32 composite (the SDK default): parts listed with their checksums, the object with "…-N", data intact', async () => {
    const parts = [randomBytes(5 * MiB), randomBytes(MiB + 3)];
    const { UploadId, done } = await upload('mpu/crc32', parts, 'CRC32');
    const listed = await s3().send(new ListPartsCommand({ Bucket: bucket, Key: 'mpu/crc32', UploadId }));
    assert.deepEqual(listed.Parts!.map((p) => [p.PartNumber, p.Size, p.ChecksumCRC32]), done.map((d, i) => [d.PartNumber, parts[i].length, d.ChecksumCRC32]));
    const uploads = await s3().send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'mpu/' }));
    assert.ok(uploads.Uploads!.some((u) => u.UploadId === UploadId && u.Key === 'mpu/crc32'));
    const complete = await s3().send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'mpu/crc32', UploadId, MultipartUpload: { Parts: done } }));
    const partDigests = done.map((d) => Buffer.from(d.ChecksumCRC32!, 'base64'));
    const digest = Buffer.alloc(4);
    digest.writeUInt32BE(crc32(Buffer.concat(partDigests)));
    const composite = `${digest.toString('base64')}-2`;
    assert.equal(complete.ChecksumCRC32, composite);
    assert.match(complete.ETag!, /^"[0-9a-f]{32}-2"$/);
    const head = await s3().send(new HeadObjectCommand({ Bucket: bucket, Key: 'mpu/crc32', ChecksumMode: 'ENABLED' }));
    assert.equal(head.ChecksumCRC32, composite);
    assert.equal(head.ChecksumType, 'COMPOSITE');
    const got = await bodyBytes((await s3().send(new GetObjectCommand({ Bucket: bucket, Key: 'mpu/crc32' }))).Body);
    assert.equal(createHash('md5').update(got).digest('hex'), createHash('md5').update(Buffer.concat(parts)).digest('hex'));
  });

  it('SHA256 composite and CRC64NVME full-object checksums', async () => {
    const parts = [randomBytes(5 * MiB), randomBytes(1000)];
    const sha = await upload('mpu/sha', parts, 'SHA256');
    const shaDone = await s3().send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'mpu/sha', UploadId: sha.UploadId, MultipartUpload: { Parts: sha.done } }));
    const expected = createHash('sha256').update(Buffer.concat(sha.done.map((d) => Buffer.from(d.ChecksumSHA256!, 'base64')))).digest('base64');
    assert.equal(shaDone.ChecksumSHA256, `${expected}-2`);
    const nvme = await upload('mpu/nvme', parts, 'CRC64NVME', 'FULL_OBJECT');
    await s3().send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'mpu/nvme', UploadId: nvme.UploadId, MultipartUpload: { Parts: nvme.done } }));
    // A full-object CRC is the CRC of the whole content: the same as a single PUT of it.
    const single = await s3().send(new PutObjectCommand({ Bucket: bucket, Key: 'mpu/nvme-single', Body: Buffer.concat(parts), ChecksumAlgorithm: 'CRC64NVME' }));
    const head = await s3().send(new HeadObjectCommand({ Bucket: bucket, Key: 'mpu/nvme', ChecksumMode: 'ENABLED' }));
    assert.equal(head.ChecksumCRC64NVME, single.ChecksumCRC64NVME);
    assert.equal(head.ChecksumType, 'FULL_OBJECT');
    await s3Rejects(s3().send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'mpu/x', ChecksumAlgorithm: 'SHA1', ChecksumType: 'FULL_OBJECT' })), 'InvalidRequest', 400);
  });

  it('a part checksum in Complete that is not the stored one, a wrong ETag, a small middle part: refused, nothing written', async () => {
    const { UploadId, done } = await upload('mpu/bad', [randomBytes(5 * MiB), randomBytes(10)], 'CRC32');
    const lying = done.map((d, i) => (i === 0 ? { ...d, ChecksumCRC32: 'AAAAAA==' } : d));
    await s3Rejects(s3().send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'mpu/bad', UploadId, MultipartUpload: { Parts: lying } })), 'InvalidPart', 400);
    const wrongEtag = done.map((d, i) => (i === 1 ? { ...d, ETag: '"00000000000000000000000000000000"' } : d));
    await s3Rejects(s3().send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'mpu/bad', UploadId, MultipartUpload: { Parts: wrongEtag } })), 'InvalidPart', 400);
    const small = await upload('mpu/small', [randomBytes(1000), randomBytes(1000)]);
    await s3Rejects(s3().send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'mpu/small', UploadId: small.UploadId, MultipartUpload: { Parts: small.done } })), 'EntityTooSmall', 400);
    await s3Rejects(s3().send(new HeadObjectCommand({ Bucket: bucket, Key: 'mpu/bad' })), 'NotFound', 404);
    await s3().send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: 'mpu/bad', UploadId }));
    await s3Rejects(s3().send(new ListPartsCommand({ Bucket: bucket, Key: 'mpu/bad', UploadId })), 'NoSuchUpload', 404);
  });

  it('UploadPartCopy with a source range', async () => {
    const src = randomBytes(6 * MiB);
    await s3().send(new PutObjectCommand({ Bucket: bucket, Key: 'mpu/source', Body: src }));
    const { UploadId } = await s3().send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'mpu/copied' }));
    const p1 = await s3().send(new UploadPartCopyCommand({ Bucket: bucket, Key: 'mpu/copied', UploadId, PartNumber: 1, CopySource: `${bucket}/mpu/source`, CopySourceRange: `bytes=0-${5 * MiB - 1}` }));
    const p2 = await s3().send(new UploadPartCopyCommand({ Bucket: bucket, Key: 'mpu/copied', UploadId, PartNumber: 2, CopySource: `${bucket}/mpu/source`, CopySourceRange: `bytes=${5 * MiB}-${6 * MiB - 1}` }));
    assert.match(p1.CopyPartResult!.ETag!, /^"[0-9a-f]{32}"$/);
    await s3().send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'mpu/copied', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.CopyPartResult!.ETag }, { PartNumber: 2, ETag: p2.CopyPartResult!.ETag }] } }));
    assert.deepEqual(await bodyBytes((await s3().send(new GetObjectCommand({ Bucket: bucket, Key: 'mpu/copied' }))).Body), src);
  });
});

describe('S3 actions under RAM policies', () => {
  it('each S3 call is authorized as its OSS action: read-only on a prefix allows GET and LIST there, nothing else', async () => {
    await s3().send(new PutObjectCommand({ Bucket: bucket, Key: 'shared/a.txt', Body: 'shared' }));
    await s3().send(new PutObjectCommand({ Bucket: bucket, Key: 'private/b.txt', Body: 'private' }));
    const creds = await newRamUser(srv, 's3-reader', [{
      name: 's3-reader-policy',
      document: {
        Version: '1',
        Statement: [
          { Effect: 'Allow', Action: ['oss:GetObject'], Resource: [ossArn(srv, `${bucket}/shared/*`)] },
          { Effect: 'Allow', Action: ['oss:ListObjects'], Resource: [ossArn(srv, bucket)], Condition: { StringLike: { 'oss:Prefix': ['shared/*'] } } },
        ],
      },
    }]);
    const user = s3Client(srv, creds);
    assert.equal((await bodyBytes((await user.send(new GetObjectCommand({ Bucket: bucket, Key: 'shared/a.txt' }))).Body)).toString(), 'shared');
    await s3Rejects(user.send(new GetObjectCommand({ Bucket: bucket, Key: 'private/b.txt' })), 'AccessDenied', 403);
    await s3Rejects(user.send(new PutObjectCommand({ Bucket: bucket, Key: 'shared/new.txt', Body: 'x' })), 'AccessDenied', 403);
    const listed = await user.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'shared/' }));
    assert.deepEqual(listed.Contents!.map((o) => o.Key), ['shared/a.txt']);
    await s3Rejects(user.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'private/' })), 'AccessDenied', 403);
    await s3Rejects(user.send(new CreateBucketCommand({ Bucket: 's3-mpu-user' })), 'AccessDenied', 403);
  });
});
