/**
 * Log lines, written by pino: JSON objects on stderr (time, level, msg and the caller's fields),
 * or with --log-format pretty a compact line for people, made by prettyLine below. Callers pass
 * facts, never secrets: no keys, no plaintext, no signatures, no Authorization headers.
 */
import pino, { type DestinationStream } from 'pino';

export type Level = 'debug' | 'info' | 'warn' | 'error';
export const LEVELS: readonly Level[] = ['debug', 'info', 'warn', 'error'];
export type LogFormat = 'json' | 'pretty';
export const LOG_FORMATS: readonly LogFormat[] = ['json', 'pretty'];

export interface Logger {
  log(level: Level, msg: string, fields?: Record<string, unknown>): void;
  enabled(level: Level): boolean;
}

/** The message of the access log's lines (request-observer.ts), one per request. */
export const ACCESS_MSG = 'access';

let stderrSink: DestinationStream | undefined;
/** One asynchronous writer to stderr per process: requests never wait for a log write; pino flushes it at exit. */
const stderr = (): DestinationStream => (stderrSink ??= pino.destination({ dest: 2, sync: false }));

/** `out` receives whole lines, one write each (tests pass a stream that keeps them). */
export function createLogger(min: Level, out?: NodeJS.WritableStream, format: LogFormat = 'json'): Logger {
  const sink: DestinationStream = out ?? stderr();
  const p = pino({
    level: min,
    base: null,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  }, format === 'pretty' ? prettyStream(sink) : sink);
  return {
    enabled: (level) => p.isLevelEnabled(level),
    log(level, msg, fields) {
      if (fields) p[level](fields, msg);
      else p[level](msg);
    },
  };
}

function prettyStream(sink: DestinationStream): DestinationStream {
  return { write: (line: string) => sink.write(`${prettyLine(JSON.parse(line) as Record<string, unknown>)}\n`) };
}

/** A value as one word: as is when it is one, else quoted as JSON (so newlines and quotes cannot forge a line). */
function word(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v) ?? String(v);
  return s !== '' && /^[\x21-\x7e]+$/.test(s) && !s.includes('"') ? s : JSON.stringify(s);
}

/**
 * One log object as a line for people:
 *   2025-01-02T03:04:05.678Z INFO  oss PUT PutObject photos/cat.jpg 200 in=5120B out=0B 1.8ms id=… ak=… ip=…
 *   2025-01-02T03:04:05.678Z ERROR request failed requestId=… error="…"
 */
export function prettyLine(o: Record<string, unknown>): string {
  const { time, level, msg, ...fields } = o;
  const head = `${String(time)} ${String(level).toUpperCase().padEnd(5)}`;
  if (msg === ACCESS_MSG) {
    const { dialect, method, operation, bucket, key, status, bytesIn, bytesOut, ms, requestId, accessKeyId, remote, ...rest } = fields;
    const target = bucket === undefined ? '-' : key === undefined ? `${String(bucket)}/` : `${String(bucket)}/${String(key)}`;
    const parts = [head, word(dialect), word(method), word(operation), word(target), String(status),
      `in=${String(bytesIn)}B`, `out=${String(bytesOut)}B`, `${String(ms)}ms`, `id=${word(requestId)}`, `ak=${word(accessKeyId ?? '-')}`];
    if (remote !== undefined) parts.push(`ip=${word(remote)}`);
    for (const [k, v] of Object.entries(rest)) parts.push(`${k}=${word(v)}`);
    return parts.join(' ');
  }
  let line = `${head} ${String(msg)}`;
  for (const [k, v] of Object.entries(fields)) line += ` ${k}=${word(v)}`;
  return line;
}
