/**
 * Metrics: request rate and latency over the last hour (charts of the samples the page takes of
 * /metrics, lib/samples.ts), storage by bucket (GetBucketStat of each), and the request and
 * KMS-call counts since the server started.
 */
import { useEffect, useState, useSyncExternalStore } from 'react';
import { api } from '../api';
import { BarChart, LineChart } from '../components/charts';
import { Empty, ErrorNotice, Loading, PageHeader, useLoad } from '../components/ui';
import { bytes } from '../format';
import { sumBy, type Sample } from '../lib/prometheus';
import { LATENCY_HISTOGRAM, SAMPLE_INTERVAL_MS, WINDOW_MS, latencySeries, rateSeries, sampler } from '../lib/samples';
import { Link } from '../router';
import type { BucketStorageView, ErrorInfo } from '../types';

const API_NAMES: Record<string, string> = { '2016-01-20': 'KMS', '2015-05-01': 'RAM' };
/** A new sample when the page opens, unless one is this fresh. */
const FRESH_MS = 2_000;

const rate = (v: number): string => `${v >= 10 || v === 0 ? Math.round(v) : v.toPrecision(2)}/s`;
const seconds = (v: number): string => (v === 0 ? '0' : v < 1 ? `${Math.round(v * 1000 * 10) / 10} ms` : `${v.toPrecision(3)} s`);
const count = (v: number): string => (v >= 1e6 ? `${(v / 1e6).toPrecision(3)}M` : v >= 1e4 ? `${(v / 1e3).toPrecision(3)}k` : String(v));

function RequestCharts() {
  const state = useSyncExternalStore(sampler.subscribe, sampler.snapshot);
  // The clock of the charts' window: the last sample, so the lines end at the right edge.
  const to = state.points.at(-1)?.t ?? Date.now();
  const from = to - WINDOW_MS;
  const rates = rateSeries(state.points);
  const latency = latencySeries(state.points);
  return (
    <div className="columns">
      <section aria-labelledby="chart-rate">
        <h3 id="chart-rate">Request rate</h3>
        <LineChart
          id="request-rate" label="Requests per second, last hour" from={from} to={to} format={rate}
          series={[
            { name: 'OSS', color: '#1661c7', points: rates.oss },
            { name: 'S3', color: '#1d7a46', points: rates.s3 },
            { name: '4xx/5xx', color: '#c02b2b', points: rates.errors, dashed: true },
          ]}
        />
      </section>
      <section aria-labelledby="chart-latency">
        <h3 id="chart-latency">Latency</h3>
        {latency ? (
          <LineChart
            id="latency" label="Request latency, last hour" from={from} to={to} format={seconds}
            series={[
              { name: 'p50', color: '#1661c7', points: latency.p50 },
              { name: 'p95', color: '#9a6200', points: latency.p95 },
              { name: 'p99', color: '#c02b2b', points: latency.p99 },
              { name: 'mean', color: '#5f6b7a', points: latency.mean, dashed: true },
            ]}
          />
        ) : (
          <Empty><span data-field="no-latency">No latency data</span>: this server exports no request-duration histogram (<code>{LATENCY_HISTOGRAM}</code>).</Empty>
        )}
      </section>
    </div>
  );
}

type StorageRow = BucketStorageView | { name: string; error: ErrorInfo };

function StorageCharts() {
  const storage = useLoad(() => api<{ buckets: StorageRow[]; truncated: boolean }>('GET', '/api/storage'), []);
  const rows = (storage.data?.buckets ?? []).filter((b): b is BucketStorageView => !('error' in b));
  const refused = (storage.data?.buckets ?? []).filter((b): b is { name: string; error: ErrorInfo } => 'error' in b);
  const bySize = [...rows].sort((a, b) => b.bytes - a.bytes || a.name.localeCompare(b.name));
  return (
    <section aria-labelledby="storage-heading">
      <div className="section-header">
        <h2 id="storage-heading">Storage by bucket</h2>
        <button type="button" onClick={storage.reload}>Refresh storage</button>
      </div>
      <ErrorNotice error={storage.error} title="The buckets could not be listed" />
      {storage.loading && !storage.data && <Loading what="bucket statistics" />}
      {storage.data && rows.length === 0 && refused.length === 0 && <Empty>No buckets yet.</Empty>}
      {bySize.length > 0 && (
        <div className="columns">
          <section aria-labelledby="chart-bytes">
            <h3 id="chart-bytes">Bytes</h3>
            <BarChart id="storage-bytes" label="Bytes stored by bucket" format={bytes}
              segments={[{ key: 'bytes', label: 'Bytes', color: '#1661c7' }]}
              rows={bySize.map((b) => ({ label: b.name, values: { bytes: b.bytes } }))} />
          </section>
          <section aria-labelledby="chart-objects">
            <h3 id="chart-objects">Objects</h3>
            <BarChart id="storage-objects" label="Objects by bucket" format={count}
              segments={[{ key: 'objects', label: 'Objects', color: '#1d7a46' }]}
              rows={bySize.map((b) => ({ label: b.name, values: { objects: b.objects } }))} />
          </section>
        </div>
      )}
      {refused.length > 0 && (
        <p className="hint">Not shown (GetBucketStat refused): {refused.map((b) => `${b.name} (${b.error.code})`).join(', ')}.</p>
      )}
      {storage.data?.truncated && <p className="hint">Only the first 1000 buckets are shown.</p>}
    </section>
  );
}

