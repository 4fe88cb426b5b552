/** What one host's detector knows across sensors: its fans' model, latest CPU and inlet values, whether it is powered. */
import type { DetectConfig } from "./config.js";
import { FanBank } from "./fan-bank.js";

/** mutable and updated in place: one object per sensor, none per reading (replay hot path) */
type Latest = { name: string; v: number; ts: number };

export class HostContext {
  readonly host: string;
  /** the host's fans, with what was learned of their zones */
  readonly fans: FanBank;
  readonly cpus = new Map<string, Latest>();
  /** latest output of each power supply, per kind of reading (power, current) */
  readonly #psu = new Map<string, Map<string, Latest>>();
  /** latest inlet/ambient temperature */
  inlet: Latest | null = null;
  /** last time any evidence said the host is powered: CPU temperature read, power > 0, a fan spinning */
  lastOnTs = Number.NEGATIVE_INFINITY;
  /** last time a power sensor read 0 W */
  lastZeroPowerTs = Number.NEGATIVE_INFINITY;
  readonly #cfg: DetectConfig;

  constructor(host: string, cfg: DetectConfig) {
    this.host = host;
    this.#cfg = cfg;
    this.fans = new FanBank(cfg);
  }

  /** Powered on as far as recent readings tell (FASRC: all fans 0, CPU temps null, 0 W = off). */
  poweredOn(ts: number): boolean {
    return ts - this.lastOnTs <= this.#cfg.staleMs && this.lastZeroPowerTs < this.lastOnTs;
  }

  /** Record the latest value of `name` in `group`, reusing its entry. */
  record(group: Map<string, Latest>, name: string, v: number, ts: number): void {
    const l = group.get(name);
    if (l) {
      l.v = v;
      l.ts = ts;
    } else group.set(name, { name, v, ts });
  }

  /** The supplies' latest outputs of one kind of reading. */
  psuOutputs(kind: string): Map<string, Latest> {
    let m = this.#psu.get(kind);
    if (!m) {
      m = new Map();
      this.#psu.set(kind, m);
    }
    return m;
  }

  /** Record the latest inlet temperature, reusing its entry. */
  recordInlet(v: number, ts: number): void {
    if (this.inlet) {
      this.inlet.v = v;
      this.inlet.ts = ts;
    } else this.inlet = { name: "inlet", v, ts };
  }

  /**
   * The siblings' level: trimmed mean (without min and max) of the fresh values in `group` other than `self`; null
   * when none. Not the median: with dual-rotor fans (A and B rotors at different speeds) the median jumps between
   * the two populations when one value goes missing, which would look like a step. Trimming drops a stuck or
   * failing sibling once it is the odd one out; excluding flagged siblings instead would shift the A/B mix.
   */
  siblingLevel(group: Map<string, Latest>, self: string, ts: number): number | null {
    let sum = 0;
    let n = 0;
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const l of group.values()) {
      if (l.name === self || ts - l.ts > this.#cfg.staleMs) continue;
      sum += l.v;
      n++;
      if (l.v < lo) lo = l.v;
      if (l.v > hi) hi = l.v;
    }
    if (n === 0) return null;
    return n >= 4 ? (sum - lo - hi) / (n - 2) : sum / n;
  }
}
