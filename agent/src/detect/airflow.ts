/**
 * Host-level cooling efficiency, for clogged filters and blocked airflow: all fans need more speed AND the CPUs run
 * hotter over inlet at the same power. Heat transfer goes roughly with airflow^0.8, so
 *   x = ln(CPU rise over inlet) + 0.8 ln(fan speed) - ln(power)
 * stays put when the fan curve, room temperature or load change, and grows when the same air moves less heat.
 * What is left of the load dependence (idle power that is not CPU heat) is removed by a baseline per power band
 * learned over the first `airflowLearnMs` of data; bands never seen while learning are not judged.
 * The model is only approximate (at low duty the chassis still moves some air), so a fan-curve change or a faster
 * replacement fan shifts x a little. What tells them from a clog is the CPU rise itself against its baseline in
 * the same power band: a clog makes the CPUs hotter (the fan loop only speeds up when they are), more fan for the
 * same need makes them cooler. x moving up while the CPUs run cooler is such a change of context: the
 * per-band baselines are learned again (for `airflowLearnMs`, during which airflow is not judged).
 */
import type { SensorEvent } from "@presage/shared";
import { Channel } from "./channel.js";
import type { DetectConfig } from "./config.js";
import { Episode } from "./episode.js";
import { confidence, duration } from "./fmt.js";
import type { HostContext } from "./host.js";

const BAND = 0.1; // power bands 10% wide (log scale)
const MAX_BANDS = 64;
const CONTEXT_BUCKETS = 3;

export class AirflowTracker {
  readonly episode: Episode;
  readonly #cfg: DetectConfig;
  readonly #channel: Channel;
  /** per power band: sums of x, x squared and ln(CPU rise over inlet) */
  readonly #bands = new Map<number, { sum: number; sumSq: number; sumT: number; n: number }>();
  /** ln(rise) against its band baseline, bucketed alongside x so both are judged on the same buckets */
  readonly #thermal: Channel;
  #learnUntil: number | null = null;
  #normalBuckets = 0;
  /** consecutive buckets in which the fans ran faster while the CPUs ran cooler than their baseline */
  #coolerBuckets = 0;

  constructor(cfg: DetectConfig, prefix: string, host: string) {
    this.#cfg = cfg;
    this.#channel = new Channel(cfg, cfg.airflowMinLoss, false);
    this.#thermal = new Channel(cfg, cfg.airflowMinLoss, false);
    this.episode = new Episode(prefix, host, "airflow", "thermal", null);
  }

  /** Called once per sample, on the host's power reading. */
  ingest(ts: number, powerW: number, ctx: HostContext, out: SensorEvent[]): void {
    if (powerW <= 0 || !ctx.poweredOn(ts)) return;
    const cpu = ctx.siblingLevel(ctx.cpus, "", ts);
    const fan = ctx.fans.effort(ts);
    const inlet = ctx.inlet && ts - ctx.inlet.ts <= this.#cfg.staleMs ? ctx.inlet.v : null;
    if (cpu === null || fan === null || inlet === null || fan < 1) return;
    if (ctx.roomMoving()) {
      this.#channel.touch(ts);
      this.#thermal.touch(ts);
      return;
    }
    const rise = Math.max(5, cpu - inlet);
    const thermal = Math.log(rise);
    const x = thermal + 0.8 * Math.log(fan) - Math.log(powerW);
    const band = Math.floor(Math.log(powerW) / BAND);
    this.#learnUntil ??= ts + this.#cfg.airflowLearnMs;
    let b = this.#bands.get(band);
    if (ts < this.#learnUntil) {
      if (!b && this.#bands.size < MAX_BANDS) {
        b = { sum: 0, sumSq: 0, sumT: 0, n: 0 };
        this.#bands.set(band, b);
      }
      if (b) {
        b.sum += x;
        b.sumSq += x * x;
        b.sumT += thermal;
        b.n++;
      }
      return;
    }
    if (!b || b.n < 10) return;
    const mean = b.sum / b.n;
    // only what exceeds the band's own learned spread counts: at low load the fans sit at the curve minimum and x
    // wanders there with the room and load mix, which alone must not look like lost airflow
    const spread = Math.sqrt(Math.max(0, b.sumSq / b.n - mean * mean));
    const raw = x - mean;
    const residual = raw > spread ? raw - spread : raw < -spread ? raw + spread : 0;
    // failure point: the residual at which the hottest CPU would reach its limit at this power
    const limit = this.#cfg.cpuMaxC;
    const a = this.#channel.add(ts, residual, residual + Math.log(Math.max(1, limit - inlet) / rise));
    const th = this.#thermal.add(ts, thermal - b.sumT / b.n, Number.POSITIVE_INFINITY);
    if (!a) return;
    // sustained and clearly cooler, so that noise in the CPU rise during a real clog does not re-learn it away
    const cooler = th !== null && a.dev >= this.#cfg.airflowMinLoss / 2 && th.dev <= -this.#cfg.airflowMinLoss / 3;
    this.#coolerBuckets = cooler && !this.episode.open ? this.#coolerBuckets + 1 : 0;
    if (this.#coolerBuckets >= CONTEXT_BUCKETS) {
      // the shift differs per power band (at high load the fans were above the curve's minimum anyway): re-learn all
      this.#bands.clear();
      this.#learnUntil = null;
      this.#rebaseline();
      return;
    }
    const loss = Math.round((1 - Math.exp(-a.dev)) * 100);
    const trending = a.established && a.z >= this.#cfg.minTrendZ;
    if (trending || (this.episode.open && a.dev >= this.#cfg.airflowMinLoss)) {
      this.#normalBuckets = 0;
      const soon = a.predictedAt !== null && a.predictedAt - ts <= this.#cfg.horizonMs && a.z >= this.#cfg.minTrendZ;
      const critical = soon || a.level >= a.failAt;
      if (critical || !this.episode.open)
        this.episode.raise(
          {
            ts,
            severity: critical ? "critical" : "warning",
            kind: "degradation",
            reason: `cooling moves ${loss}% less heat per unit of airflow than this host's own baseline at the same power: fans run faster and CPUs hotter (clogged filter or blocked airflow)${a.predictedAt !== null && a.predictedAt > ts ? `; CPUs reach ${limit} C in ~${duration(a.predictedAt - ts)}` : ""}`,
            predictedFailureAt: a.predictedAt,
            confidence: confidence(a.z, a.dev, this.#cfg.airflowMinLoss),
          },
          out,
        );
      return;
    }
    if (this.episode.open && a.dev < this.#cfg.airflowMinLoss / 2 && ++this.#normalBuckets >= this.#cfg.clearBuckets) {
      this.episode.clear(ts, "cooling back to its baseline efficiency", out);
      this.#rebaseline();
    }
  }

  #rebaseline(): void {
    this.#channel.rebaseline();
    this.#thermal.rebaseline();
    this.#normalBuckets = 0;
    this.#coolerBuckets = 0;
  }
}
