/**
 * Faults in a cluster: a node SIGKILLed in the middle of uploads leaves the others serving and
 * every acknowledged object intact; a reader on one node keeps the blobs it is reading while
 * another node overwrites the object and collects, for as long as the grace period lasts.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import type { ObjectRecord } from '../../src/store/types';
import { blobsInStore, startCluster, type Cluster } from '../helpers/cluster';
import { bytes } from '../helpers/oss-http';
import { SSE } from '../helpers/sse';
import { popClient } from '../rpc/helpers';

const clusters: Cluster[] = [];
after(() => Promise.all(clusters.map((c) => c.stop())));

async function cluster(n: number, graceSeconds = 0): Promise<Cluster> {
  const c = await startCluster(n, { graceSeconds });
  clusters.push(c);
  return c;
}

/** A body that trickles out, so the request is still under way when the node dies. */
function trickle(data: Buffer, chunk = 16 * 1024, ms = 20): Readable {
  let at = 0;
  return new Readable({
    read() {
      setTimeout(() => {
        const piece = data.subarray(at, at + chunk);
        at += piece.length;
        this.push(piece.length ? piece : null);
      }, ms);
    },
  });
}

test('a node SIGKILLed mid-upload: the other nodes keep serving, and every acknowledged object is intact', async () => {
  const c = await cluster(3);
  const bucket = 'faults';
  await c.nodes[0].client({ bucket }).putBucket(bucket);
  const acked = new Map<string, Buffer>();
  const put = async (i: number, key: string, data: Buffer, slow: boolean): Promise<void> => {
    const client = c.nodes[i].client({ bucket });
    await client.put(key, slow ? trickle(data) : data, { headers: { [SSE]: 'AES256', ...(slow ? { 'Content-Length': String(data.length) } : {}) } });
    acked.set(key, data);
  };
  for (let k = 0; k < 6; k++) await put(k % 3, `before-${k}`, bytes(100 * 1024 + k, k), false);
  // Slow uploads to node 1, which dies under them; quick ones to the others meanwhile.
  const doomed = Array.from({ length: 3 }, (_, k) => put(1, `doomed-${k}`, bytes(2 * 1024 * 1024, 50 + k), true).then(() => 'acked', () => 'failed'));
  await sleep(300);
  c.nodes[1].kill('SIGKILL');
  const during = Array.from({ length: 6 }, (_, k) => put(k % 2 === 0 ? 0 : 2, `during-${k}`, bytes(80 * 1024 + k, 20 + k), false));
  await Promise.all(during);
  assert.deepEqual(await Promise.all(doomed), ['failed', 'failed', 'failed'], 'the killed node acknowledged nothing it had not stored');
  for (const [key, data] of acked) {
    for (const i of [0, 2]) assert.ok((await c.nodes[i].client({ bucket }).get(key)).content.equals(data), `${key} on node ${i}`);
  }
  for (let k = 0; k < 3; k++) {
    await assert.rejects(c.nodes[0].client({ bucket }).head(`doomed-${k}`), (e: { status?: number }) => e.status === 404);
  }
  // The node comes back on the same stores and serves what the others wrote while it was down.
  const back = await c.restart(1);
  assert.ok((await back.client({ bucket }).get('during-0')).content.equals(acked.get('during-0')!));
});

async function segmentsOf(c: Cluster, bucket: string, key: string): Promise<string[]> {
  const db = new Client({ connectionString: c.metadata });
  await db.connect();
  try {
    const r = await db.query('SELECT data FROM objects WHERE bucket = $1 AND key = $2', [bucket, Buffer.from(key)]);
    return (JSON.parse(r.rows[0].data) as ObjectRecord).segments.map((s) => s.blobId);
  } finally {
    await db.end();
  }
}

/**
 * Reads an object slowly: the first chunk, then nothing until `pause` resolves (the paused stream
 * holds the server back, so the later segments' blobs are opened only then), then the rest.
 */
async function slowRead(client: any, key: string, pause: Promise<void>): Promise<Buffer> {
  const { stream } = await client.getStream(key);
  const chunks: Buffer[] = [];
  const it = (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  const first = await it.next();
  chunks.push(first.value);
  await pause;
  for (let r = await it.next(); !r.done; r = await it.next()) chunks.push(r.value);
  return Buffer.concat(chunks);
}

test('a reader on one node keeps its blobs while another node overwrites the object and collects, until the grace passes', async () => {
  const grace = 6;
  const c = await cluster(2, grace);
  const bucket = 'race';
  const a = c.nodes[0].client({ bucket });
  const b = c.nodes[1].client({ bucket });
  await a.putBucket(bucket);
  // Three 4 MiB parts: far more than the sockets buffer, so parts 2 and 3 are opened only after the pause.
  const parts = [bytes(4 << 20, 1), bytes(4 << 20, 2), bytes(4 << 20, 3)];
  const init = await a.initMultipartUpload('big');
  const done = [];
  for (const [i, p] of parts.entries()) done.push({ number: i + 1, etag: (await a.uploadPart('big', init.uploadId, i + 1, p, 0, p.length)).etag });
  await a.completeMultipartUpload('big', init.uploadId, done);

  const oldBlobs = await segmentsOf(c, bucket, 'big');
  assert.equal(oldBlobs.length, 3);
  let resume!: () => void;
  const reading = slowRead(a, 'big', new Promise<void>((r) => (resume = r)));
  await sleep(200);
  await b.put('big', Buffer.from('overwritten'));
  let inStore = await blobsInStore(c);
  const collected = await popClient(c.nodes[1].kmsUrl).request<{ Retired: number }>('CollectBlobs', {}, { method: 'POST' });
  assert.equal(collected.Retired, 0, 'nothing retired is due within the grace period');
  resume();
  assert.ok((await reading).equals(Buffer.concat(parts)), 'the reader got the whole old object');
  assert.equal((await a.get('big')).content.toString(), 'overwritten');
  assert.deepEqual(oldBlobs.filter((id) => !inStore.has(id)), [], 'the old blobs are still stored during the grace');

  await sleep(grace * 1000 + 500);
  await popClient(c.nodes[1].kmsUrl).request('CollectBlobs', {}, { method: 'POST' });
  inStore = await blobsInStore(c);

  assert.equal(oldBlobs.filter((id) => inStore.has(id)).length, 0, 'no old blob left');
});
