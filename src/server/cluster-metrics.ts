/**
 * /metrics of a server run as --workers N: each worker keeps its own metrics, and a scrape lands on
 * whichever worker accepted the connection. Answered from that worker's numbers alone, counters
 * would jump between workers' values from one scrape to the next (Prometheus reads that as
 * resets). So a worker asks the primary, which collects every worker's metrics and combines them
 * (prom-client's AggregatorRegistry: counters and histograms summed, gauges as each declares).
 */
import cluster from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import type { Metrics } from '../common/metrics';

const ASK = 'coffer:metrics?';
const ANSWER = 'coffer:metrics';
/** prom-client gives up on a worker after 5 s; a little more covers the round trip. */
const TIMEOUT_MS = 6_000;

interface Ask { coffer: typeof ASK; id: number }
interface Answer { coffer: typeof ANSWER; id: number; text?: string; error?: string }

/** In the primary: answers the workers' requests for everyone's metrics. */
export function serveClusterMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker, m: Ask) => {
    if (m?.coffer !== ASK) return;
    const reply = (a: Omit<Answer, 'coffer' | 'id'>): void => {
      if (worker.isConnected()) worker.send({ coffer: ANSWER, id: m.id, ...a } satisfies Answer);
    };
    aggregator.clusterMetrics().then((text) => reply({ text }), (err: unknown) => reply({ error: err instanceof Error ? err.message : String(err) }));
  });
}

/** In a worker: offers this worker's metrics to the primary, and renders everyone's. */
export function renderClusterMetrics(metrics: Metrics): void {
  // Constructing one installs prom-client's listener that answers the primary with this worker's metrics.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([metrics.registry]);
  let next = 0;
  const waiting = new Map<number, (a: Answer) => void>();
  process.on('message', (m: Answer) => {
    if (m?.coffer === ANSWER) waiting.get(m.id)?.(m);
  });
  metrics.renderFrom(() => new Promise((resolve, reject) => {
    const id = next++;
    const timer = setTimeout(() => settle({ coffer: ANSWER, id, error: 'the primary did not answer' }), TIMEOUT_MS);
    const settle = (a: Answer): void => {
      clearTimeout(timer);
      waiting.delete(id);
      if (a.text !== undefined) resolve(a.text);
      else reject(new Error(`cluster metrics: ${a.error}`));
    };
    waiting.set(id, settle);
    process.send!({ coffer: ASK, id } satisfies Ask);
  }));
}
