/** `coffer stat`, `set-meta`, `rm` and `presign` against a real server. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { assertFails, OSS_REQUEST_ID, startCli, type Cli } from './helpers';

let cli: Cli;
let c: any;
const BUCKET = 'objects';
// As in the seeds: a 62-byte text object.
const BODY = Buffer.from('This is 01.txt, a plain text object of exactly 62 bytes long.\n');
before(async () => {
  cli = await startCli();
  c = cli.srv.client({ bucket: BUCKET });
  await c.putBucket(BUCKET);
});
after(async () => { await cli.close(); });

const put = (key: string, headers: Record<string, string> = {}) => c.put(key, BODY, { headers: { 'Content-Type': 'text/plain', ...headers } });
const head = async (key: string): Promise<Record<string, string>> => (await c.head(key)).res.headers;

/** `Key : Value` lines as a map, checking the ossutil alignment (names padded to 28 columns) on the way. */
function statLines(stdout: string): Map<string, string> {
  const rows = new Map<string, string>();
  for (const line of stdout.trimEnd().split('\n')) {
    const m = /^(\S+?) *: (.*)$/.exec(line);
    assert.ok(m, `not a Key : Value line: ${JSON.stringify(line)}`);
    assert.ok(m[1].length >= 28 ? line.startsWith(`${m[1]}: `) : line.startsWith(`${m[1].padEnd(28)}: `), `misaligned: ${JSON.stringify(line)}`);
    rows.set(m[1], m[2]);
  }
  return rows;
}