/** Rows of (group → counts by status class) from a counter with a status label. */
function byStatus(samples: Sample[], name: string, group: string[]): { key: string[]; total: number; ok: number; client: number; server: number }[] {
  const rows = new Map<string, { key: string[]; total: number; ok: number; client: number; server: number }>();
  for (const [k, v] of sumBy(samples, name, [...group, 'status'])) {
    const parts = k.split('\u0000');
    const status = Number(parts.pop());
    const id = parts.join('\u0000');
    const row = rows.get(id) ?? { key: parts, total: 0, ok: 0, client: 0, server: 0 };
    row.total += v;
    if (status >= 500) row.server += v;
    else if (status >= 400) row.client += v;
    else row.ok += v;
    rows.set(id, row);
  }
  return [...rows.values()].sort((a, b) => b.total - a.total);
}

const total = (samples: Sample[], name: string, where: (l: Record<string, string>) => boolean = () => true): number =>
  samples.filter((s) => s.name === name && where(s.labels)).reduce((n, s) => n + s.value, 0);

function StatusTable({ label, columns, rows }: { label: string; columns: string[]; rows: ReturnType<typeof byStatus> }) {
  if (rows.length === 0) return <Empty>No {label.toLowerCase()} yet.</Empty>;
  return (
    <table className="list numeric" aria-label={label}>
      <thead>
        <tr>{columns.map((c) => <th key={c} scope="col">{c}</th>)}<th scope="col">Total</th><th scope="col">2xx/3xx</th><th scope="col">4xx</th><th scope="col">5xx</th></tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.key.join('/')}>
            {r.key.map((k, i) => (i === 0 ? <th key={i} scope="row">{k}</th> : <td key={i}>{k}</td>))}
            <td>{r.total}</td><td>{r.ok}</td><td>{r.client}</td><td>{r.server}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function DashboardPage({ region, root }: { region: string; root: boolean }) {
  const metrics = useSyncExternalStore(sampler.subscribe, sampler.snapshot);
  const [refreshing, setRefreshing] = useState(false);
  useEffect(() => {
    // The App samples all along; opening the page adds one unless the last is fresh.
    if (Date.now() - (sampler.snapshot().points.at(-1)?.t ?? 0) > FRESH_MS) void sampler.sample();
  }, []);
  const refresh = (): void => {
    setRefreshing(true);
    void sampler.sample().finally(() => setRefreshing(false));
  };
  const s = metrics.latest;
  const kmsCalls = s ? [...sumBy(s, 'coffer_kms_calls_total', ['action', 'outcome', 'via'])].map(([k, v]) => ({ k: k.split('\u0000'), v })).sort((a, b) => b.v - a.v) : [];
  const rpcRows = s ? byStatus(s, 'coffer_rpc_requests_total', ['version', 'action']).map((r) => ({ ...r, key: [API_NAMES[r.key[0]] ?? `admin ${r.key[0]}`, r.key[1]] })) : [];
  return (
    <section>
      <PageHeader title="Metrics">
        <button type="button" onClick={refresh} disabled={refreshing}>Refresh</button>
        {root && <Link className="button" to="/posture">Encryption posture</Link>}
        <a className="button" href="/api/metrics" target="_blank" rel="noreferrer">Prometheus text</a>
      </PageHeader>
      <p className="hint">
        Region {region}. The page reads <code>/api/metrics</code> (the text of <code>/metrics</code>) every {SAMPLE_INTERVAL_MS / 1000} s while the console is open and
        keeps the last hour in this tab; the counts below are since the server started. Prometheus can scrape <code>/metrics</code> on this port.
      </p>
      <ErrorNotice error={metrics.error} title="The metrics could not be read" />
      <h2>Last hour</h2>
      <RequestCharts />
      <StorageCharts />
      {metrics.loading && !s && <Loading what="metrics" />}
      {s && (
        <>
          <h2>Since the server started</h2>
          <div className="tiles">
            <div className="tile"><span className="tile-value" data-field="oss-total">{total(s, 'coffer_oss_requests_total')}</span><span className="tile-label">OSS requests</span></div>
            <div className="tile"><span className="tile-value">{total(s, 'coffer_oss_requests_total', (l) => Number(l.status) >= 400)}</span><span className="tile-label">OSS errors</span></div>
            <div className="tile"><span className="tile-value" data-field="kms-requests">{total(s, 'coffer_rpc_requests_total', (l) => l.version === '2016-01-20')}</span><span className="tile-label">KMS API requests</span></div>
            <div className="tile"><span className="tile-value" data-field="kms-calls">{total(s, 'coffer_kms_calls_total')}</span><span className="tile-label">KMS calls (API and SSE-KMS)</span></div>
          </div>
          <h2>OSS requests by operation</h2>
          <StatusTable label="OSS requests" columns={['Operation']} rows={byStatus(s, 'coffer_oss_requests_total', ['operation'])} />
          <h2>KMS, RAM and admin API requests</h2>
          <StatusTable label="RPC requests" columns={['API', 'Action']} rows={rpcRows} />
          <h2>KMS calls by action and outcome</h2>
          {kmsCalls.length === 0 ? <Empty>No KMS calls yet.</Empty> : (
            <table className="list numeric" aria-label="KMS calls">
              <thead><tr><th scope="col">Action</th><th scope="col">Outcome</th><th scope="col">Via</th><th scope="col">Calls</th></tr></thead>
              <tbody>
                {kmsCalls.map(({ k, v }) => <tr key={k.join('/')}><th scope="row">{k[0]}</th><td>{k[1]}</td><td>{k[2] === 'oss' ? 'SSE-KMS (object server)' : 'KMS API'}</td><td>{v}</td></tr>)}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}
