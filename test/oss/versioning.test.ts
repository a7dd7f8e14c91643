/**
 * Object versioning through the OSS API: Put/GetBucketVersioning, version ids on every write,
 * delete markers, ListObjectVersions paging, reads, copies and deletes of one version, suspended
 * buckets' null versions, RAM's version actions, and encryption kept per version (each version
 * reads back with its own key; its bytes on disk are ciphertext).
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { freshDatabase } from '../helpers/backends';
import { blobFile } from '../helpers/data-dir';
import { createKey, kmsClient } from '../helpers/kms';
import { assertOssError, bytes, etagOf, rejectsWith, signedHttp, xml } from '../helpers/oss-http';
import { newRamUser, ossArn, statement, userOss } from '../helpers/ram';
import { startTestServer, type TestServer } from '../helpers/server';
import { SSE, SSE_KEY_ID, encryptionOf, marker, newBucket } from '../helpers/sse';
import { popClient } from '../rpc/helpers';

let srv: TestServer;
before(async () => { srv = await startTestServer(); });
after(async () => { await srv.close(); });

const VERSION_ID = /^[A-Za-z0-9_-]{32}$/;
const versioningXml = (status: string): string => `<?xml version="1.0" encoding="UTF-8"?><VersioningConfiguration><Status>${status}</Status></VersioningConfiguration>`;

async function versionedBucket(name: string): Promise<any> {
  const c = await newBucket(srv, name);
  await c.putBucketVersioning(name, 'Enabled');
  return c;
}

/** Every version of a key as ListObjectVersions shows it (raw XML: ali-oss drops IsLatest of markers). */
async function versionsOf(bucket: string, query: Array<[string, string]> = []): Promise<any> {
  const res = await signedHttp(srv, { bucket, query: [['versions', ''], ...query] });
  assert.equal(res.status, 200, res.text);
  const doc = xml(res.text).ListVersionsResult;
  const list = (v: unknown): any[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  return { ...doc, Version: list(doc.Version), DeleteMarker: list(doc.DeleteMarker) };
}

describe('Put/GetBucketVersioning', () => {
  test('a new bucket answers an empty configuration; Enabled, then Suspended; never back to unversioned', async () => {
    const c = await newBucket(srv, 'ver-config');
    // Unversioned: no version ids anywhere.
    const put = await c.put('plain', Buffer.from('x'));
    assert.equal(put.res.headers['x-oss-version-id'], undefined);
    assert.equal((await c.get('plain')).res.headers['x-oss-version-id'], undefined);
    assert.equal((await signedHttp(srv, { method: 'DELETE', bucket: 'ver-config', key: 'plain' })).headers['x-oss-version-id'], undefined);
    const empty = await signedHttp(srv, { bucket: 'ver-config', query: [['versioning', '']] });
    assert.equal(empty.status, 200);
    assert.equal(xml(empty.text).VersioningConfiguration, '');
    assert.equal((await c.getBucketVersioning('ver-config')).versionStatus, undefined);
    await c.putBucketVersioning('ver-config', 'Enabled');
    assert.equal((await c.getBucketVersioning('ver-config')).versionStatus, 'Enabled');
    await c.putBucketVersioning('ver-config', 'Suspended');
    assert.equal((await c.getBucketVersioning('ver-config')).versionStatus, 'Suspended');
    const info = await c.getBucketInfo('ver-config');
    assert.equal(info.bucket.Versioning, 'Suspended');
  });

  test('malformed XML and a bad Status change nothing', async () => {
    await versionedBucket('ver-bad');
    const put = (body: string) => signedHttp(srv, { method: 'PUT', bucket: 'ver-bad', query: [['versioning', '']], body });
    assertOssError(await put('<VersioningConfiguration><Status>Enabled</Status>'), 400, 'MalformedXML');
    assertOssError(await put('<VersioningConfiguration></VersioningConfiguration>'), 400, 'MalformedXML');
    assertOssError(await put(versioningXml('Disabled')), 400, 'InvalidArgument');
    assertOssError(await put(versioningXml('')), 400, 'InvalidArgument');
    const now = await signedHttp(srv, { bucket: 'ver-bad', query: [['versioning', '']] });
    assert.equal(xml(now.text).VersioningConfiguration.Status, 'Enabled');
  });
});

describe('an Enabled bucket', () => {
  const B = 'ver-enabled';
  let c: any;
  const plain = bytes(70_000, 1);
  const aes = marker(90_000).data;
  const kms = marker(10_000).data;
  const ids: string[] = [];

  before(async () => {
    c = await versionedBucket(B);
    ids.push((await c.put('doc', plain)).res.headers['x-oss-version-id']);
    ids.push((await c.put('doc', aes, { headers: { [SSE]: 'AES256' } })).res.headers['x-oss-version-id']);
    ids.push((await c.put('doc', kms, { headers: { [SSE]: 'KMS' } })).res.headers['x-oss-version-id']);
  });

  test('every write gets its own version id, and each version reads back byte for byte with its own encryption', async () => {
    for (const id of ids) assert.match(id, VERSION_ID);
    assert.equal(new Set(ids).size, 3);
    const expected = [[plain, undefined], [aes, 'AES256'], [kms, 'KMS']] as const;
    for (const [i, id] of ids.entries()) {
      const got = await c.get('doc', { versionId: id });
      assert.ok(got.content.equals(expected[i][0]), `version ${i}`);
      assert.equal(got.res.headers['x-oss-version-id'], id);
      assert.equal(got.res.headers[SSE], expected[i][1]);
      const head = await c.head('doc', { versionId: id });
      assert.equal(head.res.headers['content-length'], String(expected[i][0].length));
    }
    // Without a version id: the newest.
    assert.ok((await c.get('doc')).content.equals(kms));
  });

  test("each version's blob on disk is its own: ciphertext for the encrypted ones", async () => {
    for (const [i, id] of ids.entries()) {
      const v = await srv.running.coffer.meta.getVersion(B, 'doc', id);
      assert.ok(v && !('deleteMarker' in v.record));
      const rec = v.record as any;
      const onDisk = readFileSync(blobFile(srv.dataDir, rec.segments[0].blobId));
      if (i === 0) {
        assert.equal(encryptionOf(rec), null);
        assert.ok(onDisk.equals(plain));
      } else {
        assert.ok(encryptionOf(rec), `version ${i} has no encryption info`);
        const secret = i === 1 ? aes : kms;
        assert.equal(onDisk.indexOf(secret.subarray(0, 64)), -1, `version ${i} is stored in the clear`);
      }
    }
  });

  test('ListObjectVersions: newest first, IsLatest on the newest only, ETags and sizes per version', async () => {
    const doc = await versionsOf(B, [['prefix', 'doc']]);
    assert.deepEqual(doc.Version.map((v: any) => v.VersionId), [...ids].reverse());
    assert.deepEqual(doc.Version.map((v: any) => v.IsLatest), ['true', 'false', 'false']);
    assert.deepEqual(doc.Version.map((v: any) => v.ETag), [etagOf(kms), etagOf(aes), etagOf(plain)]);
    assert.deepEqual(doc.Version.map((v: any) => v.Size), [kms, aes, plain].map((b) => String(b.length)));
  });

  test('a version id that is not one is InvalidArgument; an unknown one NoSuchVersion', async () => {
    assertOssError(await signedHttp(srv, { bucket: B, key: 'doc', query: [['versionId', 'not-a-version']] }), 400, 'InvalidArgument');
    const unknown = 'A'.repeat(32);
    assertOssError(await signedHttp(srv, { bucket: B, key: 'doc', query: [['versionId', unknown]] }), 404, 'NoSuchVersion');
    await rejectsWith(c.get('doc', { versionId: unknown }), 404, 'NoSuchVersion');
    // AppendObject takes none.
    assertOssError(await signedHttp(srv, { method: 'POST', bucket: B, key: 'app', query: [['append', ''], ['position', '0'], ['versionId', ids[0]]], body: 'x' }), 400, 'InvalidArgument');
  });
});

describe('delete markers and permanent deletes', () => {
  const B = 'ver-delete';
  let c: any;
  before(async () => { c = await versionedBucket(B); });

  test('DeleteObject makes a delete marker: GET is 404 with x-oss-delete-marker; the marker version is 405', async () => {
    const v1 = (await c.put('gone', Buffer.from('one'))).res.headers['x-oss-version-id'];
    const del = await signedHttp(srv, { method: 'DELETE', bucket: B, key: 'gone' });
    assert.equal(del.status, 204);
    assert.equal(del.headers['x-oss-delete-marker'], 'true');
    const markerId = String(del.headers['x-oss-version-id']);
    assert.match(markerId, VERSION_ID);
    const get = await signedHttp(srv, { bucket: B, key: 'gone' });
    assertOssError(get, 404, 'NoSuchKey');
    assert.equal(get.headers['x-oss-delete-marker'], 'true');
    assert.equal(get.headers['x-oss-version-id'], markerId);
    const head = await signedHttp(srv, { method: 'HEAD', bucket: B, key: 'gone' });
    assert.equal(head.status, 404);
    assert.equal(head.headers['x-oss-delete-marker'], 'true');
    const atMarker = await signedHttp(srv, { bucket: B, key: 'gone', query: [['versionId', markerId]] });
    assertOssError(atMarker, 405, 'MethodNotAllowed');
    assert.equal(atMarker.headers['x-oss-delete-marker'], 'true');
    // The old version is still there, and listed under the marker.
    assert.equal((await c.get('gone', { versionId: v1 })).content.toString(), 'one');
    const doc = await versionsOf(B, [['prefix', 'gone']]);
    assert.deepEqual(doc.DeleteMarker.map((m: any) => [m.VersionId, m.IsLatest]), [[markerId, 'true']]);
    assert.deepEqual(doc.Version.map((v: any) => [v.VersionId, v.IsLatest]), [[v1, 'false']]);
    // Removing the marker by its id brings the object back.
    const undelete = await signedHttp(srv, { method: 'DELETE', bucket: B, key: 'gone', query: [['versionId', markerId]] });
    assert.equal(undelete.status, 204);
    assert.equal(undelete.headers['x-oss-delete-marker'], 'true');
    assert.equal(undelete.headers['x-oss-version-id'], markerId);
    assert.equal((await c.get('gone')).content.toString(), 'one');
  });

  test('DeleteObject with a versionId removes that version for good and retires its blob in the same transaction', async () => {
    const v1 = (await c.put('perm', bytes(5000, 2))).res.headers['x-oss-version-id'];
    const v2 = (await c.put('perm', bytes(6000, 3))).res.headers['x-oss-version-id'];
    const meta = srv.running.coffer.meta;
    const blobOf = async (id: string): Promise<string> => ((await meta.getVersion(B, 'perm', id))!.record as any).segments[0].blobId;
    const b1 = await blobOf(v1);
    const b2 = await blobOf(v2);
    assert.equal(await meta.blobState(b1), 'live');
    await c.delete('perm', { versionId: v1 });
    assert.notEqual(await meta.blobState(b1), 'live');
    assert.equal(await meta.getVersion(B, 'perm', v1), null);
    // Deleting the current version makes the next newest current again (none left here).
    await c.delete('perm', { versionId: v2 });
    assert.notEqual(await meta.blobState(b2), 'live');
    await rejectsWith(c.get('perm'), 404, 'NoSuchKey');
    assert.deepEqual((await versionsOf(B, [['prefix', 'perm']])).Version, []);
  });

  test('removing the current version makes the previous one current', async () => {
    const v1 = (await c.put('roll', Buffer.from('first'))).res.headers['x-oss-version-id'];
    const v2 = (await c.put('roll', Buffer.from('second'))).res.headers['x-oss-version-id'];
    await c.delete('roll', { versionId: v2 });
    const got = await c.get('roll');
    assert.equal(got.content.toString(), 'first');
    assert.equal(got.res.headers['x-oss-version-id'], v1);
  });

  test('DeleteMultipleObjects with VersionId: markers made, versions and markers removed', async () => {
    const a1 = (await c.put('multi/a', Buffer.from('a'))).res.headers['x-oss-version-id'];
    await c.put('multi/b', Buffer.from('b'));
    const body = `<?xml version="1.0" encoding="UTF-8"?><Delete><Quiet>false</Quiet>
      <Object><Key>multi/a</Key><VersionId>${a1}</VersionId></Object><Object><Key>multi/b</Key></Object></Delete>`;
    const { createHash } = await import('node:crypto');
    const res = await signedHttp(srv, { method: 'POST', bucket: B, query: [['delete', '']], body, headers: { 'Content-MD5': createHash('md5').update(body).digest('base64') } });
    assert.equal(res.status, 200, res.text);
    const deleted = xml(res.text).DeleteResult.Deleted;
    assert.deepEqual(deleted[0], { Key: 'multi/a', VersionId: a1 });
    assert.equal(deleted[1].Key, 'multi/b');
    assert.equal(deleted[1].DeleteMarker, 'true');
    assert.match(deleted[1].DeleteMarkerVersionId, VERSION_ID);
    // ali-oss: deleteMulti with versionId removes the marker just made.
    const r = await c.deleteMulti([{ key: 'multi/b', versionId: deleted[1].DeleteMarkerVersionId }]);
    assert.equal(r.res.status, 200);
    assert.equal((await c.get('multi/b')).content.toString(), 'b');
    await rejectsWith(c.get('multi/a'), 404, 'NoSuchKey');
  });

  test('DeleteBucket refuses while any version or delete marker remains', async () => {
    const d = await versionedBucket('ver-nonempty');
    const v = (await d.put('k', Buffer.from('x'))).res.headers['x-oss-version-id'];
    await d.delete('k');
    await rejectsWith(d.deleteBucket('ver-nonempty'), 409, 'BucketNotEmpty');
    await d.delete('k', { versionId: v });
    await rejectsWith(d.deleteBucket('ver-nonempty'), 409, 'BucketNotEmpty');
    const marker = (await versionsOf('ver-nonempty')).DeleteMarker[0].VersionId;
    await d.delete('k', { versionId: marker });
    await d.deleteBucket('ver-nonempty');
  });
});

describe('ListObjectVersions paging', () => {
  const B = 'ver-paging';
  const expected: Array<[string, string]> = [];
  before(async () => {
    const c = await versionedBucket(B);
    for (const key of ['a', 'b/1', 'b/2', 'c']) {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push((await c.put(key, Buffer.from(`${key}${i}`))).res.headers['x-oss-version-id']);
      if (key === 'c') {
        const del = await c.delete('c');
        ids.push(del.res.headers['x-oss-version-id']);
      }
      for (const id of ids.reverse()) expected.push([key, id]);
    }
  });

  test('pages of every size walk every version once, in order, resuming inside a key with the version-id marker', async () => {
    for (const maxKeys of [1, 2, 4, 5, 100]) {
      const walked: Array<[string, string]> = [];
      let query: Array<[string, string]> = [];
      for (let pages = 0; ; pages++) {
        assert.ok(pages < 20, 'too many pages');
        const doc = await versionsOf(B, [['max-keys', String(maxKeys)], ...query]);
        const entries = [...doc.Version, ...doc.DeleteMarker].map((v: any) => [v.Key, v.VersionId] as [string, string]);
        // Versions and markers come grouped; within the page order by the expected list.
        entries.sort((x, y) => expected.findIndex((e) => e[1] === x[1]) - expected.findIndex((e) => e[1] === y[1]));
        walked.push(...entries);
        if (doc.IsTruncated !== 'true') break;
        query = [['key-marker', doc.NextKeyMarker], ...(doc.NextVersionIdMarker ? [['version-id-marker', doc.NextVersionIdMarker] as [string, string]] : [])];
      }
      assert.deepEqual(walked, expected, `max-keys ${maxKeys}`);
    }
  });

  test('delimiter rolls keys into common prefixes; key-marker alone resumes after the whole key', async () => {
    const doc = await versionsOf(B, [['delimiter', '/']]);
    assert.deepEqual(doc.CommonPrefixes, { Prefix: 'b/' });
    assert.deepEqual([...new Set(doc.Version.map((v: any) => v.Key))], ['a', 'c']);
    const after = await versionsOf(B, [['key-marker', 'b/1']]);
    assert.deepEqual([...new Set([...after.Version, ...after.DeleteMarker].map((v: any) => v.Key))].sort(), ['b/2', 'c']);
    // ali-oss's getBucketVersions reads the same document.
    const c = srv.client({ bucket: B });
    const r = await c.getBucketVersions({ prefix: 'c', maxKeys: 10 });
    assert.equal(r.objects.length, 3);
    assert.equal(r.deleteMarker.length, 1);
  });

  test('a version-id-marker needs a key-marker, and must name a version of it', async () => {
    assertOssError(await signedHttp(srv, { bucket: B, query: [['versions', ''], ['version-id-marker', expected[0][1]]] }), 400, 'InvalidArgument');
    assertOssError(await signedHttp(srv, { bucket: B, query: [['versions', ''], ['key-marker', 'a'], ['version-id-marker', 'B'.repeat(32)]] }), 400, 'InvalidArgument');
  });
});

describe('a Suspended bucket', () => {
  test('writes get the null version, which each new write replaces (its blob retired); older versions stay', async () => {
    const B = 'ver-suspended';
    const c = await versionedBucket(B);
    const v1 = (await c.put('k', Buffer.from('versioned'))).res.headers['x-oss-version-id'];
    await c.putBucketVersioning(B, 'Suspended');
    const n1 = await c.put('k', Buffer.from('null one'));
    assert.equal(n1.res.headers['x-oss-version-id'], 'null');
    const meta = srv.running.coffer.meta;
    const nullBlob = ((await meta.getObject(B, 'k'))!).segments[0].blobId;
    await c.put('k', Buffer.from('null two'));
    assert.notEqual(await meta.blobState(nullBlob), 'live');
    const doc = await versionsOf(B);
    assert.deepEqual(doc.Version.map((v: any) => v.VersionId), ['null', v1]);
    const nullRead = await c.get('k', { versionId: 'null' });
    assert.equal(nullRead.content.toString(), 'null two');
    assert.equal(nullRead.res.headers['x-oss-version-id'], 'null');
    // A delete makes the null delete marker, replacing the null version.
    const del = await signedHttp(srv, { method: 'DELETE', bucket: B, key: 'k' });
    assert.equal(del.headers['x-oss-delete-marker'], 'true');
    assert.equal(del.headers['x-oss-version-id'], 'null');
    const after = await versionsOf(B);
    assert.deepEqual(after.Version.map((v: any) => v.VersionId), [v1]);
    assert.deepEqual(after.DeleteMarker.map((v: any) => v.VersionId), ['null']);
  });
});

describe('copies and restores', () => {
  test('copying an old version onto its key restores it as a new version; x-oss-copy-source-version-id says which', async () => {
    const B = 'ver-copy';
    const c = await versionedBucket(B);
    const old = marker(20_000).data;
    const v1 = (await c.put('page', old, { headers: { [SSE]: 'AES256' } })).res.headers['x-oss-version-id'];
    await c.put('page', Buffer.from('overwritten'));
    const res = await signedHttp(srv, {
      method: 'PUT', bucket: B, key: 'page', headers: { 'x-oss-copy-source': `/${B}/page?versionId=${v1}` },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers['x-oss-copy-source-version-id'], v1);
    const restored = String(res.headers['x-oss-version-id']);
    assert.match(restored, VERSION_ID);
    assert.notEqual(restored, v1);
    assert.ok((await c.get('page')).content.equals(old));
    assert.equal((await versionsOf(B, [['prefix', 'page']])).Version.length, 3);
    // ali-oss names the source version with options.versionId.
    const r = await c.copy('copy-of-v1', 'page', { versionId: v1 });
    assert.equal(r.res.status, 200);
    assert.ok((await c.get('copy-of-v1')).content.equals(old));
    // A self-copy (metadata change) in a versioned bucket is a new version with its own blob.
    await c.copy('page', 'page', { meta: { note: 'x' } });
    const versions = (await versionsOf(B, [['prefix', 'page']])).Version;
    assert.equal(versions.length, 4);
    const meta = srv.running.coffer.meta;
    const blobs = await Promise.all(versions.slice(0, 2).map(async (v: any) => ((await meta.getVersion(B, 'page', v.VersionId))!.record as any).segments[0].blobId));
    assert.notEqual(blobs[0], blobs[1]);
  });

  test('a copy from a delete marker version is 405; from an unknown one NoSuchVersion', async () => {
    const B = 'ver-copy-err';
    const c = await versionedBucket(B);
    await c.put('k', Buffer.from('x'));
    const markerId = (await c.delete('k')).res.headers['x-oss-version-id'];
    const copy = (source: string) => signedHttp(srv, { method: 'PUT', bucket: B, key: 'dst', headers: { 'x-oss-copy-source': source } });
    assertOssError(await copy(`/${B}/k?versionId=${markerId}`), 405, 'MethodNotAllowed');
    assertOssError(await copy(`/${B}/k?versionId=${'C'.repeat(32)}`), 404, 'NoSuchVersion');
    assertOssError(await copy(`/${B}/k?versionId=bad`), 400, 'InvalidArgument');
  });
});

describe('other writes and per-version metadata', () => {
  test('multipart, append and symlink writes answer their version; appends keep theirs', async () => {
    const B = 'ver-writes';
    const c = await versionedBucket(B);
    const init = await c.initMultipartUpload('mp');
    const part = await c.uploadPart('mp', init.uploadId, 1, bytes(1000, 4), 0, 1000);
    const done = await c.completeMultipartUpload('mp', init.uploadId, [{ number: 1, etag: part.etag }]);
    assert.match(done.res.headers['x-oss-version-id'], VERSION_ID);
    const a1 = await c.append('log', Buffer.from('one'));
    const a2 = await c.append('log', Buffer.from('two'), { position: a1.nextAppendPosition });
    assert.match(a1.res.headers['x-oss-version-id'], VERSION_ID);
    assert.equal(a2.res.headers['x-oss-version-id'], a1.res.headers['x-oss-version-id']);
    assert.equal((await versionsOf(B, [['prefix', 'log']])).Version.length, 1);
    const link = await c.putSymlink('link', 'log');
    assert.match(link.res.headers['x-oss-version-id'], VERSION_ID);
  });

  test('tags and ACL of one version: that version only', async () => {
    const B = 'ver-meta';
    const c = await versionedBucket(B);
    const v1 = (await c.put('k', Buffer.from('1'))).res.headers['x-oss-version-id'];
    await c.put('k', Buffer.from('2'));
    await c.putObjectTagging('k', { old: 'yes' }, { versionId: v1 });
    assert.deepEqual((await c.getObjectTagging('k', { versionId: v1 })).tag, { old: 'yes' });
    assert.deepEqual((await c.getObjectTagging('k')).tag, {});
    await c.putACL('k', 'public-read', { versionId: v1 });
    assert.equal((await c.getACL('k', { versionId: v1 })).acl, 'public-read');
    assert.equal((await c.getACL('k')).acl, 'default');
  });
});

describe('RAM', () => {
  test('GetObjectVersion and DeleteObjectVersion are actions of their own', async () => {
    const B = 'ver-ram';
    const c = await versionedBucket(B);
    const v1 = (await c.put('k', Buffer.from('secret v1'))).res.headers['x-oss-version-id'];
    await c.put('k', Buffer.from('v2'));
    const user = await newRamUser(srv, 'ver-current-only', [{
      name: 'ver-current-only',
      document: statement('Allow', ['oss:GetObject', 'oss:DeleteObject', 'oss:ListObjects'], [ossArn(srv, B), ossArn(srv, `${B}/*`)]),
    }]);
    const u = userOss(srv, user, B);
    assert.equal((await u.get('k')).content.toString(), 'v2');
    await rejectsWith(u.get('k', { versionId: v1 }), 403, 'AccessDenied');
    await rejectsWith(u.delete('k', { versionId: v1 }), 403, 'AccessDenied');
    await rejectsWith(u.getBucketVersions({}), 403, 'AccessDenied');
    // Without oss:GetObjectVersion, copying an old version is a read of it, refused too.
    const copy = await u.copy('k2', 'k', { versionId: v1 }).catch((e: any) => e);
    assert.equal(copy.status, 403);
    const reader = await newRamUser(srv, 'ver-reader', [{
      name: 'ver-reader', document: statement('Allow', ['oss:GetObjectVersion', 'oss:ListObjectVersions'], [ossArn(srv, B), ossArn(srv, `${B}/*`)]),
    }]);
    const r = userOss(srv, reader, B);
    assert.equal((await r.get('k', { versionId: v1 })).content.toString(), 'secret v1');
    assert.equal((await r.getBucketVersions({})).objects.length, 2);
  });
});

describe('encryption across versions: posture, statistics, rewrap, scrub', () => {
  const B = 'ver-keys';
  let keyA: string;
  let c: any;
  const v1Data = marker(3_000).data;
  const v2Data = marker(5_000).data;
  const v3Data = bytes(7_000, 5);
  const ids: string[] = [];
  const admin = (action: string, params: Record<string, unknown> = {}): Promise<Record<string, any>> =>
    popClient(srv.kmsUrl).request<Record<string, any>>(action, params, { method: 'POST' });

  before(async () => {
    keyA = await createKey(kmsClient(srv));
    c = await versionedBucket(B);
    ids.push((await c.put('k', v1Data, { headers: { [SSE]: 'KMS', [SSE_KEY_ID]: keyA } })).res.headers['x-oss-version-id']);
    ids.push((await c.put('k', v2Data, { headers: { [SSE]: 'AES256' } })).res.headers['x-oss-version-id']);
    ids.push((await c.put('k', v3Data)).res.headers['x-oss-version-id']);
    await c.delete('k');
  });

  test("a KMS key's dependency count and the bucket statistics include noncurrent versions", async () => {
    const p = JSON.parse(JSON.stringify(await admin('DescribeEncryptionPosture')));
    const use = (p.KmsKeys.KmsKey as Array<Record<string, any>>).find((k) => k.KeyId === keyA);
    assert.deepEqual(use, { KeyId: keyA, Buckets: { Bucket: [B] }, Objects: 1, Bytes: v1Data.length, MultipartUploads: 0 });
    const bucket = (p.Buckets.Bucket as Array<Record<string, any>>).find((b) => b.Name === B)!;
    assert.deepEqual([bucket.Objects, bucket.Bytes], [3, v1Data.length + v2Data.length + v3Data.length]);
    const stat = (await c.getBucketStat(B)).stat;
    assert.deepEqual([Number(stat.ObjectCount), Number(stat.Storage)], [3, v1Data.length + v2Data.length + v3Data.length]);
    // A permanent delete takes its version out of the counts.
    const extra = (await c.put('extra', Buffer.alloc(100), { headers: { [SSE]: 'KMS', [SSE_KEY_ID]: keyA } })).res.headers['x-oss-version-id'];
    await c.delete('extra', { versionId: extra });
    const after = JSON.parse(JSON.stringify(await admin('DescribeEncryptionPosture')));
    assert.equal((after.KmsKeys.KmsKey as Array<Record<string, any>>).find((k) => k.KeyId === keyA)!.Objects, 1);
  });

  test('a master-key rewrap re-seals noncurrent versions too; every version still reads back', async () => {
    const v2 = (await admin('RotateMasterKey')).MasterKeyVersion;
    const sealedUnder = async (): Promise<number | undefined> => {
      const kek = encryptionOf((await srv.running.coffer.meta.getVersion(B, 'k', ids[1]))!.record as any)?.kek;
      return kek?.provider === 'oss' ? kek.masterKeyVersion : undefined;
    };
    assert.equal(await sealedUnder(), v2 - 1);
    let rewrapped = 0;
    let marker: string | undefined;
    for (let steps = 0; steps < 100; steps++) {
      const step = await admin('RewrapMasterKeys', { MaxObjects: 1, ...(marker ? { Marker: marker } : {}) });
      rewrapped += step.Objects.Rewrapped;
      marker = step.NextMarker;
      if (!marker) break;
    }
    assert.ok(rewrapped >= 1);
    assert.equal(await sealedUnder(), v2);
    const p = JSON.parse(JSON.stringify(await admin('DescribeEncryptionPosture')));
    assert.deepEqual(p.OlderMasterKeyVersions, { Objects: 0, Bytes: 0, MultipartUploads: 0 });
    for (const [i, data] of [v1Data, v2Data, v3Data].entries()) {
      assert.ok((await c.get('k', { versionId: ids[i] })).content.equals(data), `version ${i}`);
    }
  });

  test('a scrub reads every version; a damaged noncurrent version is reported with its version id', async () => {
    const rec = (await srv.running.coffer.meta.getVersion(B, 'k', ids[1]))!.record as any;
    const file = blobFile(srv.dataDir, rec.segments[0].blobId);
    const original = readFileSync(file);
    const damaged = Buffer.from(original);
    damaged[10] ^= 0xff;
    writeFileSync(file, damaged);
    try {
      const problems: Array<Record<string, any>> = [];
      let marker: string | undefined;
      for (let steps = 0; steps < 100; steps++) {
        const step = await admin('CheckObjects', { ...(marker ? { Marker: marker } : {}) });
        problems.push(...((step.Problems?.Problem ?? []) as Array<Record<string, any>>));
        marker = step.NextMarker;
        if (!marker) break;
      }
      const mine = problems.filter((x) => x.Bucket === B);
      assert.equal(mine.length, 1, JSON.stringify(problems));
      assert.equal(mine[0].VersionId, ids[1]);
    } finally {
      writeFileSync(file, original);
    }
  });
});

describe('PostgreSQL: two nodes versioning one key at once', () => {
  test('every write is a version of its own, exactly one is the latest, the counts are exact, each reads back', async () => {
    const db = await freshDatabase();
    // Each node keeps its blobs on its own disk: it reads back the versions it wrote.
    const a = await startTestServer({ metadata: db.url, blobGraceMs: 3_600_000 });
    const b = await startTestServer({ metadata: db.url, blobGraceMs: 3_600_000 });
    try {
      const ca = a.client({ bucket: 'ver-pg' });
      await ca.putBucket('ver-pg');
      await ca.putBucketVersioning('ver-pg', 'Enabled');
      const cb = b.client({ bucket: 'ver-pg' });
      const written = new Map<string, { node: any; data: Buffer }>();
      const writer = async (node: any, seed: number): Promise<void> => {
        for (let i = 0; i < 8; i++) {
          const data = bytes(1000 + seed * 100 + i, seed * 10 + i);
          const id = (await node.put('race', data, { headers: i % 2 ? { [SSE]: 'AES256' } : {} })).res.headers['x-oss-version-id'];
          written.set(id, { node, data });
          if (i === 4) await node.delete('race');
        }
      };
      await Promise.all([writer(ca, 1), writer(cb, 2), writer(ca, 3), writer(cb, 4)]);
      const doc = await ca.getBucketVersions({ maxKeys: 1000 });
      assert.equal(doc.objects.length, 32);
      assert.equal(doc.deleteMarker.length, 4);
      assert.deepEqual(new Set(doc.objects.map((o: any) => o.versionId)), new Set(written.keys()));
      assert.equal(doc.objects.filter((o: any) => o.isLatest).length, 1);
      const stat = (await cb.getBucketStat('ver-pg')).stat;
      assert.equal(Number(stat.ObjectCount), 32);
      assert.equal(Number(stat.Storage), [...written.values()].reduce((n, w) => n + w.data.length, 0));
      for (const [id, w] of written) assert.ok((await w.node.get('race', { versionId: id })).content.equals(w.data), id);
      // A permanent delete of the latest version on one node is seen by the other.
      const latest = doc.objects.find((o: any) => o.isLatest).versionId;
      await written.get(latest)!.node.delete('race', { versionId: latest });
      const after = await cb.getBucketVersions({ maxKeys: 1000 });
      assert.equal(after.objects.length, 31);
      assert.equal(after.objects.filter((o: any) => o.isLatest).length, 1);
    } finally {
      await a.close();
      await b.close();
      await db.drop();
    }
  });
});