describe('stat', () => {
  test('shows the ossutil layout of the seeds: sorted, aligned, Etag without quotes, ACL and Owner', async () => {
    await put('01.txt', { 'x-oss-meta-author': 'seed' });
    const h = await head('01.txt');
    // Shanghai time, as in the seeds (+0800).
    const r = await cli.run(['stat', `oss://${BUCKET}/01.txt`], { TZ: 'Asia/Shanghai' });
    assert.equal(r.code, 0, r.stderr);
    const rows = statLines(r.stdout);
    assert.deepEqual([...rows.keys()], [
      'ACL', 'Accept-Ranges', 'Content-Length', 'Content-Md5', 'Content-Type', 'Etag', 'Last-Modified', 'Owner',
      'X-Oss-Hash-Crc64ecma', 'X-Oss-Meta-Author', 'X-Oss-Object-Type', 'X-Oss-Storage-Class',
    ]);
    assert.equal(rows.get('ACL'), 'default');
    assert.equal(rows.get('Accept-Ranges'), 'bytes');
    assert.equal(rows.get('Content-Length'), '62');
    assert.equal(rows.get('Content-Md5'), h['content-md5']);
    assert.equal(rows.get('Content-Type'), 'text/plain');
    assert.equal(rows.get('Etag'), h.etag.replace(/"/g, ''));
    assert.match(rows.get('Etag')!, /^[0-9A-F]{32}$/);
    assert.equal(rows.get('Owner'), cli.srv.running.coffer.accountId);
    assert.equal(rows.get('X-Oss-Hash-Crc64ecma'), h['x-oss-hash-crc64ecma']);
    assert.equal(rows.get('X-Oss-Meta-Author'), 'seed');
    assert.equal(rows.get('X-Oss-Object-Type'), 'Normal');
    assert.equal(rows.get('X-Oss-Storage-Class'), 'Standard');
    const shanghai = new Date(Date.parse(h['last-modified']) + 8 * 3600_000).toISOString().replace('T', ' ').slice(0, 19);
    assert.match(rows.get('Last-Modified')!, new RegExp(`^${shanghai} \\+0800 \\S+$`));
  });

  test('an encrypted object shows X-Oss-Server-Side-Encryption, and its key id under SSE-KMS; --json gives the same pairs', async () => {
    await put('aes.txt', { 'x-oss-server-side-encryption': 'AES256' });
    const aes = statLines((await cli.run(['stat', `oss://${BUCKET}/aes.txt`])).stdout);
    assert.equal(aes.get('X-Oss-Server-Side-Encryption'), 'AES256');
    assert.ok(!aes.has('X-Oss-Server-Side-Encryption-Key-Id'));

    const keyId = await cli.newKey();
    await put('kms.txt', { 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-encryption-key-id': keyId });
    const r = await cli.run(['stat', `oss://${BUCKET}/kms.txt`]);
    assert.match(r.stdout, new RegExp(`\\nX-Oss-Server-Side-Encryption: KMS\\nX-Oss-Server-Side-Encryption-Key-Id: ${keyId}\\nX-Oss-Storage-Class {9}: Standard\\n$`));
    const json = await cli.json(['stat', `oss://${BUCKET}/kms.txt`]);
    assert.equal(json['X-Oss-Server-Side-Encryption-Key-Id'], keyId);
    assert.equal(json.ACL, 'default');
    assert.equal(json['Content-Length'], '62');
  });

  test('stat of a bucket shows its ACL and default encryption', async () => {
    await cli.srv.client().putBucket('stat-bucket', { acl: 'public-read', headers: { 'x-oss-server-side-encryption': 'SM4' } });
    const r = await cli.run(['stat', 'oss://stat-bucket']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Name {14}: stat-bucket\nLocation {10}: oss-cn-hangzhou\n/);
    assert.match(r.stdout, /\nACL {15}: public-read\n/);
    assert.match(r.stdout, /\nSSEAlgorithm {6}: SM4\n$/);
  });

  test('a missing object or bucket exits 1 with the precise code and a request id', async () => {
    const key = await cli.run(['stat', `oss://${BUCKET}/missing`]);
    assertFails(key, 1, /^coffer: NoSuchKey: The specified key does not exist\. \(RequestId [0-9A-F]{24}\)\n$/);
    assert.equal(key.stdout, '');
    assertFails(await cli.run(['stat', 'oss://no-such-bucket/01.txt']), 1, /^coffer: NoSuchBucket: /);
    assertFails(await cli.run(['stat', 'oss://no-such-bucket']), 1, /^coffer: NoSuchBucket: /);
    assertFails(await cli.run(['stat', `oss://${BUCKET}/01.txt`, '--access-key-secret', 'nope']), 1, /^coffer: SignatureDoesNotMatch: /);
  });
});

describe('set-meta', () => {
  test('the seeds\' update_object_meta: X-Oss-Server-Side-Encryption:AES256 --update encrypts in place; ETag, CRC-64, MD5, metadata and ACL stay', async () => {
    await put('seed.txt', { 'x-oss-meta-author': 'seed', 'Cache-Control': 'no-cache' });
    await c.putACL('seed.txt', 'public-read');
    const before = await head('seed.txt');
    const r = await cli.run(['set-meta', `oss://${BUCKET}/seed.txt`, 'X-Oss-Server-Side-Encryption:AES256', '--update']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^Updated oss://${BUCKET}/seed\\.txt:\\n`));
    assert.match(r.stdout, /\nX-Oss-Server-Side-Encryption: AES256\n/);
    const after = await head('seed.txt');
    assert.equal(after['x-oss-server-side-encryption'], 'AES256');
    for (const h of ['etag', 'x-oss-hash-crc64ecma', 'content-md5', 'content-type', 'cache-control', 'x-oss-meta-author', 'content-length']) assert.equal(after[h], before[h], h);
    assert.equal((await c.getACL('seed.txt')).acl, 'public-read');
    const record = await cli.srv.running.coffer.meta.getObject(BUCKET, 'seed.txt');
    assert.equal((record!.encryption as { algorithm?: string }).algorithm, 'AES256');
    assert.ok((await c.get('seed.txt')).content.equals(BODY));

    const stat = statLines((await cli.run(['stat', `oss://${BUCKET}/seed.txt`])).stdout);
    assert.equal(stat.get('X-Oss-Server-Side-Encryption'), 'AES256');
    assert.equal(stat.get('ACL'), 'public-read');
  });

  test('KMS with a key id; --update back to AES256 drops the key id', async () => {
    const keyId = await cli.newKey();
    await put('switch.txt');
    const kms = await cli.run(['set-meta', `oss://${BUCKET}/switch.txt`, `X-Oss-Server-Side-Encryption:KMS#X-Oss-Server-Side-Encryption-Key-Id:${keyId}`, '--update']);
    assert.equal(kms.code, 0, kms.stderr);
    let h = await head('switch.txt');
    assert.deepEqual([h['x-oss-server-side-encryption'], h['x-oss-server-side-encryption-key-id']], ['KMS', keyId]);
    const back = await cli.run(['set-meta', `oss://${BUCKET}/switch.txt`, 'X-Oss-Server-Side-Encryption:AES256', '-u']);
    assert.equal(back.code, 0, back.stderr);
    h = await head('switch.txt');
    assert.deepEqual([h['x-oss-server-side-encryption'], h['x-oss-server-side-encryption-key-id']], ['AES256', undefined]);
  });

  test('without --update the headers given replace content headers and user metadata; encryption and ACL stay', async () => {
    await put('replace.txt', { 'x-oss-meta-old': '1', 'x-oss-server-side-encryption': 'SM4' });
    await c.putACL('replace.txt', 'private');
    const r = await cli.json(['set-meta', `oss://${BUCKET}/replace.txt`, 'X-Oss-Meta-New:2', 'Content-Type:application/json']);
    assert.equal(r.headers['X-Oss-Meta-New'], '2');
    const h = await head('replace.txt');
    assert.equal(h['x-oss-meta-new'], '2');
    assert.equal(h['x-oss-meta-old'], undefined);
    assert.equal(h['content-type'], 'application/json');
    assert.equal(h['x-oss-server-side-encryption'], 'SM4');
    assert.equal((await c.getACL('replace.txt')).acl, 'private');
  });

  test('--delete removes the headers named; removing X-Oss-Server-Side-Encryption decrypts', async () => {
    await put('delete.txt', { 'x-oss-meta-a': '1', 'x-oss-meta-b': '2', 'x-oss-server-side-encryption': 'AES256' });
    const r = await cli.run(['set-meta', `oss://${BUCKET}/delete.txt`, 'X-Oss-Meta-A#X-Oss-Server-Side-Encryption', '--delete']);
    assert.equal(r.code, 0, r.stderr);
    const h = await head('delete.txt');
    assert.equal(h['x-oss-meta-a'], undefined);
    assert.equal(h['x-oss-meta-b'], '2');
    assert.equal(h['x-oss-server-side-encryption'], undefined);
    assert.ok((await c.get('delete.txt')).content.equals(BODY));
  });

  test('refusals: a missing object (exit 1); unknown headers and bad combinations (exit 2), changing nothing', async () => {
    assertFails(await cli.run(['set-meta', `oss://${BUCKET}/missing`, 'X-Oss-Server-Side-Encryption:AES256', '--update']), 1, /^coffer: NoSuchKey: .*RequestId/);
    await put('untouched.txt');
    const before = await head('untouched.txt');
    const url = `oss://${BUCKET}/untouched.txt`;
    const cases: Array<[string[], RegExp]> = [
      [[url, 'X-Oss-Request-Id:1'], /set-meta cannot set "x-oss-request-id"/],
      [[url, 'Content-Type'], /expected Header:Value, got "Content-Type"/],
      [[url], /name at least one header/],
      [[url, 'X-Oss-Meta-A:1', '--update', '--delete'], /--update and --delete exclude each other/],
      [[url, 'X-Oss-Server-Side-Encryption:AES256#X-Oss-Server-Side-Encryption-Key-Id:k', '--update'], /X-Oss-Server-Side-Encryption-Key-Id needs X-Oss-Server-Side-Encryption:KMS/],
      [[url, 'X-Oss-Server-Side-Encryption:DES', '--update'], /X-Oss-Server-Side-Encryption must be AES256, SM4 or KMS/],
      [[`oss://${BUCKET}`, 'X-Oss-Meta-A:1'], /set-meta needs an object URL/],
    ];
    for (const [args, message] of cases) assertFails(await cli.run(['set-meta', ...args]), 2, message);
    const after = await head('untouched.txt');
    for (const h of ['last-modified', 'etag', 'content-type']) assert.equal(after[h], before[h], h);
    assert.equal(after['x-oss-server-side-encryption'], undefined);
  });
});

describe('rm', () => {
  test('removes one object', async () => {
    await put('rm/one.txt');
    const r = await cli.run(['rm', `oss://${BUCKET}/rm/one.txt`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `Removed oss://${BUCKET}/rm/one.txt.\n`);
    await assert.rejects(c.head('rm/one.txt'), { status: 404 });
  });

  test('-r -f removes everything under a prefix, and nothing else', async () => {
    const keys = Array.from({ length: 25 }, (_, i) => `rm/tree/${i}.txt`);
    for (const k of keys) await put(k);
    await put('rm/keep.txt');
    const json = await cli.json(['rm', '-r', '-f', `oss://${BUCKET}/rm/tree/`]);
    assert.deepEqual([...json.removed].sort(), [...keys].sort());
    assert.equal((await c.listV2({ prefix: 'rm/tree/' })).keyCount, 0);
    assert.equal((await head('rm/keep.txt'))['content-length'], '62');
  });

  test('refusals: -r without -f and no terminal, a bucket URL without -r (exit 2); a missing bucket (exit 1)', async () => {
    await put('rm/guarded.txt');
    assertFails(await cli.run(['rm', '-r', `oss://${BUCKET}/rm/`]), 2, /rm -r asks for confirmation; pass -f/);
    assertFails(await cli.run(['rm', `oss://${BUCKET}`]), 2, /rm needs an object URL oss:\/\/bucket\/key, or -r/);
    assert.equal((await head('rm/guarded.txt'))['content-length'], '62');
    const missing = await cli.run(['rm', 'oss://no-such-bucket/x']);
    assertFails(missing, 1, /^coffer: NoSuchBucket: /);
    assert.match(missing.stderr, OSS_REQUEST_ID);
  });
});

describe('presign', () => {
  test('a GET URL works with plain fetch (no SDK, no credentials), also for an SSE-KMS object', async () => {
    await put('presign/plain.txt');
    await put('presign/kms.txt', { 'x-oss-server-side-encryption': 'KMS' });
    for (const key of ['presign/plain.txt', 'presign/kms.txt']) {
      const r = await cli.run(['presign', `oss://${BUCKET}/${key}`, '--expires', '120']);
      assert.equal(r.code, 0, r.stderr);
      const url = r.stdout.trim();
      assert.ok(url.startsWith(`${cli.srv.url}/${BUCKET}/${key}?`), url);
      assert.match(url, /[?&]x-oss-expires=120(&|$)/);
      const res = await fetch(url);
      assert.equal(res.status, 200);
      assert.ok(Buffer.from(await res.arrayBuffer()).equals(BODY));
    }
  });

  test('a PUT URL uploads; --json gives the expiry', async () => {
    const r = await cli.json(['presign', `oss://${BUCKET}/presign/up.txt`, '--method', 'PUT', '--expires', '60']);
    assert.equal(r.method, 'PUT');
    assert.ok(Math.abs(Date.parse(r.expiresAt) - Date.now() - 60_000) < 10_000);
    // A Buffer body, so that fetch adds no Content-Type: V4 signs the Content-Type, and the URL was signed without one.
    const res = await fetch(r.url, { method: 'PUT', body: Buffer.from('uploaded with a presigned URL') });
    assert.equal(res.status, 200, await res.text());
    assert.equal((await c.get('presign/up.txt')).content.toString(), 'uploaded with a presigned URL');
  });

  test('an expired URL is refused; a tampered one too', async () => {
    // The tampered URL gets a long expiry: on a slow machine a 1 s URL may already have expired, and expiry is checked first.
    const live = (await cli.run(['presign', `oss://${BUCKET}/presign/plain.txt`, '--expires', '120'])).stdout.trim();
    const tampered = await fetch(live.replace('presign/plain.txt', 'presign/kms.txt'));
    assert.equal(tampered.status, 403);
    assert.match(await tampered.text(), /<Code>SignatureDoesNotMatch<\/Code>/);
    const url = (await cli.run(['presign', `oss://${BUCKET}/presign/plain.txt`, '--expires', '1'])).stdout.trim();
    await sleep(2100);
    const expired = await fetch(url);
    assert.equal(expired.status, 403);
    assert.match(await expired.text(), /<Code>AccessDenied<\/Code><Message>Request has expired\.<\/Message>/);
  });

  test('bad arguments exit 2', async () => {
    const url = `oss://${BUCKET}/presign/plain.txt`;
    assertFails(await cli.run(['presign', url, '--expires', '0']), 2, /--expires must be a whole number from 1 to 604800/);
    assertFails(await cli.run(['presign', url, '--expires', '604801']), 2, /--expires must be a whole number/);
    assertFails(await cli.run(['presign', url, '--method', 'DELETE']), 2, /--method must be GET, PUT or HEAD/);
    assertFails(await cli.run(['presign', `oss://${BUCKET}`]), 2, /presign needs an object URL/);
  });
});
