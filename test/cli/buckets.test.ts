/** `coffer mb`, `rb`, `ls` and `bucket-encryption` against a real server, checked through ali-oss and the stored records. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertFails, OSS_REQUEST_ID, startCli, type Cli } from './helpers';

let cli: Cli;
before(async () => { cli = await startCli(); });
after(async () => { await cli.close(); });

const bucketRecord = async (name: string) => (await cli.srv.running.coffer.meta.getBucket(name))!;

describe('mb', () => {
  test('makes a bucket with an ACL; ls lists it', async () => {
    const r = await cli.run(['mb', 'oss://mb-plain', '--acl', 'public-read']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'Created oss://mb-plain.\n');
    const b = await bucketRecord('mb-plain');
    assert.equal(b.acl, 'public-read');
    assert.equal(b.encryption, null);
    const ls = await cli.run(['ls']);
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stdout, /^CreationTime +Region +StorageClass +BucketName\n/);
    assert.match(ls.stdout, /\n\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4} \S+ +oss-cn-hangzhou +Standard +oss:\/\/mb-plain\n/);
    assert.match(ls.stdout, /\nBucket Number is: \d+\n$/);
  });

  test('--sse-algorithm sets the default encryption in the same PutBucket', async () => {
    const r = await cli.json(['mb', 'oss://mb-sm4', '--sse-algorithm', 'SM4']);
    assert.deepEqual(r.encryption, { algorithm: 'SM4' });
    assert.match(`RequestId ${r.requestId}`, OSS_REQUEST_ID);
    assert.deepEqual((await bucketRecord('mb-sm4')).encryption, { algorithm: 'SM4' });
  });

  test('--sse-algorithm KMS with --kms-masterkey-id and --kms-data-encryption SM4', async () => {
    const keyId = await cli.newKey();
    const r = await cli.run(['mb', 'oss://mb-kms', '--sse-algorithm', 'KMS', '--kms-masterkey-id', keyId, '--kms-data-encryption', 'SM4']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `Created oss://mb-kms with default encryption KMS, key ${keyId}, SM4 data.\n`);
    assert.deepEqual((await bucketRecord('mb-kms')).encryption, { algorithm: 'KMS', kmsMasterKeyId: keyId, kmsDataEncryption: 'SM4' });
  });

  test('bad arguments exit 2 and create nothing', async () => {
    assertFails(await cli.run(['mb', 'oss://Bad_Name']), 2, /invalid bucket name "Bad_Name"/);
    assertFails(await cli.run(['mb', 'oss://mb-x/key']), 2, /expected a bucket URL oss:\/\/bucket/);
    assertFails(await cli.run(['mb', 'mb-x']), 2, /expected an oss:\/\/bucket\[\/key\] URL/);
    assertFails(await cli.run(['mb', 'oss://mb-x', '--acl', 'everyone']), 2, /--acl must be one of private, public-read, public-read-write/);
    assertFails(await cli.run(['mb', 'oss://mb-x', '--sse-algorithm', 'AES128']), 2, /--sse-algorithm must be AES256, SM4 or KMS/);
    assertFails(await cli.run(['mb', 'oss://mb-x', '--sse-algorithm', 'AES256', '--kms-masterkey-id', 'k']), 2, /--kms-masterkey-id needs --sse-algorithm KMS/);
    assertFails(await cli.run(['mb', 'oss://mb-x', '--sse-algorithm', 'KMS', '--kms-data-encryption', 'AES256']), 2, /--kms-data-encryption supports only SM4/);
    assertFails(await cli.run(['mb']), 2, /missing required argument 'url'/);
    assert.equal(await cli.srv.running.coffer.meta.getBucket('mb-x'), null);
  });

  test('wrong credentials exit 1 with the OSS code and request id, and create nothing', async () => {
    const r = await cli.run(['mb', 'oss://mb-denied', '--access-key-secret', 'wrong']);
    assertFails(r, 1, /^coffer: SignatureDoesNotMatch: The request signature we calculated does not match/);
    assert.match(r.stderr, OSS_REQUEST_ID);
    const unknown = await cli.run(['mb', 'oss://mb-denied', '--access-key-id', 'LTAInobody']);
    assertFails(unknown, 1, /^coffer: InvalidAccessKeyId: /);
    assert.equal(await cli.srv.running.coffer.meta.getBucket('mb-denied'), null);
  });
});

describe('rb', () => {
  test('removes an empty bucket; a non-empty or missing one is refused with its code', async () => {
    await cli.run(['mb', 'oss://rb-full']);
    await cli.srv.client({ bucket: 'rb-full' }).put('k', Buffer.from('x'));
    assertFails(await cli.run(['rb', 'oss://rb-full']), 1, /^coffer: BucketNotEmpty: /);
    assert.ok(await bucketRecord('rb-full'));
    await cli.srv.client({ bucket: 'rb-full' }).delete('k');
    const r = await cli.run(['rb', 'oss://rb-full']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'Removed oss://rb-full.\n');
    assert.equal(await cli.srv.running.coffer.meta.getBucket('rb-full'), null);
    const missing = await cli.run(['rb', 'oss://rb-full']);
    assertFails(missing, 1, /^coffer: NoSuchBucket: The specified bucket does not exist\. \(RequestId [0-9A-F]{24}\)\n$/);
  });
});

describe('ls', () => {
  const keys = ['a.txt', 'dir/b.txt', 'dir/sub/c.txt', 'dir2/d.txt', 'z.txt'];
  before(async () => {
    await cli.run(['mb', 'oss://ls-bucket']);
    const c = cli.srv.client({ bucket: 'ls-bucket' });
    for (const k of keys) await c.put(k, Buffer.from(`content of ${k}`));
  });

  const listed = (stdout: string): string[] => [...stdout.matchAll(/(?:^| )oss:\/\/ls-bucket\/(\S+)$/gm)].map((m) => m[1]);

  test('lists every object under the bucket, however deep, in the ossutil layout', async () => {
    const r = await cli.run(['ls', 'oss://ls-bucket']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(listed(r.stdout), keys);
    assert.match(r.stdout, /^LastModifiedTime +Size\(B\) +StorageClass +ETAG +ObjectName\n/);
    const etag = (await cli.srv.client({ bucket: 'ls-bucket' }).head('a.txt')).res.headers.etag.replace(/"/g, '');
    assert.match(r.stdout, new RegExp(`\\n\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d [+-]\\d{4} \\S+ +${'content of a.txt'.length} +Standard +${etag} +oss://ls-bucket/a\\.txt\\n`));
    assert.match(r.stdout, /\nObject Number is: 5\n$/);
    // -r is the default, said out loud.
    assert.deepEqual(listed((await cli.run(['ls', '-r', 'oss://ls-bucket'])).stdout), keys);
  });

  test('a prefix narrows the listing', async () => {
    const r = await cli.run(['ls', 'oss://ls-bucket/dir/']);
    assert.deepEqual(listed(r.stdout), ['dir/b.txt', 'dir/sub/c.txt']);
    assert.match(r.stdout, /\nObject Number is: 2\n$/);
    const none = await cli.run(['ls', 'oss://ls-bucket/nothing-here']);
    assert.equal(none.stdout, 'Object Number is: 0\n');
  });

  test('-d lists one level: objects and directories (common prefixes)', async () => {
    const r = await cli.run(['ls', '-d', 'oss://ls-bucket']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(listed(r.stdout), ['a.txt', 'z.txt', 'dir/', 'dir2/']);
    assert.match(r.stdout, /\noss:\/\/ls-bucket\/dir\/\noss:\/\/ls-bucket\/dir2\/\nObject and Directory Number is: 4\n$/);
    const json = await cli.json(['ls', '-d', 'oss://ls-bucket/dir/']);
    assert.deepEqual(json.objects.map((o: { key: string }) => o.key), ['dir/b.txt']);
    assert.deepEqual(json.directories, ['dir/sub/']);
  });

  test('--json gives the objects with size, ETag (unquoted) and storage class', async () => {
    const json = await cli.json(['ls', 'oss://ls-bucket/z']);
    assert.equal(json.objects.length, 1);
    const [o] = json.objects;
    assert.deepEqual([o.key, o.size, o.storageClass, o.type], ['z.txt', 'content of z.txt'.length, 'Standard', 'Normal']);
    assert.match(o.etag, /^[0-9A-F]{32}$/);
    const buckets = await cli.json(['ls']);
    assert.ok(buckets.some((b: { name: string; region: string }) => b.name === 'ls-bucket' && b.region === 'oss-cn-hangzhou'));
  });

  test('more than one page (1000 keys) is listed whole', async () => {
    await cli.run(['mb', 'oss://ls-pages']);
    const c = cli.srv.client({ bucket: 'ls-pages' });
    const many = Array.from({ length: 1005 }, (_, i) => `k${String(i).padStart(4, '0')}`);
    for (let i = 0; i < many.length; i += 50) await Promise.all(many.slice(i, i + 50).map((k) => c.put(k, Buffer.from('x'))));
    const json = await cli.json(['ls', 'oss://ls-pages']);
    assert.deepEqual(json.objects.map((o: { key: string }) => o.key), many);
  });

  test('a missing bucket exits 1 with NoSuchBucket; -d with -r, or a bad URL, exit 2', async () => {
    const r = await cli.run(['ls', 'oss://ls-missing']);
    assertFails(r, 1, /^coffer: NoSuchBucket: /);
    assert.match(r.stderr, OSS_REQUEST_ID);
    assertFails(await cli.run(['ls', '-d', '-r', 'oss://ls-bucket']), 2, /-d \(one level\) and -r \(every level\) exclude each other/);
    assertFails(await cli.run(['ls', 's3://ls-bucket']), 2, /expected an oss:\/\/bucket/);
    assertFails(await cli.run(['ls', '--nope']), 2, /unknown option '--nope'/);
  });
});

describe('bucket-encryption', () => {
  before(async () => { await cli.run(['mb', 'oss://be-bucket']); });

  test('put, get and delete an AES256 rule', async () => {
    const put = await cli.run(['bucket-encryption', '--method', 'put', 'oss://be-bucket', '--sse-algorithm', 'AES256']);
    assert.equal(put.code, 0, put.stderr);
    assert.match(put.stdout, /^Set the default encryption of oss:\/\/be-bucket to AES256\. Existing objects are unchanged/);
    assert.deepEqual((await bucketRecord('be-bucket')).encryption, { algorithm: 'AES256' });
    const get = await cli.run(['bucket-encryption', '--method', 'get', 'oss://be-bucket']);
    assert.equal(get.stdout, 'SSEAlgorithm      : AES256\n');
    const del = await cli.run(['bucket-encryption', '--method', 'delete', 'oss://be-bucket']);
    assert.equal(del.code, 0, del.stderr);
    assert.equal((await bucketRecord('be-bucket')).encryption, null);
    const none = await cli.run(['bucket-encryption', '--method', 'get', 'oss://be-bucket']);
    assertFails(none, 1, /^coffer: NoSuchServerSideEncryptionRule: /);
    assert.match(none.stderr, OSS_REQUEST_ID);
  });

  test('a KMS rule with a CMK and SM4 data; new objects follow it', async () => {
    const keyId = await cli.newKey();
    const put = await cli.run(['bucket-encryption', '--method', 'put', 'oss://be-bucket', '--sse-algorithm', 'KMS', '--kms-masterkey-id', keyId, '--kms-data-encryption', 'SM4']);
    assert.equal(put.code, 0, put.stderr);
    const get = await cli.json(['bucket-encryption', '--method', 'get', 'oss://be-bucket']);
    assert.deepEqual(get, { bucket: 'be-bucket', rule: { SSEAlgorithm: 'KMS', KMSMasterKeyID: keyId, KMSDataEncryption: 'SM4' } });
    const human = await cli.run(['bucket-encryption', '--method', 'get', 'oss://be-bucket']);
    assert.equal(human.stdout, `SSEAlgorithm      : KMS\nKMSMasterKeyID    : ${keyId}\nKMSDataEncryption : SM4\n`);
    const res = await cli.srv.client({ bucket: 'be-bucket' }).put('new.txt', Buffer.from('x'));
    assert.equal(res.res.headers['x-oss-server-side-encryption'], 'KMS');
    assert.equal(res.res.headers['x-oss-server-side-encryption-key-id'], keyId);
    assert.equal(res.res.headers['x-oss-server-side-data-encryption'], 'SM4');
  });

  test('refusals: a CMK that does not exist (exit 1); bad arguments (exit 2)', async () => {
    const before = (await bucketRecord('be-bucket')).encryption;
    const cases: Array<[string[], RegExp]> = [
      [['--method', 'patch', 'oss://be-bucket'], /--method must be put, get or delete/],
      [['--method', 'put', 'oss://be-bucket'], /--method put needs --sse-algorithm/],
      [['--method', 'get', 'oss://be-bucket', '--sse-algorithm', 'AES256'], /--method get takes no --sse-algorithm/],
      [['--method', 'put', 'oss://be-bucket', '--sse-algorithm', 'SM4', '--kms-data-encryption', 'SM4'], /--kms-data-encryption needs --sse-algorithm KMS/],
      [['oss://be-bucket'], /required option '--method <method>' not specified/],
    ];
    for (const [args, message] of cases) assertFails(await cli.run(['bucket-encryption', ...args]), 2, message);
    assertFails(await cli.run(['bucket-encryption', '--method', 'get', 'oss://be-missing']), 1, /^coffer: NoSuchBucket: /);
    assert.deepEqual((await bucketRecord('be-bucket')).encryption, before);
  });
});

test('--help of every bucket command shows an example', async () => {
  for (const [name, example] of [['mb', 'coffer mb oss://examplebucket'], ['rb', 'coffer rb oss://examplebucket'], ['ls', 'coffer ls'], ['bucket-encryption', 'coffer bucket-encryption --method put']]) {
    const r = await cli.run([name, '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, new RegExp(`\\nExamples?:\\n  ${example.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
    assert.match(r.stdout, /\nConnection options:\n {2}--endpoint <url>/);
  }
});
