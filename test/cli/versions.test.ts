/** `coffer ls --all-versions`, `cp --version-id` and `rm --version-id` against a versioned bucket. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { assertFails, startCli, type Cli } from './helpers';

let cli: Cli;
let c: any;
const BUCKET = 'cli-versions';
const ids: string[] = [];
let markerId: string;

before(async () => {
  cli = await startCli();
  c = cli.srv.client({ bucket: BUCKET });
  await c.putBucket(BUCKET);
  await c.putBucketVersioning(BUCKET, 'Enabled');
  ids.push((await c.put('doc.txt', Buffer.from('first'), { headers: { 'x-oss-server-side-encryption': 'AES256' } })).res.headers['x-oss-version-id']);
  ids.push((await c.put('doc.txt', Buffer.from('second'))).res.headers['x-oss-version-id']);
  markerId = (await c.delete('doc.txt')).res.headers['x-oss-version-id'];
  await c.put('other.txt', Buffer.from('other'));
});
after(async () => { await cli.close(); });

test('ls --all-versions lists every version and delete marker, newest first per key, the latest marked', async () => {
  const out = await cli.json(['ls', '--all-versions', `oss://${BUCKET}`]);
  assert.deepEqual(out.versions.map((v: any) => [v.key, v.versionId, v.latest, v.deleteMarker]), [
    ['doc.txt', ids[1], false, false],
    ['doc.txt', ids[0], false, false],
    ['doc.txt', markerId, true, true],
    ['other.txt', out.versions[3].versionId, true, false],
  ]);
  const text = await cli.run(['ls', '--all-versions', `oss://${BUCKET}/doc`]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /VersionId/);
  assert.match(text.stdout, /\(delete marker\)/);
  assert.match(text.stdout, /Version Number is: 3/);
  assertFails(await cli.run(['ls', '--all-versions']), 2, /--all-versions/);
});

test('cp --version-id downloads an old version, and restores it by copying it onto its key', async () => {
  const file = path.join(cli.dir, 'first.txt');
  await cli.json(['cp', `oss://${BUCKET}/doc.txt`, file, '--version-id', ids[0]]);
  assert.equal(readFileSync(file, 'utf8'), 'first');
  const restored = await cli.json(['cp', `oss://${BUCKET}/doc.txt`, `oss://${BUCKET}/doc.txt`, '--version-id', ids[0]]);
  assert.equal(restored.destination, `oss://${BUCKET}/doc.txt`);
  assert.equal((await c.get('doc.txt')).content.toString(), 'first');
  assertFails(await cli.run(['cp', file, `oss://${BUCKET}/x`, '--version-id', ids[0]]), 2, /--version-id/);
});

test('rm adds a delete marker in a versioned bucket; rm --version-id removes one version for good', async () => {
  const marked = await cli.json(['rm', `oss://${BUCKET}/other.txt`]);
  assert.equal(marked.deleteMarker, true);
  assert.match(marked.deleteMarkerVersionId, /^[A-Za-z0-9_-]{32}$/);
  const gone = await cli.json(['rm', `oss://${BUCKET}/doc.txt`, '--version-id', ids[1]]);
  assert.equal(gone.versionId, ids[1]);
  const left = (await cli.json(['ls', '--all-versions', `oss://${BUCKET}/doc.txt`])).versions.map((v: any) => v.versionId);
  assert.ok(!left.includes(ids[1]));
  assert.ok(left.includes(ids[0]));
  const unmark = await cli.run(['rm', `oss://${BUCKET}/doc.txt`, '--version-id', markerId]);
  assert.equal(unmark.code, 0, unmark.stderr);
  assert.match(unmark.stdout, /a delete marker/);
  assertFails(await cli.run(['rm', '-r', '-f', `oss://${BUCKET}/`, '--version-id', ids[0]]), 2, /--version-id/);
});

test('encrypt in a versioned bucket: a new encrypted version per object, the older versions kept as they were, and said so', async () => {
  await c.put('plain.txt', Buffer.from('plain'));
  const r = await cli.json(['encrypt', `oss://${BUCKET}/plain.txt`, '--sse-algorithm', 'AES256']);
  assert.equal(r.changed, 1);
  assert.equal(r.olderVersionsKept, true);
  const versions = (await cli.json(['ls', '--all-versions', `oss://${BUCKET}/plain.txt`])).versions;
  assert.equal(versions.length, 2);
  const heads = await Promise.all(versions.map((v: any) => c.head('plain.txt', { versionId: v.versionId })));
  assert.deepEqual(heads.map((h: any) => h.res.headers['x-oss-server-side-encryption']), ['AES256', undefined]);
});
