/**
 * Symlinks: PutSymlink (`PUT /<key>?symlink`, x-oss-symlink-target URL-encoded, x-oss-meta-*,
 * x-oss-object-acl, x-oss-storage-class, x-oss-forbid-overwrite) and GetSymlink (`GET
 * /<key>?symlink`). GET and HEAD through a link serve the target: Content-Length, ETag and
 * Content-MD5 are the target's, Last-Modified the later of the two, the rest the link's, and the
 * object type "Symlink" (HeadObject page; ali-oss and oss2 suites). The target's encryption keys are
 * used, and the caller must be allowed to read the target as well as the link (PutSymlink page:
 * "The ACL of the symbolic link and the ACL of the target object are checked"). A dangling link
 * answers 404 SymlinkTargetNotExist, a link to a link 400 InvalidTargetType: links are not followed
 * recursively (GetObject and HeadObject error tables).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestServer, type TestServer } from '../helpers/server';
import {
  assertNothingStored, assertOssError, bytes, etagOf, http, md5Base64, rejectsWith, signedHttp, storedFiles, xml,
} from '../helpers/oss-http';
import { newRamUser, ossArn, statement, userOss } from '../helpers/ram';

const BUCKET = 'links';
let srv: TestServer;
let c: any;
before(async () => {
  srv = await startTestServer();
  c = srv.client({ bucket: BUCKET });
  await c.putBucket(BUCKET);
});
after(async () => { await srv.close(); });

/** PutSymlink signed by hand, with the target header exactly as given. */
const putLinkRaw = (key: string, headers: Record<string, string>) =>
  signedHttp(srv, { method: 'PUT', bucket: BUCKET, key, query: [['symlink', '']], headers });

describe('PutSymlink, GetSymlink, and reads through a link', () => {
  const target = 'oss/target-测试 file.js';
  const link = 'oss/symlink-软链接.js';
  const data = bytes(5000, 11);

  before(async () => { await c.put(target, data, { meta: { of: 'target' } }); });

  test('ali-oss putSymlink with storage class and meta; getSymlink names the target; head and get go through it', async () => {
    const put = await c.putSymlink(link, target, { storageClass: 'IA', meta: { uid: '1', slus: 'test.html' } });
    assert.equal(put.res.status, 200);
    assert.equal((await c.getSymlink(link)).targetName, target);
    const head = await c.head(link);
    assert.equal(head.res.headers['x-oss-object-type'], 'Symlink');
    assert.deepEqual(head.meta, { uid: '1', slus: 'test.html' });
    assert.equal(head.res.headers['content-length'], String(data.length));
    assert.equal(head.res.headers.etag, etagOf(data));
    assert.equal(head.res.headers['content-md5'], md5Base64(data));
    const got = await c.get(link);
    assert.deepEqual(got.content, data);
    assert.equal(got.res.headers['x-oss-object-type'], 'Symlink');
    const ranged = await c.get(link, { headers: { Range: 'bytes=100-199' } });
    assert.equal(ranged.res.status, 206);
    assert.deepEqual(ranged.content, data.subarray(100, 200));
    assert.equal((await c.get(link, { headers: { 'If-Match': etagOf(data) } })).res.status, 200);
    const listed = (await c.list({ prefix: 'oss/symlink' })).objects[0];
    assert.equal(listed.type, 'Symlink');
    assert.equal(listed.storageClass, 'IA');
  });

  test('GetSymlink answers the target URL-encoded in x-oss-symlink-target, with the link\'s ETag and Last-Modified', async () => {
    const res = await signedHttp(srv, { bucket: BUCKET, key: link, query: [['symlink', '']] });
    assert.equal(res.status, 200);
    assert.equal(decodeURIComponent(String(res.headers['x-oss-symlink-target'])), target);
    assert.doesNotMatch(String(res.headers['x-oss-symlink-target']), /[ +]/);
    assert.match(String(res.headers.etag), /^"[0-9A-F]{32}"$/);
    assert.ok(res.headers['last-modified']);
    assert.equal(res.body.length, 0);
  });

  test('the target header as each SDK encodes it: oss2 quote(key, safe=""), Go url.QueryEscape (space as +)', async () => {
    const key = 'enc/a b+c/d.txt';
    await c.put(key, Buffer.from('encoded target'));
    const forms = {
      'enc/oss2-link': encodeURIComponent(key),
      'enc/go-link': encodeURIComponent(key).replace(/%20/g, '+'),
    };
    for (const [name, value] of Object.entries(forms)) {
      assert.equal((await putLinkRaw(name, { 'x-oss-symlink-target': value })).status, 200);
      assert.equal((await c.getSymlink(name)).targetName, key);
      assert.equal((await c.get(name)).content.toString(), 'encoded target');
    }
  });

  test('Last-Modified through a link is the later of the link\'s and the target\'s', async () => {
    await c.put('lm/target.txt', Buffer.from('v1'));
    await sleep(1100);
    await c.putSymlink('lm/link.txt', 'lm/target.txt');
    const linkTime = (await signedHttp(srv, { bucket: BUCKET, key: 'lm/link.txt', query: [['symlink', '']] })).headers['last-modified'];
    assert.equal((await c.head('lm/link.txt')).res.headers['last-modified'], linkTime);
    await sleep(1100);
    await c.put('lm/target.txt', Buffer.from('v2'));
    const targetTime = (await c.head('lm/target.txt')).res.headers['last-modified'];
    assert.notEqual(targetTime, linkTime);
    assert.equal((await c.head('lm/link.txt')).res.headers['last-modified'], targetTime);
    assert.equal((await c.get('lm/link.txt')).content.toString(), 'v2');
  });

  test('x-oss-object-acl is the link\'s own ACL; x-oss-forbid-overwrite refuses an existing key with 409 FileAlreadyExists', async () => {
    await c.putSymlink('acl/link', target, { headers: { 'x-oss-object-acl': 'public-read' } });
    assert.equal((await c.getACL('acl/link')).acl, 'public-read');
    assert.equal((await c.getACL(target)).acl, 'default');
    const before = (await c.getSymlink('acl/link')).targetName;
    await rejectsWith(c.putSymlink('acl/link', 'elsewhere', { headers: { 'x-oss-forbid-overwrite': 'true' } }), 409, 'FileAlreadyExists');
    assert.equal((await c.getSymlink('acl/link')).targetName, before);
  });

  test('a link over an existing object replaces it; a PutObject over a link replaces the link (Go SDK functional test)', async () => {
    await c.put('over/key', Buffer.from('object'));
    await c.putSymlink('over/key', target);
    assert.deepEqual((await c.get('over/key')).content, data);
    await c.put('over/key', Buffer.from('src'));
    assert.equal((await c.get('over/key')).content.toString(), 'src');
    await rejectsWith(c.getSymlink('over/key'), 404, 'NoSuchKey');
  });
});

