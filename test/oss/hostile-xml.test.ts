/**
 * XML request bodies: hostile documents (DTDs, external and exploding entities, prototype names,
 * deep nesting, undefined or illegal references) get 400 MalformedXML on every operation that
 * reads one, log nothing at error level and change nothing; and the values in well-formed ones
 * (keys, ETags) arrive byte for byte: not trimmed, not coerced, entities decoded exactly once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server';
import { assertOssError, http, md5Base64, pathStyle, rejectsWith, signedHttp, type HttpResponse } from '../helpers/oss-http';
import { captureErrors } from './logged';

let srv: TestServer;
let c: any;
const BUCKET = 'hostile';
const errors = captureErrors();

before(async () => {
  srv = await startTestServer({ logger: errors.logger });
  c = srv.client({ bucket: BUCKET });
  await c.putBucket(BUCKET);
  await c.put('kept.txt', Buffer.from('kept'));
});
after(async () => { await srv.close(); });

/** Hostile variants of a document whose root is `root` and whose valid content is `inner`. */
function hostileBodies(root: string, inner: string): Array<[string, string]> {
  const doctype = (decls: string) => `<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE ${root} [${decls}]>`;
  const laughs = ['<!ENTITY l0 "ha">', ...Array.from({ length: 9 }, (_, i) => `<!ENTITY l${i + 1} "${`&l${i};`.repeat(10)}">`)].join('');
  return [
    ['external entity', `${doctype('<!ENTITY x SYSTEM "file:///etc/passwd">')}<${root}>${inner}<Note>&x;</Note></${root}>`],
    ['parameter entity', `${doctype('<!ENTITY % p SYSTEM "http://127.0.0.1:1/x.dtd"> %p;')}<${root}>${inner}</${root}>`],
    ['exponential entities', `${doctype(laughs)}<${root}>${inner}<Note>&l9;</Note></${root}>`],
    ['a 1 MB entity', `${doctype(`<!ENTITY big "${'A'.repeat(1 << 20)}">`)}<${root}>${inner}<Note>&big;</Note></${root}>`],
    ['a bare DOCTYPE', `<!DOCTYPE ${root}><${root}>${inner}</${root}>`],
    ['__proto__ element', `<${root}><__proto__><Polluted>yes</Polluted></__proto__>${inner}</${root}>`],
    ['constructor element', `<${root}><constructor><prototype>x</prototype></constructor>${inner}</${root}>`],
    ['10,000 levels of nesting', `<${root}>${'<a>'.repeat(10_000)}${'</a>'.repeat(10_000)}${inner}</${root}>`],
    ['an undefined entity', `<${root}>${inner}<Note>&nbsp;</Note></${root}>`],
    ['a reference to an illegal character', `<${root}>${inner}<Note>&#1;</Note></${root}>`],
    ['a raw illegal character', `<${root}>${inner}<Note>\u0001</Note></${root}>`],
    ['a bare ampersand', `<${root}>${inner}<Note>a & b</Note></${root}>`],
    ['mismatched tags', `<${root}>${inner}<Note></Other></${root}>`],
    ['text after the root', `<${root}>${inner}</${root}>trailing`],
  ];
}

/** Error-level lines logged since `mark` (a length of errors.lines). */
const loggedSince = (mark: number): string[] => errors.lines.slice(mark);

async function assertRefused(res: HttpResponse, what: string): Promise<void> {
  assert.equal(res.status, 400, `${what}: ${res.status} ${res.text.slice(0, 300)}`);
  assertOssError(res, 400, 'MalformedXML');
}

