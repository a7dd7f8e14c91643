/**
 * Storage classes (Standard, IA, Archive, ColdArchive, DeepColdArchive) on buckets and objects:
 * PutBucket keeps the class and refuses to change it (409 BucketAlreadyExists "Cannot modify
 * existing bucket's storage class.", as aliyun-oss-c-sdk's test_create_bucket_with_storage_class
 * asserts against OSS); objects take x-oss-storage-class on PutObject, CopyObject,
 * InitiateMultipartUpload and AppendObject, inherit the bucket's class otherwise, and report it in
 * HEAD/GET and listings. Reading Archive-class objects: test/oss/restore.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server';
import {
  assertNothingStored, assertOssError, bytes, rejectsWith, signedHttp, storedFiles, xml,
} from '../helpers/oss-http';

const CLASSES = ['Standard', 'IA', 'Archive', 'ColdArchive', 'DeepColdArchive'];
const KiB = 1024;

let srv: TestServer;
before(async () => { srv = await startTestServer(); });
after(async () => { await srv.close(); });

const createConfig = (storageClass: string): string =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<CreateBucketConfiguration><StorageClass>${storageClass}</StorageClass></CreateBucketConfiguration>`;

describe('bucket storage class', () => {
  test('PutBucket keeps each class; GetBucketInfo and ListBuckets report it', async () => {
    const c = srv.client();
    for (const cls of CLASSES) {
      const name = `sc-${cls.toLowerCase()}`;
      await c.putBucket(name, { StorageClass: cls });
      assert.equal((await c.getBucketInfo(name)).bucket.StorageClass, cls);
    }
    const listed = (await c.listBuckets({ prefix: 'sc-' })).buckets;
    assert.deepEqual(Object.fromEntries(listed.map((b: any) => [b.name, b.storageClass])), {
      'sc-standard': 'Standard', 'sc-ia': 'IA', 'sc-archive': 'Archive', 'sc-coldarchive': 'ColdArchive', 'sc-deepcoldarchive': 'DeepColdArchive',
    });
  });

  test('PutBucket again: another class → 409 BucketAlreadyExists and the class stays; the same class or none → 200', async () => {
    const c = srv.client();
    await c.putBucket('sc-fixed', { StorageClass: 'IA' });
    for (const other of ['Standard', 'Archive']) {
      const err = await rejectsWith(c.putBucket('sc-fixed', { StorageClass: other }), 409, 'BucketAlreadyExists');
      assert.equal(err.message, "Cannot modify existing bucket's storage class.");
    }
    const raw = assertOssError(await signedHttp(srv, { method: 'PUT', bucket: 'sc-fixed', body: createConfig('ColdArchive') }), 409, 'BucketAlreadyExists');
    assert.equal(raw.Message, "Cannot modify existing bucket's storage class.");
    assert.equal((await c.putBucket('sc-fixed', { StorageClass: 'IA' })).res.status, 200);
    assert.equal((await c.putBucket('sc-fixed')).res.status, 200);
    assert.equal((await c.getBucketInfo('sc-fixed')).bucket.StorageClass, 'IA');
  });

  test('an unknown class → 400 InvalidArgument naming StorageClass, and no bucket', async () => {
    for (const bad of ['Cold', 'standard', '']) {
      const err = assertOssError(await signedHttp(srv, { method: 'PUT', bucket: 'sc-bad', body: createConfig(bad) }), 400, 'InvalidArgument');
      assert.equal(err.ArgumentName, 'StorageClass');
    }
    assert.equal(await srv.running.coffer.meta.getBucket('sc-bad'), null);
  });
});

describe('object storage class', () => {
  let ia: any;
  before(async () => {
    await srv.client().putBucket('sc-objects', { StorageClass: 'IA' });
    ia = srv.client({ bucket: 'sc-objects' });
  });

  test('PutObject: inherits the bucket class without the header; x-oss-storage-class wins; HEAD, GET and both listings report it', async () => {
    await ia.put('inherit.txt', Buffer.from('inherits IA'));
    await ia.put('standard.txt', Buffer.from('asked Standard'), { headers: { 'x-oss-storage-class': 'Standard' } });
    await ia.put('archive.txt', Buffer.from('asked Archive'), { headers: { 'x-oss-storage-class': 'Archive' } });
    assert.equal((await ia.head('inherit.txt')).res.headers['x-oss-storage-class'], 'IA');
    assert.equal((await ia.get('inherit.txt')).res.headers['x-oss-storage-class'], 'IA');
    assert.equal((await ia.head('standard.txt')).res.headers['x-oss-storage-class'], 'Standard');
    assert.equal((await ia.head('archive.txt')).res.headers['x-oss-storage-class'], 'Archive');
    const expected = { 'archive.txt': 'Archive', 'inherit.txt': 'IA', 'standard.txt': 'Standard' };
    const v1 = await ia.list({ prefix: '' });
    assert.deepEqual(Object.fromEntries(v1.objects.filter((o: any) => o.name in expected).map((o: any) => [o.name, o.storageClass])), expected);
    const v2 = await ia.listV2({ prefix: '' });
    assert.deepEqual(Object.fromEntries(v2.objects.filter((o: any) => o.name in expected).map((o: any) => [o.name, o.storageClass])), expected);
  });

  test('CopyObject: the header sets the class; without it the copy takes the target bucket\'s', async () => {
    await ia.put('copy-src.txt', Buffer.from('copy me'), { headers: { 'x-oss-storage-class': 'Standard' } });
    await ia.copy('copy-ia.txt', 'copy-src.txt');
    assert.equal((await ia.head('copy-ia.txt')).res.headers['x-oss-storage-class'], 'IA');
    await ia.copy('copy-cold.txt', 'copy-src.txt', { headers: { 'x-oss-storage-class': 'ColdArchive' } });
    assert.equal((await ia.head('copy-cold.txt')).res.headers['x-oss-storage-class'], 'ColdArchive');
    // Changing the class of an object in place, as OSS documents it: a self-copy with the header.
    await ia.copy('copy-src.txt', 'copy-src.txt', { headers: { 'x-oss-storage-class': 'IA' } });
    assert.equal((await ia.head('copy-src.txt')).res.headers['x-oss-storage-class'], 'IA');
    assert.equal((await ia.get('copy-src.txt')).content.toString(), 'copy me');
  });

  test('InitiateMultipartUpload: the header or the bucket class; ListMultipartUploads shows it; the object keeps it', async () => {
    const data = bytes(120 * KiB, 5);
    const { uploadId } = await ia.initMultipartUpload('mp-deep.bin', { headers: { 'x-oss-storage-class': 'DeepColdArchive' } });
    const inherited = await ia.initMultipartUpload('mp-inherit.bin');
    // ali-oss's listUploads drops StorageClass: read the XML.
    const listed = xml((await signedHttp(srv, { bucket: 'sc-objects', query: [['uploads', ''], ['prefix', 'mp-']] })).text).ListMultipartUploadsResult.Upload;
    assert.deepEqual(Object.fromEntries(listed.map((u: any) => [u.Key, u.StorageClass])), { 'mp-deep.bin': 'DeepColdArchive', 'mp-inherit.bin': 'IA' });
    const part = await ia.uploadPart('mp-deep.bin', uploadId, 1, data, 0, data.length);
    await ia.completeMultipartUpload('mp-deep.bin', uploadId, [{ number: 1, etag: part.etag }]);
    assert.equal((await ia.head('mp-deep.bin')).res.headers['x-oss-storage-class'], 'DeepColdArchive');
    await ia.abortMultipartUpload('mp-inherit.bin', inherited.uploadId);
  });

  test('AppendObject: the first append decides; ColdArchive and DeepColdArchive are refused (appendable objects cannot be cold)', async () => {
    await ia.append('append-archive.log', Buffer.from('one'), { headers: { 'x-oss-storage-class': 'Archive' } });
    await ia.append('append-archive.log', Buffer.from('two'), { position: 3, headers: { 'x-oss-storage-class': 'Standard' } });
    assert.equal((await ia.head('append-archive.log')).res.headers['x-oss-storage-class'], 'Archive');
    await ia.append('append-inherit.log', Buffer.from('one'));
    assert.equal((await ia.head('append-inherit.log')).res.headers['x-oss-storage-class'], 'IA');
    const before = storedFiles(srv);
    for (const cls of ['ColdArchive', 'DeepColdArchive']) {
      const res = await signedHttp(srv, {
        method: 'POST', bucket: 'sc-objects', key: 'append-cold.log', query: [['append', ''], ['position', '0']],
        headers: { 'x-oss-storage-class': cls }, body: 'cold',
      });
      assert.equal(assertOssError(res, 400, 'InvalidArgument').ArgumentName, 'x-oss-storage-class');
    }
    await rejectsWith(ia.head('append-cold.log'), 404, 'NoSuchKey');
    assertNothingStored(srv, before);
  });

  test('an unknown x-oss-storage-class → 400 InvalidArgument on every write, and nothing is stored', async () => {
    const before = storedFiles(srv);
    await rejectsWith(ia.put('bad-class.txt', Buffer.from('x'), { headers: { 'x-oss-storage-class': 'Glacier' } }), 400, 'InvalidArgument');
    await rejectsWith(ia.copy('bad-class.txt', 'inherit.txt', { headers: { 'x-oss-storage-class': 'archive' } }), 400, 'InvalidArgument');
    await rejectsWith(ia.initMultipartUpload('bad-class.txt', { headers: { 'x-oss-storage-class': 'Cold' } }), 400, 'InvalidArgument');
    await rejectsWith(ia.head('bad-class.txt'), 404, 'NoSuchKey');
    assert.equal((await ia.listUploads({ prefix: 'bad-class' })).uploads.length, 0);
    assertNothingStored(srv, before);
  });

  test('the raw XML of both listings carries StorageClass in every Contents', async () => {
    for (const query of [[['prefix', 'inherit']], [['list-type', '2'], ['prefix', 'inherit']]] as Array<Array<[string, string]>>) {
      const res = await signedHttp(srv, { bucket: 'sc-objects', query });
      assert.equal(xml(res.text).ListBucketResult.Contents.StorageClass, 'IA');
    }
  });
});
