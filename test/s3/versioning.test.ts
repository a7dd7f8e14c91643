/**
 * Object versioning through the S3 dialect with @aws-sdk/client-s3: Put/GetBucketVersioning (and
 * MFADelete), x-amz-version-id on writes and reads, delete markers, ListObjectVersions paging,
 * versionId on Get/Head/Delete/Copy, DeleteObjects with VersionId, SSE per version.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CopyObjectCommand, CreateBucketCommand, DeleteObjectCommand, DeleteObjectsCommand, GetBucketVersioningCommand, GetObjectCommand,
  HeadObjectCommand, ListObjectVersionsCommand, PutBucketVersioningCommand, PutObjectCommand, type S3Client,
} from '@aws-sdk/client-s3';
import { bodyBytes, s3Client, s3Rejects } from '../helpers/s3';
import { startTestServer, type TestServer } from '../helpers/server';

let srv: TestServer;
let c: S3Client;
before(async () => {
  srv = await startTestServer();
  c = s3Client(srv);
});
after(async () => { await srv.close(); });

async function versionedBucket(name: string): Promise<void> {
  await c.send(new CreateBucketCommand({ Bucket: name }));
  await c.send(new PutBucketVersioningCommand({ Bucket: name, VersioningConfiguration: { Status: 'Enabled', MFADelete: 'Disabled' } }));
}

const put = async (Bucket: string, Key: string, body: string, extra: Record<string, unknown> = {}): Promise<string> =>
  (await c.send(new PutObjectCommand({ Bucket, Key, Body: Buffer.from(body), ...extra }))).VersionId!;

describe('S3 versioning', () => {
  it('Put/GetBucketVersioning; MFADelete Enabled is NotImplemented and changes nothing', async () => {
    await c.send(new CreateBucketCommand({ Bucket: 's3-ver-config' }));
    assert.equal((await c.send(new GetBucketVersioningCommand({ Bucket: 's3-ver-config' }))).Status, undefined);
    await s3Rejects(c.send(new PutBucketVersioningCommand({ Bucket: 's3-ver-config', VersioningConfiguration: { Status: 'Enabled', MFADelete: 'Enabled' } })), 'NotImplemented', 501);
    assert.equal((await c.send(new GetBucketVersioningCommand({ Bucket: 's3-ver-config' }))).Status, undefined);
    await c.send(new PutBucketVersioningCommand({ Bucket: 's3-ver-config', VersioningConfiguration: { Status: 'Enabled' } }));
    assert.equal((await c.send(new GetBucketVersioningCommand({ Bucket: 's3-ver-config' }))).Status, 'Enabled');
    await c.send(new PutBucketVersioningCommand({ Bucket: 's3-ver-config', VersioningConfiguration: { Status: 'Suspended' } }));
    assert.equal((await c.send(new GetBucketVersioningCommand({ Bucket: 's3-ver-config' }))).Status, 'Suspended');
  });

  it('versions of one key with their own encryption read back by VersionId; a delete marker hides the key', async () => {
    const B = 's3-ver-objects';
    await versionedBucket(B);
    const v1 = await put(B, 'k', 'plain one');
    const v2 = await put(B, 'k', 'aes two', { ServerSideEncryption: 'AES256' });
    const v3 = await put(B, 'k', 'kms three', { ServerSideEncryption: 'aws:kms' });
    assert.equal(new Set([v1, v2, v3]).size, 3);
    const expected: Array<[string, string, string | undefined]> = [[v1, 'plain one', undefined], [v2, 'aes two', 'AES256'], [v3, 'kms three', 'aws:kms']];
    for (const [id, body, sse] of expected) {
      const got = await c.send(new GetObjectCommand({ Bucket: B, Key: 'k', VersionId: id }));
      assert.equal((await bodyBytes(got.Body)).toString(), body);
      assert.equal(got.VersionId, id);
      assert.equal(got.ServerSideEncryption, sse);
      assert.equal((await c.send(new HeadObjectCommand({ Bucket: B, Key: 'k', VersionId: id }))).ContentLength, body.length);
    }
    const del = await c.send(new DeleteObjectCommand({ Bucket: B, Key: 'k' }));
    assert.equal(del.DeleteMarker, true);
    assert.ok(del.VersionId);
    await s3Rejects(c.send(new GetObjectCommand({ Bucket: B, Key: 'k' })), 'NoSuchKey', 404);
    await s3Rejects(c.send(new GetObjectCommand({ Bucket: B, Key: 'k', VersionId: del.VersionId })), 'MethodNotAllowed', 405);
    await s3Rejects(c.send(new GetObjectCommand({ Bucket: B, Key: 'k', VersionId: 'D'.repeat(32) })), 'NoSuchVersion', 404);
    // Restore v2 by copying it onto the key.
    const copy = await c.send(new CopyObjectCommand({ Bucket: B, Key: 'k', CopySource: `${B}/k?versionId=${v2}` }));
    assert.equal(copy.CopySourceVersionId, v2);
    assert.ok(copy.VersionId);
    assert.equal((await bodyBytes((await c.send(new GetObjectCommand({ Bucket: B, Key: 'k' }))).Body)).toString(), 'aes two');
    // Permanent delete of one version.
    const gone = await c.send(new DeleteObjectCommand({ Bucket: B, Key: 'k', VersionId: v1 }));
    assert.equal(gone.VersionId, v1);
    await s3Rejects(c.send(new GetObjectCommand({ Bucket: B, Key: 'k', VersionId: v1 })), 'NoSuchVersion', 404);
  });

  it('ListObjectVersions pages through versions and delete markers with key and version-id markers', async () => {
    const B = 's3-ver-list';
    await versionedBucket(B);
    const expected: string[] = [];
    for (const key of ['a', 'b', 'c']) {
      const ids = [await put(B, key, `${key}1`), await put(B, key, `${key}2`)];
      if (key === 'b') ids.push((await c.send(new DeleteObjectCommand({ Bucket: B, Key: 'b' }))).VersionId!);
      expected.push(...ids.reverse().map((id) => `${key}@${id}`));
    }
    const whole = await c.send(new ListObjectVersionsCommand({ Bucket: B }));
    assert.equal(whole.Versions!.length, 6);
    assert.equal(whole.DeleteMarkers!.length, 1);
    assert.equal(whole.DeleteMarkers![0].IsLatest, true);
    assert.deepEqual(whole.Versions!.filter((v) => v.IsLatest).map((v) => v.Key), ['a', 'c']);
    const walked: string[] = [];
    let KeyMarker: string | undefined;
    let VersionIdMarker: string | undefined;
    for (let i = 0; i < 20; i++) {
      const page = await c.send(new ListObjectVersionsCommand({ Bucket: B, MaxKeys: 2, KeyMarker, VersionIdMarker }));
      const entries = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].map((v) => `${v.Key}@${v.VersionId}`);
      walked.push(...entries.sort((x, y) => expected.indexOf(x) - expected.indexOf(y)));
      if (!page.IsTruncated) break;
      KeyMarker = page.NextKeyMarker;
      VersionIdMarker = page.NextVersionIdMarker;
    }
    assert.deepEqual(walked, expected);
  });

  it('DeleteObjects with VersionId answers DeleteMarker and the version ids', async () => {
    const B = 's3-ver-multi';
    await versionedBucket(B);
    const v = await put(B, 'x', 'x');
    await put(B, 'y', 'y');
    const r = await c.send(new DeleteObjectsCommand({ Bucket: B, Delete: { Objects: [{ Key: 'x', VersionId: v }, { Key: 'y' }] } }));
    const byKey = new Map(r.Deleted!.map((d) => [d.Key, d]));
    assert.equal(byKey.get('x')!.VersionId, v);
    assert.equal(byKey.get('y')!.DeleteMarker, true);
    assert.ok(byKey.get('y')!.DeleteMarkerVersionId);
    const head = await c.send(new HeadObjectCommand({ Bucket: B, Key: 'y' })).catch((e) => e);
    assert.equal(head.$metadata.httpStatusCode, 404);
  });

  it('a suspended bucket writes the null version', async () => {
    const B = 's3-ver-null';
    await versionedBucket(B);
    await put(B, 'k', 'one');
    await c.send(new PutBucketVersioningCommand({ Bucket: B, VersioningConfiguration: { Status: 'Suspended' } }));
    assert.equal(await put(B, 'k', 'two'), 'null');
    assert.equal(await put(B, 'k', 'three'), 'null');
    const list = await c.send(new ListObjectVersionsCommand({ Bucket: B }));
    assert.deepEqual(list.Versions!.map((v) => v.VersionId).slice(0, 1), ['null']);
    assert.equal(list.Versions!.length, 2);
  });
});
