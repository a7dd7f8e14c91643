/**
 * Bucket retention policies (WORM) with ali-oss on a server whose "day" is a few seconds
 * (dayMs): the configuration's life cycle and its errors, then every path that could delete
 * or overwrite a retained object refused — the account root included — while reads, new keys and
 * tagging still work, and everything is deletable once the period is over.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { randomBytes } from 'node:crypto';
import { ConsoleClient } from '../console/helpers';
import { createKey, describeKey, Kms, kmsClient, kmsRejects } from '../helpers/kms';
import { importMaterial, kmsHeaders } from '../sse-kms/helpers';
import { bytes, rejectsWith, signedHttp } from '../helpers/oss-http';
import { startTestServer, tempDir, type TestServer } from '../helpers/server';

const DAY_SECONDS = 4;
let srv: TestServer;
const data = bytes(2000, 3);

before(async () => {
  srv = await startTestServer({ dayMs: DAY_SECONDS * 1000 });
});
after(async () => { await srv.close(); });

/**
 * A raw WORM request that must fail: ali-oss's abortBucketWorm and completeBucketWorm resolve on
 * any status rather than throwing.
 */
async function refusedRaw(method: string, bucket: string, query: Array<[string, string]>, status: number, code: string): Promise<void> {
  const r = await signedHttp(srv, { method, bucket, query });
  assert.equal(r.status, status, r.text);
  assert.match(r.text, new RegExp(`<Code>${code}</Code>`));
}

async function newBucket(name: string): Promise<any> {
  const c = srv.client({ bucket: name });
  await c.putBucket(name);
  return c;
}

describe('the configuration', () => {
  test('initiate (InProgress), abort, initiate again, complete (Locked), extend only longer; errors', async () => {
    const c = await newBucket('worm-cfg');
    await rejectsWith(c.getBucketWorm('worm-cfg'), 404, 'NoSuchWORMConfiguration');
    await rejectsWith(c.initiateBucketWorm('worm-cfg', 0), 400, 'InvalidArgument');
    await rejectsWith(c.initiateBucketWorm('worm-cfg', 25551), 400, 'InvalidArgument');
    const first = await c.initiateBucketWorm('worm-cfg', 1);
    assert.match(first.wormId, /^[0-9A-F]{32}$/);
    const got = await c.getBucketWorm('worm-cfg');
    assert.deepEqual([got.wormId, got.state, got.days], [first.wormId, 'InProgress', '1']);
    assert.ok(got.creationDate && got.expirationDate);
    await rejectsWith(c.initiateBucketWorm('worm-cfg', 2), 400, 'InvalidWORMConfiguration');
    await c.abortBucketWorm('worm-cfg');
    await rejectsWith(c.getBucketWorm('worm-cfg'), 404, 'NoSuchWORMConfiguration');
    await refusedRaw('DELETE', 'worm-cfg', [['worm', '']], 404, 'NoSuchWORMConfiguration');

    const { wormId } = await c.initiateBucketWorm('worm-cfg', 1);
    await rejectsWith(c.extendBucketWorm('worm-cfg', wormId, 5), 400, 'InvalidWORMConfiguration');
    await refusedRaw('POST', 'worm-cfg', [['wormId', 'NOSUCHID']], 404, 'NoSuchWORMConfiguration');
    await c.completeBucketWorm('worm-cfg', wormId);
    assert.equal((await c.getBucketWorm('worm-cfg')).state, 'Locked');
    await refusedRaw('DELETE', 'worm-cfg', [['worm', '']], 409, 'WORMConfigurationLocked');
    await rejectsWith(c.initiateBucketWorm('worm-cfg', 3), 409, 'WORMConfigurationLocked');
    await rejectsWith(c.extendBucketWorm('worm-cfg', wormId, 1), 400, 'InvalidWORMConfiguration');
    await c.extendBucketWorm('worm-cfg', wormId, 2);
    assert.equal((await c.getBucketWorm('worm-cfg')).days, '2');
  });

  test('an InProgress configuration protects objects, and lapses after one day if not completed', async () => {
    const c = await newBucket('worm-lapse');
    await c.put('k.txt', data);
    await c.initiateBucketWorm('worm-lapse', 3);
    await rejectsWith(c.delete('k.txt'), 403, 'AccessDenied');
    await sleep(DAY_SECONDS * 1000 + 300);
    await rejectsWith(c.getBucketWorm('worm-lapse'), 404, 'NoSuchWORMConfiguration');
    await c.delete('k.txt');
  });
});

