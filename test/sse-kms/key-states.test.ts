/**
 * What a CMK's state does to the objects it protects (reference §4.1, §4.5): a disabled key
 * refuses reads and writes until it is enabled again; a key pending deletion refuses them until
 * the deletion is cancelled; once the deletion window has passed the key is destroyed and its
 * objects are unreadable for good (crypto-shredding) while their ciphertext stays on disk.
 * The KMS clock is advanced instead of waiting seven days.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { PACKAGE_SIZE, TAG_SIZE } from '../../src/crypto/package-format';
import { KIND } from '../../src/kms/records';
import type { Clock } from '../kms/helpers';
import { blobFile, filesContaining } from '../helpers/data-dir';
import { bodyOf, createKey, describeKey, Kms, kmsClient, kmsRejects, type KmsClient } from '../helpers/kms';
import { bytes, rejectsWith } from '../helpers/oss-http';
import type { TestServer } from '../helpers/server';
import { SSE_KEY_ID, encodings, marker, newBucket, record } from '../helpers/sse';
import { kmsDenied, kmsHeaders, multipart, ossKmsCalls, startClockedServer, writeDenied } from './helpers';

const DAY = 86_400_000;

let srv: TestServer;
let clock: Clock;
let kms: KmsClient;
before(async () => {
  ({ srv, clock } = await startClockedServer());
  kms = kmsClient(srv);
});
after(async () => { await srv.close(); });

test('DisableKey: GET, PUT, Initiate and copying from its objects are refused (Rejected.Disabled) and write nothing; HEAD still answers; EnableKey restores the object intact', async () => {
  const c = await newBucket(srv, 'disable');
  const cmk = await createKey(kms);
  const body = bytes(80_000, 2);
  await c.put('old', body, { headers: kmsHeaders(cmk) });
  const stored = await record(srv, 'disable', 'old');

  await kms.disableKey(new Kms.DisableKeyRequest({ keyId: cmk }));
  assert.equal((await describeKey(kms, cmk)).keyState, 'Disabled');
  await kmsDenied(c.get('old'), 'Rejected.Disabled');
  await kmsDenied(c.get('old', { headers: { Range: 'bytes=10-20' } }), 'Rejected.Disabled');
  await writeDenied(srv, () => c.put('new', body, { headers: kmsHeaders(cmk) }), 'Rejected.Disabled');
  await writeDenied(srv, () => c.put('old', body, { headers: kmsHeaders(cmk) }), 'Rejected.Disabled');
  await writeDenied(srv, () => c.initMultipartUpload('mp', { headers: kmsHeaders(cmk) }), 'Rejected.Disabled');
  await writeDenied(srv, () => c.copy('copy', 'old'), 'Rejected.Disabled');
  assert.deepEqual((await c.listUploads({})).uploads, []);
  await rejectsWith(c.head('new'), 404, 'NoSuchKey');
  await rejectsWith(c.head('copy'), 404, 'NoSuchKey');
  // The refused calls are accounted with the KMS's reason as their outcome.
  assert.equal(ossKmsCalls(srv, 'GenerateDataKey', cmk, 'Rejected.Disabled'), 3);
  assert.equal(ossKmsCalls(srv, 'Decrypt', cmk, 'Rejected.Disabled'), 3);

  // Object metadata is not encrypted (seeds), so HEAD needs no key.
  const head = await c.head('old');
  assert.equal(head.status, 200);
  assert.equal(head.res.headers[SSE_KEY_ID], cmk);

  await kms.enableKey(new Kms.EnableKeyRequest({ keyId: cmk }));
  assert.deepEqual(await record(srv, 'disable', 'old'), stored);
  assert.ok((await c.get('old')).content.equals(body));
  await c.put('new', body, { headers: kmsHeaders(cmk) });
  assert.ok((await c.get('new')).content.equals(body));
});

describe('crypto-shredding', () => {
  let c: any;
  let keyA: string;
  let keyB: string;
  const bucket = 'shred';
  const secret = marker(102_400);
  before(async () => {
    c = await newBucket(srv, bucket);
    keyA = await createKey(kms);
    keyB = await createKey(kms);
    await kms.createAlias(new Kms.CreateAliasRequest({ keyId: keyA, aliasName: 'alias/shred-a' }));
    await c.put('a-put', secret.data, { headers: kmsHeaders(keyA) });
    await multipart(c, 'a-mp', [secret.data, secret.data], kmsHeaders(keyA));
    await c.put('b-put', secret.data, { headers: kmsHeaders(keyB) });
  });

  test('ScheduleKeyDeletion: reads and writes are refused (Rejected.PendingDeletion) meanwhile; CancelKeyDeletion makes the objects readable again', async () => {
    await kms.scheduleKeyDeletion(new Kms.ScheduleKeyDeletionRequest({ keyId: keyA, pendingWindowInDays: 7 }));
    const meta = await describeKey(kms, keyA);
    assert.equal(meta.keyState, 'PendingDeletion');
    assert.equal(Date.parse(meta.deleteDate), Math.floor((clock.now() + 7 * DAY) / 1000) * 1000);
    await kmsDenied(c.get('a-put'), 'Rejected.PendingDeletion');
    await kmsDenied(c.get('a-mp'), 'Rejected.PendingDeletion');
    await writeDenied(srv, () => c.put('a-new', secret.data, { headers: kmsHeaders(keyA) }), 'Rejected.PendingDeletion');

    // Six days in, the window is still open: cancelling brings everything back.
    clock.advance(6 * DAY);
    await kms.cancelKeyDeletion(new Kms.CancelKeyDeletionRequest({ keyId: keyA }));
    assert.equal((await describeKey(kms, keyA)).keyState, 'Enabled');
    assert.ok((await c.get('a-put')).content.equals(secret.data));
    assert.ok((await c.get('a-mp')).content.equals(Buffer.concat([secret.data, secret.data])));
  });

  test('past DeleteDate the keys are destroyed (on next use, or by purgeExpiredKeys): their objects fail for good and the KMS no longer knows them', async () => {
    for (const keyId of [keyA, keyB]) await kms.scheduleKeyDeletion(new Kms.ScheduleKeyDeletionRequest({ keyId, pendingWindowInDays: 7 }));
    clock.advance(7 * DAY);

    // keyA goes when the GET touches it; keyB is left to the periodic sweep.
    await kmsDenied(c.get('a-put'), 'Forbidden.KeyNotFound');
    assert.equal(await srv.running.kms.purgeExpiredKeys(), 1);
    for (const keyId of [keyA, keyB]) {
      await kmsRejects(describeKey(kms, keyId), 'Forbidden.KeyNotFound');
      assert.equal(await srv.running.coffer.meta.getDoc(KIND.key, keyId), null);
    }
    await kmsRejects(describeKey(kms, 'alias/shred-a'), 'Forbidden.AliasNotFound');
    const keys = bodyOf(await kms.listKeys(new Kms.ListKeysRequest({ pageSize: 100 }))).keys.key.map((k) => k.keyId);
    assert.ok(!keys.includes(keyA) && !keys.includes(keyB));

    clock.advance(30 * DAY);
    await kmsDenied(c.get('a-put'), 'Forbidden.KeyNotFound');
    await kmsDenied(c.get('a-mp', { headers: { Range: 'bytes=102390-102410' } }), 'Forbidden.KeyNotFound');
    await kmsDenied(c.get('b-put'), 'Forbidden.KeyNotFound');
    await writeDenied(srv, () => c.put('a-put', secret.data, { headers: kmsHeaders(keyA) }), 'Forbidden.KeyNotFound');
    // Only the data is shredded: HEAD still reports the (now useless) key id.
    assert.equal((await c.head('a-put')).res.headers[SSE_KEY_ID], keyA);
  });

  test('the shredded objects are still on disk, as ciphertext only', async () => {
    for (const key of ['a-put', 'a-mp', 'b-put']) {
      for (const seg of (await record(srv, bucket, key)).segments) {
        const file = blobFile(srv.dataDir, seg.blobId);
        assert.ok(existsSync(file), `${key}: blob ${seg.blobId} is gone`);
        assert.equal(readFileSync(file).length, seg.size + Math.ceil(seg.size / PACKAGE_SIZE) * TAG_SIZE, key);
      }
    }
    assert.deepEqual(filesContaining(srv.dataDir, encodings(secret.token)), []);
  });
});
