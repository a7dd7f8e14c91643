/**
 * Charts drawn as plain SVG by React: a time-series line chart and a horizontal bar chart (plain
 * or stacked, absolute or as shares). No chart library: these two shapes are all the console
 * draws, and a few hundred points need nothing more. Each chart is an image with a label that
 * says what it shows and its latest or largest values; the numbers are also in the tables next to
 * them. Sizes are in viewBox units, the SVG scales to its column's width.
 */
import { useId, type ReactNode } from 'react';
import type { SeriesPoint } from '../lib/samples';

/** Default width in viewBox units: about the pixels of a half-width column at 1280. */
const W = 640;

/** Round tick steps (1, 2, 2.5, 5 × 10ⁿ) giving about `count` ticks from 0 to at least max. */
export function niceTicks(max: number, count = 4): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let v = 0; v < max + step / 2; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks.at(-1)! < max) ticks.push(Number((ticks.at(-1)! + step).toPrecision(12)));
  return ticks;
}

const clock = (t: number): string => new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

export interface LineSeries {
  name: string;
  color: string;
  points: SeriesPoint[];
  dashed?: boolean;
}

/** Lines over time from `from` to `to` (Unix ms); a null value breaks its line. */
export function LineChart({ label, series, from, to, format, height = 200, id }: {
  label: string;
  series: LineSeries[];
  from: number;
  to: number;
  /** How a value reads (axis, legend, label). */
  format: (v: number) => string;
  height?: number;
  /** data-chart, for tests and styles. */
  id: string;
}) {
  const titleId = useId();
  const m = { left: 64, right: 14, top: 10, bottom: 26 };
  const plotW = W - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const visible = series.map((s) => ({ ...s, points: s.points.filter((p) => p.t >= from && p.t <= to) }));
  const max = Math.max(0, ...visible.flatMap((s) => s.points.map((p) => p.v ?? 0)));
  const ticks = niceTicks(max);
  const top = ticks.at(-1)!;
  const x = (t: number): number => m.left + ((t - from) / Math.max(1, to - from)) * plotW;
  const y = (v: number): number => m.top + plotH - (v / top) * plotH;
  const tenMinutes = 10 * 60_000;
  const xTicks: number[] = [];
  for (let t = Math.ceil(from / tenMinutes) * tenMinutes; t <= to; t += tenMinutes) xTicks.push(t);
  const last = (s: LineSeries): number | null => [...s.points].reverse().find((p) => p.v !== null)?.v ?? null;
  const summary = visible.map((s) => `${s.name} ${last(s) === null ? 'no data' : format(last(s)!)}`).join(', ');

  return (
    <figure className="chart" data-chart={id}>
      <svg viewBox={`0 0 ${W} ${height}`} role="img" aria-labelledby={titleId} className="chart-svg">
        <title id={titleId}>{`${label}: latest ${summary}`}</title>
        {ticks.map((v) => (
          <g key={v} className="chart-grid">
            <line x1={m.left} x2={W - m.right} y1={y(v)} y2={y(v)} />
            <text x={m.left - 6} y={y(v)} dy="0.32em" textAnchor="end">{format(v)}</text>
          </g>
        ))}
        {xTicks.map((t) => (
          <text key={t} className="chart-axis" x={x(t)} y={height - 8} textAnchor="middle">{clock(t)}</text>
        ))}
        <line className="chart-baseline" x1={m.left} x2={W - m.right} y1={y(0)} y2={y(0)} />
        {visible.map((s) => {
          let d = '';
          let pen = false;
          const dots: SeriesPoint[] = [];
          s.points.forEach((p, i) => {
            if (p.v === null) {
              pen = false;
              return;
            }
            d += `${pen ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`;
            // A point with no neighbour on either side would draw no line: it gets a dot.
            const prev = s.points[i - 1];
            const next = s.points[i + 1];
            if ((!prev || prev.v === null) && (!next || next.v === null)) dots.push(p);
            pen = true;
          });
          const values = s.points.flatMap((p) => (p.v === null ? [] : [p.v]));
          return (
            <g key={s.name} data-series={s.name} data-points={values.length} data-max={values.length ? Math.max(...values) : undefined}>
              <path d={d} fill="none" stroke={s.color} strokeWidth={2} strokeDasharray={s.dashed ? '5 4' : undefined} strokeLinejoin="round" />
              {dots.map((p) => <circle key={p.t} cx={x(p.t)} cy={y(p.v!)} r={3} fill={s.color} />)}
            </g>
          );
        })}
      </svg>
      <figcaption>
        <ul className="legend">
          {visible.map((s) => (
            <li key={s.name}>
              <svg width="18" height="10" aria-hidden="true"><line x1="0" x2="18" y1="5" y2="5" stroke={s.color} strokeWidth={2} strokeDasharray={s.dashed ? '5 4' : undefined} /></svg>
              {s.name}: <strong>{last(s) === null ? '—' : format(last(s)!)}</strong>
            </li>
          ))}
        </ul>
      </figcaption>
    </figure>
  );
}

