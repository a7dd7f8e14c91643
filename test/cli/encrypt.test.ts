/**
 * `coffer encrypt` over a prefix of a few hundred objects: every object ends up encrypted as
 * asked with its ETag, CRC-64, metadata and ACL unchanged; a second run has nothing to do;
 * failures are counted and named, and set the exit code.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { ObjectRecord } from '../../src/store/types';
import { assertFails, startCli, type Cli } from './helpers';

let cli: Cli;
let c: any;
const BUCKET = 'encrypt-bucket';
const COUNT = 300;
const keys = Array.from({ length: COUNT }, (_, i) => `data/${String(i).padStart(3, '0')}.txt`);

before(async () => {
  cli = await startCli();
  c = cli.srv.client({ bucket: BUCKET });
  await c.putBucket(BUCKET);
  for (let i = 0; i < keys.length; i += 25) {
    await Promise.all(keys.slice(i, i + 25).map((k, j) => c.put(k, Buffer.from(`object ${i + j}: ${randomBytes(8).toString('hex')}`))));
  }
  for (const k of ['other/1.txt', 'other/2.txt']) await c.put(k, Buffer.from(k));
});
after(async () => { await cli.close(); });

const record = async (key: string): Promise<ObjectRecord> => (await cli.srv.running.coffer.meta.getObject(BUCKET, key))!;
const algorithm = (r: ObjectRecord): string | undefined => (r.encryption as { algorithm?: string } | null)?.algorithm;

test(`encrypts ${COUNT} objects under a prefix in place; ETags, CRC-64s, metadata and ACLs stay; other prefixes are untouched`, async () => {
  // Some variety among the 300: already encrypted ones, metadata and an ACL, a multipart object.
  for (const k of keys.slice(0, 5)) await c.put(k, Buffer.from(`pre-encrypted ${k}`), { headers: { 'x-oss-server-side-encryption': 'AES256' } });
  await c.put(keys[10], Buffer.from('with metadata'), { headers: { 'x-oss-meta-owner': 'team-a', 'Content-Type': 'application/json', 'Cache-Control': 'max-age=60' } });
  await c.putACL(keys[10], 'public-read');
  const upload = await c.initMultipartUpload(keys[20]);
  const part = await c.uploadPart(keys[20], upload.uploadId, 1, randomBytes(200 * 1024), 0, 200 * 1024);
  await c.completeMultipartUpload(keys[20], upload.uploadId, [{ number: 1, etag: part.etag }]);
  const before = new Map(await Promise.all(keys.map(async (k) => [k, await record(k)] as const)));

  const r = await cli.json(['encrypt', `oss://${BUCKET}/data/`, '--sse-algorithm', 'AES256', '--parallel', '16']);
  assert.deepEqual(
    { objects: r.objects, changed: r.changed, already: r.alreadyEncrypted, failed: r.failed, encryption: r.encryption },
    { objects: COUNT, changed: COUNT - 5, already: 5, failed: [], encryption: { algorithm: 'AES256' } },
  );
  for (const k of keys) {
    const now = await record(k);
    const was = before.get(k)!;
    assert.equal(algorithm(now), 'AES256', k);
    assert.equal(now.etag, was.etag, k);
    assert.equal(now.crc64, was.crc64, k);
    assert.equal(now.size, was.size, k);
    assert.deepEqual(now.userMeta, was.userMeta, k);
    assert.deepEqual(now.headers, was.headers, k);
    assert.equal(now.acl, was.acl, k);
  }
  assert.equal((await record(keys[10])).acl, 'public-read');
  assert.equal((await record(keys[20])).type, 'Multipart');
  assert.equal((await c.get(keys[10])).content.toString(), 'with metadata');
  for (const k of ['other/1.txt', 'other/2.txt']) assert.equal(algorithm(await record(k)), undefined);
});

test('a second run has nothing to do', async () => {
  const r = await cli.run(['encrypt', `oss://${BUCKET}/data/`, '--sse-algorithm', 'AES256']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `Nothing to do: all ${COUNT} object(s) under oss://${BUCKET}/data/ already are encrypted with AES256.\n`);
});

test('to a named CMK: objects under another key or cipher change, and the summary says how many', async () => {
  const keyId = await cli.newKey();
  await c.put('other/3.txt', Buffer.from('3'), { headers: { 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-encryption-key-id': keyId } });
  const r = await cli.run(['encrypt', `oss://${BUCKET}/other/`, '--sse-algorithm', 'KMS', '--sse-key-id', keyId]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `Encrypted 2 of 3 object(s) under oss://${BUCKET}/other/ with KMS, key ${keyId}; 1 already were; 0 failed.\n`);
  for (const k of ['other/1.txt', 'other/2.txt', 'other/3.txt']) {
    const h = (await c.head(k)).res.headers;
    assert.deepEqual([h['x-oss-server-side-encryption'], h['x-oss-server-side-encryption-key-id']], ['KMS', keyId], k);
  }
});

test('objects that cannot be encrypted are named in the summary; the others are done; exit code 1', async () => {
  const missingKey = randomUUID();
  await c.put('mixed/1.txt', Buffer.from('1'));
  const r = await cli.run(['encrypt', `oss://${BUCKET}/mixed/`, '--sse-algorithm', 'KMS', '--sse-key-id', missingKey]);
  assertFails(r, 1, /^coffer: 1 of 1 object\(s\) could not be encrypted\n$/);
  assert.match(r.stdout, new RegExp(`^Encrypted 0 of 1 object\\(s\\) under oss://${BUCKET}/mixed/ with KMS, key ${missingKey}; 0 already were; 1 failed\\.\\n`));
  assert.match(r.stdout, new RegExp(`\\n  FAILED oss://${BUCKET}/mixed/1\\.txt: \\S+: .*\\(RequestId [0-9A-F]{24}\\)\\n$`));
  assert.equal(algorithm(await record('mixed/1.txt')), undefined);
});

test('usage errors exit 2; a missing bucket exits 1', async () => {
  const cases: Array<[string[], RegExp]> = [
    [[`oss://${BUCKET}/data/`], /encrypt needs --sse-algorithm/],
    [[`oss://${BUCKET}/data/`, '--sse-algorithm', 'AES256', '--parallel', '0'], /--parallel must be a whole number from 1 to 256/],
    [[`oss://${BUCKET}/data/`, '--sse-algorithm', 'SM4', '--sse-key-id', 'k'], /--sse-key-id needs --sse-algorithm KMS/],
    [[BUCKET, '--sse-algorithm', 'AES256'], /expected an oss:\/\/bucket/],
  ];
  await Promise.all(cases.map(async ([args, message]) => assertFails(await cli.run(['encrypt', ...args]), 2, message)));
  assertFails(await cli.run(['encrypt', 'oss://no-such-bucket', '--sse-algorithm', 'AES256']), 1, /^coffer: NoSuchBucket: /);
  const help = await cli.run(['encrypt', '--help']);
  assert.match(help.stdout, /\nExamples:\n {2}coffer encrypt oss:\/\/examplebucket --sse-algorithm AES256\n/);
});
