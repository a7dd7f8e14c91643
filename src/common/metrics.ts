/** Counters kept in memory and rendered in the Prometheus text format (/metrics). */
export type Labels = Record<string, string>;

interface Counter { help: string; values: Map<string, { labels: Labels; value: number }> }

const labelKey = (labels: Labels): string => JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));
const escape = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

export class Metrics {
  private readonly counters = new Map<string, Counter>();

  /** `constant` labels go on every series rendered, e.g. the node, so a cluster's scrapes stay apart. */
  constructor(private readonly constant: Labels = {}) {}

  /** Declares a counter; incrementing an undeclared one is a programming error. */
  counter(name: string, help: string): void {
    if (!this.counters.has(name)) this.counters.set(name, { help, values: new Map() });
  }

  inc(name: string, labels: Labels, by = 1): void {
    const c = this.counters.get(name);
    if (!c) throw new Error(`metric ${name} was not declared`);
    const k = labelKey(labels);
    const v = c.values.get(k);
    if (v) v.value += by;
    else c.values.set(k, { labels, value: by });
  }

  /** The current value of one labelled series (0 when never incremented). */
  value(name: string, labels: Labels): number {
    return this.counters.get(name)?.values.get(labelKey(labels))?.value ?? 0;
  }

  render(): string {
    const lines: string[] = [];
    for (const [name, c] of this.counters) {
      lines.push(`# HELP ${name} ${c.help}`, `# TYPE ${name} counter`);
      for (const { labels, value } of c.values.values()) {
        const l = Object.entries({ ...labels, ...this.constant }).map(([k, v]) => `${k}="${escape(v)}"`).join(',');
        lines.push(`${name}${l ? `{${l}}` : ''} ${value}`);
      }
    }
    return lines.join('\n') + '\n';
  }
}