export interface BarSegment { key: string; label: string; color: string }

export interface BarRow {
  label: string;
  /** Value per segment key. */
  values: Record<string, number>;
}

/**
 * Horizontal bars, one per row, stacked by segment. `shares`: each bar is 100% (the segments'
 * proportions) and the row's total is written after it; otherwise bars share one scale.
 */
export function BarChart({ label, rows, segments, format, shares, id, note, width = W }: {
  label: string;
  /** In viewBox units: a chart as wide as the page takes about its pixels, so text keeps its size. */
  width?: number;
  rows: BarRow[];
  segments: BarSegment[];
  format: (v: number) => string;
  shares?: boolean;
  id: string;
  note?: ReactNode;
}) {
  const titleId = useId();
  const rowH = 26;
  const labelW = 170;
  const valueW = 90;
  const barW = width - labelW - valueW - 10;
  const height = rows.length * rowH + 6;
  const totals = rows.map((r) => segments.reduce((n, s) => n + (r.values[s.key] ?? 0), 0));
  const max = Math.max(0, ...totals);
  const summary = rows.map((r, i) => `${r.label} ${format(totals[i])}`).join(', ');
  const short = (s: string): string => (s.length > 24 ? `${s.slice(0, 23)}…` : s);

  return (
    <figure className="chart" data-chart={id}>
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-labelledby={titleId} className="chart-svg">
        <title id={titleId}>{`${label}: ${summary || 'nothing'}`}</title>
        {rows.map((r, i) => {
          const total = totals[i];
          const scale = shares ? (total > 0 ? barW / total : 0) : max > 0 ? barW / max : 0;
          let at = labelW;
          const yTop = i * rowH + 4;
          return (
            <g key={r.label} data-bar={r.label} data-value={total}>
              <text className="chart-label" x={labelW - 8} y={yTop + rowH / 2 - 2} dy="0.32em" textAnchor="end">
                {short(r.label)}
                <title>{r.label}</title>
              </text>
              {shares && <rect x={labelW} y={yTop + 2} width={barW} height={rowH - 10} className="chart-track" />}
              {segments.map((s) => {
                const v = r.values[s.key] ?? 0;
                if (!(v > 0)) return null;
                const w = Math.max(1, v * scale);
                const rect = (
                  <rect key={s.key} data-segment={s.key} x={at} y={yTop + 2} width={w} height={rowH - 10} fill={s.color}>
                    <title>{`${r.label}, ${s.label}: ${format(v)}${shares && total > 0 ? ` (${Math.round((v / total) * 1000) / 10}%)` : ''}`}</title>
                  </rect>
                );
                at += w;
                return rect;
              })}
              <text className="chart-value" x={shares ? labelW + barW + 6 : at + 6} y={yTop + rowH / 2 - 2} dy="0.32em">{format(total)}</text>
            </g>
          );
        })}
      </svg>
      {(segments.length > 1 || note) && (
        <figcaption>
          {segments.length > 1 && (
            <ul className="legend">
              {segments.map((s) => (
                <li key={s.key}><svg width="12" height="12" aria-hidden="true"><rect width="12" height="12" fill={s.color} /></svg> {s.label}</li>
              ))}
            </ul>
          )}
          {note}
        </figcaption>
      )}
    </figure>
  );
}
