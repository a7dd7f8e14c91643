/**
 * The server's metrics, on prom-client: one Registry per Metrics (a process may run several
 * servers, as the tests do, so nothing is registered in prom-client's global registry), rendered
 * in the Prometheus text format at /metrics. Every series carries the constant labels (the node).
 *
 * Counters, histograms and gauges are declared by name, with their label names, and then used by
 * name. Counters are summed here and handed to prom-client when scraped (see OwnSeries); hot paths
 * keep what they record into (series(), histogramSeries(), label objects they reuse: see
 * request-observer.ts), so that recording a value looks nothing up and allocates nothing of ours.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export type Labels = Readonly<Record<string, string>>;

/** Seconds: from 0.5 ms (a cached metadata read) to 60 s (a large upload). */
export const LATENCY_BUCKETS: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * One series of a counter. Increments add to `total` here, and the prom-client counter receives
 * what was added since the last scrape from its collect callback: on the request path an increment
 * is an addition, not a label lookup in prom-client. value() reads `total`.
 */
interface OwnSeries { labels: Labels; total: number; flushed: number; touched: boolean; exposed: boolean }

interface CounterEntry {
  name: string;
  metric: Counter<string>;
  labelNames: readonly string[];
  byKey: Map<string, OwnSeries>;
}

/** One series of a counter, looked up once: inc() does not look its labels up again on our side. */
export interface CounterSeries { inc(by?: number): void }
/** One series of a histogram, bound to a label object the caller keeps. */
export interface HistogramSeries { observe(value: number): void }

function add(s: OwnSeries, by: number): void {
  if (!(by >= 0) || !Number.isFinite(by)) throw new Error(`a counter cannot add ${by}`);
  s.total += by;
  s.touched = true;
}

/** The labels' identity, independent of their order. */
const labelKey = (labels: Labels): string => {
  const names = Object.keys(labels).sort();
  let key = '';
  for (const n of names) key += `${n}\u0000${labels[n]}\u0001`;
  return key;
};

/** Where a gauge's collect callback writes the values of one scrape. */
export interface GaugeSetter { set(labels: Labels, value: number): void }

/**
 * How a gauge's values combine when the workers of one server (--workers) are scraped as one:
 * 'sum' for what each worker holds (its requests in flight), 'max' for what each reads from the
 * shared store (every worker sees the same buckets).
 */
export type GaugeAggregation = 'sum' | 'max';

export class Metrics {
  readonly registry = new Registry();
  /** Where render() gets the text: this registry, or all workers' together (server/cluster-metrics.ts). */
  private source: () => Promise<string> = () => this.registry.metrics();
  private readonly counters = new Map<string, CounterEntry>();
  private readonly histograms = new Map<string, Histogram<string>>();
  private readonly gauges = new Map<string, Gauge<string>>();
  private defaultsCollected = false;

  /** `constant` labels go on every series rendered, e.g. the node, so a cluster's scrapes stay apart. */
  constructor(constant: Labels = {}) {
    this.registry.setDefaultLabels({ ...constant });
  }

  /** prom-client's process metrics (CPU, memory, heap, GC, event-loop lag, handles) on this registry; once. */
  collectDefaultMetrics(): void {
    if (this.defaultsCollected) return;
    this.defaultsCollected = true;
    collectDefaultMetrics({ register: this.registry });
  }

  /** Declares a counter; incrementing an undeclared one is a programming error. Declaring again is a no-op. */
  counter(name: string, help: string, labelNames: readonly string[] = []): void {
    if (this.counters.has(name)) return;
    const byKey = new Map<string, OwnSeries>();
    const metric: Counter<string> = new Counter({
      name, help, labelNames: [...labelNames], registers: [this.registry],
      collect: () => {
        for (const s of byKey.values()) {
          if (!s.touched || (s.exposed && s.total === s.flushed)) continue;
          metric.inc(s.labels, s.total - s.flushed);
          s.flushed = s.total;
          s.exposed = true;
        }
      },
    });
    this.counters.set(name, { name, metric, labelNames: [...labelNames], byKey });
  }

  inc(name: string, labels: Labels, by = 1): void {
    add(this.own(this.entry(name), labels), by);
  }

  /** The series of `labels` (kept by the caller, for a hot path: the labels object is reused as is). */
  series(name: string, labels: Labels): CounterSeries {
    const own = this.own(this.entry(name), labels);
    return { inc: (by = 1) => add(own, by) };
  }

  private entry(name: string): CounterEntry {
    const c = this.counters.get(name);
    if (!c) throw new Error(`metric ${name} was not declared`);
    return c;
  }

  private own(c: CounterEntry, labels: Labels): OwnSeries {
    const key = labelKey(labels);
    let own = c.byKey.get(key);
    if (!own) {
      // Checked here, once per series, as prom-client would: its counter sees the labels only at a scrape.
      for (const n of Object.keys(labels)) if (!c.labelNames.includes(n)) throw new Error(`label ${n} is not one of ${c.name}'s: ${c.labelNames.join(', ')}`);
      c.byKey.set(key, (own = { labels, total: 0, flushed: 0, touched: false, exposed: false }));
    }
    return own;
  }

  /** The current value of one labelled series (0 when never incremented). */
  value(name: string, labels: Labels): number {
    return this.counters.get(name)?.byKey.get(labelKey(labels))?.total ?? 0;
  }

  /** Declares a histogram (seconds, unless `buckets` say otherwise). */
  histogram(name: string, help: string, labelNames: readonly string[], buckets: readonly number[] = LATENCY_BUCKETS): void {
    if (this.histograms.has(name)) return;
    this.histograms.set(name, new Histogram({ name, help, labelNames: [...labelNames], buckets: [...buckets], registers: [this.registry] }));
  }

  observe(name: string, labels: Labels, value: number): void {
    this.histogramOf(name).observe(labels, value);
  }

  histogramSeries(name: string, labels: Labels): HistogramSeries {
    const h = this.histogramOf(name);
    return { observe: (value) => h.observe(labels, value) };
  }

  private histogramOf(name: string): Histogram<string> {
    const h = this.histograms.get(name);
    if (!h) throw new Error(`metric ${name} was not declared`);
    return h;
  }

  /**
   * Declares a gauge. With `collect`, its values are those the callback sets at each scrape (the
   * series it does not set disappear); without, they are set with set()/add().
   */
  gauge(name: string, help: string, labelNames: readonly string[], aggregation: GaugeAggregation, collect?: (g: GaugeSetter) => void | Promise<void>): void {
    if (this.gauges.has(name)) return;
    const gauge: Gauge<string> = new Gauge({
      name, help, labelNames: [...labelNames], registers: [this.registry], aggregator: aggregation,
      collect: collect && (async () => {
        gauge.reset();
        await collect({ set: (labels, value) => gauge.set(labels, value) });
      }),
    });
    this.gauges.set(name, gauge);
  }

  set(name: string, labels: Labels, value: number): void {
    this.gaugeOf(name).set(labels, value);
  }

  add(name: string, labels: Labels, by: number): void {
    this.gaugeOf(name).inc(labels, by);
  }

  private gaugeOf(name: string): Gauge<string> {
    const g = this.gauges.get(name);
    if (!g) throw new Error(`metric ${name} was not declared`);
    return g;
  }

  /** The Content-Type of render()'s text. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Every metric in the Prometheus text format (collect callbacks run now). */
  render(): Promise<string> {
    return this.source();
  }

  /** Makes render() answer `source` instead (the text format, as this registry writes it). */
  renderFrom(source: () => Promise<string>): void {
    this.source = source;
  }
}