describe('what links do not do', () => {
  test('a dangling link: GET 404 SymlinkTargetNotExist, HEAD the same in x-oss-err; GetSymlink still answers', async () => {
    await c.putSymlink('dangling', 'not-there');
    await rejectsWith(c.get('dangling'), 404, 'SymlinkTargetNotExist');
    const err = assertOssError(await signedHttp(srv, { method: 'HEAD', bucket: BUCKET, key: 'dangling' }), 404, 'SymlinkTargetNotExist', true);
    assert.equal(err.EC, '0026-00000012');
    assert.equal((await c.getSymlink('dangling')).targetName, 'not-there');
    // Once the target exists the link works.
    await c.put('not-there', Buffer.from('now here'));
    assert.equal((await c.get('dangling')).content.toString(), 'now here');
  });

  test('a link to a link is not followed: 400 InvalidTargetType (ali-oss reads it from x-oss-err on HEAD)', async () => {
    await c.put('chain/object', Buffer.from('end'));
    await c.putSymlink('chain/one', 'chain/object');
    await c.putSymlink('chain/two', 'chain/one');
    const e: any = await c.head('chain/two').then(() => assert.fail('expected an error'), (x: unknown) => x);
    assert.equal(e.code, 'InvalidTargetType');
    assert.equal(e.status, 400);
    await rejectsWith(c.get('chain/two'), 400, 'InvalidTargetType');
    assert.equal((await c.get('chain/one')).content.toString(), 'end');
  });

  test('GetSymlink of an ordinary or missing object → 404 NoSuchKey', async () => {
    await c.put('plain.txt', Buffer.from('plain'));
    await rejectsWith(c.getSymlink('plain.txt'), 404, 'NoSuchKey');
    await rejectsWith(c.getSymlink('missing.txt'), 404, 'NoSuchKey');
  });

  test('bad PutSymlink requests → 400, nothing stored: no target, an invalid target, an SSE header, a bad class', async () => {
    const before = storedFiles(srv);
    const none = assertOssError(await putLinkRaw('bad/link', {}), 400, 'InvalidArgument');
    assert.equal(none.ArgumentName, 'x-oss-symlink-target');
    for (const target of ['', '%2Fleading-slash', '%E0%A4%A', 'x'.repeat(1024)]) {
      const err = assertOssError(await putLinkRaw('bad/link', { 'x-oss-symlink-target': target }), 400, 'InvalidArgument');
      assert.equal(err.ArgumentName, 'x-oss-symlink-target', target);
    }
    assertOssError(await putLinkRaw('bad/link', { 'x-oss-symlink-target': 'ok', 'x-oss-server-side-encryption': 'AES256' }), 400, 'InvalidArgument');
    assertOssError(await putLinkRaw('bad/link', { 'x-oss-symlink-target': 'ok', 'x-oss-storage-class': 'Glacier' }), 400, 'InvalidArgument');
    await rejectsWith(c.head('bad/link'), 404, 'NoSuchKey');
    assertNothingStored(srv, before);
  });

  test('an unrestored Archive target: HEAD through the link works, GET → 403 InvalidObjectState', async () => {
    await c.put('cold/target', Buffer.from('frozen'), { headers: { 'x-oss-storage-class': 'Archive' } });
    await c.putSymlink('cold/link', 'cold/target');
    assert.equal((await c.head('cold/link')).res.headers['x-oss-storage-class'], 'Archive');
    await rejectsWith(c.get('cold/link'), 403, 'InvalidObjectState');
  });
});

