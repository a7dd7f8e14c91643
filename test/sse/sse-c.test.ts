/**
 * SSE-C (customer-provided keys) in the core, driven through the core API on a real server's
 * Coffer (the S3 dialect that will parse the headers is not here): round trips and ranges under a
 * customer key; the key, its MD5 and the object keys it seals in no file under the data directory
 * (meta.db and its WAL included) nor in the stored record; the refusals (no key, a wrong key, a key
 * for data that is not SSE-C); copies between SSE-C, SSE-OSS and plain, onto themselves too;
 * multipart with parts under the key; master-key rewrap and the scrub leave SSE-C alone; the
 * OSS dialect, which cannot send a customer key, gets 400 InvalidRequest for such an object; and
 * no MD5 or CRC-64 of SSE-C plaintext in any record or file (keyed ETags, no Content-MD5 nor
 * CRC-64), with the Content-MD5 check, copies and their integrity checks working without them.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, truncateSync } from 'node:fs';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../../src/common/log';
import { checkCustomerKey, customerKeyedEtag, type ObjectEncryption, type SseChoice } from '../../src/core/encryption';
import { completeUpload, initiateUpload, listParts, uploadPart, uploadPartCopy } from '../../src/core/multipart';
import { appendObject, copyObject, getObjectRecord, objectCipher, objectData, putObject, type CopyObjectRequest } from '../../src/core/objects';
import { statTransaction } from '../../src/core/bucket-stats';
import { evaluateConditions } from '../../src/core/conditions';
import { crc64 } from '../../src/crypto/crc64';
import { objectHeaders } from '../../src/oss/object-headers';
import { s3Headers } from '../../src/s3/responses';
import { SSE_C_UNVERIFIED } from '../../src/core/scrub';
import { storedSize } from '../../src/crypto/package-format';
import type { Caller } from '../../src/common/caller';
import { sseResponseHeaders } from '../../src/oss/sse-headers';
import type { ObjectRecord, PartRecord } from '../../src/store/types';
import { blobFile, filesContaining, flipByte, listFiles } from '../helpers/data-dir';
import { bytes } from '../helpers/oss-http';
import { ACCESS_KEY_ID, startTestServer, type TestServer } from '../helpers/server';
import { SSE, encodings, encryptionOf, marker, newBucket, record } from '../helpers/sse';
import { popClient } from '../rpc/helpers';

let srv: TestServer;
let logs = '';
let caller: Caller;
before(async () => {
  const sink = new Writable({ write(chunk, _enc, cb) { logs += String(chunk); cb(); } });
  srv = await startTestServer({ logLevel: 'debug', logger: createLogger('debug', sink) });
  caller = { principal: { kind: 'root', accountId: srv.running.coffer.accountId, accessKeyId: ACCESS_KEY_ID }, permissions: null, sourceIp: '127.0.0.1', secure: false };
  await newBucket(srv, 'ssec');
  // A bucket default never overrides an explicit SSE-C choice.
  await newBucket(srv, 'ssec-default', 'V1', { [SSE]: 'SM4' });
});
after(async () => { await srv.close(); });

const K1 = randomBytes(32);
const K2 = randomBytes(32);
const K3 = randomBytes(32);
const ssec = (customerKey: Buffer): SseChoice => ({ algorithm: 'SSE-C', customerKey });
/** Every customer key this file uses, for the leak checks. */
const customerKeys = [K1, K2, K3];
/** Plaintext markers of SSE-C objects, for the leak checks. */
const secrets: Buffer[] = [];

const SIZE = 150_000;
const secret = marker(SIZE);
secrets.push(secret.token);
const plainData = bytes(70_000, 5);

const c = () => srv.running.coffer;
/** The unfinished SSE-C upload left for the rewrap, scrub and OSS tests. */
const pending = { id: '' };

async function put(key: string, data: Buffer, sse: SseChoice | null, bucket = 'ssec', userMeta: Record<string, string> = {}): Promise<ObjectRecord> {
  return putObject(c(), {
    bucket, key, body: Readable.from([data]), headers: { 'content-type': 'application/octet-stream' }, userMeta, acl: 'default', tags: [],
    sse, forbidOverwrite: false, caller,
  });
}

