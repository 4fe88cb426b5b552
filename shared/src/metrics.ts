/**
 * Prometheus metrics for both daemons, on prom-client. Each process declares every family it writes up front
 * (name, HELP, type, label names), so `/metrics` shows each family from start-up and a misspelt name fails
 * the first test that reaches it instead of inventing a new series. Every registry carries prom-client's
 * default `process_*` / `nodejs_*` families and `presage_build_info`.
 */
import client from "prom-client";
import { PRESAGE_VERSION } from "./version.js";

type Labels = Record<string, string>;

export type FamilySpec =
  | { name: string; help: string; type: "counter" | "gauge"; labels?: readonly string[] }
  | { name: string; help: string; type: "histogram"; labels?: readonly string[]; buckets: readonly number[] };

/** Read at scrape time: `set` writes one series of the family (after the family was reset for this scrape). */
export type Collect = (set: (value: number, labels?: Labels) => void) => void;

/** Families the shared NATS edge (bus.ts) writes in both daemons. */
export const BUS_FAMILIES: readonly FamilySpec[] = [
  {
    name: "presage_invalid_messages_total",
    help: "Messages dropped because they failed validation, by subject family.",
    type: "counter",
    labels: ["subject"],
  },
  {
    name: "presage_handler_errors_total",
    help: "Message handlers that threw (the message was skipped), by subject family.",
    type: "counter",
    labels: ["subject"],
  },
];

type Family = client.Counter<string> | client.Gauge<string> | client.Histogram<string>;

export class Metrics {
  readonly registry = new client.Registry();
  readonly #families = new Map<string, Family>();
  readonly #collectErrors: client.Counter<string>;

  /** component: `agent` or `controller`, a label of presage_build_info. */
  constructor(component: string, families: readonly FamilySpec[] = []) {
    client.collectDefaultMetrics({ register: this.registry });
    // gauges named like counters fail `promtool check metrics`; each is the sum of its unsuffixed twin's series
    for (const n of ["nodejs_active_handles_total", "nodejs_active_requests_total", "nodejs_active_resources_total"])
      this.registry.removeSingleMetric(n);
    new client.Gauge({
      name: "presage_build_info",
      help: "Always 1; the labels carry the running Presage version and Node.js version.",
      labelNames: ["version", "component", "nodejs"],
      registers: [this.registry],
    }).set({ version: PRESAGE_VERSION, component, nodejs: process.versions.node }, 1);
    this.#collectErrors = new client.Counter({
      name: "presage_metrics_collect_errors_total",
      help: "Scrapes in which a family computed from live state could not be read (it showed empty), by family.",
      labelNames: ["family"],
      registers: [this.registry],
    });
    for (const f of [...BUS_FAMILIES, ...families]) this.declare(f);
  }

  declare(f: FamilySpec): void {
    if (this.#families.has(f.name)) return;
    const base = { name: f.name, help: f.help, labelNames: [...(f.labels ?? [])], registers: [this.registry] };
    if (f.type === "histogram") this.#families.set(f.name, new client.Histogram({ ...base, buckets: [...f.buckets] }));
    else this.#families.set(f.name, f.type === "counter" ? new client.Counter(base) : new client.Gauge(base));
  }

  /** A gauge family computed from live state on every scrape. */
  collected(f: { name: string; help: string; labels?: readonly string[] }, collect: Collect): void {
    // a second owner (a new term, a reloaded agent on the same registry) takes the family over
    if (this.#families.has(f.name)) this.registry.removeSingleMetric(f.name);
    const errors = this.#collectErrors;
    const g = new client.Gauge({
      name: f.name,
      help: f.help,
      labelNames: [...(f.labels ?? [])],
      registers: [this.registry],
      collect() {
        this.reset();
        try {
          collect((v, l) => (l ? this.set(l, v) : this.set(v)));
        } catch {
          // one family that cannot be read must not fail the whole scrape: it shows empty, and counted
          this.reset();
          errors.inc({ family: f.name });
        }
      },
    });
    this.#families.set(f.name, g);
  }

  #get<T extends Family>(name: string, kind: new (...a: never[]) => T): T {
    const m = this.#families.get(name);
    if (!(m instanceof kind)) throw new Error(`metric ${name} is not a declared ${kind.name.toLowerCase()}`);
    return m;
  }

  inc(name: string, labels?: Labels, by = 1): void {
    const c = this.#get(name, client.Counter);
    if (labels) c.inc(labels, by);
    else c.inc(by);
  }
  set(name: string, value: number, labels?: Labels): void {
    const g = this.#get(name, client.Gauge);
    if (labels) g.set(labels, value);
    else g.set(value);
  }
  observe(name: string, value: number, labels?: Labels): void {
    const h = this.#get(name, client.Histogram);
    if (labels) h.observe(labels, value);
    else h.observe(value);
  }
  /** Create series with value 0 so rules and boards see them before the first event (e.g. every severity). */
  zero(name: string, labels: Labels): void {
    const m = this.#families.get(name);
    if (m instanceof client.Counter) m.inc(labels, 0);
    else if (m instanceof client.Histogram) m.zero(labels);
    else if (m instanceof client.Gauge) m.set(labels, 0);
    else throw new Error(`metric ${name} is not declared`);
  }

  /** One series' value (a histogram's count); 0 when absent. */
  async get(name: string, labels: Labels = {}): Promise<number> {
    const values = await this.#values(name);
    const want = Object.entries(labels);
    const hit = values.find((v) => want.every(([k, x]) => String(v.labels[k]) === x));
    return hit?.value ?? 0;
  }
  /** Sum over every series of a family. */
  async total(name: string): Promise<number> {
    const values = await this.#values(name);
    return values.reduce((s, v) => s + v.value, 0);
  }
  async #values(name: string): Promise<client.MetricValueWithName<string>[]> {
    const m = this.#families.get(name);
    if (!m) throw new Error(`metric ${name} is not declared`);
    const got = await m.get();
    const vs = got.values as client.MetricValueWithName<string>[];
    // a histogram's count series stands for it
    return m instanceof client.Histogram ? vs.filter((v) => v.metricName === `${name}_count`) : vs;
  }

  /** The Prometheus text exposition of every family. */
  render(): Promise<string> {
    return this.registry.metrics();
  }
  get contentType(): string {
    return this.registry.contentType;
  }
}

/** Buckets in seconds for the three durations Presage records (poll, reconcile, migration). */
export const Buckets = {
  poll: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  reconcile: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  migration: [1, 5, 10, 30, 60, 120, 300, 600, 1_800, 3_600],
} as const;
