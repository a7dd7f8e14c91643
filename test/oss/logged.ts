/** A logger for test servers that keeps the error-level lines, so a test can assert that refusals log nothing. */
import type { Logger } from '../../src/common/log';

export interface CapturedErrors {
  logger: Logger;
  /** Error-level lines logged so far, as "msg {fields}". */
  lines: string[];
}

export function captureErrors(): CapturedErrors {
  const lines: string[] = [];
  return {
    lines,
    logger: {
      enabled: (level) => level === 'error',
      log: (level, msg, fields) => { if (level === 'error') lines.push(`${msg} ${JSON.stringify(fields)}`); },
    },
  };
}
