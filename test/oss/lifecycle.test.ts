/**
 * Bucket lifecycle through the OSS API and the lifecycle job: Put/Get/DeleteBucketLifecycle with
 * ali-oss (what it reads back is what it sent) and OSS's refusals over plain HTTP; then the job on
 * a server whose "day" is one second: expiration by days and by date, prefix, tag and Not filters,
 * Disabled rules, transitions (an Archive object then needs RestoreObject), aborted multipart
 * uploads, versioned buckets (delete markers, noncurrent versions, expired delete markers),
 * encrypted objects (expired without their KMS key, ciphertext blobs collected), a pass resumed
 * after a restart, one node of two on PostgreSQL doing the work, metrics, and RAM.
 */
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { freshDatabase } from '../helpers/backends';
import { blobFile } from '../helpers/data-dir';
import { createKey, Kms, kmsClient } from '../helpers/kms';
import { assertOssError, rejectsWith, signedHttp, xml } from '../helpers/oss-http';
import { spawnServer } from '../helpers/process-server';
import { newRamUser, ossArn, statement, userOss } from '../helpers/ram';
import { startTestServer, tempDir, type TestServer } from '../helpers/server';
import { SSE, SSE_KEY_ID, marker, newBucket, record } from '../helpers/sse';
import { LIFECYCLE_ACTIONS_TOTAL } from '../../src/server/app';

const DAY_MS = 1000;
const FAST = { dayMs: DAY_MS, lifecycleIntervalMs: 100, restoreDelayMs: 100 };

let srv: TestServer;
before(async () => { srv = await startTestServer(FAST); });
after(async () => { await srv.close(); });

const lifecycleXml = (rules: string): string => `<?xml version="1.0" encoding="UTF-8"?><LifecycleConfiguration>${rules}</LifecycleConfiguration>`;
const rule = (body: string, prefix = 'p/', status = 'Enabled'): string => `<Rule><Prefix>${prefix}</Prefix><Status>${status}</Status>${body}</Rule>`;
const expireDays = (n: number | string): string => `<Expiration><Days>${n}</Days></Expiration>`;

