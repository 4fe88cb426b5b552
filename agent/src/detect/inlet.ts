/**
 * The room as a cause. The inlet is context for every slow judge (a CRAC excursion is not a clog), but a room or
 * rack hot enough to take a component to its critical threshold is real danger: it is reported, with its cause
 * (`environment`), so the controller can tell one cooling incident from many sick hosts.
 */
import { EventCause, type Reading, type SensorEvent } from "@presage/shared";
import type { DetectConfig } from "./config.js";
import { Episode } from "./episode.js";
import { degC, duration, overLevel } from "./fmt.js";
import type { HostContext } from "./host.js";
import { type Tracker, th } from "./trackers.js";

/**
 * The inlet (ambient) temperature: recorded as context for the CPUs and airflow, and judged against its own BMC
 * thresholds only: at its upper non-critical one a warning, at its critical one (or `inletMaxC` when the BMC has
 * none) a critical event, both with cause `environment`, after `confirmSamples` samples in a row; cleared after
 * `failureClearMs` below the warning level. A normal CRAC excursion stays far below either.
 */
export class InletTracker implements Tracker {
  readonly episode: Episode;
  readonly #cfg: DetectConfig;
  readonly #name: string;
  #hotRun = 0;
  #warmRun = 0;
  #okSince: number | null = null;

  constructor(cfg: DetectConfig, prefix: string, host: string, name: string) {
    this.#cfg = cfg;
    this.#name = name;
    this.episode = new Episode(prefix, host, name, "thermal");
  }

  ingest(r: Reading & { value: number }, ctx: HostContext, out: SensorEvent[]): void {
    ctx.recordInlet(this.#name, r.value, r.ts);
    const critical = th(r, "ucr") ?? this.#cfg.inletMaxC;
    const warn = th(r, "unc");
    const hot = r.value >= critical;
    const warm = hot || (warn !== null && r.value >= warn);
    this.#hotRun = hot ? this.#hotRun + 1 : 0;
    this.#warmRun = warm ? this.#warmRun + 1 : 0;
    if (!warm) {
      this.#okSince ??= r.ts;
      if (this.episode.open && r.ts - this.#okSince >= this.#cfg.failureClearMs)
        this.episode.clear(r.ts, `${this.#name} back to ${degC(r.value)} for ${duration(r.ts - this.#okSince)}`, out);
      return;
    }
    this.#okSince = null;
    const over = ctx.inlet?.name === this.#name ? ctx.inletOver(r.ts) : null;
    const at = `${this.#name} at ${degC(r.value)}${over === null ? "" : ` (${overLevel(over)})`}`;
    if (this.#hotRun >= this.#cfg.confirmSamples)
      this.episode.raise(
        {
          ts: r.ts,
          severity: "critical",
          kind: "failure",
          reason: `${at}, at or above its critical ${degC(critical)}: room or rack cooling; the host's components are past their design inlet`,
          predictedFailureAt: r.ts,
          confidence: 0.95,
          cause: EventCause.Environment,
        },
        out,
      );
    else if (warn !== null && this.#warmRun >= this.#cfg.confirmSamples)
      this.episode.raise(
        {
          ts: r.ts,
          severity: "warning",
          kind: "degradation",
          reason: `${at}, at or above its warning ${degC(warn)} (critical ${degC(critical)}): room or rack cooling`,
          predictedFailureAt: null,
          confidence: 0.8,
          cause: EventCause.Environment,
        },
        out,
      );
  }
}