describe('retention', () => {
  test('every delete or overwrite path is refused for the root; reads, new keys and tagging work; all is free after the period', async () => {
    const c = await newBucket('worm-keep');
    await c.put('kept.txt', data);
    await c.put('other.txt', data);
    await c.append('app.txt', data);
    const dir = tempDir('coffer-worm-');
    const file = path.join(dir, 'big.bin');
    writeFileSync(file, bytes(250 * 1024, 4));
    const { wormId } = await c.initiateBucketWorm('worm-keep', 2);
    await c.completeBucketWorm('worm-keep', wormId);
    const lockedAt = Date.now();
    const refused = (call: Promise<unknown>): Promise<unknown> => rejectsWith(call, 403, 'AccessDenied');

    await refused(c.delete('kept.txt'));
    const deleteBody = '<Delete><Quiet>false</Quiet><Object><Key>kept.txt</Key></Object><Object><Key>absent.txt</Key></Object></Delete>';
    const multi = await signedHttp(srv, {
      method: 'POST', bucket: 'worm-keep', query: [['delete', '']], body: deleteBody,
      headers: { 'content-md5': createHash('md5').update(deleteBody).digest('base64') },
    });
    assert.equal(multi.status, 200, multi.text);
    assert.match(multi.text, /<Deleted><Key>absent\.txt<\/Key><\/Deleted>/);
    assert.match(multi.text, /<Error><Key>kept\.txt<\/Key><Code>AccessDenied<\/Code>/);
    await refused(c.put('kept.txt', data));
    await refused(c.copy('kept.txt', 'other.txt'));
    await refused(c.multipartUpload('kept.txt', file, { partSize: 128 * 1024 }));
    await refused(c.append('app.txt', data, { position: String(data.length) }));
    await refused(c.putSymlink('kept.txt', 'other.txt'));
    await rejectsWith(c.deleteBucket('worm-keep'), 409, 'BucketNotEmpty');
    const console = new ConsoleClient(srv.consoleUrl);
    assert.equal((await console.login()).status, 200);
    const viaConsole = await console.request('DELETE', '/api/buckets/worm-keep/object?key=kept.txt');
    assert.equal(viaConsole.status, 403, viaConsole.text);

    assert.ok((await c.get('kept.txt')).content.equals(data));
    await c.putObjectTagging('kept.txt', { team: 'a' });
    assert.deepEqual((await c.getObjectTagging('kept.txt')).tag, { team: 'a' });
    await c.put('new.txt', data);
    await refused(c.delete('new.txt'));

    // After the period (from each object's last change), everything goes.
    await sleep(Math.max(0, lockedAt + 2 * DAY_SECONDS * 1000 + 500 - Date.now()));
    await c.put('kept.txt', data);
    await sleep(2 * DAY_SECONDS * 1000 + 300);
    for (const k of ['kept.txt', 'other.txt', 'app.txt', 'new.txt']) await c.delete(k);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('crypto-shredding', () => {
  test('a CMK protecting retained objects cannot be scheduled for deletion nor lose its imported material; disabling stays allowed', async () => {
    const kms = kmsClient(srv);
    const keyId = await createKey(kms);
    const external = await createKey(kms, { origin: 'EXTERNAL' });
    await importMaterial(kms, external, randomBytes(32));
    const spare = await createKey(kms);
    const c = await newBucket('worm-kms');
    await c.put('a.txt', data, { headers: kmsHeaders(keyId) });
    await c.put('b.txt', data, { headers: kmsHeaders(external) });
    const { wormId } = await c.initiateBucketWorm('worm-kms', 30);
    await c.completeBucketWorm('worm-kms', wormId);

    await kmsRejects(kms.scheduleKeyDeletion(new Kms.ScheduleKeyDeletionRequest({ keyId, pendingWindowInDays: 7 })), 'Rejected.KeyInUse');
    await kmsRejects(kms.scheduleKeyDeletion(new Kms.ScheduleKeyDeletionRequest({ keyId: external, pendingWindowInDays: 7 })), 'Rejected.KeyInUse');
    await kmsRejects(kms.deleteKeyMaterial(new Kms.DeleteKeyMaterialRequest({ keyId: external })), 'Rejected.KeyInUse');
    assert.equal((await describeKey(kms, keyId)).keyState, 'Enabled');
    assert.ok((await c.get('b.txt')).content.equals(data));
    // Disabling is reversible: allowed (reads fail while disabled), then enabled again.
    await kms.disableKey(new Kms.DisableKeyRequest({ keyId }));
    await assert.rejects(c.get('a.txt'));
    await kms.enableKey(new Kms.EnableKeyRequest({ keyId }));
    assert.ok((await c.get('a.txt')).content.equals(data));
    // A key no retained object depends on is free to go.
    await kms.scheduleKeyDeletion(new Kms.ScheduleKeyDeletionRequest({ keyId: spare, pendingWindowInDays: 7 }));
    assert.equal((await describeKey(kms, spare)).keyState, 'PendingDeletion');
  });
});
