/**
 * A power supply judged by its share of the load. Redundant supplies split the host's load about evenly; an
 * aging supply (failing capacitors, drifting regulation) hands more and more of it to its partner before it drops
 * out. The residual is the supply's output (watts or amps) times the number of supplies over their sum: 1 is its
 * fair share. Load and room changes move every supply together and cancel. A supply at ~0 is off or unplugged
 * (one of a pair unplugged is redundancy lost, `info`, not a failing part); its partner's share then steps up,
 * which is a re-baseline, not a trend.
 */
import type { Reading, SensorEvent } from "@presage/shared";
import type { DetectConfig } from "./config.js";
import { Phase } from "./episode.js";
import type { HostContext } from "./host.js";
import { TrendTracker } from "./trackers.js";

export class PsuShareTracker extends TrendTracker {
  readonly #kind: string;

  constructor(cfg: DetectConfig, prefix: string, host: string, r: Reading) {
    super(cfg, prefix, host, r.sensor, "psu", cfg.psuMinShareDrop, true, cfg.slowBucketMs);
    this.#kind = r.type;
  }

  ingest(r: Reading & { value: number }, ctx: HostContext, out: SensorEvent[]): void {
    const group = ctx.psuOutputs(this.#kind);
    ctx.record(group, this.name, r.value, r.ts);
    if (!ctx.poweredOn(r.ts)) return;
    let sum = 0;
    let n = 0;
    for (const l of group.values()) {
      if (r.ts - l.ts > this.cfg.staleMs) continue;
      sum += l.v;
      n++;
    }
    if (n < 2 || sum <= 0) return;
    const share = (r.value * n) / sum;
    if (share < this.cfg.psuOffShare) {
      this.episode.raise(
        {
          ts: r.ts,
          severity: "info",
          kind: "failure",
          reason: `${this.name} carries ${Math.round(share * 100)}% of its fair share: this supply is off or unplugged, the host runs on its partner`,
          predictedFailureAt: null,
          confidence: 0.9,
        },
        out,
      );
      this.channel.rebaseline();
      return;
    }
    if (this.episode.phase === Phase.Info && this.episode.latched) {
      this.episode.clear(r.ts, `${this.name} carries load again`, out);
      this.channel.rebaseline();
    }
    const a = this.channel.add(r.ts, -share, -this.cfg.psuFailShare);
    if (a)
      this.judge(
        r.ts,
        a,
        (x) =>
          `${this.name} carries ${Math.round(-x.level * 100)}% of its fair share of the load (its baseline ${Math.round(-x.base * 100)}%, ${n} supplies), falling ${Math.round(x.slope * 86_400_000 * 100)} points/day: its partner takes over as it ages${this.eta(r.ts, x)}`,
        out,
      );
  }
}
