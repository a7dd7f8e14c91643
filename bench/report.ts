/** Ratios with their targets, and the plain-text tables printed at the end of a run. */
import type { CaseResult } from './workload';

export interface TargetResult {
  name: string;
  /** VmRSS right after start-up, and after the warm-up (the baseline growth is measured from). */
  startRssMiB: number;
  idleRssMiB: number;
  /** Highest RSS during the PUT/GET cases. */
  casesPeakRssMiB: number;
  /** Per case, the best round. */
  cases: CaseResult[];
  allRounds: CaseResult[][];
}

export interface Ratio {
  name: string;
  value: number;
  /** Absent for informational ratios; `max` for costs, which must stay under their bound. */
  min?: number;
  max?: number;
  pass?: boolean;
}

/** The figure a case is judged by: MiB/s for large objects, ops/s for small ones. */
export const headline = (c: CaseResult): number => (c.objectBytes >= 1024 * 1024 ? c.mibPerSec : c.opsPerSec);
const unit = (c: CaseResult): string => (c.objectBytes >= 1024 * 1024 ? 'MiB/s' : 'ops/s');

export function ratios(targets: TargetResult[], bigBytes: number): Ratio[] {
  const byName = new Map(targets.map((t) => [t.name, t]));
  const out: Ratio[] = [];
  const compare = (num: string, den: string, min: number | undefined, only?: (c: CaseResult) => boolean): void => {
    const a = byName.get(num);
    const b = byName.get(den);
    if (!a || !b) return;
    for (const c of a.cases) {
      const d = b.cases.find((x) => x.id === c.id);
      if (!d || (only && !only(c))) continue;
      const value = headline(c) / headline(d);
      out.push({ name: `${num} / ${den}  ${c.id}`, value, min, pass: min === undefined ? undefined : value >= min });
    }
  };
  const big = (c: CaseResult): boolean => c.objectBytes === bigBytes;
  compare('coffer', 's3rver', 1.5);
  // One store, two dialects: the S3 path must keep 90% of the OSS path's rate, case by case, with
  // the same minimal client on both (the SDKs' own costs differ by 2-3x: see the client CPU).
  compare('wire-s3', 'wire-oss', 0.9);
  // The same AWS SDK client against Coffer's S3 dialect and s3rver; and against the OSS path's ali-oss.
  compare('coffer-s3', 's3rver', undefined);
  compare('coffer-s3', 'coffer', undefined);
  compare('coffer-aes256', 'coffer', 0.9, big);
  compare('coffer-sm4', 'coffer', undefined, big);
  // SSE-KMS adds a GenerateDataKey per PUT and a Decrypt per GET: 4 KiB PUTs at c16 must keep 80%.
  compare('coffer-kms', 'coffer', 0.8, (c) => c.op === 'PUT' && c.concurrency === 16);
  compare('coffer-kms', 'coffer', undefined, (c) => !(c.op === 'PUT' && c.concurrency === 16));
  // What authorizing a RAM user costs per request: the 4 KiB GETs must keep 90% of the root's rate.
  compare('coffer-ram', 'coffer-root', 0.9, (c) => c.op === 'GET');
  compare('coffer-ram', 'coffer-root', undefined, (c) => c.op === 'PUT');
  return out;
}

export const fmt = (x: number, digits = 1): string => (Number.isFinite(x) ? x.toFixed(digits) : '-');

export function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '))
    .join('\n');
}

/** One row per case, one column per target, from the figure `pick` takes out of each result. */
function caseTable(targets: TargetResult[], label: string, pick: (c: CaseResult) => string): string {
  const ids = targets[0]?.cases.map((c) => c.id) ?? [];
  const rows = [[label, ...targets.map((t) => t.name)]];
  for (const id of ids) {
    rows.push([id, ...targets.map((t) => {
      const c = t.cases.find((x) => x.id === id);
      return c ? pick(c) : '-';
    })]);
  }
  return table(rows);
}

export function targetTables(targets: TargetResult[]): string {
  const memory = [
    ['RSS after start-up', ...targets.map((t) => fmt(t.startRssMiB))],
    ['RSS idle after warm-up', ...targets.map((t) => fmt(t.idleRssMiB))],
    ['peak RSS over all cases', ...targets.map((t) => fmt(t.casesPeakRssMiB))],
    ['peak growth over idle', ...targets.map((t) => fmt(t.casesPeakRssMiB - t.idleRssMiB))],
  ];
  return [
    caseTable(targets, 'Throughput', (c) => `${fmt(headline(c))} ${unit(c)}`),
    '',
    caseTable(targets, 'Peak server RSS per case (MiB)', (c) => fmt(c.server.peakRssMiB)),
    table([['Server RSS (MiB)', ...targets.map((t) => t.name)], ...memory]),
    '',
    caseTable(targets, 'Cores used by other processes', (c) => fmt(c.otherCores, 2)),
    '',
    caseTable(targets, 'Server CPU (client CPU)', (c) => {
      const perUnit = (s: number): string => (c.objectBytes >= 1024 * 1024
        ? `${fmt((s * 1000) / (c.bytes / 1024 / 1024), 2)} ms/MiB`
        : `${fmt((s * 1e6) / c.ops, 0)} us/op`);
      return `${perUnit(c.server.cpuSeconds)} (${perUnit(c.clientCpuSeconds)})`;
    }),
    '',
    // A storm of full collections multiplied a large GET's CPU (src/common/heap.ts).
    caseTable(targets, 'Server full GCs (per GiB | per 10,000 ops)', (c) => {
      if (c.server.majorGcs === undefined) return '-';
      const per = c.objectBytes >= 1024 * 1024 ? c.server.majorGcs / (c.bytes / 2 ** 30) : (c.server.majorGcs * 10_000) / c.ops;
      return `${c.server.majorGcs} (${fmt(per, 1)})`;
    }),
  ].join('\n');
}

export function ratioTable(rs: Ratio[]): string {
  return table([
    ['Ratio', 'value', 'target', 'result'],
    ...rs.map((r) => [r.name, `${fmt(r.value, 2)}x`, r.min !== undefined ? `>= ${r.min}x` : r.max !== undefined ? `<= ${r.max}x` : 'info', r.pass === undefined ? '' : r.pass ? 'PASS' : 'FAIL']),
  ]);
}
