/**
 * Bucket policies through the S3 dialect (@aws-sdk/client-s3): the same stored document as OSS's
 * ?policy, written in the OSS language; S3-language documents are refused as MalformedPolicy, and
 * a policy put through S3 governs S3 requests (condition keys under their OSS names).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  CreateBucketCommand, DeleteBucketPolicyCommand, GetBucketPolicyCommand, GetObjectCommand, PutBucketPolicyCommand, PutObjectCommand,
} from '@aws-sdk/client-s3';
import { ossArn } from '../helpers/ram';
import { s3Client, s3Rejects } from '../helpers/s3';
import { startTestServer, type TestServer } from '../helpers/server';

let srv: TestServer;
const BUCKET = 's3-policy';

before(async () => {
  srv = await startTestServer();
  await s3Client(srv).send(new CreateBucketCommand({ Bucket: BUCKET }));
});
after(async () => { await srv.close(); });

const requireSse = (): string => JSON.stringify({
  Version: '1',
  Statement: [{
    Effect: 'Deny', Principal: '*', Action: 'oss:PutObject', Resource: ossArn(srv, `${BUCKET}/*`),
    Condition: { StringNotEquals: { 'oss:x-oss-server-side-encryption': ['AES256', 'KMS'] } },
  }],
});

test('Put/Get/DeleteBucketPolicy share the OSS document; a policy requiring SSE refuses S3 writes without it', async () => {
  const s3 = s3Client(srv);
  await s3Rejects(s3.send(new GetBucketPolicyCommand({ Bucket: BUCKET })), 'NoSuchBucketPolicy', 404);
  await s3.send(new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: requireSse() }));
  assert.equal((await s3.send(new GetBucketPolicyCommand({ Bucket: BUCKET }))).Policy, requireSse());
  assert.equal((await srv.client({ bucket: BUCKET }).getBucketPolicy(BUCKET)).policy.Statement[0].Effect, 'Deny');
  await s3Rejects(s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'plain.txt', Body: 'x' })), 'AccessDenied', 403);
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'enc.txt', Body: 'x', ServerSideEncryption: 'AES256' }));
  assert.equal(await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'enc.txt' }))).Body!.transformToString(), 'x');
  await s3.send(new DeleteBucketPolicyCommand({ Bucket: BUCKET }));
  await s3Rejects(s3.send(new GetBucketPolicyCommand({ Bucket: BUCKET })), 'NoSuchBucketPolicy', 404);
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'plain.txt', Body: 'x' }));
});

test('S3-language documents and bad ones are MalformedPolicy, naming why', async () => {
  const s3 = s3Client(srv);
  const aws = JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 's3:GetObject', Resource: `arn:aws:s3:::${BUCKET}/*` }],
  });
  const err = await s3Rejects(s3.send(new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: aws })), 'MalformedPolicy', 400);
  assert.match(err.message, /OSS policy language/);
  await s3Rejects(s3.send(new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: '{"Version":"1",' })), 'MalformedPolicy', 400);
  await s3Rejects(s3.send(new GetBucketPolicyCommand({ Bucket: BUCKET })), 'NoSuchBucketPolicy', 404);
});
