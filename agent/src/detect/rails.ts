/**
 * DC rails: the level against nominal (RailTracker) and, on the same sensor, the dips below it (RailDipTracker).
 *
 * An aging power supply seen on the rail it feeds, for hosts that report no per-supply output (Lenovo `Planar
 * 12V`, Supermicro `12V`): its regulation loosens, so the rail dips below the range it used to keep, more and
 * more often (ripple and droop), long before the supply drops out. A healthy rail droops with load too (load-line
 * regulation: a quantized 12 V reading spends more of a busy hour one step lower), so the floor is learned over a
 * whole day (`railLearnMs`, which sees the daily peak): the lowest level the rail regularly visits (the 5th
 * percentile of each slow bucket). The residual per slow bucket is the mean of how far its samples lie below that
 * floor. Load bursts, which dip a rail for a moment on healthy supplies too, are context: not judged.
 */
import type { Reading, SensorEvent } from "@presage/shared";
import { isPsuName, railNominal } from "./classify.js";
import type { DetectConfig } from "./config.js";
import type { Episode } from "./episode.js";
import { Phase } from "./episode.js";
import { volts } from "./fmt.js";
import type { HostContext } from "./host.js";
import { quantileInPlace } from "./stats.js";
import { TrendTracker, th } from "./trackers.js";

/** fewest samples a bucket is judged or learned on */
const MIN_SAMPLES = 5;
/** the share of a bucket's samples that may lie below the floor it teaches */
const FLOOR_QUANTILE = 0.05;

export class RailDipTracker extends TrendTracker {
  readonly #acc: number[] = [];
  #start = -1;
  #lastTs = -1;
  #learnUntil: number | null = null;
  #floor = Number.POSITIVE_INFINITY;

  constructor(cfg: DetectConfig, prefix: string, host: string, name: string, nominal: number, psu: boolean) {
    const kind = psu ? "psu" : "voltage";
    super(cfg, prefix, host, name, kind, cfg.railMinDip * nominal, false, cfg.slowBucketMs, `${name}.dips`);
  }

  /** One sample of a powered rail (not an outright failure: the rail tracker judges those). */
  ingest(r: Reading & { value: number }, ctx: HostContext, out: SensorEvent[]): void {
    if (this.#lastTs >= 0 && r.ts - this.#lastTs > this.cfg.maxGapMs) this.#acc.length = 0;
    if (this.#lastTs >= 0 && r.ts - this.#lastTs > this.cfg.relearnGapMs) {
      this.#learnUntil = null;
      this.channel.rebaseline();
    }
    this.#lastTs = r.ts;
    if (ctx.inBurst(r.ts)) return;
    if (this.#learnUntil === null) {
      this.#learnUntil = r.ts + this.cfg.railLearnMs;
      this.#floor = Number.POSITIVE_INFINITY;
    }
    if (this.#acc.length > 0 && r.ts - this.#start >= this.bucketMs) this.#close(r.ts, out);
    if (this.#acc.length === 0) this.#start = r.ts;
    this.#acc.push(r.value);
  }

  #close(ts: number, out: SensorEvent[]): void {
    const n = this.#acc.length;
    if (n >= MIN_SAMPLES && ts < (this.#learnUntil as number))
      this.#floor = Math.min(this.#floor, quantileInPlace(this.#acc, FLOOR_QUANTILE));
    else if (n >= MIN_SAMPLES && Number.isFinite(this.#floor)) {
      const floor = this.#floor;
      let dips = 0;
      for (const v of this.#acc) if (v < floor) dips += floor - v;
      const a = this.channel.addBucket(ts, dips / n, Number.POSITIVE_INFINITY);
      if (a)
        this.judge(
          ts,
          a,
          (x) =>
            `${this.name} dips below the lowest level it kept for a day (${volts(floor)}) more and more: by ${Math.round(x.level * 1000)} mV on average over ${n} samples, against ${Math.round(x.base * 1000)} mV before (ripple and droop of an aging supply)`,
          out,
        );
    }
    this.#acc.length = 0;
  }
}

/** A DC rail judged against its nominal value; a PSU output at 0 V is a lost supply (redundancy), not a droop. */
export class RailTracker extends TrendTracker {
  readonly #nominal: number;
  readonly #psu: boolean;
  readonly #dips: RailDipTracker;

  private constructor(cfg: DetectConfig, prefix: string, host: string, name: string, nominal: number, psu: boolean) {
    super(cfg, prefix, host, name, psu ? "psu" : "voltage", cfg.railMinDrop * nominal);
    this.#nominal = nominal;
    this.#psu = psu;
    this.#dips = new RailDipTracker(cfg, prefix, host, name, nominal, psu);
  }

  get also(): Episode {
    return this.#dips.episode;
  }

  static create(cfg: DetectConfig, prefix: string, host: string, r: Reading & { value: number }): RailTracker | null {
    const nominal = railNominal(r.sensor, r.value);
    return nominal === null ? null : new RailTracker(cfg, prefix, host, r.sensor, nominal, isPsuName(r.sensor));
  }

  ingest(r: Reading & { value: number }, ctx: HostContext, out: SensorEvent[]): void {
    const nom = this.#nominal;
    if (!ctx.poweredOn(r.ts)) return;
    if (r.value < 0.1 * nom) {
      if (this.#psu)
        this.episode.raise(
          {
            ts: r.ts,
            severity: "info",
            kind: "failure",
            reason: `${this.name} reads ${volts(r.value)}: this supply is off or unplugged, the host runs on its partner`,
            predictedFailureAt: null,
            confidence: 0.9,
          },
          out,
        );
      return;
    }
    if (this.episode.phase === Phase.Info && this.episode.latched)
      this.episode.clear(r.ts, `${this.name} has power again`, out);
    const lo = th(r, "lcr") ?? nom * (1 - this.cfg.railTolerance);
    const hi = th(r, "ucr") ?? nom * (1 + this.cfg.railTolerance);
    this.sample(
      r.ts,
      r.value <= lo || r.value >= hi
        ? `${this.name} reads ${volts(r.value)}, outside ${volts(lo)}..${volts(hi)} for a ${nom} V rail`
        : null,
      out,
    );
    this.#dips.ingest(r, ctx, out);
    const a = this.channel.add(r.ts, -r.value, -lo);
    if (a)
      this.judge(
        r.ts,
        a,
        (x) =>
          `${this.name} sagged ${Math.round(x.dev * 1000)} mV below its baseline of ${volts(-x.base)} (${nom} V nominal), falling ${Math.round(x.slope * 86_400_000 * 1000)} mV/day${this.eta(r.ts, x)}`,
        out,
      );
  }
}
