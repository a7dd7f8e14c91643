/**
 * What SSE-KMS leaves on disk: neither the plaintext, nor any data key (GenerateDataKey's
 * plaintext), nor any object key is in a file under the data directory (blobs, meta.db and its
 * WAL, which also hold the audit trail); the audit trail has a record per GenerateDataKey and
 * Decrypt naming the bucket, object and key, via "oss", and never any key material.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { filesContaining, listFiles } from '../helpers/data-dir';
import { createKey, kmsClient } from '../helpers/kms';
import { auditRecords, startTestServer, type TestServer } from '../helpers/server';
import { SSE, encodings, encryptionOf, eventually, marker, newBucket, plaintextObjectKey, record } from '../helpers/sse';
import { kmsDenied, kmsHeaders, multipart } from './helpers';

const BUCKET = 'kms-at-rest';
let srv: TestServer;
let c: any;
let cmk: string;
const secret = marker(102_400);
const control = marker(4096);
/** Every object below, with the plaintext it must read back as. */
const objects = new Map<string, Buffer>();

before(async () => {
  srv = await startTestServer();
  c = await newBucket(srv, BUCKET);
  cmk = await createKey(kmsClient(srv));
  const twice = Buffer.concat([secret.data, secret.data]);

  await c.put('put-managed', secret.data, { headers: { [SSE]: 'KMS' } });
  await c.put('put-cmk', secret.data, { headers: kmsHeaders(cmk) });
  await c.put('put-sm4', secret.data, { headers: kmsHeaders(cmk, 'SM4') });
  await multipart(c, 'mp', [secret.data, secret.data], kmsHeaders(cmk, 'SM4'));
  let position = '0';
  for (let i = 0; i < 2; i++) position = (await c.append('append', secret.data, { position, headers: i === 0 ? kmsHeaders(cmk) : {} })).nextAppendPosition;
  await c.copy('copy', 'put-cmk', { headers: { [SSE]: 'KMS' } });
  const upc = await c.initMultipartUpload('upc', { headers: kmsHeaders(cmk) });
  const part = await c.uploadPartCopy('upc', upc.uploadId, 1, '', { sourceKey: 'mp', sourceBucketName: BUCKET });
  await c.completeMultipartUpload('upc', upc.uploadId, [{ number: 1, etag: part.etag }]);
  // Stored in the clear first, then encrypted in place: the plaintext blob must go.
  await c.put('in-place', secret.data);
  await c.copy('in-place', 'in-place', { headers: kmsHeaders(cmk), meta: { encrypted: 'yes' } });
  for (const [key, data] of Object.entries({ 'put-managed': secret.data, 'put-cmk': secret.data, 'put-sm4': secret.data, mp: twice, append: twice, copy: secret.data, upc: twice, 'in-place': secret.data })) {
    objects.set(key, data);
  }
  await c.put('control', control.data);
  // A refused call is audited too.
  await kmsDenied(c.put('refused', secret.data, { headers: kmsHeaders('no-such-key') }), 'Forbidden.KeyNotFound');
});
after(async () => { await srv.close(); });

test('every object reads back as its plaintext and is stored SSE-KMS', async () => {
  for (const [key, data] of objects) {
    assert.ok((await c.get(key)).content.equals(data), key);
    assert.equal(encryptionOf(await record(srv, BUCKET, key))?.algorithm, 'KMS', key);
  }
});

test('the plaintext is in no file under the data directory; the unencrypted control object is', async () => {
  const files = listFiles(srv.dataDir);
  for (const f of ['meta.db', 'meta.db-wal']) assert.ok(files.includes(f), `the scan must cover ${f}`);
  const found = filesContaining(srv.dataDir, [control.token]);
  assert.equal(found.length, 1, 'the scan must find the plaintext of the unencrypted object');
  assert.match(found[0], /^blobs\//);
  // The in-place encryption leaves its plaintext blob to the collector, which runs right after.
  await eventually(() => filesContaining(srv.dataDir, encodings(secret.token)).length === 0);
  assert.deepEqual(filesContaining(srv.dataDir, encodings(secret.token)), []);
});

test('no data key and no object key is in any file', async () => {
  const secrets: Buffer[] = [];
  for (const key of objects.keys()) {
    const rec = await record(srv, BUCKET, key);
    const kek = encryptionOf(rec)!.kek;
    assert.ok(kek.provider === 'kms');
    // Asked of the KMS service directly, so that the check itself leaves no audit line.
    const dataKey = await srv.running.kms.Decrypt({
      CiphertextBlob: kek.ciphertextBlob,
      EncryptionContext: { 'acs:oss:bucket': BUCKET, 'acs:oss:object': key },
    });
    secrets.push(Buffer.from(dataKey.Plaintext, 'base64'), await plaintextObjectKey(srv, rec));
  }
  assert.equal(new Set(secrets.map((s) => s.toString('hex'))).size, secrets.length, 'every object has its own data key and object key');
  assert.deepEqual(filesContaining(srv.dataDir, secrets.flatMap(encodings)), []);
});

test('the audit log: one GenerateDataKey per object and a Decrypt per read, naming bucket, object and key, via "oss"; no key material', async () => {
  const audit = () => auditRecords(srv);
  const of = (lines: Array<Record<string, string>>, object: string, action: string) =>
    lines.filter((l) => l.via === 'oss' && l.bucket === BUCKET && l.object === object && l.action === action);
  const before = await audit();
  await c.get('put-cmk');
  const lines = await audit();

  const fields = new Set(['time', 'node', 'identity', 'action', 'keyId', 'keyVersionId', 'via', 'bucket', 'object', 'outcome']);
  for (const line of lines) assert.deepEqual(Object.keys(line).filter((k) => !fields.has(k)), [], JSON.stringify(line));
  const root = `root:${srv.running.coffer.accountId}`;
  for (const key of objects.keys()) assert.equal(of(lines, key, 'GenerateDataKey').length, 1, key);
  const { time, keyVersionId, node: _node, ...gdk } = of(lines, 'put-cmk', 'GenerateDataKey')[0];
  assert.deepEqual(gdk, { identity: root, action: 'GenerateDataKey', keyId: cmk, via: 'oss', bucket: BUCKET, object: 'put-cmk', outcome: 'ok' });
  assert.ok(!Number.isNaN(Date.parse(time)));
  assert.match(keyVersionId, /^[0-9a-f-]{36}$/);

  const reads = of(lines, 'put-cmk', 'Decrypt').slice(of(before, 'put-cmk', 'Decrypt').length);
  assert.deepEqual(reads.map((l) => [l.identity, l.keyId, l.outcome]), [[root, cmk, 'ok']]);
  assert.deepEqual(of(lines, 'refused', 'GenerateDataKey').map((l) => [l.keyId, l.outcome]), [['no-such-key', 'Forbidden.KeyNotFound']]);
  // The KMS API's own calls are audited apart, without bucket or object.
  const created = lines.find((l) => l.action === 'CreateKey' && l.keyId === cmk);
  assert.deepEqual([created?.via, created?.bucket, created?.object], ['api', undefined, undefined]);
});