async function read(key: string, customerKey?: Buffer, range?: [number, number], bucket = 'ssec'): Promise<Buffer> {
  const obj = await getObjectRecord(c(), bucket, key);
  const cipher = await objectCipher(c(), obj, caller, customerKey);
  const [start, end] = range ?? [0, obj.size - 1];
  const chunks: Buffer[] = [];
  for await (const chunk of objectData(c(), obj, cipher, start, end)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function copy(source: string, target: string, over: Partial<CopyObjectRequest> = {}): ReturnType<typeof copyObject> {
  return copyObject(c(), {
    source: { bucket: 'ssec', key: source }, target: { bucket: 'ssec', key: target }, directive: 'COPY', taggingDirective: 'COPY',
    attributes: { headers: { 'content-type': 'application/octet-stream' }, userMeta: {}, acl: 'default', tags: [] },
    sse: null, conditions: {}, forbidOverwrite: false, caller, ...over,
  });
}

const denied = { code: 'AccessDenied' };
const noKey = { code: 'InvalidRequest', message: 'The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.' };
const notApplicable = { code: 'InvalidRequest', message: 'The encryption parameters are not applicable to this object.' };
const uploadNoKey = { code: 'InvalidRequest', message: 'The multipart upload initiate requested encryption. Subsequent part requests must include the appropriate encryption parameters.' };
const kekOf = (r: ObjectRecord | { encryption: ObjectRecord['encryption'] }): ObjectEncryption['kek'] | undefined => encryptionOf(r as ObjectRecord)?.kek;
const md5 = (b: Buffer): Buffer => createHash('md5').update(b).digest();
/** The object key an SSE-C record seals under `customerKey`, unsealed as a read does. */
const objectKeyOf = (r: ObjectRecord, customerKey: Buffer): Promise<Buffer> =>
  c().encryption.objectKey(encryptionOf(r)!, { bucket: r.bucket, key: r.key, caller, customerKey });

describe('objects under a customer key', () => {
  before(async () => {
    await put('a', secret.data, ssec(K1));
    await put('plain', plainData, null);
    await put('oss', plainData, { algorithm: 'AES256' });
  });

  test('round trip; the record holds the keyed check and a sealed object key, the blob only ciphertext', async () => {
    assert.ok((await read('a', K1)).equals(secret.data));
    const r = await record(srv, 'ssec', 'a');
    const enc = encryptionOf(r)!;
    assert.equal(enc.algorithm, 'SSE-C');
    assert.equal(enc.suite, 'AES256-GCM');
    const kek = enc.kek;
    assert.equal(kek.provider, 'customer');
    if (kek.provider !== 'customer') return;
    assert.equal(Buffer.from(kek.keyCheck, 'base64').length, 32);
    assert.equal(Buffer.from(kek.salt, 'base64').length, 16);
    assert.deepEqual(Object.keys(enc).sort(), ['algorithm', 'kek', 'suite', 'version', 'wrapped']);
    assert.deepEqual(Object.keys(kek).sort(), ['keyCheck', 'provider', 'salt']);
    const blob = readFileSync(blobFile(srv.dataDir, r.segments[0].blobId));
    assert.equal(blob.length, storedSize(SIZE));
    assert.equal(blob.includes(secret.token), false);
    // The same key on another object: another salt, so another check (which objects share a key does not show).
    const again = await put('a-again', secret.data, ssec(K1));
    const kek2 = kekOf(again)!;
    assert.ok(kek2.provider === 'customer' && kek2.salt !== kek.salt && kek2.keyCheck !== kek.keyCheck);
  });

  test('the bucket default does not override an explicit SSE-C choice', async () => {
    await put('by-choice', secret.data, ssec(K2), 'ssec-default');
    assert.equal(encryptionOf(await record(srv, 'ssec-default', 'by-choice'))?.algorithm, 'SSE-C');
    assert.ok((await read('by-choice', K2, undefined, 'ssec-default')).equals(secret.data));
  });

  test('no key: 400 InvalidRequest; a wrong key: 403 AccessDenied; a key for an object that is not SSE-C: 400 InvalidRequest', async () => {
    await assert.rejects(read('a'), noKey);
    await assert.rejects(read('a', K2), denied);
    await assert.rejects(read('a', K1.subarray(0, 16)), { code: 'InvalidArgument' });
    await assert.rejects(read('plain', K1), notApplicable);
    await assert.rejects(read('oss', K1), notApplicable);
    // The check alone, for a dialect's HEAD.
    const r = await record(srv, 'ssec', 'a');
    checkCustomerKey(r.encryption, K1);
    assert.throws(() => checkCustomerKey(r.encryption, K2), denied);
    assert.throws(() => checkCustomerKey(r.encryption, undefined), noKey);
    const ossEnc = (await record(srv, 'ssec', 'oss')).encryption;
    assert.throws(() => checkCustomerKey(ossEnc, K1), notApplicable);
    checkCustomerKey(ossEnc, undefined);
    checkCustomerKey((await record(srv, 'ssec', 'plain')).encryption, undefined);
    // The key unsealing itself refuses too, so no path can skip the check.
    await assert.rejects(c().encryption.objectKey(encryptionOf(r)!, { bucket: 'ssec', key: 'a', caller }), noKey);
    await assert.rejects(c().encryption.objectKey(encryptionOf(r)!, { bucket: 'ssec', key: 'a', caller, customerKey: K3 }), denied);
    // Plain and SSE-OSS objects still read without one.
    assert.ok((await read('plain')).equals(plainData));
    assert.ok((await read('oss')).equals(plainData));
  });

  test('a wrong-length key cannot encrypt; SSE-C cannot be a bucket default; AppendObject refuses SSE-C', async () => {
    await assert.rejects(put('short', secret.data, ssec(randomBytes(16))), { code: 'InvalidArgument' });
    assert.equal(await c().meta.getObject('ssec', 'short'), null);
    await assert.rejects(c().encryption.authorizeRule(ssec(K1), caller), { code: 'InvalidArgument' });
    await assert.rejects(appendObject(c(), {
      bucket: 'ssec', key: 'app', position: 0, body: Readable.from([plainData]), headers: { 'content-type': 'text/plain' }, userMeta: {},
      acl: 'default', tags: [], sse: ssec(K1), caller,
    }), { code: 'InvalidArgument' });
    assert.equal(await c().meta.getObject('ssec', 'app'), null);
  });

  test('ranges, across package boundaries', async () => {
    for (const [s, e] of [[0, 0], [65_535, 65_536], [65_536, 65_536], [1000, 140_000], [SIZE - 1, SIZE - 1], [131_071, SIZE - 1]] as Array<[number, number]>) {
      assert.ok((await read('a', K1, [s, e])).equals(secret.data.subarray(s, e + 1)), `${s}-${e}`);
    }
    await assert.rejects(read('a', undefined, [0, 10]), noKey);
  });

  test('tampered ciphertext of an SSE-C object is detected', async () => {
    const data = bytes(100_000, 9);
    const r = await put('tamper', data, ssec(K1));
    flipByte(blobFile(srv.dataDir, r.segments[0].blobId), 70_000);
    await assert.rejects(read('tamper', K1), { code: 'DataIntegrityError' });
    assert.ok((await read('tamper', K1, [0, 60_000])).equals(data.subarray(0, 60_001)));
  });
});

describe('copies', () => {
  test('SSE-C → SSE-C under a new key: a new blob, readable with the new key only', async () => {
    await assert.rejects(copy('a', 'b', { sse: ssec(K2) }), noKey);
    await assert.rejects(copy('a', 'b', { sse: ssec(K2), sourceCustomerKey: K2 }), denied);
    // The key is checked before the conditions: a caller without it learns nothing from them.
    await assert.rejects(copy('a', 'b', { sse: ssec(K2), conditions: { ifMatch: '"nope"' } }), noKey);
    assert.equal(await c().meta.getObject('ssec', 'b'), null);
    const res = await copy('a', 'b', { sse: ssec(K2), sourceCustomerKey: K1 });
    assert.equal(res.notModified, false);
    assert.ok((await read('b', K2)).equals(secret.data));
    await assert.rejects(read('b', K1), denied);
    const [a, b] = [await record(srv, 'ssec', 'a'), await record(srv, 'ssec', 'b')];
    assert.notEqual(a.segments[0].blobId, b.segments[0].blobId);
    // Each ETag is keyed by its own object's key: the copy's is another, and neither keeps a CRC-64.
    assert.notEqual(b.etag, a.etag);
    assert.equal(b.etag, customerKeyedEtag(await objectKeyOf(b, K2), md5(secret.data)));
    assert.equal(a.crc64, undefined);
    assert.equal(b.crc64, undefined);
  });

  test('SSE-C → SSE-OSS and plain → SSE-C', async () => {
    await copy('a', 'to-oss', { sse: { algorithm: 'AES256' }, sourceCustomerKey: K1 });
    assert.equal(kekOf(await record(srv, 'ssec', 'to-oss'))?.provider, 'oss');
    assert.ok((await read('to-oss')).equals(secret.data));
    await assert.rejects(read('to-oss', K1), notApplicable);

    await assert.rejects(copy('plain', 'from-plain', { sse: ssec(K3), sourceCustomerKey: K3 }), notApplicable);
    await copy('plain', 'from-plain', { sse: ssec(K3) });
    assert.ok((await read('from-plain', K3)).equals(plainData));
    await assert.rejects(read('from-plain'), noKey);
  });

  test('onto itself with the same key: the same blob, only the envelope and metadata renewed', async () => {
    const before1 = await record(srv, 'ssec', 'a');
    await copy('a', 'a', {
      sse: ssec(K1), sourceCustomerKey: K1, directive: 'REPLACE',
      attributes: { headers: { 'content-type': 'text/plain' }, userMeta: { note: 'renewed' }, acl: 'default', tags: [] },
    });
    const after1 = await record(srv, 'ssec', 'a');
    assert.equal(after1.segments[0].blobId, before1.segments[0].blobId);
    // The object key stays, and so does the ETag keyed by it.
    assert.equal(after1.etag, before1.etag);
    assert.deepEqual(after1.userMeta, { note: 'renewed' });
    assert.notEqual(encryptionOf(after1)!.wrapped.salt, encryptionOf(before1)!.wrapped.salt);
    assert.ok((await read('a', K1)).equals(secret.data));
  });

  test('onto itself under a new key, or between SSE-C and a server-held key: the data is re-encrypted', async () => {
    await put('self', secret.data, ssec(K1));
    const v1 = await record(srv, 'ssec', 'self');
    await copy('self', 'self', { sse: ssec(K3), sourceCustomerKey: K1 });
    const v2 = await record(srv, 'ssec', 'self');
    assert.notEqual(v2.segments[0].blobId, v1.segments[0].blobId);
    assert.ok((await read('self', K3)).equals(secret.data));
    await assert.rejects(read('self', K1), denied);

    await copy('self', 'self', { sse: { algorithm: 'AES256' }, sourceCustomerKey: K3 });
    const v3 = await record(srv, 'ssec', 'self');
    assert.notEqual(v3.segments[0].blobId, v2.segments[0].blobId);
    assert.equal(kekOf(v3)?.provider, 'oss');
    assert.ok((await read('self')).equals(secret.data));

    await copy('self', 'self', { sse: ssec(K2) });
    const v4 = await record(srv, 'ssec', 'self');
    assert.notEqual(v4.segments[0].blobId, v3.segments[0].blobId);
    assert.ok((await read('self', K2)).equals(secret.data));
  });
});

describe('multipart under a customer key', () => {
  const p1 = bytes(110 * 1024, 21);
  let uploadId: string;
  const part = (n: number, data: Buffer, customerKey?: Buffer, id = uploadId) =>
    uploadPart(c(), { bucket: 'ssec-default', key: 'mp', uploadId: id, partNumber: n, body: Readable.from([data]), caller, customerKey });

  before(async () => {
    uploadId = (await initiateUpload(c(), {
      bucket: 'ssec-default', key: 'mp', headers: { 'content-type': 'application/octet-stream' }, userMeta: {}, acl: 'default', tags: [],
      sse: ssec(K1), caller,
    })).uploadId;
  });

  test('the upload is SSE-C despite the bucket default; parts need its key, and a refused part stores nothing', async () => {
    const upload = (await c().meta.getUpload(uploadId))!;
    assert.equal(encryptionOf(upload as unknown as ObjectRecord)?.algorithm, 'SSE-C');
    await part(1, p1, K1);
    const blobsBefore = new Set(listFiles(path.join(srv.dataDir, 'blobs')));
    await assert.rejects(part(2, plainData, K2), denied);
    await assert.rejects(part(2, plainData), uploadNoKey);
    await assert.rejects(part(2, plainData, K1.subarray(1)), { code: 'InvalidArgument' });
    const blobsAfter = listFiles(path.join(srv.dataDir, 'blobs'));
    assert.deepEqual(blobsAfter.filter((f) => !blobsBefore.has(f)), [], 'a refused part left a blob');
    const listed = await listParts(c(), { bucket: 'ssec-default', key: 'mp', uploadId, marker: 0, maxParts: 100 });
    assert.deepEqual(listed.parts.map((p) => p.partNumber), [1]);
    const stored = readFileSync(blobFile(srv.dataDir, listed.parts[0].segment.blobId));
    assert.equal(stored.length, storedSize(p1.length));
    assert.equal(stored.includes(p1.subarray(0, 64)), false);
  });

  test('UploadPartCopy from an SSE-C source needs both keys; Complete checks a key it is given', async () => {
    const copyReq = { bucket: 'ssec-default', key: 'mp', uploadId, partNumber: 2, caller, source: { bucket: 'ssec', key: 'b' }, range: { first: 0, last: 49_999 }, conditions: {} };
    await assert.rejects(uploadPartCopy(c(), { ...copyReq, customerKey: K1 }), noKey);
    await assert.rejects(uploadPartCopy(c(), { ...copyReq, customerKey: K1, sourceCustomerKey: K1 }), denied);
    await assert.rejects(uploadPartCopy(c(), { ...copyReq, sourceCustomerKey: K2 }), uploadNoKey);
    await assert.rejects(uploadPartCopy(c(), { ...copyReq, customerKey: K2, sourceCustomerKey: K2 }), denied);
    await uploadPartCopy(c(), { ...copyReq, customerKey: K1, sourceCustomerKey: K2 });

    const done = { bucket: 'ssec-default', key: 'mp', uploadId, parts: 'all' as const, forbidOverwrite: false };
    await assert.rejects(completeUpload(c(), { ...done, customerKey: K2 }), denied);
    assert.ok(await c().meta.getUpload(uploadId), 'a refused Complete keeps the upload');
    const { object } = await completeUpload(c(), { ...done, customerKey: K1 });
    assert.equal(encryptionOf(object)?.algorithm, 'SSE-C');
    assert.match(object.etag, /^[0-9A-F]{32}-2$/);
    assert.equal(object.crc64, undefined);
    const whole = Buffer.concat([p1, secret.data.subarray(0, 50_000)]);
    assert.ok((await read('mp', K1, undefined, 'ssec-default')).equals(whole));
    assert.ok((await read('mp', K1, [p1.length - 5, p1.length + 5], 'ssec-default')).equals(whole.subarray(p1.length - 5, p1.length + 6)));
    await assert.rejects(read('mp', undefined, undefined, 'ssec-default'), noKey);
    await assert.rejects(read('mp', K2, undefined, 'ssec-default'), denied);
  });

  test('a key for an upload that is not SSE-C is refused; Complete without a key completes an SSE-C upload', async () => {
    const plainUpload = (await initiateUpload(c(), {
      bucket: 'ssec', key: 'mp-plain', headers: { 'content-type': 'text/plain' }, userMeta: {}, acl: 'default', tags: [], sse: null, caller,
    })).uploadId;
    await assert.rejects(
      uploadPart(c(), { bucket: 'ssec', key: 'mp-plain', uploadId: plainUpload, partNumber: 1, body: Readable.from([plainData]), caller, customerKey: K1 }),
      { code: 'InvalidRequest' },
    );
    await assert.rejects(completeUpload(c(), { bucket: 'ssec', key: 'mp-plain', uploadId: plainUpload, parts: 'all', forbidOverwrite: false, customerKey: K1 }), { code: 'InvalidRequest' });

    const id = (await initiateUpload(c(), {
      bucket: 'ssec', key: 'mp-2', headers: { 'content-type': 'text/plain' }, userMeta: {}, acl: 'default', tags: [], sse: ssec(K2), caller,
    })).uploadId;
    await uploadPart(c(), { bucket: 'ssec', key: 'mp-2', uploadId: id, partNumber: 1, body: Readable.from([plainData]), caller, customerKey: K2 });
    await completeUpload(c(), { bucket: 'ssec', key: 'mp-2', uploadId: id, parts: 'all', forbidOverwrite: false });
    assert.ok((await read('mp-2', K2)).equals(plainData));
  });

  test('an unfinished SSE-C upload stays for the rewrap and scrub tests', async () => {
    pending.id = (await initiateUpload(c(), {
      bucket: 'ssec', key: 'pending', headers: { 'content-type': 'text/plain' }, userMeta: {}, acl: 'default', tags: [], sse: ssec(K3), caller,
    })).uploadId;
    await uploadPart(c(), { bucket: 'ssec', key: 'pending', uploadId: pending.id, partNumber: 1, body: Readable.from([plainData]), caller, customerKey: K3 });
  });
});

const admin = (action: string, params: Record<string, string | number> = {}): Promise<Record<string, any>> =>
  popClient(srv.kmsUrl).request<Record<string, any>>(action, params, { method: 'POST', timeout: 60_000 });

describe('what walks the store', () => {
  test('master-key rewrap leaves SSE-C objects and uploads alone, and they still read', async () => {
    const keys = ['a', 'b', 'from-plain'];
    const before1 = await Promise.all(keys.map((k) => record(srv, 'ssec', k)));
    const upload1 = await c().meta.getUpload(pending.id);
    const ossBefore = kekOf(await record(srv, 'ssec', 'oss'));
    assert.equal(ossBefore?.provider === 'oss' && ossBefore.masterKeyVersion, 1);
    await admin('RotateMasterKey');
    let next: string | undefined;
    let rewrapped = 0;
    do {
      const step = await admin('RewrapMasterKeys', { MaxObjects: 1000, ...(next ? { Marker: next } : {}) });
      rewrapped += step.Objects.Rewrapped;
      next = step.Truncated ? step.NextMarker : undefined;
    } while (next);
    assert.ok(rewrapped > 0, 'the rewrap did re-seal the SSE-OSS objects');
    const ossAfter = kekOf(await record(srv, 'ssec', 'oss'));
    assert.equal(ossAfter?.provider === 'oss' && ossAfter.masterKeyVersion, 2);
    for (const [i, k] of keys.entries()) assert.deepEqual(await record(srv, 'ssec', k), before1[i], k);
    assert.deepEqual(await c().meta.getUpload(pending.id), upload1);
    assert.ok((await read('a', K1)).equals(secret.data));
    assert.ok((await read('b', K2)).equals(secret.data));
  });

  test('the scrub does not decrypt SSE-C data: not verified, blobs checked for presence and length', async () => {
    const cut = await put('scrub-cut', plainData, ssec(K1));
    truncateSync(blobFile(srv.dataDir, cut.segments[0].blobId), storedSize(plainData.length) - 1);
    const problems: Array<Record<string, any>> = [];
    const unverified: Array<Record<string, any>> = [];
    let next: string | undefined;
    do {
      const step = await admin('CheckObjects', { MaxObjects: 1000, ...(next ? { Marker: next } : {}) });
      problems.push(...step.Problems.Problem);
      unverified.push(...step.Unverified.Object);
      next = step.Truncated ? step.NextMarker : undefined;
    } while (next);
    const where = (f: Record<string, any>): string => `${f.Bucket}/${f.Key}${f.UploadId ? `#${f.PartNumber}` : ''}`;
    // The tampered SSE-C object cannot be found out without its key; the truncated one can.
    assert.deepEqual(problems.map((p) => [where(p), p.Kind]), [['ssec/scrub-cut', 'wrong-length']]);
    const sseC = ['ssec-default/by-choice', 'ssec-default/mp', 'ssec/a', 'ssec/a-again', 'ssec/b', 'ssec/from-plain', 'ssec/mp-2', 'ssec/pending#1', 'ssec/self', 'ssec/tamper'];
    assert.deepEqual(unverified.map(where).sort(), sseC);
    for (const u of unverified) assert.equal(u.Reason, SSE_C_UNVERIFIED);
    // Nothing SSE-C was unsealed: the reads were of SSE-OSS and plain objects only, and SSE-C ones still read.
    assert.ok((await read('a', K1)).equals(secret.data));
  });
});

describe('through the OSS dialect, which has no customer keys', () => {
  let oss: any;
  before(() => { oss = srv.client({ bucket: 'ssec' }); });

  const refused = (status: number, code?: string, message?: RegExp) => (err: any): boolean => {
    assert.equal(err.status, status, `status ${err.status} ${err.code}: ${err.message}`);
    if (code) assert.equal(err.code, code);
    if (message) assert.match(err.message, message);
    return true;
  };

  test('GetObject, HeadObject, GetObjectMeta and CopyObject of an SSE-C object: 400 InvalidRequest', async () => {
    await assert.rejects(oss.get('a'), refused(400, 'InvalidRequest', /stored using a form of Server Side Encryption/));
    await assert.rejects(oss.get('a', { headers: { 'If-None-Match': '"whatever"' } }), refused(400, 'InvalidRequest'));
    await assert.rejects(oss.head('a'), refused(400));
    await assert.rejects(oss.getObjectMeta('a'), refused(400));
    await assert.rejects(oss.copy('a-copy', 'a'), refused(400, 'InvalidRequest', /stored using a form of Server Side Encryption/));
    await assert.rejects(oss.put('x', plainData, { headers: { [SSE]: 'SSE-C' } }), refused(400, 'InvalidEncryptionAlgorithmError'));
    // Listing shows it; other objects read as ever.
    const listed = await oss.list({ prefix: 'a', 'max-keys': 10 });
    assert.ok(listed.objects.some((o: any) => o.name === 'a'));
    assert.ok((await oss.get('plain')).content.equals(plainData));
  });

  test('no x-oss-server-side-encryption value for SSE-C; parts of an SSE-C upload need the key OSS cannot send', async () => {
    assert.deepEqual(sseResponseHeaders((await record(srv, 'ssec', 'a')).encryption), {});
    assert.equal(sseResponseHeaders((await record(srv, 'ssec', 'oss')).encryption)[SSE], 'AES256');
    await assert.rejects(oss.uploadPart('pending', pending.id, 2, plainData, 0, plainData.length), refused(400, 'InvalidRequest', /Subsequent part requests/));
  });
});

describe('the customer key is kept nowhere', () => {
  test('not in any stored record: not the key in any encoding, nor its MD5', async () => {
    const needles = customerKeys.flatMap((k) => [...encodings(k), ...encodings(md5(k))]);
    const meta = c().meta;
    const records: unknown[] = [];
    for (const b of ['ssec', 'ssec-default']) {
      records.push(...await meta.listObjects(b, { limit: 10_000 }));
      records.push(...await meta.listUploads(b, { limit: 1000 }));
    }
    const serialized = Buffer.from(JSON.stringify(records));
    for (const n of needles) assert.equal(serialized.includes(n), false);
  });

  test('not in any file under the data directory (meta.db and its WAL included), nor the object keys it seals, nor the plaintext; not in the logs', async () => {
    const files = listFiles(srv.dataDir);
    assert.ok(files.includes('meta.db') && files.includes('meta.db-wal'), `the scan must cover meta.db and its WAL: ${files.filter((f) => f.startsWith('meta'))}`);
    const objectKeys: Buffer[] = [];
    for (const [bucket, key, k] of [['ssec', 'a', K1], ['ssec', 'b', K2], ['ssec', 'from-plain', K3], ['ssec-default', 'mp', K1]] as Array<[string, string, Buffer]>) {
      const r = await record(srv, bucket, key);
      objectKeys.push(await c().encryption.objectKey(encryptionOf(r)!, { bucket, key, caller, customerKey: k }));
    }
    const needles = [...customerKeys, ...objectKeys].flatMap((k) => [...encodings(k), ...encodings(md5(k))]);
    assert.deepEqual(filesContaining(srv.dataDir, needles), []);
    // The plaintext of the SSE-C objects: the one copied to SSE-OSS ('to-oss', 'self') is encrypted too.
    assert.deepEqual(filesContaining(srv.dataDir, secrets.flatMap(encodings)), []);
    for (const k of customerKeys) for (const e of encodings(k)) assert.equal(logs.includes(e.toString('latin1')), false);
  });
});

describe('no digest of SSE-C plaintext is kept: keyed ETags, no Content-MD5, no CRC-64', () => {
  // Small objects are where a stored MD5 or CRC-64 hurts most: a guess is checked at once, a short
  // one found by trying them all. Every value here is fresh, so it can be stored nowhere else.
  const small = Buffer.concat([Buffer.from('PIN: '), Buffer.from(randomBytes(4).toString('hex'))]);
  const checked = randomBytes(777);
  const partA = randomBytes(110 * 1024);
  const partB = randomBytes(3000);
  const hex = (b: Buffer): string => b.toString('hex').toUpperCase();
  const crcOf = (b: Buffer): string => crc64(b).toString();
  /** What the records and the data directory must not hold: every SSE-C plaintext's MD5 (raw, hex in both cases, base64) and CRC-64 (decimal). */
  const digestsOf = (data: Buffer): Buffer[] => [...encodings(md5(data)), Buffer.from(crcOf(data))];
  const guarded: Buffer[] = [small, checked, partA, partB, Buffer.concat([partA, partB])];
  const parts: PartRecord[] = [];
  let mpEtag = '';

  test('PutObject: an ETag keyed by the object key, the same on every read; no Content-MD5, no CRC-64', async () => {
    const r = await put('small', small, ssec(K1));
    const stored = await record(srv, 'ssec', 'small');
    assert.equal(stored.etag, r.etag);
    assert.match(r.etag, /^[0-9A-F]{32}$/);
    assert.notEqual(r.etag, hex(md5(small)));
    // Who holds the customer key can recompute it: HMAC-SHA256 under the object key of a label and the MD5.
    assert.equal(r.etag, customerKeyedEtag(await objectKeyOf(stored, K1), md5(small)));
    for (const field of ['crc64', 'contentMd5']) assert.equal(field in stored, false, field);
    // GET and HEAD answer with the record's headers (S3 translating OSS's): one ETag, and no CRC-64 or MD5 header.
    for (const h of [objectHeaders(stored, Date.now()), objectHeaders(await record(srv, 'ssec', 'small'), Date.now())]) {
      assert.equal(h.ETag, `"${r.etag}"`);
      assert.equal(h['x-oss-hash-crc64ecma'], undefined);
      assert.equal(h['Content-MD5'], undefined);
      assert.deepEqual(Object.keys(s3Headers(h)).filter((k) => /crc|md5|checksum/i.test(k)), []);
      assert.equal(s3Headers(h).ETag, `"${r.etag.toLowerCase()}"`);
    }
    // Conditions compare the ETag there is.
    assert.equal(evaluateConditions({ ifNoneMatch: `"${r.etag}"` }, stored), 'not-modified');
    assert.equal(evaluateConditions({ ifMatch: `"${r.etag.toLowerCase()}"` }, stored), 'ok');
    assert.throws(() => evaluateConditions({ ifMatch: `"${hex(md5(small))}"` }, stored), { code: 'PreconditionFailed' });
    assert.ok((await read('small', K1)).equals(small));
  });

  test('the same content under the same customer key in two objects: two ETags (two object keys)', async () => {
    const twin = await put('small-twin', small, ssec(K1));
    const first = await record(srv, 'ssec', 'small');
    assert.notEqual(twin.etag, first.etag);
    assert.equal(twin.etag, customerKeyedEtag(await objectKeyOf(twin, K1), md5(small)));
    assert.notEqual((await put('small-k2', small, ssec(K2))).etag, first.etag);
  });

  test('the Content-MD5 the client sends is still checked against the real MD5', async () => {
    const body = (data: Buffer, contentMd5: string) => putObject(c(), {
      bucket: 'ssec', key: 'checked', body: Readable.from([data]), contentMd5, headers: { 'content-type': 'application/octet-stream' },
      userMeta: {}, acl: 'default', tags: [], sse: ssec(K1), forbidOverwrite: false, caller,
    });
    await assert.rejects(body(checked, md5(partB).toString('base64')), { code: 'InvalidDigest' });
    assert.equal(await c().meta.getObject('ssec', 'checked'), null);
    const r = await body(checked, md5(checked).toString('base64'));
    assert.notEqual(r.etag, hex(md5(checked)));
    assert.equal(r.contentMd5, undefined);
    assert.ok((await read('checked', K1)).equals(checked));
  });

  test('multipart: part ETags keyed by the upload\'s object key, the object\'s "HEX-N" over them, no CRC-64 anywhere', async () => {
    const upload = await initiateUpload(c(), {
      bucket: 'ssec', key: 'mp-small', headers: { 'content-type': 'application/octet-stream' }, userMeta: {}, acl: 'default', tags: [], sse: ssec(K2), caller,
    });
    const send = (n: number, data: Buffer, contentMd5?: string) => uploadPart(c(), {
      bucket: 'ssec', key: 'mp-small', uploadId: upload.uploadId, partNumber: n, body: Readable.from([data]), contentMd5, caller, customerKey: K2,
    });
    await assert.rejects(send(1, partA, md5(partB).toString('base64')), { code: 'InvalidDigest' });
    const one = (await send(1, partA, md5(partA).toString('base64'))).part;
    const two = (await send(2, partB)).part;
    const objectKey = await objectKeyOf(upload as unknown as ObjectRecord, K2);
    for (const [p, data] of [[one, partA], [two, partB]] as Array<[PartRecord, Buffer]>) {
      assert.match(p.etag, /^[0-9A-F]{32}$/);
      assert.equal(p.etag, customerKeyedEtag(objectKey, md5(data)));
      assert.equal('crc64' in p, false);
    }
    const listed = await listParts(c(), { bucket: 'ssec', key: 'mp-small', uploadId: upload.uploadId, marker: 0, maxParts: 100 });
    assert.deepEqual(listed.parts.map((p) => p.etag), [one.etag, two.etag]);
    parts.push(...listed.parts);
    // The parts' plaintext MD5s name no part.
    const complete = (list: Array<{ partNumber: number; etag: string }>) =>
      completeUpload(c(), { bucket: 'ssec', key: 'mp-small', uploadId: upload.uploadId, parts: list, forbidOverwrite: false, customerKey: K2 });
    await assert.rejects(complete([{ partNumber: 1, etag: hex(md5(partA)) }, { partNumber: 2, etag: two.etag }]), { code: 'InvalidPart' });
    const { object } = await complete([{ partNumber: 1, etag: `"${one.etag}"` }, { partNumber: 2, etag: two.etag.toLowerCase() }]);
    const overParts = createHash('md5').update(Buffer.from(one.etag, 'hex')).update(Buffer.from(two.etag, 'hex')).digest();
    assert.equal(object.etag, `${hex(overParts)}-2`);
    assert.equal('crc64' in object, false);
    assert.deepEqual(await record(srv, 'ssec', 'mp-small'), JSON.parse(JSON.stringify(object)));
    mpEtag = object.etag;
    // The multipart ETag the plaintext would have had is kept nowhere either.
    guarded.push(Buffer.from(hex(createHash('md5').update(md5(partA)).update(md5(partB)).digest())));
    assert.ok((await read('mp-small', K2)).equals(Buffer.concat([partA, partB])));
  });

  test('copies: to SSE-C a new keyed ETag; to a target without SSE-C the ordinary MD5 ETag and CRC-64', async () => {
    // SSE-C → SSE-C (another key): keyed by the copy's own object key.
    await copy('small', 'small-copy', { sse: ssec(K3), sourceCustomerKey: K1 });
    const sc = await record(srv, 'ssec', 'small-copy');
    assert.equal(sc.etag, customerKeyedEtag(await objectKeyOf(sc, K3), md5(small)));
    assert.notEqual(sc.etag, (await record(srv, 'ssec', 'small')).etag);
    assert.equal('crc64' in sc || 'contentMd5' in sc, false);
    assert.ok((await read('small-copy', K3)).equals(small));

    // SSE-C → plain (fresh content, since the copy's record rightly holds its digests).
    const loose = randomBytes(5000);
    await put('loose', loose, ssec(K1));
    await copy('loose', 'loose-plain', { sourceCustomerKey: K1 });
    const lp = await record(srv, 'ssec', 'loose-plain');
    assert.equal(lp.encryption, null);
    assert.equal(lp.etag, hex(md5(loose)));
    assert.equal(lp.contentMd5, md5(loose).toString('base64'));
    assert.equal(lp.crc64, crcOf(loose));
    assert.ok((await read('loose-plain')).equals(loose));
    // SSE-C → SSE-OSS: the ordinary digests too.
    await copy('loose', 'loose-oss', { sse: { algorithm: 'AES256' }, sourceCustomerKey: K1 });
    const lo = await record(srv, 'ssec', 'loose-oss');
    assert.deepEqual([lo.etag, lo.crc64], [hex(md5(loose)), crcOf(loose)]);

    // Multipart SSE-C → SSE-C: the multipart shape, keyed anew; the source's ETag is not carried over.
    await copy('mp-small', 'mp-small-copy', { sse: ssec(K1), sourceCustomerKey: K2 });
    const mc = await record(srv, 'ssec', 'mp-small-copy');
    assert.equal(mc.type, 'Multipart');
    assert.equal(mc.etag, `${customerKeyedEtag(await objectKeyOf(mc, K1), md5(Buffer.concat([partA, partB])))}-2`);
    assert.notEqual(mc.etag, mpEtag);
    assert.equal('crc64' in mc, false);
    assert.ok((await read('mp-small-copy', K1)).equals(Buffer.concat([partA, partB])));

    // Multipart SSE-C → plain: the source's (keyed) "HEX-N" stays as for any multipart copy, the CRC-64 is the copy's own.
    await copy('mp-2', 'mp-2-plain', { sourceCustomerKey: K2 });
    const m2 = await record(srv, 'ssec', 'mp-2-plain');
    assert.equal(m2.etag, (await record(srv, 'ssec', 'mp-2')).etag);
    assert.equal(m2.crc64, crcOf(plainData));
    assert.ok((await read('mp-2-plain')).equals(plainData));

    // Plain multipart → SSE-C: the plaintext's "HEX-N" does not come along.
    const id = (await initiateUpload(c(), {
      bucket: 'ssec', key: 'mp-plain-2', headers: { 'content-type': 'text/plain' }, userMeta: {}, acl: 'default', tags: [], sse: null, caller,
    })).uploadId;
    await uploadPart(c(), { bucket: 'ssec', key: 'mp-plain-2', uploadId: id, partNumber: 1, body: Readable.from([plainData]), caller });
    const { object: plainMp } = await completeUpload(c(), { bucket: 'ssec', key: 'mp-plain-2', uploadId: id, parts: 'all', forbidOverwrite: false });
    assert.equal(plainMp.etag, `${hex(createHash('md5').update(md5(plainData)).digest())}-1`);
    assert.equal(plainMp.crc64, crcOf(plainData));
    await copy('mp-plain-2', 'mp-plain-2-ssec', { sse: ssec(K3) });
    const ps = await record(srv, 'ssec', 'mp-plain-2-ssec');
    assert.equal(ps.etag, `${customerKeyedEtag(await objectKeyOf(ps, K3), md5(plainData))}-1`);
    assert.equal('crc64' in ps, false);
  });

  test('a copy from SSE-C checks what the record still allows: its packages authenticate, its length and keyed ETag match', async () => {
    // 'tamper' has a flipped ciphertext byte: the read fails, nothing is stored.
    await assert.rejects(copy('tamper', 'tamper-copy', { sourceCustomerKey: K1 }), { code: 'DataIntegrityError' });
    assert.equal(await c().meta.getObject('ssec', 'tamper-copy'), null);
    // A record whose ETag is not the data's: the keyed ETag recomputed from the copied bytes says so.
    const original = await record(srv, 'ssec', 'loose');
    await statTransaction(c().meta, (tx) => tx.putObject({ ...original, etag: 'F'.repeat(32) }));
    try {
      await assert.rejects(copy('loose', 'loose-bad', { sourceCustomerKey: K1 }), { code: 'DataIntegrityError' });
      assert.equal(await c().meta.getObject('ssec', 'loose-bad'), null);
    } finally {
      await statTransaction(c().meta, (tx) => tx.putObject(original));
    }
    await copy('loose', 'loose-good', { sse: ssec(K1), sourceCustomerKey: K1 });
  });

  test('the OSS dialect lists the keyed ETag, and ListParts of an SSE-C upload has no CRC-64', async () => {
    const oss = srv.client({ bucket: 'ssec' });
    const listed = await oss.list({ prefix: 'small', 'max-keys': 10 });
    const entry = listed.objects.find((o: any) => o.name === 'small');
    assert.equal(entry.etag, `"${(await record(srv, 'ssec', 'small')).etag}"`);
    assert.notEqual(entry.etag.replace(/"/g, ''), hex(md5(small)));
    const res = await oss.listParts('pending', pending.id);
    // One <Part> parses as an object, not a list.
    const listedParts = [res.parts].flat();
    assert.equal(listedParts.length, 1);
    assert.equal(listedParts[0].PartNumber, '1');
    assert.equal(listedParts[0].HashCrc64ecma, undefined);
    assert.equal(String(res.res.data).includes('HashCrc64ecma'), false);
    assert.match(listedParts[0].ETag, /^"[0-9A-F]{32}"$/);
    assert.notEqual(listedParts[0].ETag, `"${hex(md5(plainData))}"`);
  });

  test('neither the records (objects, uploads, parts) nor any file under the data directory holds an MD5 or CRC-64 of SSE-C plaintext', async () => {
    const needles = guarded.flatMap(digestsOf);
    const meta = c().meta;
    const records: unknown[] = [...parts];
    for (const b of ['ssec', 'ssec-default']) {
      const uploads = await meta.listUploads(b, { limit: 1000 });
      records.push(...await meta.listObjects(b, { limit: 10_000 }), ...uploads);
      for (const u of uploads) records.push(...await meta.listParts(u.uploadId, { limit: 10_000 }));
    }
    assert.ok(records.some((r) => (r as ObjectRecord).key === 'small'));
    for (const r of records) {
      const serialized = Buffer.from(JSON.stringify(r));
      for (const [i, n] of needles.entries()) assert.equal(serialized.includes(n), false, `needle ${i} in ${JSON.stringify(r).slice(0, 200)}`);
    }
    assert.deepEqual(filesContaining(srv.dataDir, needles), []);
    for (const n of needles) assert.equal(logs.includes(n.toString('latin1')), false);
  });
});
