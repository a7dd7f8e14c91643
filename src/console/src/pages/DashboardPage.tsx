/** Request and KMS-call counts since the server started, from /api/metrics (the text of /metrics, under the session). */
import { useEffect } from 'react';
import { Empty, ErrorNotice, Loading, PageHeader, useLoad } from '../components/ui';
import { parseMetrics, sumBy, type Sample } from '../lib/prometheus';

const REFRESH_MS = 15_000;
const API_NAMES: Record<string, string> = { '2016-01-20': 'KMS', '2015-05-01': 'RAM' };

async function loadMetrics(): Promise<Sample[]> {
  const res = await fetch('/api/metrics', { credentials: 'same-origin' });
  if (!res.ok) throw new Error(`/api/metrics answered ${res.status}`);
  return parseMetrics(await res.text());
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

export function DashboardPage({ region }: { region: string }) {
  const metrics = useLoad(loadMetrics, []);
  const { reload } = metrics;
  useEffect(() => {
    const t = setInterval(reload, REFRESH_MS);
    return () => clearInterval(t);
  }, [reload]);
  const s = metrics.data;
  const kmsCalls = s ? [...sumBy(s, 'coffer_kms_calls_total', ['action', 'outcome', 'via'])].map(([k, v]) => ({ k: k.split('\u0000'), v })).sort((a, b) => b.v - a.v) : [];
  const rpcRows = s ? byStatus(s, 'coffer_rpc_requests_total', ['version', 'action']).map((r) => ({ ...r, key: [API_NAMES[r.key[0]] ?? `admin ${r.key[0]}`, r.key[1]] })) : [];
  return (
    <section>
      <PageHeader title="Metrics">
        <button type="button" onClick={reload}>Refresh</button>
        <a className="button" href="/api/metrics" target="_blank" rel="noreferrer">Prometheus text</a>
      </PageHeader>
      <p className="hint">Counts since the server started (region {region}); refreshed every {REFRESH_MS / 1000} s. Prometheus can scrape <code>/metrics</code> on this port (with the bearer token, when the server was started with one).</p>
      <ErrorNotice error={metrics.error} title="The metrics could not be read" />
      {metrics.loading && !s && <Loading what="metrics" />}
      {s && (
        <>
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