async function waitFor(what: string, check: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

interface Pass { day: number; at?: { bucket: string; afterKey?: string }; done: Record<string, number> }
const passState = (s: TestServer): Promise<Pass | null> => s.running.coffer.meta.getDoc<Pass>('lifecycle', 'pass');

/** Waits until `days` whole passes have ended after now: whatever was due a day after now has been done. */
async function passes(s: TestServer, days = 2): Promise<void> {
  const from = Math.floor(Date.now() / DAY_MS);
  await waitFor(`${days} lifecycle passes`, async () => {
    const p = await passState(s);
    return !!p && !p.at && p.day >= from + days;
  });
}

const actions = (s: TestServer, action: string): number => s.running.metrics.value(LIFECYCLE_ACTIONS_TOTAL, { action });
const exists = async (c: any, key: string): Promise<boolean> => c.head(key).then(() => true, (e: any) => (e.status === 404 ? false : Promise.reject(e)));

describe('Put/Get/DeleteBucketLifecycle', () => {
  test('ali-oss reads back what it sent; an ID is generated where none was given; Delete removes it', async () => {
    const c = await newBucket(srv, 'lc-config');
    await rejectsWith(c.getBucketLifecycle('lc-config'), 404, 'NoSuchLifecycle');
    const sent = [
      { id: 'logs', prefix: 'logs/', status: 'Enabled', expiration: { days: '30' }, transition: { days: '10', storageClass: 'IA' } },
      { id: 'tagged', prefix: 'tagged/', status: 'Disabled', expiration: { createdBeforeDate: '2030-01-01T00:00:00.000Z' }, tag: [{ key: 'k', value: 'v' }, { key: 'a', value: 'b' }] },
      { id: 'uploads', prefix: 'mp/', status: 'Enabled', abortMultipartUpload: { days: '3' } },
      { id: 'old', prefix: 'old/', status: 'Enabled', noncurrentVersionExpiration: { noncurrentDays: '20' }, noncurrentVersionTransition: { noncurrentDays: '5', storageClass: 'Archive' } },
      { id: 'markers', prefix: 'dm/', status: 'Enabled', expiration: { expiredObjectDeleteMarker: 'true' } },
    ];
    // ali-oss renames each rule's id in the objects it is given: send copies.
    await c.putBucketLifecycle('lc-config', structuredClone(sent));
    const got = await c.getBucketLifecycle('lc-config');
    assert.deepEqual(got.rules, sent);

    await c.putBucketLifecycle('lc-config', [{ prefix: '', status: 'Enabled', expiration: { days: 1 } }]);
    const [generated] = (await c.getBucketLifecycle('lc-config')).rules;
    assert.match(generated.id, /^[0-9a-f-]{36}$/);
    assert.deepEqual({ ...generated, id: undefined }, { id: undefined, prefix: '', status: 'Enabled', expiration: { days: '1' } });

    const res = await c.deleteBucketLifecycle('lc-config');
    assert.equal(res.res.status, 204);
    await rejectsWith(c.getBucketLifecycle('lc-config'), 404, 'NoSuchLifecycle');
    await rejectsWith(c.getBucketLifecycle('lc-nobucket'), 404, 'NoSuchBucket');
  });

  test('a transition chain and a Not filter come back as sent (plain XML)', async () => {
    await newBucket(srv, 'lc-chain');
    const body = lifecycleXml(`<Rule><ID>chain</ID><Prefix>a/</Prefix><Status>Enabled</Status><Filter><Not><Prefix>a/keep/</Prefix><Tag><Key>hold</Key><Value>1</Value></Tag></Not></Filter>`
      + '<Transition><Days>1</Days><StorageClass>IA</StorageClass></Transition><Transition><Days>2</Days><StorageClass>Archive</StorageClass></Transition>'
      + '<Transition><Days>3</Days><StorageClass>ColdArchive</StorageClass></Transition><Transition><Days>4</Days><StorageClass>DeepColdArchive</StorageClass></Transition>'
      + `${expireDays(5)}</Rule>`);
    const put = await signedHttp(srv, { method: 'PUT', bucket: 'lc-chain', query: [['lifecycle', '']], body });
    assert.equal(put.status, 200, put.text);
    const got = xml((await signedHttp(srv, { bucket: 'lc-chain', query: [['lifecycle', '']] })).text).LifecycleConfiguration.Rule;
    assert.deepEqual(got.Filter, { Not: { Prefix: 'a/keep/', Tag: { Key: 'hold', Value: '1' } } });
    assert.deepEqual(got.Transition.map((t: any) => t.StorageClass), ['IA', 'Archive', 'ColdArchive', 'DeepColdArchive']);
    assert.deepEqual(got.Expiration, { Days: '5' });
  });

  test('OSS refusals, each leaving the configuration as it was', async () => {
    const c = await newBucket(srv, 'lc-invalid');
    await c.putBucketLifecycle('lc-invalid', [{ id: 'kept', prefix: 'k/', status: 'Enabled', expiration: { days: 7 } }]);
    const put = (body: string) => signedHttp(srv, { method: 'PUT', bucket: 'lc-invalid', query: [['lifecycle', '']], body });
    const refused = async (body: string, code: string, ec?: string): Promise<void> => {
      const err = assertOssError(await put(body), 400, code);
      if (ec) assert.equal(err.EC, ec, body);
    };
    const date = (d: string): string => `<Expiration><CreatedBeforeDate>${d}</CreatedBeforeDate></Expiration>`;
    await refused('<LifecycleConfiguration><Rule>', 'MalformedXML');
    await refused('<Other/>', 'MalformedXML');
    await refused(lifecycleXml(''), 'MalformedXML');
    await refused(lifecycleXml(rule(expireDays(1), 'p/', 'On')), 'MalformedXML');
    await refused(lifecycleXml(rule('')), 'MalformedXML');
    await refused(lifecycleXml(rule('<Expiration></Expiration>')), 'MalformedXML');
    await refused(lifecycleXml(rule('<Expiration><Days>1</Days><CreatedBeforeDate>2030-01-01T00:00:00.000Z</CreatedBeforeDate></Expiration>')), 'MalformedXML');
    await refused(lifecycleXml(Array.from({ length: 1001 }, (_, i) => rule(expireDays(1), `r${String(i).padStart(4, '0')}/`)).join('')), 'InvalidArgument');
    await refused(lifecycleXml(`<Rule><ID>x</ID><Prefix>a/</Prefix><Status>Enabled</Status>${expireDays(1)}</Rule><Rule><ID>x</ID><Prefix>b/</Prefix><Status>Enabled</Status>${expireDays(1)}</Rule>`), 'InvalidArgument');
    await refused(lifecycleXml(`<Rule><ID>${'i'.repeat(256)}</ID><Prefix>a/</Prefix><Status>Enabled</Status>${expireDays(1)}</Rule>`), 'InvalidArgument');
    for (const days of ['0', '-1', 'abc', '1.5']) await refused(lifecycleXml(rule(expireDays(days))), 'InvalidArgument');
    await refused(lifecycleXml(rule('<NoncurrentVersionExpiration><NoncurrentDays>0</NoncurrentDays></NoncurrentVersionExpiration>')), 'InvalidArgument');
    for (const d of ['2030-01-01T08:00:00.000Z', '2030-01-01', '2030-02-30T00:00:00.000Z', '2030-01-01T00:00:00.000+08:00']) await refused(lifecycleXml(rule(date(d))), 'InvalidArgument');
    await refused(lifecycleXml(rule('<Transition><Days>1</Days><StorageClass>Standard</StorageClass></Transition>')), 'InvalidArgument');
    // Colder classes later: Archive before IA, or not later in days.
    await refused(lifecycleXml(rule('<Transition><Days>1</Days><StorageClass>Archive</StorageClass></Transition><Transition><Days>2</Days><StorageClass>IA</StorageClass></Transition>')), 'InvalidArgument', '0014-00000082');
    await refused(lifecycleXml(rule('<Transition><Days>5</Days><StorageClass>IA</StorageClass></Transition><Transition><Days>5</Days><StorageClass>Archive</StorageClass></Transition>')), 'InvalidArgument', '0014-00000082');
    await refused(lifecycleXml(rule(`<Transition><Days>5</Days><StorageClass>IA</StorageClass></Transition>${expireDays(5)}`)), 'InvalidArgument', '0014-00000082');
    await refused(lifecycleXml(rule('<Transition><Days>5</Days><StorageClass>IA</StorageClass></Transition><Transition><CreatedBeforeDate>2020-01-01T00:00:00.000Z</CreatedBeforeDate><StorageClass>Archive</StorageClass></Transition>')), 'InvalidArgument');
    // By date, a colder class is for objects created earlier.
    await refused(lifecycleXml(rule('<Transition><CreatedBeforeDate>2020-01-01T00:00:00.000Z</CreatedBeforeDate><StorageClass>IA</StorageClass></Transition><Transition><CreatedBeforeDate>2021-01-01T00:00:00.000Z</CreatedBeforeDate><StorageClass>Archive</StorageClass></Transition>')), 'InvalidArgument', '0014-00000082');
    // Overlapping prefixes: the same prefix, two expirations, two transitions to one class, out of order across rules.
    await refused(lifecycleXml(rule(expireDays(2), 'a/') + rule('<Transition><Days>1</Days><StorageClass>IA</StorageClass></Transition>', 'a/')), 'InvalidArgument', '0014-00000085');
    await refused(lifecycleXml(rule(expireDays(200), 'test') + rule(expireDays(100), 'test/log')), 'InvalidArgument', '0014-00000084');
    await refused(lifecycleXml(rule('<Transition><Days>30</Days><StorageClass>IA</StorageClass></Transition>', 'test') + rule('<Transition><Days>60</Days><StorageClass>IA</StorageClass></Transition>', 'test/log')), 'InvalidArgument', '0014-00000079');
    await refused(lifecycleXml(rule('<Transition><Days>120</Days><StorageClass>IA</StorageClass></Transition>', 'test') + rule('<Transition><Days>60</Days><StorageClass>Archive</StorageClass></Transition>', 'test/log')), 'InvalidArgument', '0014-00000082');
    await refused(lifecycleXml(rule('<Transition><Days>120</Days><StorageClass>IA</StorageClass></Transition>', 'test') + rule(expireDays(30), 'test/log')), 'InvalidArgument', '0014-00000082');
    // Tags: never with AbortMultipartUpload; Not must narrow the prefix.
    await refused(lifecycleXml(rule('<Tag><Key>k</Key><Value>v</Value></Tag><AbortMultipartUpload><Days>1</Days></AbortMultipartUpload>')), 'InvalidArgument');
    await refused(lifecycleXml(rule(`<Filter><Not><Prefix>q/</Prefix></Not></Filter>${expireDays(1)}`)), 'InvalidArgument');
    await refused(lifecycleXml(rule('<Tag><Key>bad*key</Key><Value>v</Value></Tag>' + expireDays(1))), 'InvalidTag');
    await refused(lifecycleXml(rule('<Expiration><Days>1</Days><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>')), 'InvalidArgument');
    // Access-time rules and size filters are refused, never read as rules by modification time.
    const notImplemented = async (body: string): Promise<void> => { assertOssError(await put(body), 400, 'NotImplemented'); };
    await notImplemented(lifecycleXml(rule('<Transition><Days>1</Days><StorageClass>IA</StorageClass><IsAccessTime>true</IsAccessTime></Transition>')));
    await notImplemented(lifecycleXml(rule(`<Filter><ObjectSizeGreaterThan>10</ObjectSizeGreaterThan></Filter>${expireDays(1)}`)));
    await refused(lifecycleXml(rule(`<Expire>1</Expire>${expireDays(1)}`)), 'MalformedXML');
    const [kept] = (await c.getBucketLifecycle('lc-invalid')).rules;
    assert.equal(kept.id, 'kept');
    // Overlapping prefixes that do different things, and rules told apart by tags, are accepted.
    const ok = await put(lifecycleXml(rule(expireDays(200), 'test') + rule('<Transition><Days>60</Days><StorageClass>IA</StorageClass></Transition>', 'test/log')
      + rule(`<Tag><Key>k</Key><Value>v</Value></Tag>${expireDays(3)}`, 'test/log')));
    assert.equal(ok.status, 200, ok.text);
  });

  test('RAM: PutBucketLifecycle denied, GetBucketLifecycle allowed', async () => {
    const c = await newBucket(srv, 'lc-ram');
    await c.putBucketLifecycle('lc-ram', [{ prefix: '', status: 'Enabled', expiration: { days: 9 } }]);
    const creds = await newRamUser(srv, 'lc-reader', [
      { name: 'lc-allow', document: statement('Allow', ['oss:GetBucketLifecycle', 'oss:PutBucketLifecycle'], ossArn(srv, 'lc-ram')) },
      { name: 'lc-deny-put', document: statement('Deny', 'oss:PutBucketLifecycle', ossArn(srv, 'lc-ram')) },
    ]);
    const user = userOss(srv, creds, 'lc-ram');
    await rejectsWith(user.putBucketLifecycle('lc-ram', [{ prefix: '', status: 'Enabled', expiration: { days: 1 } }]), 403, 'AccessDenied');
    await rejectsWith(user.deleteBucketLifecycle('lc-ram'), 403, 'AccessDenied');
    assert.equal((await user.getBucketLifecycle('lc-ram')).rules[0].expiration.days, '9');
  });
});

describe('the lifecycle job (a day is one second)', () => {
  test('expiration by days: prefix, tag and Not filters; Disabled rules do nothing; SSE-KMS objects go without their key and their blobs are collected', async () => {
    const B = 'lc-expire';
    const c = await newBucket(srv, B);
    const kms = kmsClient(srv);
    const keyId = await createKey(kms);
    const secret = marker(50_000);
    await c.put('logs/a', Buffer.from('a'));
    await c.put('logs/kms', secret.data, { headers: { [SSE]: 'KMS', [SSE_KEY_ID]: keyId } });
    await c.put('tmp/a', Buffer.from('b'));
    await c.put('tagged/yes', Buffer.from('c'), { headers: { 'x-oss-tagging': 'purge=yes' } });
    await c.put('tagged/no', Buffer.from('d'), { headers: { 'x-oss-tagging': 'purge=no' } });
    await c.put('keep/x', Buffer.from('e'));
    await c.put('keep/forever/y', Buffer.from('f'));
    await c.put('other', Buffer.from('g'));
    const blobs = (await record(srv, B, 'logs/kms')).segments.map((s) => blobFile(srv.dataDir, s.blobId));
    assert.ok(blobs.every(existsSync));
    // Deleting needs no key: the object expires with its key disabled.
    await kms.disableKey(new Kms.DisableKeyRequest({ keyId }));
    const before = actions(srv, 'expire');
    await c.putBucketLifecycle(B, [
      { prefix: 'logs/', status: 'Enabled', expiration: { days: 1 } },
      { prefix: 'tmp/', status: 'Disabled', expiration: { days: 1 } },
      { prefix: 'tagged/', status: 'Enabled', tag: { key: 'purge', value: 'yes' }, expiration: { days: 1 } },
    ]);
    const body = lifecycleXml(`${rule(expireDays(1), 'keep/').replace('<Status>', '<Filter><Not><Prefix>keep/forever/</Prefix></Not></Filter><Status>')}`);
    // The Not rule goes in by plain XML (ali-oss has no Filter); it replaces the configuration, so put all four.
    const full = (await signedHttp(srv, { bucket: B, query: [['lifecycle', '']] })).text.replace('</LifecycleConfiguration>', body.replace(/^.*<LifecycleConfiguration>/, ''));
    assert.equal((await signedHttp(srv, { method: 'PUT', bucket: B, query: [['lifecycle', '']], body: full })).status, 200);
    await passes(srv);
    for (const gone of ['logs/a', 'logs/kms', 'tagged/yes', 'keep/x']) assert.equal(await exists(c, gone), false, gone);
    for (const kept of ['tmp/a', 'tagged/no', 'keep/forever/y', 'other']) assert.equal(await exists(c, kept), true, kept);
    assert.equal(actions(srv, 'expire') - before, 4);
    await waitFor('the expired ciphertext to be collected', async () => blobs.every((f) => !existsSync(f)));
    assert.equal((await c.getBucketStat(B)).stat.ObjectCount, '4');
  });

  test('expiration by date: objects created before the date go, a date already past matches nothing written since', async () => {
    const B = 'lc-date';
    const c = await newBucket(srv, B);
    await c.put('soon/a', Buffer.from('a'));
    await c.put('past/a', Buffer.from('b'));
    const tomorrow = new Date(Math.floor(Date.now() / 86_400_000 + 1) * 86_400_000).toISOString();
    await c.putBucketLifecycle(B, [
      { prefix: 'soon/', status: 'Enabled', expiration: { createdBeforeDate: tomorrow } },
      { prefix: 'past/', status: 'Enabled', expiration: { createdBeforeDate: '2020-01-01T00:00:00.000Z' } },
    ]);
    await passes(srv, 1);
    assert.equal(await exists(c, 'soon/a'), false);
    assert.equal(await exists(c, 'past/a'), true);
  });

  test('transitions: IA, then Archive; an Archive object needs RestoreObject; encryption and data untouched', async () => {
    const B = 'lc-transition';
    const c = await newBucket(srv, B);
    const data = marker(20_000).data;
    await c.put('cold/a', data, { headers: { [SSE]: 'AES256' } });
    await c.put('warm/a', Buffer.from('w'));
    const stored = await record(srv, B, 'cold/a');
    await c.putBucketLifecycle(B, [
      { prefix: 'cold/', status: 'Enabled', transition: { days: 1, storageClass: 'IA' } },
      { prefix: 'warm/', status: 'Enabled', transition: { days: 1000, storageClass: 'IA' } },
    ]);
    await waitFor('cold/a in IA', async () => (await c.head('cold/a')).res.headers['x-oss-storage-class'] === 'IA');
    const head = (await c.head('cold/a')).res.headers;
    assert.equal(head[SSE], 'AES256');
    const put = await signedHttp(srv, {
      method: 'PUT', bucket: B, query: [['lifecycle', '']],
      body: lifecycleXml(rule('<Transition><Days>1</Days><StorageClass>IA</StorageClass></Transition><Transition><Days>2</Days><StorageClass>Archive</StorageClass></Transition>', 'cold/')),
    });
    assert.equal(put.status, 200, put.text);
    await waitFor('cold/a in Archive', async () => (await c.head('cold/a')).res.headers['x-oss-storage-class'] === 'Archive');
    assert.equal((await c.head('warm/a')).res.headers['x-oss-storage-class'], 'Standard');
    const now = await record(srv, B, 'cold/a');
    assert.deepEqual({ ...now, storageClass: stored.storageClass }, stored);
    const stat = (await c.getBucketStat(B)).stat;
    assert.equal(stat.ArchiveObjectCount, '1');
    assert.equal(stat.StandardObjectCount, '1');
    await rejectsWith(c.get('cold/a'), 403, 'InvalidObjectState');
    await c.restore('cold/a');
    await waitFor('the restore', async () => c.get('cold/a').then((r: any) => Buffer.compare(r.content, data) === 0, () => false));
    assert.ok(actions(srv, 'transition') >= 2);
  });

  test('incomplete multipart uploads are aborted after Days, their parts collected', async () => {
    const B = 'lc-mpu';
    const c = await newBucket(srv, B);
    const { uploadId } = await c.initMultipartUpload('mp/big');
    await c.uploadPart('mp/big', uploadId, 1, Buffer.alloc(200 * 1024, 1), 0, 200 * 1024);
    const other = (await c.initMultipartUpload('keep/big')).uploadId;
    const parts = await srv.running.coffer.meta.listParts(uploadId, { limit: 10 });
    const files = parts.map((p) => blobFile(srv.dataDir, p.segment.blobId));
    await c.putBucketLifecycle(B, [{ prefix: 'mp/', status: 'Enabled', abortMultipartUpload: { days: 1 } }]);
    await passes(srv);
    const left = await c.listUploads({});
    assert.deepEqual(left.uploads.map((u: any) => u.uploadId), [other]);
    await waitFor('the aborted parts to be collected', async () => files.every((f) => !existsSync(f)));
    assert.ok(actions(srv, 'abort-upload') >= 1);
  });

  test('versioned bucket: current expiration leaves a delete marker; noncurrent versions expire a day after their successor; a delete marker left alone is removed', async () => {
    const B = 'lc-versions';
    const c = await newBucket(srv, B);
    await c.putBucketVersioning(B, 'Enabled');
    await c.put('cur/a', Buffer.from('1'));
    await c.put('nc/a', Buffer.from('1'));
    await c.put('nc/a', Buffer.from('2'), { headers: { [SSE]: 'AES256' } });
    await c.delete('nc/a');
    await c.put('nc/live', Buffer.from('1'));
    await c.put('nc/live', Buffer.from('2'));
    await c.putBucketLifecycle(B, [
      { prefix: 'cur/', status: 'Enabled', expiration: { days: 1 } },
      { prefix: 'nc/', status: 'Enabled', noncurrentVersionExpiration: { noncurrentDays: 1 }, expiration: { expiredObjectDeleteMarker: 'true' } },
    ]);
    await passes(srv);
    const doc = await c.getBucketVersions({ maxKeys: 1000 });
    const of = (key: string): string[] => [...doc.objects.filter((o: any) => o.name === key).map(() => 'version'), ...doc.deleteMarker.filter((m: any) => m.name === key).map(() => 'marker')];
    assert.deepEqual(of('cur/a'), ['version', 'marker']);
    await rejectsWith(c.head('cur/a'), 404, 'NoSuchKey');
    assert.deepEqual(of('nc/a'), []);
    assert.deepEqual(of('nc/live'), ['version']);
    assert.equal((await c.get('nc/live')).content.toString(), '2');
    assert.ok(actions(srv, 'expire-noncurrent') >= 3);
    assert.ok(actions(srv, 'remove-delete-marker') >= 1);
  });
});

describe('noncurrent age', () => {
  test('a noncurrent version ages from when its successor was written, not from its own Last-Modified; its ciphertext is collected', async () => {
    const B = 'lc-age';
    const c = await newBucket(srv, B);
    await c.putBucketVersioning(B, 'Enabled');
    const v1 = (await c.put('k', marker(30_000).data, { headers: { [SSE]: 'AES256' } })).res.headers['x-oss-version-id'];
    const files = (await srv.running.coffer.meta.getVersion(B, 'k', v1))!.record as { segments: Array<{ blobId: string }> };
    const blobs = files.segments.map((seg) => blobFile(srv.dataDir, seg.blobId));
    await c.putBucketLifecycle(B, [{ prefix: '', status: 'Enabled', noncurrentVersionExpiration: { noncurrentDays: 5 } }]);
    await sleep(4000);
    await c.put('k', Buffer.from('v2'));
    const successorAt = Date.now();
    // Two whole passes later v1 is older than 5 days, but noncurrent for less than 5: it stays.
    await passes(srv, 2);
    assert.ok(Date.now() - successorAt < 5 * DAY_MS, 'the machine is too slow for this timing');
    assert.equal((await c.get('k', { versionId: v1 })).res.status, 200);
    await waitFor('v1 to expire', async () => c.get('k', { versionId: v1 }).then(() => false, (e: any) => e.status === 404));
    assert.ok(Date.now() - successorAt >= 5 * DAY_MS);
    await waitFor('its ciphertext to be collected', async () => blobs.every((f) => !existsSync(f)));
    assert.equal((await c.get('k')).content.toString(), 'v2');
  });
});

describe('the job across restarts and nodes', () => {
  test('coffer server --day-seconds and --lifecycle-interval-seconds', async (t) => {
    const dataDir = tempDir();
    const node = await spawnServer({ dataDir, args: ['--day-seconds', '1', '--lifecycle-interval-seconds', '0.2'] });
    t.after(async () => {
      node.kill('SIGKILL');
      await node.exited;
      rmSync(dataDir, { recursive: true, force: true });
    });
    const c = node.client({ bucket: 'lc-cli' });
    await c.putBucket('lc-cli');
    await c.put('a', Buffer.from('a'));
    await c.putBucketLifecycle('lc-cli', [{ prefix: '', status: 'Enabled', expiration: { days: 1 } }]);
    await waitFor('a to expire', async () => !(await exists(c, 'a')));
  });

  test('a pass interrupted by a restart resumes from its stored marker', async () => {
    const dataDir = tempDir();
    const opts = { ...FAST, dataDir, lifecycleIntervalMs: 300, lifecycleBatch: 5 };
    const a = await startTestServer(opts);
    let b: TestServer | undefined;
    try {
      const c = await newBucket(a, 'lc-resume');
      for (let i = 0; i < 30; i++) await c.put(`k${String(i).padStart(2, '0')}`, Buffer.from(String(i)));
      const tomorrow = new Date(Math.floor(Date.now() / 86_400_000 + 1) * 86_400_000).toISOString();
      await c.putBucketLifecycle('lc-resume', [{ prefix: '', status: 'Enabled', expiration: { createdBeforeDate: tomorrow } }]);
      await waitFor('a pass under way', async () => !!(await passState(a))?.at && actions(a, 'expire') > 0);
      const day = (await passState(a))!.day;
      await a.close();
      const byA = actions(a, 'expire');
      assert.ok(byA > 0 && byA < 30, `${byA} expired before the restart`);
      b = await startTestServer(opts);
      await waitFor('the pass to end', async () => !(await passState(b!))?.at);
      const ended = await passState(b);
      // The same pass went on: its totals count what both servers did (a new pass would count only
      // the second server's), and nothing was done twice.
      assert.equal(ended!.day, day);
      assert.equal(ended!.done.expire, 30);
      assert.equal(actions(b, 'expire'), 30 - byA);
      assert.deepEqual((await b.client({ bucket: 'lc-resume' }).list({ 'max-keys': 100 })).objects, []);
    } finally {
      await b?.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('two servers on one PostgreSQL store: one of them runs the job', async () => {
    const db = await freshDatabase();
    const a = await startTestServer({ ...FAST, metadata: db.url });
    const b = await startTestServer({ ...FAST, metadata: db.url });
    try {
      const c = a.client({ bucket: 'lc-pg' });
      await c.putBucket('lc-pg');
      for (let i = 0; i < 10; i++) await c.put(`x/${i}`, Buffer.from(String(i)));
      await c.putBucketLifecycle('lc-pg', [{ prefix: 'x/', status: 'Enabled', expiration: { days: 1 } }]);
      await waitFor('every object to expire', async () => (await c.list({ prefix: 'x/' })).objects.length === 0);
      await sleep(500);
      assert.equal(a.running.jobs.holds('lifecycle') !== b.running.jobs.holds('lifecycle'), true);
      const counts = [actions(a, 'expire'), actions(b, 'expire')].sort();
      assert.deepEqual(counts, [0, 10]);
    } finally {
      await a.close();
      await b.close();
      await db.drop();
    }
  });
});
