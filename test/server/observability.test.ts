/**
 * Metrics and access logs of a real server: the request histograms and byte counters after ali-oss
 * and @aws-sdk/client-s3 requests, requests in flight, KMS call latency, metadata transaction
 * latency, blob bytes, per-bucket storage gauges, the process metrics; the metrics token; KMS key
 * ids in labels only with the flag; one access line per request, with no secret, as JSON and pretty.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { PassThrough, Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createLogger, prettyLine, type LogFormat } from '../../src/common/log';
import { createKey, kmsClient } from '../helpers/kms';
import { localhostClient } from '../helpers/oss-clients';
import { bodyBytes, s3Client } from '../helpers/s3';
import { ACCESS_KEY_ID, ACCESS_KEY_SECRET, startTestServer, type TestServer } from '../helpers/server';
import { kmsHeaders } from '../sse-kms/helpers';

/** A log sink that keeps every line written to it. */
function sink(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({ write(chunk, _enc, done) { lines.push(...String(chunk).split('\n').filter(Boolean)); done(); } });
  return { stream, lines };
}

async function startLogged(format: LogFormat, overrides: Parameters<typeof startTestServer>[0] = {}): Promise<{ srv: TestServer; lines: string[] }> {
  const { stream, lines } = sink();
  const srv = await startTestServer({ logLevel: 'info', logger: createLogger('info', stream, format), ...overrides });
  return { srv, lines };
}

async function scrape(srv: TestServer, headers: Record<string, string> = {}): Promise<{ status: number; text: string; headers: Headers }> {
  const res = await fetch(`${srv.consoleUrl}/metrics`, { headers });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

/** The value of the one sample of `name` whose labels include `labels` (undefined when none). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const found: number[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = new Map([...(m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) found.push(Number(m[3]));
  }
  assert.ok(found.length <= 1, `${name} ${JSON.stringify(labels)} matches ${found.length} samples`);
  return found[0];
}

/** Waits until `check` holds (the access line and the metrics are written just after the response). */
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await sleep(10);
  assert.ok(check(), what);
}

const accessLines = (lines: string[]): Array<Record<string, unknown>> =>
  lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'access');

/** An S3 client that keeps the Authorization header of each request it signs. */
function recordingS3(srv: TestServer): { s3: S3Client; authorizations: string[] } {
  const s3 = s3Client(srv);
  const authorizations: string[] = [];
  s3.middlewareStack.add((next) => async (args) => {
    const auth = (args.request as { headers?: Record<string, string> }).headers?.authorization;
    if (auth) authorizations.push(auth);
    return next(args);
  }, { step: 'deserialize', name: 'recordAuthorization' });
  return { s3, authorizations };
}

