/**
 * What every API request leaves behind once its response is done: the request metrics (duration,
 * bytes in and out, by dialect, operation and status; requests in flight) and one access log line.
 * Shared by the dialects of the API listeners (OSS and S3 on one, the RPC APIs on the other).
 *
 * Cost: the series of an (operation, status) pair and their label objects are made on its first
 * request and reused after; a request adds to them and, when info lines are logged, writes one line.
 *
 * Bytes are counted on the wire, headers included: what the connection read and wrote since the
 * previous request on it ended. Summed over requests this is exact; a body that is still being
 * drained when its response ends is counted with the connection's next request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ACCESS_MSG, type Logger } from './log';
import type { CounterSeries, HistogramSeries, Labels, Metrics } from './metrics';

export type Dialect = 'oss' | 's3' | 'rpc';

export const HTTP_DURATION = 'coffer_http_request_duration_seconds';
export const HTTP_REQUEST_BYTES = 'coffer_http_request_bytes_total';
export const HTTP_RESPONSE_BYTES = 'coffer_http_response_bytes_total';
export const HTTP_IN_FLIGHT = 'coffer_http_requests_in_flight';

/** What a handler learns about a request as it goes, read when the response is done. Never secrets. */
export interface RequestFacts {
  operation: string;
  bucket?: string;
  key?: string;
  /** The AccessKeyId the request is signed with, once known (never the secret or the signature). */
  accessKeyId?: string;
}

interface Series {
  /** The dialect's own request counter (coffer_oss_requests_total, …), when it has one. */
  requests: CounterSeries | null;
  duration: HistogramSeries;
  bytesIn: CounterSeries;
  bytesOut: CounterSeries;
}

/** Where the connection's byte counts stood when its previous request ended. */
const READ = Symbol('coffer.bytesRead');
const WRITTEN = Symbol('coffer.bytesWritten');
interface CountedSocket { bytesRead: number; bytesWritten: number; remoteAddress?: string; [READ]?: number; [WRITTEN]?: number }
/** The request's connection, kept at begin(): a destroyed request no longer names it. */
const SOCKET = Symbol('coffer.socket');
type Observed = IncomingMessage & { [SOCKET]?: CountedSocket | null };

export class RequestObserver {
  private readonly dialects = new Map<Dialect, DialectObserver>();

  constructor(readonly metrics: Metrics, readonly logger: Logger) {
    const labels = ['dialect', 'operation', 'status'];
    metrics.histogram(HTTP_DURATION, 'API request duration in seconds, from the request\'s arrival to the end of its response, by dialect, operation and status', labels);
    metrics.counter(HTTP_REQUEST_BYTES, 'Bytes received by API requests (on the wire, headers included) by dialect, operation and status', labels);
    metrics.counter(HTTP_RESPONSE_BYTES, 'Bytes sent in API responses (on the wire, headers included) by dialect, operation and status', labels);
    metrics.gauge(HTTP_IN_FLIGHT, 'API requests being served, by dialect', ['dialect'], 'sum', (g) => {
      for (const d of this.dialects.values()) g.set(d.labels, d.inFlight);
    });
  }

  /**
   * The observer of one dialect; `requests` names its own counter of requests by operation and
   * status (declared here), e.g. coffer_oss_requests_total.
   */
  dialect(name: Dialect, requests?: { name: string; help: string }): DialectObserver {
    let d = this.dialects.get(name);
    if (!d) {
      if (requests) this.metrics.counter(requests.name, requests.help, ['operation', 'status']);
      this.dialects.set(name, (d = new DialectObserver(this, name, requests?.name ?? null)));
    }
    return d;
  }
}

export class DialectObserver {
  inFlight = 0;
  readonly labels: Labels;
  /** operation → status → series. */
  private readonly series = new Map<string, Map<number, Series>>();

  constructor(private readonly owner: RequestObserver, readonly dialect: Dialect, private readonly requestsCounter: string | null) {
    this.labels = { dialect };
  }

  /** A request arrived: returns its start, for end(). */
  begin(raw: IncomingMessage): number {
    this.inFlight++;
    (raw as Observed)[SOCKET] = raw.socket as unknown as CountedSocket | null;
    return performance.now();
  }

  /** Its response is done (sent, failed or cut): records it once. Never throws: a request is not failed by its metrics. */
  end(facts: RequestFacts, requestId: string, raw: IncomingMessage, res: ServerResponse, started: number): void {
    this.inFlight--;
    const logger = this.owner.logger;
    try {
      const ms = performance.now() - started;
      const status = res.statusCode;
      const s = this.seriesOf(facts.operation, status);
      const socket = (raw as Observed)[SOCKET];
      let bytesIn = 0;
      let bytesOut = 0;
      if (socket) {
        const read = socket.bytesRead ?? 0;
        const written = socket.bytesWritten ?? 0;
        bytesIn = Math.max(0, read - (socket[READ] ?? 0));
        bytesOut = Math.max(0, written - (socket[WRITTEN] ?? 0));
        socket[READ] = read;
        socket[WRITTEN] = written;
      }
      s.requests?.inc();
      s.duration.observe(ms / 1000);
      s.bytesIn.inc(bytesIn);
      s.bytesOut.inc(bytesOut);
      if (logger.enabled('info')) {
        logger.log('info', ACCESS_MSG, {
          dialect: this.dialect, method: raw.method, operation: facts.operation, bucket: facts.bucket, key: facts.key, status,
          bytesIn, bytesOut, ms: Math.round(ms * 1000) / 1000, requestId, accessKeyId: facts.accessKeyId, remote: socket?.remoteAddress,
        });
      }
    } catch (err) {
      logger.log('error', 'request metrics failed', { requestId, error: err instanceof Error ? err.message : String(err) });
    }
  }

  private seriesOf(operation: string, status: number): Series {
    let byStatus = this.series.get(operation);
    if (!byStatus) this.series.set(operation, (byStatus = new Map()));
    let s = byStatus.get(status);
    if (!s) {
      const m = this.owner.metrics;
      const code = String(status);
      const labels: Labels = { dialect: this.dialect, operation, status: code };
      s = {
        requests: this.requestsCounter === null ? null : m.series(this.requestsCounter, { operation, status: code }),
        duration: m.histogramSeries(HTTP_DURATION, labels),
        bytesIn: m.series(HTTP_REQUEST_BYTES, labels),
        bytesOut: m.series(HTTP_RESPONSE_BYTES, labels),
      };
      byStatus.set(status, s);
    }
    return s;
  }
}
