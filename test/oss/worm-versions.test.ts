/**
 * WORM retention in a versioned bucket, and against the lifecycle job: what retention forbids is
 * removing retained data for good. A new version or a delete marker keeps every retained version,
 * so they are allowed; deleting a retained version by its id, overwriting the null version of a
 * suspended bucket and a lifecycle expiration of an unversioned object are refused.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { bytes, rejectsWith } from '../helpers/oss-http';
import { startTestServer, type TestServer } from '../helpers/server';

const DAY_MS = 2000;
let srv: TestServer;

before(async () => {
  srv = await startTestServer({ dayMs: DAY_MS, lifecycleIntervalMs: 100 });
});
after(async () => { await srv.close(); });

async function lockedBucket(name: string, opts: { versioning?: 'Enabled' | 'Suspended' } = {}): Promise<any> {
  const c = srv.client({ bucket: name });
  await c.putBucket(name);
  if (opts.versioning) await c.putBucketVersioning(name, 'Enabled');
  const { wormId } = await c.initiateBucketWorm(name, 30);
  await c.completeBucketWorm(name, wormId);
  return c;
}

test('versioned bucket under WORM: new versions and delete markers are allowed, a retained version cannot be deleted by id', async () => {
  const c = await lockedBucket('wv-enabled', { versioning: 'Enabled' });
  const first = await c.put('k', bytes(1000, 1));
  const v1 = first.res.headers['x-oss-version-id'];
  assert.ok(v1, 'a versioned write answers its version id');
  // An overwrite keeps v1 as a noncurrent version: allowed.
  const second = await c.put('k', bytes(1000, 2), { headers: { 'x-oss-server-side-encryption': 'AES256' } });
  const v2 = second.res.headers['x-oss-version-id'];
  assert.notEqual(v2, v1);
  // A delete without a version id leaves a marker and removes nothing: allowed.
  const marker = await c.delete('k');
  assert.equal(marker.res.headers['x-oss-delete-marker'], 'true');
  // Removing a retained version for good is refused, for the root too, and it stays readable.
  await rejectsWith(c.delete('k', { versionId: v1 }), 403, 'AccessDenied');
  assert.ok((await c.get('k', undefined, { versionId: v1 })).content.equals(bytes(1000, 1)));
  // A delete marker holds no data: removing it is allowed, and v2 is current again.
  await c.delete('k', { versionId: marker.res.headers['x-oss-version-id'] });
  assert.ok((await c.get('k')).content.equals(bytes(1000, 2)));

  // DeleteMultipleObjects: the retained version is reported as an error, the others go.
  await c.put('free', bytes(10, 3));
  const multi = await c.deleteMulti([{ key: 'k', versionId: v2 }, 'free'], { quiet: false });
  assert.deepEqual(multi.deleted.map((d: any) => d.Key), ['free']);
  const text = multi.res.data.toString();
  assert.match(text, /<Error><Key>k<\/Key><VersionId>[^<]+<\/VersionId><Code>AccessDenied<\/Code>/);
  assert.ok((await c.get('k', undefined, { versionId: v2 })).content.equals(bytes(1000, 2)));
});

test('suspended bucket under WORM: a write that would replace a retained null version is refused; a new key is not', async () => {
  const c = await lockedBucket('wv-suspended', { versioning: 'Enabled' });
  await c.putBucketVersioning('wv-suspended', 'Suspended');
  await c.put('k', bytes(100, 1));
  await rejectsWith(c.put('k', bytes(100, 2)), 403, 'AccessDenied');
  await rejectsWith(c.delete('k'), 403, 'AccessDenied');
  assert.ok((await c.get('k')).content.equals(bytes(100, 1)));
  await c.put('other', bytes(100, 3));
});

test('the lifecycle job cannot expire a retained object; it expires once the period is over', async () => {
  const c = srv.client({ bucket: 'wv-lifecycle' });
  await c.putBucket('wv-lifecycle');
  await c.put('old', bytes(100, 4));
  const { wormId } = await c.initiateBucketWorm('wv-lifecycle', 3);
  await c.completeBucketWorm('wv-lifecycle', wormId);
  await c.putBucketLifecycle('wv-lifecycle', [{ id: 'expire', prefix: '', status: 'Enabled', expiration: { days: 1 } }]);
  // Past a day (due for expiration) but within the 3-day retention: the job is refused.
  await sleep(DAY_MS * 1.6);
  assert.ok((await c.get('old')).content.equals(bytes(100, 4)), 'the job deleted a retained object');
  // Past the retention period the next pass expires it.
  const deadline = Date.now() + DAY_MS * 5;
  for (;;) {
    const gone = await c.head('old').then(() => false, (e: any) => e.status === 404);
    if (gone) break;
    assert.ok(Date.now() < deadline, 'the object was not expired after its retention ended');
    await sleep(200);
  }
});