describe('hostile XML → 400 MalformedXML, nothing logged, nothing changed', () => {
  test('DeleteMultipleObjects, signed and anonymous (parsed before any key is authorized)', async () => {
    const mark = errors.lines.length;
    for (const [name, body] of hostileBodies('Delete', '<Object><Key>kept.txt</Key></Object>')) {
      const headers = { 'content-md5': md5Base64(body) };
      await assertRefused(await signedHttp(srv, { method: 'POST', bucket: BUCKET, query: [['delete', '']], body, headers }), `signed, ${name}`);
      await assertRefused(await http(srv, { method: 'POST', path: pathStyle(BUCKET, undefined, [['delete', '']]), body, headers }), `anonymous, ${name}`);
    }
    assert.equal((await c.get('kept.txt')).content.toString(), 'kept');
    assert.deepEqual(loggedSince(mark), []);
  });

  test('CompleteMultipartUpload: the upload stays open and completes afterwards', async () => {
    const mark = errors.lines.length;
    const { uploadId } = await c.initMultipartUpload('mp.bin');
    const part = await c.uploadPart('mp.bin', uploadId, 1, Buffer.from('part'), 0, 4);
    const inner = `<Part><PartNumber>1</PartNumber><ETag>${part.etag}</ETag></Part>`;
    for (const [name, body] of hostileBodies('CompleteMultipartUpload', inner)) {
      await assertRefused(await signedHttp(srv, { method: 'POST', bucket: BUCKET, key: 'mp.bin', query: [['uploadId', uploadId]], body }), name);
    }
    await rejectsWith(c.head('mp.bin'), 404, 'NoSuchKey');
    await c.completeMultipartUpload('mp.bin', uploadId, [{ number: 1, etag: part.etag }]);
    assert.equal((await c.get('mp.bin')).content.toString(), 'part');
    assert.deepEqual(loggedSince(mark), []);
  });

  test('PutBucketEncryption: the bucket keeps no rule', async () => {
    const mark = errors.lines.length;
    const inner = '<ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault>';
    for (const [name, body] of hostileBodies('ServerSideEncryptionRule', inner)) {
      await assertRefused(await signedHttp(srv, { method: 'PUT', bucket: BUCKET, query: [['encryption', '']], body }), name);
    }
    await rejectsWith(c.getBucketEncryption(BUCKET), 404, 'NoSuchServerSideEncryptionRule');
    assert.deepEqual(loggedSince(mark), []);
  });

  test('PutBucket with a CreateBucketConfiguration: no bucket is created', async () => {
    const mark = errors.lines.length;
    let i = 0;
    for (const [name, body] of hostileBodies('CreateBucketConfiguration', '<StorageClass>Standard</StorageClass>')) {
      const bucket = `hostile-new-${i++}`;
      await assertRefused(await signedHttp(srv, { method: 'PUT', bucket, body }), name);
      await rejectsWith(c.getBucketInfo(bucket), 404, 'NoSuchBucket');
    }
    assert.deepEqual(loggedSince(mark), []);
  });

  test('PutBucketAcl / PutObjectAcl take no body in OSS: a hostile one is never parsed, the header decides', async () => {
    const mark = errors.lines.length;
    for (const [name, body] of hostileBodies('AccessControlPolicy', '<AccessControlList><Grant>public-read</Grant></AccessControlList>')) {
      const bucketAcl = await signedHttp(srv, { method: 'PUT', bucket: BUCKET, query: [['acl', '']], body, headers: { 'x-oss-acl': 'private' } });
      assert.equal(bucketAcl.status, 200, `${name}: ${bucketAcl.text}`);
      const objectAcl = await signedHttp(srv, { method: 'PUT', bucket: BUCKET, key: 'kept.txt', query: [['acl', '']], body, headers: { 'x-oss-object-acl': 'default' } });
      assert.equal(objectAcl.status, 200, `${name}: ${objectAcl.text}`);
    }
    assert.equal((await c.getBucketACL(BUCKET)).acl, 'private');
    assert.equal((await c.getACL('kept.txt')).acl, 'default');
    assert.deepEqual(loggedSince(mark), []);
  });
});

