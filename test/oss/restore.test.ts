/**
 * Archive, ColdArchive and DeepColdArchive objects behave as in OSS: HEAD works, GET (and a copy
 * from them) answers 403 InvalidObjectState until RestoreObject (`POST /<key>?restore`) has
 * completed; x-oss-restore shows `ongoing-request="true"`, then `ongoing-request="false",
 * expiry-date="<HTTP date>"`; a restore while one is running → 409 RestoreAlreadyInProgress; a
 * restored copy is readable for `Days` and then the object is frozen again. The restore takes
 * --restore-delay-seconds; this server runs on a settable clock, so nothing here waits for it
 * except the one test that checks the real delay.
 * Sources: the RestoreObject, GetObject and HeadObject API pages; ali-oss test/node/object.test.js
 * (restore(), "should list files with restore info"); oss2 tests/test_object.py (restore_object).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Clock } from '../kms/helpers';
import { startTestServer, tempDir, type TestServer } from '../helpers/server';
import { runCoffer } from '../cli/helpers';
import { assertOssError, bytes, rejectsWith, signedHttp, xml } from '../helpers/oss-http';

const DAY = 86_400_000;
const DELAY = 3_000;
const BUCKET = 'restore-b';

let srv: TestServer;
let clock: Clock;
let c: any;
before(async () => {
  clock = new Clock(Date.now());
  srv = await startTestServer({ now: clock.now, restoreDelayMs: DELAY });
  c = srv.client({ bucket: BUCKET });
  await c.putBucket(BUCKET);
});
after(async () => { await srv.close(); });

const archived = async (key: string, cls = 'Archive', data: Buffer = Buffer.from(`data of ${key}`)): Promise<Buffer> => {
  await c.put(key, data, { headers: { 'x-oss-storage-class': cls } });
  return data;
};

const restoreXml = (days?: number, tier?: string): string =>
  `<RestoreRequest>${days === undefined ? '' : `<Days>${days}</Days>`}${tier === undefined ? '' : `<JobParameters><Tier>${tier}</Tier></JobParameters>`}</RestoreRequest>`;

/** RestoreObject signed by hand (oss2-style path style), with an optional body. */
const restoreRaw = (key: string, body?: string) =>
  signedHttp(srv, { method: 'POST', bucket: BUCKET, key, query: [['restore', '']], body });

const restoreHeader = async (key: string): Promise<string | undefined> => (await c.head(key)).res.headers['x-oss-restore'];

describe('an Archive object through its restore', () => {
  const key = 'dir/archived object.txt';
  let data: Buffer;
  before(async () => { data = await archived(key); });

  test('frozen: HEAD works without x-oss-restore; GET → 403 InvalidObjectState; listings carry no RestoreInfo', async () => {
    const head = await c.head(key);
    assert.equal(head.res.headers['x-oss-storage-class'], 'Archive');
    assert.equal(head.res.headers['content-length'], String(data.length));
    assert.equal(head.res.headers['x-oss-restore'], undefined);
    const err = await rejectsWith(c.get(key), 403, 'InvalidObjectState');
    assert.equal(err.message, "The operation is not valid for the object's state");
    assertOssError(await signedHttp(srv, { bucket: BUCKET, key }), 403, 'InvalidObjectState');
    const listed = (await c.list({ prefix: key })).objects[0];
    assert.equal(listed.restoreInfo, undefined);
  });

  test('restore (ali-oss, Days 2) → 202; then ongoing: x-oss-restore ongoing-request="true", GET still 403, a second restore → 409', async () => {
    const r = await c.restore(key);
    assert.equal(r.res.status, 202);
    assert.equal(await restoreHeader(key), 'ongoing-request="true"');
    await rejectsWith(c.get(key), 403, 'InvalidObjectState');
    const again: any = await c.restore(key).then(() => assert.fail('expected 409'), (e: unknown) => e);
    assert.equal(again.status, 409);
    assert.equal(again.name, 'RestoreAlreadyInProgressError');
    assertOssError(await restoreRaw(key), 409, 'RestoreAlreadyInProgress');
    // ali-oss's "should list files with restore info", v1 and v2.
    for (const listing of [await c.list({ prefix: key }), await c.listV2({ prefix: key })]) {
      assert.equal(listing.objects[0].restoreInfo.ongoingRequest, true);
      assert.equal(listing.objects[0].restoreInfo.expiryDate, undefined);
    }
  });

  test('after the restore delay: x-oss-restore ongoing-request="false" with expiry-date two days on; GET serves the data', async () => {
    const requested = clock.t;
    clock.advance(DELAY - 1);
    await rejectsWith(c.get(key), 403, 'InvalidObjectState');
    clock.advance(1);
    const expiry = new Date(requested + DELAY + 2 * DAY).toUTCString();
    assert.equal(await restoreHeader(key), `ongoing-request="false", expiry-date="${expiry}"`);
    const got = await c.get(key);
    assert.deepEqual(got.content, data);
    assert.equal(got.res.headers['x-oss-restore'], `ongoing-request="false", expiry-date="${expiry}"`);
    const ranged = await c.get(key, { headers: { Range: 'bytes=2-5' } });
    assert.deepEqual(ranged.content, data.subarray(2, 6));
    const listed = (await c.list({ prefix: key })).objects[0];
    assert.equal(listed.restoreInfo.ongoingRequest, false);
    assert.equal(listed.restoreInfo.expiryDate.toUTCString(), expiry);
    const raw = xml((await signedHttp(srv, { bucket: BUCKET, query: [['prefix', key]] })).text).ListBucketResult.Contents;
    assert.equal(raw.RestoreInfo, `ongoing-request="false", expiry-date="${expiry}"`);
  });

  test('restoring a restored object → 200 and the readable time runs Days from now', async () => {
    clock.advance(DAY);
    const res = await restoreRaw(key, restoreXml(5));
    assert.equal(res.status, 200, res.text);
    const expiry = new Date(clock.t + 5 * DAY).toUTCString();
    assert.equal(await restoreHeader(key), `ongoing-request="false", expiry-date="${expiry}"`);
    // A shorter Days never cuts the readable time short.
    assert.equal((await restoreRaw(key, restoreXml(1))).status, 200);
    assert.equal(await restoreHeader(key), `ongoing-request="false", expiry-date="${expiry}"`);
  });

  test('once the restored copy expires the object is frozen again, and a new restore starts over (202)', async () => {
    clock.advance(5 * DAY);
    await rejectsWith(c.get(key), 403, 'InvalidObjectState');
    assert.equal(await restoreHeader(key), undefined);
    assert.equal((await c.list({ prefix: key })).objects[0].restoreInfo, undefined);
    const r = await restoreRaw(key);
    assert.equal(r.status, 202);
    assert.equal(await restoreHeader(key), 'ongoing-request="true"');
  });
});

