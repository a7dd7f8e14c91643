/**
 * A one-line progress bar with rate and ETA on stderr, drawn only when stderr is a terminal (so
 * logs and pipes stay clean), and a throttle for --max-upload-speed.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { formatBytes, formatDuration } from './format';

export type Unit = 'bytes' | 'objects';

const REDRAW_MS = 100;
const BAR = 24;

const amount = (n: number, unit: Unit): string => (unit === 'bytes' ? formatBytes(n) : `${n}`);

/** The progress line for `done` of `total` after `seconds`; `base` was already done before this run started. */
export function progressLine(label: string, unit: Unit, done: number, total: number, seconds: number, base = 0): string {
  const fraction = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(fraction * BAR);
  const rate = seconds > 0 ? (done - base) / seconds : 0;
  const eta = rate > 0 ? formatDuration((total - done) / rate) : '?';
  const rateText = unit === 'bytes' ? `${formatBytes(rate)}/s` : `${rate.toFixed(1)}/s`;
  return `${label} [${'#'.repeat(filled)}${'.'.repeat(BAR - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%  ` +
    `${amount(done, unit)} / ${amount(total, unit)}${unit === 'objects' ? ' objects' : ''}  ${rateText}  ETA ${eta}`;
}

export class Progress {
  private done = 0;
  /** Done before this run (a resumed upload's parts): counted as done, not in the rate. */
  private base = 0;
  /** Transfers under way, each read from its stream (bytesRead, bytesWritten) when drawing. */
  private readonly live = new Set<() => number>();
  private readonly started = Date.now();
  private readonly timer: NodeJS.Timeout | null = null;

  constructor(private readonly label: string, private readonly unit: Unit, private total = 0, private readonly stream: NodeJS.WriteStream = process.stderr) {
    if (stream.isTTY === true) {
      // Redrawn on a timer rather than per chunk: counting every chunk costs more CPU than it is worth.
      this.timer = setInterval(() => this.draw(), REDRAW_MS);
      this.timer.unref();
    }
  }

  /** `n` more to do, e.g. once a download's size is known. */
  expect(n: number): void {
    this.total += n;
  }

  /** `n` found already done. */
  skip(n: number): void {
    this.done += n;
    this.base += n;
  }

  add(n: number): void {
    this.done += n;
  }

  /** Shows `read()` (e.g. a file stream's bytesRead) as done until the returned function settles it with the final count. */
  track(read: () => number): (final: number) => void {
    this.live.add(read);
    return (final) => {
      this.live.delete(read);
      this.done += final;
    };
  }

  /** Draws the final state and ends the line. */
  finish(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.draw();
    this.stream.write('\n');
  }

  private draw(): void {
    let done = this.done;
    for (const read of this.live) done += read();
    const line = progressLine(this.label, this.unit, done, this.total, (Date.now() - this.started) / 1000, this.base);
    // \r back to the start of the line, \x1b[K clears what a longer previous line left behind.
    this.stream.write(`\r${line.slice(0, (this.stream.columns || 120) - 1)}\x1b[K`);
  }
}

/** Spaces out transfers so that they average at most `bytesPerSecond` (the whole process, not per part). */
export class Throttle {
  private next = Date.now();

  constructor(private readonly bytesPerSecond: number) {}

  /** Resolves when `bytes` more may be sent. */
  async take(bytes: number): Promise<void> {
    const now = Date.now();
    const start = Math.max(now, this.next);
    this.next = start + (bytes / this.bytesPerSecond) * 1000;
    if (start > now) await sleep(start - now);
  }
}

/** Runs `fn` over `items`, at most `limit` at a time; the first failure stops new starts and is rethrown. */
export async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const item = items[next++];
      try {
        await fn(item);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  const results = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, worker));
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected) throw rejected.reason;
}