describe('values in XML bodies arrive byte for byte', () => {
  test('DeleteMultipleObjects with "a " deletes "a " and reports "a "; "007", " a", tab, LF and CR keys likewise', async () => {
    const neighbours = ['a', ' a ', '7', 'tab', 'lf', 'cr', 'cr\n'];
    const targets = ['a ', ' a', '007', 'tab\t', 'lf\n', 'cr\r', '&amp; <x>'];
    for (const key of [...neighbours, ...targets]) await c.put(key, Buffer.from(JSON.stringify(key)));
    const { deleted } = await c.deleteMulti(targets);
    assert.deepEqual(deleted.map((d: any) => d.Key), targets);
    for (const key of targets) await rejectsWith(c.head(key), 404, 'NoSuchKey');
    for (const key of neighbours) assert.equal((await c.get(key)).content.toString(), JSON.stringify(key), `neighbour ${JSON.stringify(key)}`);
  });

  test('character references decode exactly once; CDATA is taken as is', async () => {
    const keys = ['ref "q" \'s\'\t.txt', '&lt;literal&gt;', 'cdata <&> .txt'];
    for (const key of keys) await c.put(key, Buffer.from('x'));
    const body = '<Delete><Object><Key>ref &#34;q&#x22; &apos;s&#39;&#9;.txt</Key></Object><Object><Key>&amp;lt;literal&amp;gt;</Key></Object>'
      + '<Object><Key><![CDATA[cdata <&> .txt]]></Key></Object></Delete>';
    const res = await signedHttp(srv, { method: 'POST', bucket: BUCKET, query: [['delete', '']], body, headers: { 'content-md5': md5Base64(body) } });
    assert.equal(res.status, 200, res.text);
    for (const key of keys) await rejectsWith(c.head(key), 404, 'NoSuchKey');
  });

  test('layout whitespace around elements and enumerated values is not data', async () => {
    const { uploadId } = await c.initMultipartUpload('pretty.bin');
    const part = await c.uploadPart('pretty.bin', uploadId, 1, Buffer.from('pretty'), 0, 6);
    const complete = `<?xml version="1.0"?>\n<CompleteMultipartUpload xmlns="http://doc.oss-cn-hangzhou.aliyuncs.com">\n  <!-- one part -->\n  <Part>\n    <PartNumber> 1 </PartNumber>\n    <ETag>${part.etag}</ETag>\n  </Part>\n</CompleteMultipartUpload>\n`;
    const res = await signedHttp(srv, { method: 'POST', bucket: BUCKET, key: 'pretty.bin', query: [['uploadId', uploadId]], body: complete });
    assert.equal(res.status, 200, res.text);
    assert.equal((await c.get('pretty.bin')).content.toString(), 'pretty');
    const rule = '<ServerSideEncryptionRule>\n  <ApplyServerSideEncryptionByDefault>\n    <SSEAlgorithm>\n      AES256\n    </SSEAlgorithm>\n  </ApplyServerSideEncryptionByDefault>\n</ServerSideEncryptionRule>';
    assert.equal((await signedHttp(srv, { method: 'PUT', bucket: BUCKET, query: [['encryption', '']], body: rule })).status, 200);
    assert.deepEqual((await c.getBucketEncryption(BUCKET)).encryption, { SSEAlgorithm: 'AES256' });
    await c.deleteBucketEncryption(BUCKET);
  });

  test('PutBucket stores only the storage classes and redundancy types OSS defines', async () => {
    for (const conf of ['<StorageClass>Nope</StorageClass>', '<StorageClass>IA</StorageClass><DataRedundancyType>XYZ</DataRedundancyType>']) {
      const body = `<CreateBucketConfiguration>${conf}</CreateBucketConfiguration>`;
      assertOssError(await signedHttp(srv, { method: 'PUT', bucket: 'hostile-class', body }), 400, 'InvalidArgument');
      await rejectsWith(c.getBucketInfo('hostile-class'), 404, 'NoSuchBucket');
    }
    const body = '<CreateBucketConfiguration>\n  <StorageClass> IA </StorageClass>\n  <DataRedundancyType>ZRS</DataRedundancyType>\n</CreateBucketConfiguration>';
    assert.equal((await signedHttp(srv, { method: 'PUT', bucket: 'hostile-class', body })).status, 200);
    const info = (await c.getBucketInfo('hostile-class')).bucket;
    assert.deepEqual([info.StorageClass, info.DataRedundancyType], ['IA', 'ZRS']);
  });

  test('a body that is not UTF-8 → 400 MalformedXML, nothing deleted', async () => {
    const body = Buffer.concat([Buffer.from('<Delete><Object><Key>kept'), Buffer.from([0xff, 0xfe]), Buffer.from('.txt</Key></Object></Delete>')]);
    const res = await signedHttp(srv, { method: 'POST', bucket: BUCKET, query: [['delete', '']], body, headers: { 'content-md5': md5Base64(body) } });
    assertOssError(res, 400, 'MalformedXML');
    assert.equal((await c.get('kept.txt')).content.toString(), 'kept');
  });
});