describe('ColdArchive and DeepColdArchive', () => {
  for (const cls of ['ColdArchive', 'DeepColdArchive']) {
    test(`${cls}: ali-oss restore with type, Days and JobParameters; x-oss-object-restore-priority echoes the tier`, async () => {
      const key = `cold/${cls}.bin`;
      const data = await archived(key, cls, bytes(70_000, 3));
      await rejectsWith(c.get(key), 403, 'InvalidObjectState');
      const r = await c.restore(key, { type: cls, Days: 3, JobParameters: 'Expedited' });
      assert.equal(r.res.status, 202);
      assert.equal(r.res.headers['x-oss-object-restore-priority'], 'Expedited');
      const requested = clock.t;
      clock.advance(DELAY);
      assert.equal(await restoreHeader(key), `ongoing-request="false", expiry-date="${new Date(requested + DELAY + 3 * DAY).toUTCString()}"`);
      assert.deepEqual((await c.get(key)).content, data);
      // Without JobParameters the tier is Standard.
      const other = `cold/${cls}-default.bin`;
      await archived(other, cls);
      const d = await c.restore(other, { type: cls });
      assert.equal(d.res.headers['x-oss-object-restore-priority'], 'Standard');
    });
  }

  test('Days up to 365 for cold classes, up to 7 for Archive', async () => {
    await archived('cold/long.bin', 'ColdArchive');
    assert.equal((await restoreRaw('cold/long.bin', restoreXml(365, 'Bulk'))).status, 202);
    await archived('cold/archive-7.bin');
    assert.equal((await restoreRaw('cold/archive-7.bin', restoreXml(7))).status, 202);
  });
});

describe('what RestoreObject refuses, changing nothing', () => {
  test('a Standard or IA object → 400 OperationNotSupported (ali-oss: status 400); a missing one → 404 NoSuchKey', async () => {
    await c.put('plain.txt', Buffer.from('plain'));
    const err: any = await c.restore('plain.txt').then(() => assert.fail('expected 400'), (e: unknown) => e);
    assert.equal(err.status, 400);
    assert.equal(err.code, 'OperationNotSupported');
    await c.put('ia.txt', Buffer.from('ia'), { headers: { 'x-oss-storage-class': 'IA' } });
    assertOssError(await restoreRaw('ia.txt'), 400, 'OperationNotSupported');
    await rejectsWith(c.restore('never-there.txt'), 404, 'NoSuchKey');
  });

  test('JobParameters on an Archive object → 400 MalformedXML (ali-oss and oss2 suites)', async () => {
    await archived('bad/archive-tier.txt');
    await rejectsWith(c.restore('bad/archive-tier.txt', { type: 'ColdArchive' }), 400, 'MalformedXML');
    assert.equal(await restoreHeader('bad/archive-tier.txt'), undefined);
  });

  test('bad Days, bad Tier, malformed XML → 400 with OSS codes; the object stays frozen', async () => {
    await archived('bad/archive.txt');
    await archived('bad/cold.txt', 'ColdArchive');
    const cases: Array<[string, string, string, string | undefined]> = [
      ['bad/archive.txt', restoreXml(8), 'InvalidArgument', '0016-00000708'],
      ['bad/archive.txt', restoreXml(0), 'InvalidArgument', '0016-00000708'],
      ['bad/archive.txt', '<RestoreRequest><Days>a</Days></RestoreRequest>', 'InvalidArgument', '0016-00000708'],
      ['bad/cold.txt', restoreXml(366, 'Standard'), 'InvalidArgument', '0016-00000704'],
      ['bad/cold.txt', restoreXml(-1, 'Standard'), 'InvalidArgument', '0016-00000704'],
      ['bad/cold.txt', restoreXml(2, 'Fast'), 'InvalidArgument', '0016-00000703'],
      ['bad/cold.txt', '<RestoreRequest><Days>2</Days>', 'MalformedXML', undefined],
      ['bad/cold.txt', '<Restore><Days>2</Days></Restore>', 'MalformedXML', undefined],
    ];
    for (const [key, body, code, ec] of cases) {
      const err = assertOssError(await restoreRaw(key, body), 400, code);
      if (ec) assert.equal(err.EC, ec, body);
    }
    assert.equal(await restoreHeader('bad/archive.txt'), undefined);
    assert.equal(await restoreHeader('bad/cold.txt'), undefined);
  });
});

