/**
 * /health/live and /health/ready on the OSS listener, as load balancers and Kubernetes probe
 * them: 200 while serving and the stores answer, 503 naming the store that does not; only unsigned
 * GET/HEAD requests without a query are probes, so a bucket named "health" stays reachable.
 */
import assert from 'node:assert/strict';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { http } from '../helpers/oss-http';
import { startTestServer, type TestServer } from '../helpers/server';

let srv: TestServer;
before(async () => { srv = await startTestServer(); });
after(() => srv.close());

test('live and ready answer 200 with JSON, HEAD without a body, never cached', async () => {
  for (const [p, status] of [['/health/live', 'live'], ['/health/ready', 'ready']]) {
    const res = await http(srv, { path: p });
    assert.equal(res.status, 200, p);
    assert.deepEqual(JSON.parse(res.text), { status });
    assert.equal(res.headers['cache-control'], 'no-store');
    const head = await http(srv, { method: 'HEAD', path: p });
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
  }
});

test('a signed request, a query or another method still reaches the OSS API (a bucket may be named "health")', async () => {
  const c = srv.client({ bucket: 'health' });
  await c.putBucket('health');
  await c.put('ready', Buffer.from('an object, not a probe'));
  assert.equal((await c.get('ready')).content.toString(), 'an object, not a probe');
  const withQuery = await http(srv, { path: '/health/ready?acl' });
  assert.equal(withQuery.status, 403, 'an anonymous OSS request, refused by the bucket ACL');
  assert.match(withQuery.text, /<Code>AccessDenied<\/Code>/);
  const put = await http(srv, { method: 'PUT', path: '/health/live', body: 'x' });
  assert.equal(put.status, 403);
});

test('ready answers 503 naming the blob store while it cannot be read, and 200 again after', async () => {
  // The probe looks up a blob under blobs/00/: a file in place of that directory makes the lookup
  // fail with ENOTDIR (a broken store, not a missing blob), whoever the server runs as.
  const dir = path.join(srv.dataDir, 'blobs', '00');
  renameSync(dir, `${dir}.away`);
  writeFileSync(dir, 'not a directory');
  try {
    await sleep(1100); // past the probe's one-second cache
    const res = await http(srv, { path: '/health/ready' });
    assert.equal(res.status, 503);
    const body = JSON.parse(res.text);
    assert.equal(body.status, 'unavailable');
    assert.match(body.problems.blobs, /ENOTDIR/);
    assert.equal(body.problems.metadata, undefined);
    assert.equal((await http(srv, { path: '/health/live' })).status, 200, 'still live: restarting would not help');
  } finally {
    rmSync(dir);
    renameSync(`${dir}.away`, dir);
  }
  await sleep(1100);
  assert.equal((await http(srv, { path: '/health/ready' })).status, 200);
});
