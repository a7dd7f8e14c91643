/**
 * `coffer server --workers 2` on the embedded store (one SQLite file in WAL mode, one blob
 * directory): both processes serve, over fresh connections spread between them by the primary;
 * what one worker changes (RAM keys, master-key rotation) the other honours within a second; a
 * worker killed with SIGKILL is replaced and loses nothing acknowledged.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnServer, type ServerProcess } from './helpers/process-server';
import { bytes, rejectsWith } from './helpers/oss-http';
import { Ram, newRamUser, ramClient } from './helpers/ram';
import { tempDir } from './helpers/server';
import { SSE } from './helpers/sse';
import { createKey, kmsClient } from './helpers/kms';

const BUCKET = 'workers';
let srv: ServerProcess;
const dataDir = tempDir('coffer-workers-');

before(async () => {
  srv = await spawnServer({ dataDir, args: ['--workers', '2'] });
  await client().putBucket(BUCKET);
});

after(async () => {
  srv?.kill('SIGTERM');
  await srv?.exited;
  rmSync(dataDir, { recursive: true, force: true });
});

/** A client whose every request opens a new connection, so the primary spreads them over the workers. */
const client = (options: object = {}): any => srv.client({ bucket: BUCKET, agent: new Agent({ keepAlive: false }), ...options });

/** The pids of the processes whose parent is `pid`. */
function children(pid: number): number[] {
  const kids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the parenthesised command name: state, ppid, …
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) kids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return kids;
}

test('two worker processes serve one store: objects of every kind written through one read through the other', async () => {
  assert.equal(children(srv.pid).length, 2, 'the primary runs two workers');
  const cmk = await createKey(kmsClient(srv));
  const kinds: Array<Record<string, string>> = [{}, { [SSE]: 'AES256' }, { [SSE]: 'SM4' }, { [SSE]: 'KMS' }, { [SSE]: 'KMS', 'x-oss-server-side-encryption-key-id': cmk }];
  for (const [i, headers] of kinds.entries()) {
    const data = bytes(200 * 1024 + i, i + 1);
    await client().put(`k${i}`, data, { headers });
    // Several fresh connections: both workers answer some of them.
    for (let r = 0; r < 4; r++) assert.ok((await client().get(`k${i}`)).content.equals(data), `k${i} read ${r}`);
  }
  const parts = [bytes(150 * 1024, 9), bytes(10, 10)];
  const init = await client().initMultipartUpload('multi', { headers: { [SSE]: 'AES256' } });
  const done = [];
  for (const [i, p] of parts.entries()) done.push({ number: i + 1, etag: (await client().uploadPart('multi', init.uploadId, i + 1, p, 0, p.length)).etag });
  await client().completeMultipartUpload('multi', init.uploadId, done);
  assert.ok((await client().get('multi')).content.equals(Buffer.concat(parts)));
});

test('an access key made Inactive through one worker is refused by both within a second', async () => {
  const user = await newRamUser(srv, 'worker-user', ['AliyunOSSFullAccess']);
  await client().put('ram', Buffer.from('r'));
  for (let r = 0; r < 4; r++) await client(user).get('ram');
  await ramClient(srv).updateAccessKey(new Ram.UpdateAccessKeyRequest({ userName: 'worker-user', userAccessKeyId: user.accessKeyId, status: 'Inactive' }));
  await sleep(1000);
  for (let r = 0; r < 6; r++) await rejectsWith(client(user).get('ram'), 403, 'InvalidAccessKeyId');
});

/** coffer_oss_requests_total summed over its series, from one scrape of /metrics. */
async function ossRequestsTotal(): Promise<number> {
  const res = await fetch(`${srv.consoleUrl}/metrics`, { headers: { connection: 'close' } });
  assert.equal(res.status, 200);
  let total = 0;
  for (const line of (await res.text()).split('\n')) {
    const m = /^coffer_oss_requests_total\{[^}]*\} (\d+)$/.exec(line);
    if (m) total += Number(m[1]);
  }
  return total;
}

test('/metrics counts the requests of both workers, whichever worker a scrape lands on', async () => {
  const before = await ossRequestsTotal();
  // New connections each: the primary spreads them over both workers.
  for (let i = 0; i < 20; i++) await client().head('k0');
  const scrapes: number[] = [];
  for (let i = 0; i < 6; i++) scrapes.push(await ossRequestsTotal());
  // Each scrape sees all 20 HEADs (and no request is lost or counted twice), not one worker's share.
  assert.deepEqual(scrapes, scrapes.map(() => before + 20), `scrapes: ${scrapes.join(', ')} (before: ${before})`);
});

test('a worker killed with SIGKILL is replaced; requests go on and nothing acknowledged is lost', async () => {
  const acked = new Map<string, Buffer>();
  const [victim] = children(srv.pid);
  let stop = false;
  const writer = (async () => {
    for (let n = 0; !stop; n++) {
      const data = bytes(30 * 1024 + n, n);
      // A request on the killed worker's connection fails or times out; it was not acknowledged.
      await client({ timeout: 5000 }).put(`load-${n}`, data).then(() => acked.set(`load-${n}`, data), () => undefined);
    }
  })();
  await sleep(300);
  process.kill(victim, 'SIGKILL');
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const now = children(srv.pid);
    if (now.length === 2 && !now.includes(victim)) break;
    await sleep(100);
  }
  await sleep(500);
  stop = true;
  await writer;
  const now = children(srv.pid);
  assert.equal(now.length, 2, 'two workers again');
  assert.ok(!now.includes(victim), 'a new worker in place of the killed one');
  assert.ok(acked.size > 5, `writes went on (${acked.size} acknowledged)`);
  for (const [key, data] of acked) assert.ok((await client().get(key)).content.equals(data), key);
});
