/**
 * The S3 dialect through @aws-sdk/client-s3 with its default settings (CRC32 flexible checksums,
 * its own choice of payload signing): buckets, objects, listings, copies, tagging, ACLs, CORS, and
 * the S3 error bodies.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Readable } from 'node:stream';
import {
  CopyObjectCommand, CreateBucketCommand, DeleteBucketCommand, DeleteBucketCorsCommand, DeleteObjectCommand, DeleteObjectsCommand,
  DeleteObjectTaggingCommand, GetBucketAclCommand, GetBucketCorsCommand, GetBucketLocationCommand, GetBucketVersioningCommand,
  GetBucketPolicyCommand, GetObjectAclCommand, GetObjectCommand, GetObjectTaggingCommand, HeadBucketCommand, HeadObjectCommand,
  ListBucketsCommand, ListObjectsCommand, ListObjectsV2Command, PutBucketAclCommand, PutBucketCorsCommand, PutObjectAclCommand,
  PutObjectCommand, PutObjectTaggingCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { bodyBytes, s3Client, s3Rejects } from '../helpers/s3';
import { startTestServer, type TestServer } from '../helpers/server';

let srv: TestServer;
const s3 = () => s3Client(srv);
const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');

before(async () => {
  srv = await startTestServer();
});
after(async () => {
  await srv.close();
});

describe('S3 buckets', () => {
  it('CreateBucket (with the server region as LocationConstraint), HeadBucket, ListBuckets, GetBucketLocation, DeleteBucket', async () => {
    const c = s3();
    await c.send(new CreateBucketCommand({ Bucket: 's3-buckets-a', CreateBucketConfiguration: { LocationConstraint: srv.region as never } }));
    const head = await c.send(new HeadBucketCommand({ Bucket: 's3-buckets-a' }));
    assert.equal(head.$metadata.httpStatusCode, 200);
    assert.equal(head.BucketRegion, srv.region);
    const list = await c.send(new ListBucketsCommand({}));
    assert.ok(list.Buckets!.some((b) => b.Name === 's3-buckets-a' && b.CreationDate instanceof Date));
    assert.equal(list.Owner!.ID, srv.running.coffer.accountId);
    const loc = await c.send(new GetBucketLocationCommand({ Bucket: 's3-buckets-a' }));
    assert.equal(loc.LocationConstraint, srv.region);
    // The same bucket is an OSS bucket.
    const info = await srv.client().getBucketInfo('s3-buckets-a');
    assert.equal(info.bucket.Name, 's3-buckets-a');
    await s3Rejects(c.send(new CreateBucketCommand({ Bucket: 's3-buckets-a' })), 'BucketAlreadyOwnedByYou', 409);
    await c.send(new DeleteBucketCommand({ Bucket: 's3-buckets-a' }));
    await s3Rejects(c.send(new HeadBucketCommand({ Bucket: 's3-buckets-a' })), 'NotFound', 404);
  });

  it('refuses a LocationConstraint of another region, and names that are not valid', async () => {
    const c = s3();
    await s3Rejects(c.send(new CreateBucketCommand({ Bucket: 's3-buckets-b', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } })), 'IllegalLocationConstraintException', 400);
    await s3Rejects(c.send(new CreateBucketCommand({ Bucket: 'Bad_Name' })), 'InvalidBucketName', 400);
    await s3Rejects(c.send(new HeadBucketCommand({ Bucket: 's3-buckets-b' })), 'NotFound', 404);
  });

  it('reads of configurations Coffer does not keep answer S3\'s "none"; a never-versioned bucket an empty versioning configuration', async () => {
    const c = s3();
    await c.send(new CreateBucketCommand({ Bucket: 's3-buckets-c' }));
    const v = await c.send(new GetBucketVersioningCommand({ Bucket: 's3-buckets-c' }));
    assert.equal(v.Status, undefined);
    await s3Rejects(c.send(new GetBucketPolicyCommand({ Bucket: 's3-buckets-c' })), 'NoSuchBucketPolicy', 404);
    await s3Rejects(c.send(new GetBucketVersioningCommand({ Bucket: 's3-nonexistent' })), 'NoSuchBucket', 404);
  });
});

describe('S3 objects', () => {
  const bucket = 's3-objects';
  before(async () => {
    await s3().send(new CreateBucketCommand({ Bucket: bucket }));
  });

  it('PutObject / GetObject / HeadObject: bytes, ETag = MD5, metadata and headers round trip', async () => {
    const c = s3();
    const data = Buffer.from('hello from the S3 dialect\n'.repeat(1000));
    const put = await c.send(new PutObjectCommand({
      Bucket: bucket, Key: 'dir/hello.txt', Body: data, ContentType: 'text/plain', CacheControl: 'no-cache',
      ContentDisposition: 'attachment', Metadata: { colour: 'blue', 'two-words': 'a b' },
    }));
    assert.equal(put.ETag, `"${md5(data)}"`);
    assert.ok(put.ChecksumCRC32, 'the SDK sent a CRC32 and the server answers it');
    const got = await c.send(new GetObjectCommand({ Bucket: bucket, Key: 'dir/hello.txt' }));
    assert.deepEqual(await bodyBytes(got.Body), data);
    assert.equal(got.ContentType, 'text/plain');
    assert.equal(got.CacheControl, 'no-cache');
    assert.equal(got.ContentDisposition, 'attachment');
    assert.deepEqual(got.Metadata, { colour: 'blue', 'two-words': 'a b' });
    assert.equal(got.ETag, put.ETag);
    assert.equal(got.ContentLength, data.length);
    const head = await c.send(new HeadObjectCommand({ Bucket: bucket, Key: 'dir/hello.txt', ChecksumMode: 'ENABLED' }));
    assert.equal(head.ContentLength, data.length);
    assert.equal(head.ChecksumCRC32, put.ChecksumCRC32);
    assert.equal(head.StorageClass, undefined, 'STANDARD is not reported, as in S3');
  });

  it('a stream body of known length (aws-chunked with a trailing checksum)', async () => {
    const c = s3();
    const data = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
    await c.send(new PutObjectCommand({ Bucket: bucket, Key: 'streamed', Body: Readable.from([data.subarray(0, 1000), data.subarray(1000)]), ContentLength: data.length }));
    const got = await c.send(new GetObjectCommand({ Bucket: bucket, Key: 'streamed' }));
    assert.equal(md5(await bodyBytes(got.Body)), md5(data));
    // The transfer encoding is not the object's.
    assert.equal(got.ContentEncoding, undefined);
  });

  it('ranges (416 when unsatisfiable), conditional reads, response-* overrides', async () => {
    const c = s3();
    const data = Buffer.from('0123456789abcdef');
    const { ETag } = await c.send(new PutObjectCommand({ Bucket: bucket, Key: 'range', Body: data }));
    const part = await c.send(new GetObjectCommand({ Bucket: bucket, Key: 'range', Range: 'bytes=2-5' }));
    assert.equal(part.$metadata.httpStatusCode, 206);
    assert.equal(part.ContentRange, 'bytes 2-5/16');
    assert.equal((await bodyBytes(part.Body)).toString(), '2345');
    await s3Rejects(c.send(new GetObjectCommand({ Bucket: bucket, Key: 'range', Range: 'bytes=100-200' })), 'InvalidRange', 416);
    await s3Rejects(c.send(new GetObjectCommand({ Bucket: bucket, Key: 'range', IfMatch: '"00000000000000000000000000000000"' })), 'PreconditionFailed', 412);
    await assert.rejects(c.send(new GetObjectCommand({ Bucket: bucket, Key: 'range', IfNoneMatch: ETag })), (e: { $metadata: { httpStatusCode: number } }) => e.$metadata.httpStatusCode === 304);
    const o = await c.send(new GetObjectCommand({ Bucket: bucket, Key: 'range', ResponseContentType: 'application/x-test', ResponseContentDisposition: 'inline' }));
    assert.equal(o.ContentType, 'application/x-test');
    assert.equal(o.ContentDisposition, 'inline');
  });

  it('If-None-Match: * writes only a new object', async () => {
    const c = s3();
    await c.send(new PutObjectCommand({ Bucket: bucket, Key: 'once', Body: 'first', IfNoneMatch: '*' }));
    await s3Rejects(c.send(new PutObjectCommand({ Bucket: bucket, Key: 'once', Body: 'second', IfNoneMatch: '*' })), 'PreconditionFailed', 412);
    const got = await c.send(new GetObjectCommand({ Bucket: bucket, Key: 'once' }));
    assert.equal((await bodyBytes(got.Body)).toString(), 'first');
  });

  it('missing keys and buckets: S3 error codes, and HEAD errors without a body', async () => {
    const c = s3();
    const e = await s3Rejects(c.send(new GetObjectCommand({ Bucket: bucket, Key: 'nope' })), 'NoSuchKey', 404);
    assert.match(e.message, /does not exist/);
    await s3Rejects(c.send(new HeadObjectCommand({ Bucket: bucket, Key: 'nope' })), 'NotFound', 404);
    await s3Rejects(c.send(new GetObjectCommand({ Bucket: 's3-no-such-bucket', Key: 'x' })), 'NoSuchBucket', 404);
  });

  it('ListObjectsV2: prefix, delimiter, paging by continuation token, start-after, url encoding, fetch-owner', async () => {
    const c = s3();
    const keys = ['list/a', 'list/b/1', 'list/b/2', 'list/c', 'list/d e+f', 'list/z'];
    for (const Key of keys) await c.send(new PutObjectCommand({ Bucket: bucket, Key, Body: Key }));
    const page = await c.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'list/', Delimiter: '/' }));
    assert.deepEqual(page.Contents!.map((o) => o.Key), ['list/a', 'list/c', 'list/d e+f', 'list/z']);
    assert.deepEqual(page.CommonPrefixes!.map((p) => p.Prefix), ['list/b/']);
    assert.equal(page.KeyCount, 5);
    assert.equal(page.Contents![0].StorageClass, 'STANDARD');
    assert.equal(page.Contents![0].Size, 6);
    assert.equal(page.Contents![0].Owner, undefined);
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const p = await c.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'list/', MaxKeys: 2, ContinuationToken: token, FetchOwner: true }));
      seen.push(...p.Contents!.map((o) => o.Key!));
      assert.equal(p.Contents![0].Owner!.ID, srv.running.coffer.accountId);
      token = p.NextContinuationToken;
    } while (token);
    assert.deepEqual(seen, keys);
    const none = await c.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'list/', MaxKeys: 0 }));
    assert.equal(none.KeyCount, 0);
    assert.equal(none.IsTruncated, false);
    assert.equal(none.Contents, undefined);
    const after = await c.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'list/', StartAfter: 'list/c' }));
    assert.deepEqual(after.Contents!.map((o) => o.Key), ['list/d e+f', 'list/z']);
    // Asked for by the caller, encoding-type=url comes back encoded (as S3 and OSS both write it, decodable with unquote_plus).
    const encoded = await c.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'list/d', EncodingType: 'url' }));
    assert.equal(encoded.EncodingType, 'url');
    assert.deepEqual(encoded.Contents!.map((o) => decodeURIComponent(o.Key!.replace(/\+/g, ' '))), ['list/d e+f']);
  });

  it('ListObjects (v1): marker paging and NextMarker with a delimiter', async () => {
    const c = s3();
    const first = await c.send(new ListObjectsCommand({ Bucket: bucket, Prefix: 'list/', MaxKeys: 3 }));
    assert.equal(first.IsTruncated, true);
    assert.deepEqual(first.Contents!.map((o) => o.Key), ['list/a', 'list/b/1', 'list/b/2']);
    const next = await c.send(new ListObjectsCommand({ Bucket: bucket, Prefix: 'list/', Marker: 'list/b/2' }));
    assert.deepEqual(next.Contents!.map((o) => o.Key), ['list/c', 'list/d e+f', 'list/z']);
  });

  it('DeleteObject and DeleteObjects (the SDK sends a CRC32 of the document instead of Content-MD5)', async () => {
    const c = s3();
    for (const Key of ['del/1', 'del/2', 'del/3']) await c.send(new PutObjectCommand({ Bucket: bucket, Key, Body: 'x' }));
    const d = await c.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'del/1' }));
    assert.equal(d.$metadata.httpStatusCode, 204);
    const many = await c.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: 'del/2' }, { Key: 'del/3' }, { Key: 'del/none' }] } }));
    assert.deepEqual(many.Deleted!.map((x) => x.Key).sort(), ['del/2', 'del/3', 'del/none']);
    const left = await c.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'del/' }));
    assert.equal(left.KeyCount, 0);
  });

  it('CopyObject: COPY and REPLACE metadata, tagging directive, conditional copy, the self-copy rule', async () => {
    const c = s3();
    const put = await c.send(new PutObjectCommand({ Bucket: bucket, Key: 'copy/src', Body: 'copy me', Metadata: { a: '1' }, Tagging: 't=1' }));
    const copied = await c.send(new CopyObjectCommand({ Bucket: bucket, Key: 'copy/dst', CopySource: `${bucket}/copy/src` }));
    assert.equal(copied.CopyObjectResult!.ETag, put.ETag);
    assert.ok(copied.CopyObjectResult!.LastModified instanceof Date);
    const dst = await c.send(new HeadObjectCommand({ Bucket: bucket, Key: 'copy/dst' }));
    assert.deepEqual(dst.Metadata, { a: '1' });
    const tags = await c.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: 'copy/dst' }));
    assert.deepEqual(tags.TagSet, [{ Key: 't', Value: '1' }]);
    await c.send(new CopyObjectCommand({ Bucket: bucket, Key: 'copy/dst', CopySource: `/${bucket}/copy/src`, MetadataDirective: 'REPLACE', Metadata: { b: '2' }, ContentType: 'text/x-new' }));
    const replaced = await c.send(new HeadObjectCommand({ Bucket: bucket, Key: 'copy/dst' }));
    assert.deepEqual(replaced.Metadata, { b: '2' });
    assert.equal(replaced.ContentType, 'text/x-new');
    await s3Rejects(c.send(new CopyObjectCommand({ Bucket: bucket, Key: 'copy/src', CopySource: `${bucket}/copy/src` })), 'InvalidRequest', 400);
    await c.send(new CopyObjectCommand({ Bucket: bucket, Key: 'copy/src', CopySource: `${bucket}/copy/src`, MetadataDirective: 'REPLACE', Metadata: { c: '3' } }));
    assert.deepEqual((await c.send(new HeadObjectCommand({ Bucket: bucket, Key: 'copy/src' }))).Metadata, { c: '3' });
    await s3Rejects(c.send(new CopyObjectCommand({ Bucket: bucket, Key: 'copy/x', CopySource: `${bucket}/copy/src`, CopySourceIfMatch: '"ffffffffffffffffffffffffffffffff"' })), 'PreconditionFailed', 412);
    await s3Rejects(c.send(new CopyObjectCommand({ Bucket: bucket, Key: 'copy/x', CopySource: `${bucket}/copy/none` })), 'NoSuchKey', 404);
    await s3Rejects(c.send(new CopyObjectCommand({ Bucket: bucket, Key: 'copy/x', CopySource: `${bucket}/copy/src?versionId=abc` })), 'InvalidArgument', 400);
  });

  it('object tagging and ACLs', async () => {
    const c = s3();
    await c.send(new PutObjectCommand({ Bucket: bucket, Key: 'tagged', Body: 'x' }));
    await c.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: 'tagged', Tagging: { TagSet: [{ Key: 'k', Value: 'v' }, { Key: 'team', Value: 'storage' }] } }));
    const tags = await c.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: 'tagged' }));
    assert.deepEqual(tags.TagSet, [{ Key: 'k', Value: 'v' }, { Key: 'team', Value: 'storage' }]);
    assert.equal((await c.send(new HeadObjectCommand({ Bucket: bucket, Key: 'tagged' }))).$metadata.httpStatusCode, 200);
    await c.send(new DeleteObjectTaggingCommand({ Bucket: bucket, Key: 'tagged' }));
    assert.deepEqual((await c.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: 'tagged' }))).TagSet, []);

    const acl = await c.send(new GetObjectAclCommand({ Bucket: bucket, Key: 'tagged' }));
    assert.deepEqual(acl.Grants!.map((g) => g.Permission), ['FULL_CONTROL']);
    await c.send(new PutObjectAclCommand({ Bucket: bucket, Key: 'tagged', ACL: 'public-read' }));
    const pub = await c.send(new GetObjectAclCommand({ Bucket: bucket, Key: 'tagged' }));
    assert.deepEqual(pub.Grants!.map((g) => `${g.Grantee!.Type}:${g.Permission}`), ['CanonicalUser:FULL_CONTROL', 'Group:READ']);
    // The object's ACL is OSS's: an anonymous read now succeeds.
    const anon = await fetch(`${srv.url}/${bucket}/tagged`);
    assert.equal(anon.status, 200);
    await c.send(new PutBucketAclCommand({ Bucket: bucket, ACL: 'private' }));
    const bacl = await c.send(new GetBucketAclCommand({ Bucket: bucket }));
    assert.equal(bacl.Owner!.ID, srv.running.coffer.accountId);
    await s3Rejects(c.send(new PutObjectAclCommand({ Bucket: bucket, Key: 'tagged', ACL: 'authenticated-read' })), 'NotImplemented', 501);
  });

  it('bucket CORS', async () => {
    const c = s3();
    await c.send(new PutBucketCorsCommand({ Bucket: bucket, CORSConfiguration: { CORSRules: [{ AllowedOrigins: ['https://app.example'], AllowedMethods: ['GET', 'PUT'], AllowedHeaders: ['*'], ExposeHeaders: ['ETag'], MaxAgeSeconds: 600 }] } }));
    const cors = await c.send(new GetBucketCorsCommand({ Bucket: bucket }));
    assert.deepEqual(cors.CORSRules![0].AllowedOrigins, ['https://app.example']);
    assert.deepEqual(cors.CORSRules![0].AllowedMethods, ['GET', 'PUT']);
    assert.equal(cors.CORSRules![0].MaxAgeSeconds, 600);
    const preflight = await fetch(`${srv.url}/${bucket}/x`, { method: 'OPTIONS', headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': 'PUT' } });
    assert.equal(preflight.headers.get('access-control-allow-origin'), 'https://app.example');
    await c.send(new DeleteBucketCorsCommand({ Bucket: bucket }));
    await s3Rejects(c.send(new GetBucketCorsCommand({ Bucket: bucket })), 'NoSuchCORSConfiguration', 404);
  });

  it('presigned GET and PUT URLs (SigV4 query), and their refusal when tampered with or expired', async () => {
    const c = s3();
    await c.send(new PutObjectCommand({ Bucket: bucket, Key: 'presigned', Body: 'signed content' }));
    const url = await getSignedUrl(c, new GetObjectCommand({ Bucket: bucket, Key: 'presigned' }), { expiresIn: 300 });
    const ok = await fetch(url);
    assert.equal(ok.status, 200);
    assert.equal(await ok.text(), 'signed content');
    const tampered = await fetch(url.replace('presigned', 'presigneD'));
    assert.equal(tampered.status, 403);
    assert.match(await tampered.text(), /<Code>SignatureDoesNotMatch<\/Code>/);
    const putUrl = await getSignedUrl(c, new PutObjectCommand({ Bucket: bucket, Key: 'via-url' }), { expiresIn: 300 });
    const put = await fetch(putUrl, { method: 'PUT', body: 'uploaded by URL' });
    assert.equal(put.status, 200);
    assert.equal((await bodyBytes((await c.send(new GetObjectCommand({ Bucket: bucket, Key: 'via-url' }))).Body)).toString(), 'uploaded by URL');
    const old = await getSignedUrl(c, new GetObjectCommand({ Bucket: bucket, Key: 'presigned' }), { expiresIn: 1, signingDate: new Date(Date.now() - 60_000) });
    const expired = await fetch(old);
    assert.equal(expired.status, 403);
    assert.match(await expired.text(), /<Code>AccessDenied<\/Code><Message>Request has expired/);
  });

  it('a wrong secret, an unknown key id, and anonymous access to a private bucket', async () => {
    await s3Rejects(s3Client(srv, { accessKeyId: 'LTAItestrootkey0001', accessKeySecret: 'wrong' }).send(new ListBucketsCommand({})), 'SignatureDoesNotMatch', 403);
    await s3Rejects(s3Client(srv, { accessKeyId: 'AKIANOSUCHKEY', accessKeySecret: 'x' }).send(new ListBucketsCommand({})), 'InvalidAccessKeyId', 403);
    const anon = await fetch(`${srv.url}/${bucket}/dir/hello.txt`, { headers: { 'x-amz-date': '20260101T000000Z' } });
    assert.equal(anon.status, 403);
    const text = await anon.text();
    assert.match(text, /<Error><Code>AccessDenied<\/Code>/);
    assert.match(text, /<RequestId>[0-9A-F]+<\/RequestId>/);
    assert.ok(anon.headers.get('x-amz-request-id'));
  });
});
