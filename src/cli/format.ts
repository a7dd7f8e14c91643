/** Human output: sizes, durations, times, aligned "Key : Value" lines and columns. */
import { UsageError } from './errors';

const UNITS = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function formatBytes(n: number): string {
  let i = 0;
  while (n >= 1024 && i < UNITS.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${n} bytes` : `${n.toFixed(1)} ${UNITS[i]}`;
}

export function formatDuration(seconds: number): string {
  seconds = Math.round(seconds);
  const parts = [[Math.floor(seconds / 86_400), 'd'], [Math.floor(seconds / 3600) % 24, 'h'], [Math.floor(seconds / 60) % 60, 'm'], [seconds % 60, 's']] as const;
  const from = parts.findIndex(([n]) => n > 0);
  return from < 0 ? '0s' : parts.slice(from).map(([n, unit]) => `${n}${unit}`).join(' ');
}

const SIZE = /^(\d+)\s*(|b|k|kb|kib|m|mb|mib|g|gb|gib)$/i;
const SIZE_SHIFT: Record<string, number> = { '': 0, b: 0, k: 10, kb: 10, kib: 10, m: 20, mb: 20, mib: 20, g: 30, gb: 30, gib: 30 };

/** "8MiB", "8M", "8388608": sizes on the command line are binary (K = 1024). */
export function parseSize(value: string, flag: string): number {
  const m = SIZE.exec(value.trim());
  if (!m) throw new UsageError(`${flag} must be a size such as 8MiB, 512K or 1048576, got ${JSON.stringify(value)}`);
  return Number(m[1]) * 2 ** SIZE_SHIFT[m[2].toLowerCase()];
}

export function parseCount(value: string, flag: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${flag} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  return n;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** ossutil's time format (Go's "2006-01-02 15:04:05 -0700 MST"), in the local time zone. */
export function formatTime(input: string | number | Date): string {
  const d = new Date(input);
  const offset = -d.getTimezoneOffset();
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  const zone = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((p) => p.type === 'timeZoneName')?.value ?? '';
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())} ` +
    `${sign}${pad2(Math.floor(abs / 60))}${pad2(abs % 60)} ${zone}`.trimEnd();
}

/** ossutil's `%-28s: %s` lines: names padded to 28 columns, longer names unpadded. */
export function keyValueLines(rows: ReadonlyArray<readonly [string, string]>, width = 28): string {
  return rows.map(([k, v]) => `${k.padEnd(width)}: ${v}`).join('\n');
}

/** Left-aligned columns separated by two spaces; the last column is not padded. */
export function columns(rows: ReadonlyArray<readonly string[]>): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i]?.length ?? 0)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ').trimEnd()).join('\n');
}