describe('default flags', () => {
  let srv: TestServer;
  let lines: string[];
  before(async () => { ({ srv, lines } = await startLogged('json')); });
  after(() => srv.close());

  test('request histograms, byte counters and the dialect counters after ali-oss and S3 SDK requests', async () => {
    const oss = srv.client({ bucket: 'metrics-oss' });
    await oss.putBucket('metrics-oss');
    const body = Buffer.alloc(40_000, 7);
    await oss.put('a', body);
    assert.ok((await oss.get('a')).content.equals(body));
    await assert.rejects(oss.get('missing'), { status: 404 });
    const { s3 } = recordingS3(srv);
    await s3.send(new PutObjectCommand({ Bucket: 'metrics-oss', Key: 's3/b', Body: body }));
    assert.ok((await bodyBytes((await s3.send(new GetObjectCommand({ Bucket: 'metrics-oss', Key: 's3/b' }))).Body)).equals(body));
    await assert.rejects(s3.send(new HeadObjectCommand({ Bucket: 'metrics-oss', Key: 'nothing' })), { name: 'NotFound' });
    await s3.send(new ListObjectsV2Command({ Bucket: 'metrics-oss' }));

    const first = await scrape(srv);
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    const text = first.text;
    assert.match(text, /^# TYPE coffer_http_request_duration_seconds histogram$/m);
    const count = (t: string, dialect: string, operation: string, status: string): number | undefined =>
      sample(t, 'coffer_http_request_duration_seconds_count', { dialect, operation, status });
    for (const [dialect, operation, status] of [
      ['oss', 'PutBucket', '200'], ['oss', 'PutObject', '200'], ['oss', 'GetObject', '200'], ['oss', 'GetObject', '404'],
      ['s3', 'PutObject', '200'], ['s3', 'GetObject', '200'], ['s3', 'HeadObject', '404'], ['s3', 'ListObjectsV2', '200'],
    ]) {
      assert.equal(count(text, dialect, operation, status), 1, `${dialect} ${operation} ${status}`);
      assert.equal(sample(text, 'coffer_http_request_duration_seconds_bucket', { dialect, operation, status, le: '+Inf' }), 1);
      assert.ok(sample(text, 'coffer_http_request_duration_seconds_sum', { dialect, operation, status })! > 0);
      // The dialects' own counters, with their labels as before.
      assert.equal(sample(text, `coffer_${dialect}_requests_total`, { operation, status }), 1);
    }
    assert.match(text, /^coffer_http_request_duration_seconds_bucket\{(?=.*le="0.005")(?=.*dialect="oss")(?=.*operation="PutObject")(?=.*status="200")(?=.*node="[^"]+").*\} [01]$/m);
    assert.match(text, /^coffer_oss_requests_total\{operation="PutObject",status="200",node="[^"]+"\} 1$/m);
    // Bytes on the wire: at least the bodies, headers included.
    assert.ok(sample(text, 'coffer_http_request_bytes_total', { dialect: 'oss', operation: 'PutObject', status: '200' })! > body.length);
    assert.ok(sample(text, 'coffer_http_response_bytes_total', { dialect: 'oss', operation: 'GetObject', status: '200' })! > body.length);
    assert.ok(sample(text, 'coffer_http_request_bytes_total', { dialect: 's3', operation: 'PutObject', status: '200' })! > body.length);
    assert.ok(sample(text, 'coffer_http_response_bytes_total', { dialect: 's3', operation: 'GetObject', status: '200' })! > body.length);
    assert.ok(sample(text, 'coffer_http_response_bytes_total', { dialect: 'oss', operation: 'PutObject', status: '200' })! < 2000);

    await oss.put('a', body);
    await oss.put('c', Buffer.from('x'));
    await s3.send(new PutObjectCommand({ Bucket: 'metrics-oss', Key: 's3/c', Body: 'y' }));
    const second = (await scrape(srv)).text;
    assert.equal(count(second, 'oss', 'PutObject', '200'), 3);
    assert.equal(count(second, 's3', 'PutObject', '200'), 2);
    assert.equal(sample(second, 'coffer_oss_requests_total', { operation: 'PutObject', status: '200' }), 3);
    assert.ok(sample(second, 'coffer_http_request_bytes_total', { dialect: 'oss', operation: 'PutObject', status: '200' })! > 2 * body.length);
  });

  test('the store metrics: metadata transaction latency, blob bytes, objects and bytes per bucket', async () => {
    const oss = srv.client({ bucket: 'metrics-store' });
    await oss.putBucket('metrics-store');
    const before = (await scrape(srv)).text;
    const writtenBefore = sample(before, 'coffer_blob_written_bytes_total', { backend: 'fs' }) ?? 0;
    const readBefore = sample(before, 'coffer_blob_read_bytes_total', { backend: 'fs' }) ?? 0;
    await oss.put('one', Buffer.alloc(1000, 1));
    await oss.put('two', Buffer.alloc(2345, 2));
    await oss.get('two');
    await oss.put('three', Buffer.alloc(10, 3), { headers: { 'x-oss-storage-class': 'IA' } });
    const text = (await scrape(srv)).text;
    assert.ok(sample(text, 'coffer_metadata_transaction_duration_seconds_count', { backend: 'sqlite', outcome: 'committed' })! >= 3);
    assert.match(text, /^# TYPE coffer_metadata_transaction_duration_seconds histogram$/m);
    assert.equal(sample(text, 'coffer_blob_written_bytes_total', { backend: 'fs' })! - writtenBefore, 1000 + 2345 + 10);
    assert.equal(sample(text, 'coffer_blob_read_bytes_total', { backend: 'fs' })! - readBefore, 2345);
    assert.equal(sample(text, 'coffer_bucket_objects', { bucket: 'metrics-store' }), 3);
    assert.equal(sample(text, 'coffer_bucket_bytes', { bucket: 'metrics-store' }), 1000 + 2345 + 10);
    assert.equal(sample(text, 'coffer_bucket_class_objects', { bucket: 'metrics-store', storage_class: 'Standard' }), 2);
    assert.equal(sample(text, 'coffer_bucket_class_bytes', { bucket: 'metrics-store', storage_class: 'IA' }), 10);
    assert.equal(sample(text, 'coffer_bucket_multipart_uploads', { bucket: 'metrics-store' }), 0);
    assert.equal(sample(text, 'coffer_bucket_stats_truncated'), 0);
    await oss.delete('one');
    const later = (await scrape(srv)).text;
    assert.equal(sample(later, 'coffer_bucket_objects', { bucket: 'metrics-store' }), 2);
    assert.equal(sample(later, 'coffer_bucket_bytes', { bucket: 'metrics-store' }), 2345 + 10);
  });

  test('requests in flight, by dialect', async () => {
    const oss = srv.client({ bucket: 'metrics-oss' });
    const stream = new PassThrough();
    const upload = oss.putStream('slow', stream);
    stream.write(Buffer.alloc(1000));
    let text = '';
    for (let i = 0; i < 100; i++) {
      text = (await scrape(srv)).text;
      if (sample(text, 'coffer_http_requests_in_flight', { dialect: 'oss' }) === 1) break;
      await sleep(20);
    }
    assert.equal(sample(text, 'coffer_http_requests_in_flight', { dialect: 'oss' }), 1);
    stream.end(Buffer.alloc(1000));
    await upload;
    text = (await scrape(srv)).text;
    assert.equal(sample(text, 'coffer_http_requests_in_flight', { dialect: 'oss' }), 0);
    assert.equal(sample(text, 'coffer_http_requests_in_flight', { dialect: 's3' }), 0);
  });

  test('process metrics: event-loop lag, heap, GC, CPU, all with the node label', async () => {
    const text = (await scrape(srv)).text;
    for (const name of ['nodejs_eventloop_lag_seconds', 'nodejs_eventloop_lag_p99_seconds', 'nodejs_heap_size_used_bytes', 'process_cpu_user_seconds_total', 'process_resident_memory_bytes']) {
      assert.match(text, new RegExp(`^${name}\\{node="[^"]+"\\} \\S+$`, 'm'), name);
    }
    assert.match(text, /^# TYPE nodejs_gc_duration_seconds histogram$/m);
    // Every sample carries the node.
    for (const line of text.split('\n')) if (line && !line.startsWith('#')) assert.match(line, /node="[^"]+"/, line);
  });

  test('KMS call latency by action; key ids appear in no label without --metrics-key-ids', async () => {
    const keyId = await createKey(kmsClient(srv));
    const oss = srv.client({ bucket: 'metrics-kms' });
    await oss.putBucket('metrics-kms');
    await oss.put('secret', Buffer.from('sealed'), { headers: kmsHeaders(keyId) });
    await oss.get('secret');
    const text = (await scrape(srv)).text;
    assert.equal(sample(text, 'coffer_kms_call_duration_seconds_count', { action: 'GenerateDataKey', outcome: 'ok', via: 'oss' }), 1);
    assert.equal(sample(text, 'coffer_kms_call_duration_seconds_count', { action: 'Decrypt', outcome: 'ok', via: 'oss' }), 1);
    assert.equal(sample(text, 'coffer_kms_call_duration_seconds_count', { action: 'CreateKey', outcome: 'ok', via: 'api' }), 1);
    assert.match(text, /^coffer_kms_calls_total\{action="GenerateDataKey",outcome="ok",via="oss",node="[^"]+"\} 1$/m);
    assert.ok(!text.includes(keyId), 'a key id is in /metrics');
    assert.doesNotMatch(text, /\bkey="/);
    // The KMS API's requests are observed as the "rpc" dialect.
    assert.equal(sample(text, 'coffer_http_request_duration_seconds_count', { dialect: 'rpc', operation: 'CreateKey', status: '200' }), 1);
  });

  test('one access line per request, with its facts and no secret', async () => {
    lines.length = 0;
    const oss = srv.client({ bucket: 'access-log' });
    await oss.putBucket('access-log');
    const put = await oss.put('dir/file.txt', Buffer.from('hello'));
    // ali-oss presigns only for a host name; the server listens on 127.0.0.1 (V1 does not sign the host).
    const presigned = localhostClient(srv, { bucket: 'access-log' }).signatureUrl('dir/file.txt').replace('//localhost:', '//127.0.0.1:');
    const viaUrl = await fetch(presigned);
    assert.equal(await viaUrl.text(), 'hello');
    await assert.rejects(oss.get('absent'), { status: 404 });
    const { s3, authorizations } = recordingS3(srv);
    const s3Put = await s3.send(new PutObjectCommand({ Bucket: 'access-log', Key: 'from s3', Body: 'world' }));
    await until(() => accessLines(lines).length >= 5, 'five access lines');
    await sleep(50);
    const access = accessLines(lines);
    assert.equal(access.length, 5, JSON.stringify(access));
    const ids = access.map((l) => l.requestId);
    assert.equal(new Set(ids).size, 5);
    assert.ok(ids.includes(put.res.headers['x-oss-request-id']));
    assert.ok(ids.includes(viaUrl.headers.get('x-oss-request-id')));
    assert.ok(ids.includes(s3Put.$metadata.requestId));
    const byOp = new Map(access.map((l) => [`${l.dialect} ${l.operation} ${l.status}`, l]));
    const p = byOp.get('oss PutObject 200')!;
    assert.deepEqual(
      { dialect: p.dialect, method: p.method, operation: p.operation, bucket: p.bucket, key: p.key, status: p.status, accessKeyId: p.accessKeyId, level: p.level },
      { dialect: 'oss', method: 'PUT', operation: 'PutObject', bucket: 'access-log', key: 'dir/file.txt', status: 200, accessKeyId: ACCESS_KEY_ID, level: 'info' },
    );
    assert.ok((p.bytesIn as number) > 5 && (p.bytesOut as number) > 0, JSON.stringify(p));
    assert.equal(typeof p.ms, 'number');
    assert.ok(!Number.isNaN(Date.parse(p.time as string)));
    assert.equal(byOp.get('oss GetObject 200')!.key, 'dir/file.txt');
    assert.ok((byOp.get('oss GetObject 200')!.bytesOut as number) > 5);
    assert.equal(byOp.get('oss GetObject 404')!.key, 'absent');
    assert.equal(byOp.get('oss PutBucket 200')!.key, undefined);
    const s = byOp.get('s3 PutObject 200')!;
    assert.deepEqual([s.bucket, s.key, s.accessKeyId], ['access-log', 'from s3', ACCESS_KEY_ID]);

    const all = lines.join('\n');
    const signature = new URL(presigned).searchParams.get('Signature')!;
    assert.ok(signature.length > 10);
    assert.ok(authorizations.length >= 1);
    for (const secret of [ACCESS_KEY_SECRET, signature, encodeURIComponent(signature), ...authorizations, ...authorizations.map((a) => a.split('Signature=')[1])]) {
      assert.ok(!all.includes(secret), `the log holds ${secret}`);
    }
    assert.doesNotMatch(all, /authorization|signature/i);
  });

  test('/metrics is open without a token; /api/metrics needs a console session', async () => {
    assert.equal((await scrape(srv)).status, 200);
    assert.equal((await fetch(`${srv.consoleUrl}/api/metrics`)).status, 401);
  });
});

describe('--metrics-token, --metrics-key-ids and the pretty log format', () => {
  const TOKEN = 'scrape-token-0123456789';
  let srv: TestServer;
  let lines: string[];
  before(async () => { ({ srv, lines } = await startLogged('pretty', { metricsToken: TOKEN, metricsKeyIds: true })); });
  after(() => srv.close());

  test('/metrics answers 401 without the bearer token, 200 with it', async () => {
    const none = await scrape(srv);
    assert.equal(none.status, 401);
    assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="coffer-metrics"');
    assert.doesNotMatch(none.text, /coffer_/);
    for (const authorization of [`Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(1)}`, 'Bearer ', `Basic ${TOKEN}`, TOKEN, `Bearer ${TOKEN} extra`]) {
      assert.equal((await scrape(srv, { authorization })).status, 401, authorization);
    }
    const ok = await scrape(srv, { authorization: `Bearer ${TOKEN}` });
    assert.equal(ok.status, 200);
    assert.match(ok.text, /^# TYPE coffer_http_request_duration_seconds histogram$/m);
    assert.equal((await scrape(srv, { authorization: `bearer ${TOKEN}` })).status, 200);
    assert.equal((await fetch(`${srv.consoleUrl}/metrics`, { method: 'HEAD', headers: { authorization: `Bearer ${TOKEN}` } })).status, 200);
  });

  test('with --metrics-key-ids, coffer_kms_calls_total names the key', async () => {
    const keyId = await createKey(kmsClient(srv));
    const oss = srv.client({ bucket: 'metrics-key-ids' });
    await oss.putBucket('metrics-key-ids');
    await oss.put('secret', Buffer.from('sealed'), { headers: kmsHeaders(keyId) });
    const text = (await scrape(srv, { authorization: `Bearer ${TOKEN}` })).text;
    assert.match(text, new RegExp(`^coffer_kms_calls_total\\{action="GenerateDataKey",key="${keyId}",outcome="ok",via="oss",node="[^"]+"\\} 1$`, 'm'));
    assert.equal(srv.running.metrics.value('coffer_kms_calls_total', { action: 'GenerateDataKey', key: keyId, outcome: 'ok', via: 'oss' }), 1);
    // The latency histogram stays per action: a series per key would multiply its buckets.
    assert.equal(sample(text, 'coffer_kms_call_duration_seconds_count', { action: 'GenerateDataKey', outcome: 'ok', via: 'oss' }), 1);
  });

  test('pretty access lines: one compact line per request', async () => {
    lines.length = 0;
    const oss = srv.client({ bucket: 'pretty-log' });
    await oss.putBucket('pretty-log');
    await oss.put('some key', Buffer.from('hello'));
    await until(() => lines.length >= 2, 'two lines');
    await sleep(50);
    assert.equal(lines.length, 2, lines.join('\n'));
    assert.match(lines[0], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO {2}oss PUT PutBucket pretty-log\/ 200 in=\d+B out=\d+B [\d.]+ms id=[0-9A-F]{24} ak=LTAItestrootkey0001 ip=127\.0\.0\.1$/);
    assert.match(lines[1], /^\S+ INFO {2}oss PUT PutObject "pretty-log\/some key" 200 in=\d+B out=\d+B [\d.]+ms id=[0-9A-F]{24} ak=LTAItestrootkey0001 ip=127\.0\.0\.1$/);
    assert.ok(!lines.join('\n').includes(ACCESS_KEY_SECRET));
  });
});

test('createLogger: JSON lines with time, level and msg; levels below the minimum are dropped', () => {
  const { stream, lines } = sink();
  const logger = createLogger('warn', stream);
  assert.equal(logger.enabled('info'), false);
  assert.equal(logger.enabled('error'), true);
  logger.log('info', 'not written', { a: 1 });
  logger.log('error', 'it broke', { requestId: 'R1', error: 'disk full' });
  assert.equal(lines.length, 1);
  const o = JSON.parse(lines[0]);
  assert.deepEqual({ level: o.level, msg: o.msg, requestId: o.requestId, error: o.error }, { level: 'error', msg: 'it broke', requestId: 'R1', error: 'disk full' });
  assert.ok(!Number.isNaN(Date.parse(o.time)));
});

test('prettyLine quotes what would break the line, and formats other messages as key=value', () => {
  assert.equal(
    prettyLine({ time: 'T', level: 'error', msg: 'request failed', requestId: 'R1', error: 'two\nlines "quoted"' }),
    'T ERROR request failed requestId=R1 error="two\\nlines \\"quoted\\""',
  );
  assert.equal(
    prettyLine({ time: 'T', level: 'info', msg: 'access', dialect: 's3', method: 'GET', operation: 'GetObject', bucket: 'b', key: 'a\nb', status: 200, bytesIn: 1, bytesOut: 2, ms: 0.5, requestId: 'R', accessKeyId: 'AK' }),
    'T INFO  s3 GET GetObject "b/a\\nb" 200 in=1B out=2B 0.5ms id=R ak=AK',
  );
  assert.equal(
    prettyLine({ time: 'T', level: 'info', msg: 'access', dialect: 'rpc', method: 'POST', operation: '-', status: 400, bytesIn: 1, bytesOut: 2, ms: 1, requestId: 'R' }),
    'T INFO  rpc POST - - 400 in=1B out=2B 1ms id=R ak=-',
  );
});

test('a raw unsigned request is logged without an AccessKeyId', async () => {
  const { srv, lines } = await startLogged('json');
  try {
    const status = await new Promise<number>((resolve, reject) => {
      http.get(`${srv.url}/no-such-bucket/k`, (res) => { res.resume(); resolve(res.statusCode!); }).on('error', reject);
    });
    assert.equal(status, 404);
    await until(() => accessLines(lines).length === 1, 'one access line');
    const [l] = accessLines(lines);
    assert.deepEqual([l.dialect, l.operation, l.bucket, l.key, l.status, l.accessKeyId], ['oss', 'GetObject', 'no-such-bucket', 'k', 404, undefined]);
  } finally {
    await srv.close();
  }
});
