/** src/common/metrics.ts: counters fed to prom-client at each scrape, one registry per Metrics, histograms and collected gauges. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Metrics } from '../../src/common/metrics';

test('counters: value() at once, the rendered text at each scrape, cumulative; registries apart', async () => {
  const a = new Metrics({ node: 'a' });
  const b = new Metrics({ node: 'b' });
  for (const m of [a, b]) m.counter('t_requests_total', 'requests', ['operation', 'status']);
  a.inc('t_requests_total', { operation: 'Get', status: '200' });
  const bound = a.series('t_requests_total', { status: '200', operation: 'Get' });
  bound.inc();
  bound.inc(3);
  a.inc('t_requests_total', { operation: 'Put', status: '500' }, 0);
  assert.equal(a.value('t_requests_total', { status: '200', operation: 'Get' }), 5);
  assert.equal(a.value('t_requests_total', { operation: 'Head', status: '200' }), 0);
  let text = await a.render();
  assert.match(text, /^t_requests_total\{operation="Get",status="200",node="a"\} 5$/m);
  // Incremented by 0: the series exists, at 0.
  assert.match(text, /^t_requests_total\{operation="Put",status="500",node="a"\} 0$/m);
  bound.inc();
  text = await a.render();
  assert.match(text, /^t_requests_total\{operation="Get",status="200",node="a"\} 6$/m);
  assert.match(await a.render(), /^t_requests_total\{operation="Get",status="200",node="a"\} 6$/m);
  assert.doesNotMatch(await b.render(), /^t_requests_total\{/m);
  assert.throws(() => a.inc('t_requests_total', { action: 'x' }), /label action/);
  assert.throws(() => a.inc('t_undeclared_total', {}), /not declared/);
  assert.throws(() => bound.inc(-1), /cannot add/);
});

test('histograms and gauges with collect callbacks', async () => {
  const m = new Metrics({ node: 'n' });
  m.histogram('t_seconds', 'latency', ['op'], [0.1, 1]);
  m.observe('t_seconds', { op: 'x' }, 0.05);
  m.histogramSeries('t_seconds', { op: 'x' }).observe(0.5);
  let live = new Map([['b1', 3], ['b2', 4]]);
  m.gauge('t_objects', 'objects', ['bucket'], 'max', (g) => { for (const [bucket, n] of live) g.set({ bucket }, n); });
  m.gauge('t_set', 'set', [], 'sum');
  m.set('t_set', {}, 7);
  m.add('t_set', {}, 2);
  let text = await m.render();
  assert.match(text, /^t_seconds_bucket\{le="0.1",node="n",op="x"\} 1$/m);
  assert.match(text, /^t_seconds_bucket\{le="1",node="n",op="x"\} 2$/m);
  assert.match(text, /^t_seconds_count\{node="n",op="x"\} 2$/m);
  assert.match(text, /^t_objects\{bucket="b2",node="n"\} 4$/m);
  assert.match(text, /^t_set\{node="n"\} 9$/m);
  live = new Map([['b1', 5]]);
  text = await m.render();
  assert.match(text, /^t_objects\{bucket="b1",node="n"\} 5$/m);
  assert.doesNotMatch(text, /bucket="b2"/, 'a series the callback no longer sets is gone');
  assert.equal(m.contentType, 'text/plain; version=0.0.4; charset=utf-8');
});
