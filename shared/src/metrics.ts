/** Minimal Prometheus-style counters and gauges; rendered in the text exposition format. */
type Labels = Record<string, string>;

function key(name: string, labels?: Labels): string {
  if (!labels) return name;
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}="${String(labels[k]).replace(/["\\\n]/g, "_")}"`);
  return parts.length ? `${name}{${parts.join(",")}}` : name;
}

export class Metrics {
  #values = new Map<string, number>();
  #help = new Map<string, { help: string; type: "counter" | "gauge" }>();

  describe(name: string, help: string, type: "counter" | "gauge" = "counter"): void {
    this.#help.set(name, { help, type });
  }
  inc(name: string, labels?: Labels, by = 1): void {
    const k = key(name, labels);
    this.#values.set(k, (this.#values.get(k) ?? 0) + by);
  }
  set(name: string, value: number, labels?: Labels): void {
    this.#values.set(key(name, labels), value);
  }
  get(name: string, labels?: Labels): number {
    return this.#values.get(key(name, labels)) ?? 0;
  }
  /** Sum over every label set of a metric. */
  total(name: string): number {
    let s = 0;
    for (const [k, v] of this.#values) if (k === name || k.startsWith(`${name}{`)) s += v;
    return s;
  }
  render(): string {
    const lines: string[] = [];
    const seen = new Set<string>();
    for (const [k, v] of [...this.#values].sort(([a], [b]) => a.localeCompare(b))) {
      const name = k.split("{")[0] as string;
      const h = this.#help.get(name);
      if (h && !seen.has(name)) {
        seen.add(name);
        lines.push(`# HELP ${name} ${h.help}`, `# TYPE ${name} ${h.type}`);
      }
      lines.push(`${k} ${v}`);
    }
    return `${lines.join("\n")}\n`;
  }
}
