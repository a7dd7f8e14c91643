/**
 * Request rate and latency over the last hour, from samples the page takes of /metrics: the
 * server keeps only counters since it started, so the history is the page's. A sample keeps the
 * request counters' totals (OSS and S3 dialects, and their 4xx/5xx) and, when the server exports
 * one, the request-duration histogram's cumulative buckets; a rate or a latency is the difference
 * between two samples. The samples live in memory and in sessionStorage, so a reload (or a new
 * login in the same tab) keeps the hour; a counter that went down (the server restarted) leaves a
 * gap instead of a negative rate.
 */
import { parseMetrics, type Sample } from './prometheus';

export const SAMPLE_INTERVAL_MS = 10_000;
export const WINDOW_MS = 60 * 60_000;
/** Longer between two samples than this (the tab slept, the page was closed): a gap before the next point. */
const GAP_MS = 3 * SAMPLE_INTERVAL_MS;
const STORAGE_KEY = 'coffer.console.metric-samples.v1';
const MAX_SAMPLES = Math.ceil(WINDOW_MS / SAMPLE_INTERVAL_MS) + 60;

export const OSS_REQUESTS = 'coffer_oss_requests_total';
export const S3_REQUESTS = 'coffer_s3_requests_total';
/** The request-duration histogram, when the server has one; another coffer_…request_duration_seconds is taken otherwise. */
export const LATENCY_HISTOGRAM = 'coffer_http_request_duration_seconds';
const LATENCY_FAMILY = /^coffer_[a-z0-9_]*request_duration_seconds$/;

/** A histogram summed over its series: `le` as exposed ("0.005" … "+Inf"), cumulative counts. */
export interface Histogram { le: string[]; counts: number[]; sum: number; count: number }

export interface MetricPoint {
  /** When it was taken (Unix ms). */
  t: number;
  oss: number;
  s3: number;
  /** 4xx and 5xx answers of both dialects. */
  errors: number;
  hist: Histogram | null;
}

export interface SeriesPoint { t: number; v: number | null }

const leValue = (le: string): number => (le === '+Inf' ? Infinity : Number(le));

/** The request-duration histogram in a scrape, its series summed by bucket bound; null when there is none. */
export function histogramOf(samples: Sample[]): Histogram | null {
  const families = new Set<string>();
  for (const s of samples) {
    if (s.name.endsWith('_bucket') && s.labels.le !== undefined) {
      const family = s.name.slice(0, -'_bucket'.length);
      if (LATENCY_FAMILY.test(family)) families.add(family);
    }
  }
  if (families.size === 0) return null;
  const family = families.has(LATENCY_HISTOGRAM) ? LATENCY_HISTOGRAM : [...families].sort()[0];
  const byLe = new Map<string, number>();
  let sum = 0;
  let count = 0;
  for (const s of samples) {
    if (s.name === `${family}_bucket`) byLe.set(s.labels.le, (byLe.get(s.labels.le) ?? 0) + s.value);
    else if (s.name === `${family}_sum`) sum += s.value;
    else if (s.name === `${family}_count`) count += s.value;
  }
  const le = [...byLe.keys()].filter((l) => !Number.isNaN(leValue(l))).sort((a, b) => leValue(a) - leValue(b));
  return { le, counts: le.map((l) => byLe.get(l)!), sum, count };
}

/** One sample of a scrape. */
export function pointOf(samples: Sample[], t: number): MetricPoint {
  const p: MetricPoint = { t, oss: 0, s3: 0, errors: 0, hist: histogramOf(samples) };
  for (const s of samples) {
    const dialect = s.name === OSS_REQUESTS ? 'oss' : s.name === S3_REQUESTS ? 's3' : null;
    if (!dialect) continue;
    p[dialect] += s.value;
    if (Number(s.labels.status) >= 400) p.errors += s.value;
  }
  return p;
}

/** Pairs of consecutive samples; a null pair (gap) after a long pause. */
function* intervals(points: MetricPoint[]): Generator<[MetricPoint, MetricPoint, boolean]> {
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1];
    const b = points[i];
    if (b.t > a.t) yield [a, b, b.t - a.t > GAP_MS];
  }
}

/** Requests per second between samples: OSS, S3 and errors (both dialects). */
export function rateSeries(points: MetricPoint[]): { oss: SeriesPoint[]; s3: SeriesPoint[]; errors: SeriesPoint[] } {
  const out = { oss: [] as SeriesPoint[], s3: [] as SeriesPoint[], errors: [] as SeriesPoint[] };
  for (const [a, b, gap] of intervals(points)) {
    const dt = (b.t - a.t) / 1000;
    const reset = b.oss < a.oss || b.s3 < a.s3 || b.errors < a.errors;
    for (const k of ['oss', 's3', 'errors'] as const) {
      if (gap) out[k].push({ t: a.t + 1, v: null });
      out[k].push({ t: b.t, v: reset ? null : (b[k] - a[k]) / dt });
    }
  }
  return out;
}

