/**
 * Structured log lines (JSON) on stderr. Callers pass facts, never secrets: no keys, no
 * plaintext, no Authorization headers.
 */
export type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  log(level: Level, msg: string, fields?: Record<string, unknown>): void;
  enabled(level: Level): boolean;
}

export function createLogger(min: Level, out: NodeJS.WritableStream = process.stderr): Logger {
  return {
    enabled: (level) => ORDER[level] >= ORDER[min],
    log(level, msg, fields) {
      if (ORDER[level] < ORDER[min]) return;
      out.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
    },
  };
}