describe('copies from archive objects', () => {
  test('CopyObject and UploadPartCopy from an unrestored source → 403 InvalidObjectState, nothing written; restored → they work', async () => {
    const data = await archived('copy/src.bin', 'Archive', bytes(150 * 1024, 9));
    await rejectsWith(c.copy('copy/dst.bin', 'copy/src.bin'), 403, 'InvalidObjectState');
    // Changing the class in place needs the data too.
    await rejectsWith(c.copy('copy/src.bin', 'copy/src.bin', { headers: { 'x-oss-storage-class': 'Standard' } }), 403, 'InvalidObjectState');
    const { uploadId } = await c.initMultipartUpload('copy/mp.bin');
    await rejectsWith(c.uploadPartCopy('copy/mp.bin', uploadId, 1, '0-99', { sourceKey: 'copy/src.bin', sourceBucketName: BUCKET }), 403, 'InvalidObjectState');
    await rejectsWith(c.head('copy/dst.bin'), 404, 'NoSuchKey');
    assert.equal((await c.listParts('copy/mp.bin', uploadId)).parts?.length ?? 0, 0);

    await c.restore('copy/src.bin');
    clock.advance(DELAY);
    await c.copy('copy/dst.bin', 'copy/src.bin');
    const head = await c.head('copy/dst.bin');
    assert.equal(head.res.headers['x-oss-storage-class'], 'Standard');
    assert.equal(head.res.headers['x-oss-restore'], undefined);
    assert.deepEqual((await c.get('copy/dst.bin')).content, data);
    const part = await c.uploadPartCopy('copy/mp.bin', uploadId, 1, '0-99', { sourceKey: 'copy/src.bin', sourceBucketName: BUCKET });
    await c.completeMultipartUpload('copy/mp.bin', uploadId, [{ number: 1, etag: part.etag }]);
    assert.deepEqual((await c.get('copy/mp.bin')).content, data.subarray(0, 100));
  });
});

describe('an Archive bucket (oss2 test_restore_object)', () => {
  test('objects put without a class are Archive, GET → 403, restore → 202', async () => {
    const a = srv.client({ bucket: 'restore-archive-bucket' });
    await a.putBucket('restore-archive-bucket', { StorageClass: 'Archive' });
    await a.put('a.txt', Buffer.from('content'));
    assert.equal((await a.head('a.txt')).res.headers['x-oss-storage-class'], 'Archive');
    await rejectsWith(a.get('a.txt'), 403, 'InvalidObjectState');
    assert.equal((await a.restore('a.txt')).res.status, 202);
  });
});

describe('--restore-delay-seconds on the real clock', () => {
  let real: TestServer;
  before(async () => { real = await startTestServer({ restoreDelayMs: 600 }); });
  after(async () => { await real.close(); });

  test('GET is refused until the delay has passed, then served', async () => {
    const r = real.client({ bucket: 'real-delay' });
    await r.putBucket('real-delay');
    await r.put('x.txt', Buffer.from('thawed'), { headers: { 'x-oss-storage-class': 'Archive' } });
    await r.restore('x.txt');
    await rejectsWith(r.get('x.txt'), 403, 'InvalidObjectState');
    await sleep(700);
    assert.equal((await r.get('x.txt')).content.toString(), 'thawed');
  });

  test('coffer server --help documents it; a negative or non-numeric value is refused', async () => {
    const home = tempDir('coffer-restore-home-');
    const help = await runCoffer(['server', '--help'], home);
    assert.match(help.stdout, /--restore-delay-seconds <s>/);
    for (const bad of ['-1', 'soon']) {
      const run = await runCoffer(['server', '--data-dir', `${home}/never`, '--restore-delay-seconds', bad, '--workers', '1'], home);
      assert.notEqual(run.code, 0);
      assert.match(run.stderr, /--restore-delay-seconds must be a number of seconds, 0 or more/);
    }
  });
});