describe('encryption and permissions of the target', () => {
  test('GET through a link decrypts an AES256, SM4 or KMS target with the target\'s keys; HEAD reports the target\'s SSE', async () => {
    for (const sse of ['AES256', 'SM4', 'KMS']) {
      const data = bytes(70_000, sse.length);
      await c.put(`sse/${sse}`, data, { headers: { 'x-oss-server-side-encryption': sse } });
      await c.putSymlink(`sse/${sse}-link`, `sse/${sse}`);
      const got = await c.get(`sse/${sse}-link`);
      assert.deepEqual(got.content, data);
      assert.equal(got.res.headers['x-oss-server-side-encryption'], sse);
      const head = await c.head(`sse/${sse}-link`);
      assert.equal(head.res.headers['x-oss-server-side-encryption'], sse);
    }
  });

  test('a RAM user allowed the link but not the target is refused; allowed both, served', async () => {
    await c.put('private/target.txt', Buffer.from('secret'));
    await c.putSymlink('shared/link.txt', 'private/target.txt');
    const linkOnly = await newRamUser(srv, 'link-only', [{
      name: 'link-only', document: statement('Allow', 'oss:GetObject', ossArn(srv, `${BUCKET}/shared/*`)),
    }]);
    const u = userOss(srv, linkOnly, BUCKET);
    await rejectsWith(u.get('shared/link.txt'), 403, 'AccessDenied');
    const head = await signedHttp(srv, { method: 'HEAD', bucket: BUCKET, key: 'shared/link.txt', accessKeyId: linkOnly.accessKeyId, secret: linkOnly.accessKeySecret });
    assertOssError(head, 403, 'AccessDenied', true);
    // The link itself is readable to this user.
    assert.equal((await u.getSymlink('shared/link.txt')).targetName, 'private/target.txt');
    // A dangling link's missing target is not revealed to a user who may not read it.
    await c.putSymlink('shared/dangling.txt', 'private/missing.txt');
    await rejectsWith(u.get('shared/dangling.txt'), 403, 'AccessDenied');

    const both = await newRamUser(srv, 'link-and-target', [{
      name: 'link-and-target', document: statement('Allow', 'oss:GetObject', [ossArn(srv, `${BUCKET}/shared/*`), ossArn(srv, `${BUCKET}/private/*`)]),
    }]);
    assert.equal((await userOss(srv, both, BUCKET).get('shared/link.txt')).content.toString(), 'secret');
  });

  test('anonymous: a public-read link to a private target is refused; with a public-read target it is served', async () => {
    await c.put('anon/target.txt', Buffer.from('anon data'));
    await c.putSymlink('anon/link.txt', 'anon/target.txt', { headers: { 'x-oss-object-acl': 'public-read' } });
    assertOssError(await http(srv, { path: `/${BUCKET}/anon/link.txt` }), 403, 'AccessDenied');
    await c.putACL('anon/target.txt', 'public-read');
    const res = await http(srv, { path: `/${BUCKET}/anon/link.txt` });
    assert.equal(res.status, 200);
    assert.equal(res.text, 'anon data');
  });

  test('writing a link needs oss:PutObject on the link: a read-only user is refused and nothing is written', async () => {
    const reader = await newRamUser(srv, 'link-reader', [{ name: 'link-reader', document: statement('Allow', 'oss:GetObject', '*') }]);
    await rejectsWith(userOss(srv, reader, BUCKET).putSymlink('ro/link', 'anon/target.txt'), 403, 'AccessDenied');
    await rejectsWith(c.head('ro/link'), 404, 'NoSuchKey');
  });
});

describe('copies from a link', () => {
  test('CopyObject and UploadPartCopy read the target\'s data', async () => {
    const data = bytes(120 * 1024, 21);
    await c.put('copy/target.bin', data, { headers: { 'x-oss-server-side-encryption': 'AES256' } });
    await c.putSymlink('copy/link.bin', 'copy/target.bin');
    await c.copy('copy/out.bin', 'copy/link.bin');
    const out = await c.get('copy/out.bin');
    assert.deepEqual(out.content, data);
    assert.equal(out.res.headers['x-oss-object-type'], 'Normal');
    const { uploadId } = await c.initMultipartUpload('copy/mp.bin');
    const part = await c.uploadPartCopy('copy/mp.bin', uploadId, 1, '0-999', { sourceKey: 'copy/link.bin', sourceBucketName: BUCKET });
    assert.equal(part.etag, etagOf(data.subarray(0, 1000)));
    await c.abortMultipartUpload('copy/mp.bin', uploadId);
    await c.putSymlink('copy/dangling.bin', 'copy/none.bin');
    await rejectsWith(c.copy('copy/out2.bin', 'copy/dangling.bin'), 404, 'SymlinkTargetNotExist');
    const raw = xml((await signedHttp(srv, { bucket: BUCKET, query: [['prefix', 'copy/link']] })).text).ListBucketResult.Contents;
    assert.equal(raw.Type, 'Symlink');
  });
});
