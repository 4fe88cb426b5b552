/** What one host's detector knows across sensors: latest sibling values and whether the host is powered. */
import type { DetectConfig } from "./config.js";
import { medianInPlace } from "./stats.js";

type Latest = { v: number; ts: number };

export class HostContext {
  readonly host: string;
  readonly fans = new Map<string, Latest>();
  readonly cpus = new Map<string, Latest>();
  /** latest inlet/ambient temperature */
  inlet: Latest | null = null;
  /** last time any evidence said the host is powered: CPU temperature read, power > 0, a fan spinning */
  lastOnTs = Number.NEGATIVE_INFINITY;
  /** last time a power sensor read 0 W */
  lastZeroPowerTs = Number.NEGATIVE_INFINITY;
  readonly #cfg: DetectConfig;
  readonly #scratch: number[] = [];

  constructor(host: string, cfg: DetectConfig) {
    this.host = host;
    this.#cfg = cfg;
  }

  /** Powered on as far as recent readings tell (FASRC: all fans 0, CPU temps null, 0 W = off). */
  poweredOn(ts: number): boolean {
    return ts - this.lastOnTs <= this.#cfg.staleMs && this.lastZeroPowerTs < this.lastOnTs;
  }

  /** Median of the fresh values in `group` other than `self`; null when none. */
  siblingMedian(group: Map<string, Latest>, self: string, ts: number): number | null {
    const a = this.#scratch;
    a.length = 0;
    for (const [name, l] of group) if (name !== self && ts - l.ts <= this.#cfg.staleMs) a.push(l.v);
    return a.length ? medianInPlace(a) : null;
  }
}