/**
 * The q-quantile of the requests a histogram's bucket deltas count, as Prometheus's
 * histogram_quantile estimates it: linear within the bucket it falls in; in the +Inf bucket, the
 * largest finite bound. null when there were none.
 */
export function quantile(q: number, le: string[], cumulative: number[]): number | null {
  const total = cumulative.at(-1) ?? 0;
  if (!(total > 0)) return null;
  const rank = q * total;
  const i = cumulative.findIndex((c) => c >= rank);
  const upper = leValue(le[i]);
  const lower = i > 0 ? leValue(le[i - 1]) : 0;
  if (upper === Infinity) return Number.isFinite(lower) ? lower : null;
  const before = i > 0 ? cumulative[i - 1] : 0;
  const inBucket = cumulative[i] - before;
  return inBucket > 0 ? lower + (upper - lower) * ((rank - before) / inBucket) : upper;
}

/** Latency (seconds) between samples: p50, p95, p99 and the mean; null where no request finished. */
export function latencySeries(points: MetricPoint[]): { p50: SeriesPoint[]; p95: SeriesPoint[]; p99: SeriesPoint[]; mean: SeriesPoint[] } | null {
  if (!points.some((p) => p.hist)) return null;
  const out = { p50: [] as SeriesPoint[], p95: [] as SeriesPoint[], p99: [] as SeriesPoint[], mean: [] as SeriesPoint[] };
  for (const [a, b, gap] of intervals(points)) {
    const keys = ['p50', 'p95', 'p99', 'mean'] as const;
    if (gap) for (const k of keys) out[k].push({ t: a.t + 1, v: null });
    const ha = a.hist;
    const hb = b.hist;
    const same = !!ha && !!hb && ha.le.length === hb.le.length && ha.le.every((l, i) => l === hb.le[i]);
    const delta = same ? hb.counts.map((c, i) => c - ha.counts[i]) : null;
    const valid = !!delta && delta.every((d) => d >= 0) && hb!.count >= ha!.count;
    const count = valid ? hb!.count - ha!.count : 0;
    out.p50.push({ t: b.t, v: valid ? quantile(0.5, hb!.le, delta!) : null });
    out.p95.push({ t: b.t, v: valid ? quantile(0.95, hb!.le, delta!) : null });
    out.p99.push({ t: b.t, v: valid ? quantile(0.99, hb!.le, delta!) : null });
    out.mean.push({ t: b.t, v: valid && count > 0 ? (hb!.sum - ha!.sum) / count : null });
  }
  return out;
}

function isPoint(x: unknown): x is MetricPoint {
  const p = x as MetricPoint;
  return !!p && typeof p.t === 'number' && typeof p.oss === 'number' && typeof p.s3 === 'number' && typeof p.errors === 'number'
    && (p.hist === null || (Array.isArray(p.hist?.le) && Array.isArray(p.hist?.counts)));
}

function load(): MetricPoint[] {
  try {
    const parsed = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? '[]') as unknown;
    return Array.isArray(parsed) ? parsed.filter(isPoint) : [];
  } catch {
    return [];
  }
}

function save(points: MetricPoint[]): void {
  try {
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(points));
  } catch {
    // Storage full or disabled: the samples stay in memory.
  }
}

export interface SamplerState {
  points: MetricPoint[];
  /** The last scrape, parsed (the Metrics page's tables). */
  latest: Sample[] | null;
  error: unknown;
  loading: boolean;
}

/** Samples /metrics every SAMPLE_INTERVAL_MS while started; one per page. */
export class MetricSampler {
  private state: SamplerState;
  private timer: ReturnType<typeof setInterval> | null = null;
  private inflight: Promise<void> | null = null;
  private readonly listeners = new Set<() => void>();

  constructor() {
    this.state = { points: load(), latest: null, error: null, loading: false };
  }

  snapshot = (): SamplerState => this.state;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  start(): void {
    if (this.timer) return;
    void this.sample();
    this.timer = setInterval(() => void this.sample(), SAMPLE_INTERVAL_MS);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Takes a sample now (one at a time: a call while one runs waits for it). */
  sample(): Promise<void> {
    this.inflight ??= this.take().finally(() => { this.inflight = null; });
    return this.inflight;
  }

  private async take(): Promise<void> {
    this.set({ loading: true });
    try {
      const res = await fetch('/api/metrics', { credentials: 'same-origin', cache: 'no-store' });
      if (!res.ok) throw new Error(`/api/metrics answered ${res.status}`);
      const latest = parseMetrics(await res.text());
      const t = Date.now();
      const points = [...this.state.points, pointOf(latest, t)]
        .filter((p) => p.t >= t - WINDOW_MS - GAP_MS && p.t <= t)
        .slice(-MAX_SAMPLES);
      save(points);
      this.set({ points, latest, error: null, loading: false });
    } catch (error) {
      this.set({ error, loading: false });
    }
  }

  private set(change: Partial<SamplerState>): void {
    this.state = { ...this.state, ...change };
    for (const l of this.listeners) l();
  }
}

export const sampler = new MetricSampler();
