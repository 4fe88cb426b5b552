/** What one host's detector knows across sensors: its fans' model, latest CPU and inlet values, whether it is powered. */
import type { Reading } from "@presage/shared";
import type { DetectConfig } from "./config.js";
import { FanBank } from "./fan-bank.js";
import { degC, overLevel } from "./fmt.js";

/** time constants of the host's power level: now (15 min) and its own recent normal (6 h) */
const LOAD_FAST_MS = 900_000;
const LOAD_SLOW_MS = 6 * 3_600_000;

/** mutable and updated in place: one object per sensor, none per reading (replay hot path) */
type Latest = { name: string; v: number; ts: number };

export class HostContext {
  readonly host: string;
  /** the host's fans, with what was learned of their zones */
  readonly fans: FanBank;
  readonly cpus = new Map<string, Latest>();
  /** latest output of each power supply, per kind of reading (power, current) */
  readonly #psu = new Map<string, Map<string, Latest>>();
  /** the host has a power sensor of its own (not per supply) */
  #hostPowerSensor = false;
  #loadTs = -1;
  #loadFast = 0;
  #loadSlow = 0;
  /** latest inlet/ambient temperature */
  inlet: Latest | null = null;
  /** the inlet's own recent (6 h) level: a room (CRAC) excursion is the inlet away from it */
  #inletSlow: number | null = null;
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

  /**
   * The host's power draw when `r` tells it, once per poll: a host-level power sensor's value, or, on hosts that
   * report only per-supply power, the sum of the supplies' latest outputs (on the first supply's reading). `name`
   * is the sensor's name as its judge knows it (its first name, after a firmware rename).
   */
  hostPower(r: Reading, name = r.sensor): number | null {
    if (r.type !== "power" || r.unit !== "W" || r.value === null) return null;
    const supplies = this.#psu.get("power");
    if (!supplies?.has(name)) {
      this.#hostPowerSensor = true;
      return r.value;
    }
    if (this.#hostPowerSensor || supplies.keys().next().value !== name) return null;
    let sum = 0;
    for (const l of supplies.values()) if (r.ts - l.ts <= this.#cfg.staleMs) sum += l.v;
    return sum;
  }

  /** Follow the host's power on two time scales (load bursts are context for slow judges). */
  trackLoad(ts: number, watts: number): void {
    const dt = this.#loadTs < 0 ? 0 : Math.max(0, ts - this.#loadTs);
    this.#loadTs = ts;
    if (this.#loadSlow === 0) {
      this.#loadFast = watts;
      this.#loadSlow = watts;
      return;
    }
    this.#loadFast += (watts - this.#loadFast) * (1 - Math.exp(-dt / LOAD_FAST_MS));
    this.#loadSlow += (watts - this.#loadSlow) * (1 - Math.exp(-dt / LOAD_SLOW_MS));
  }

  /** The host draws clearly more than its own recent (6 h) level: a load burst is running or settling. */
  inBurst(ts: number): boolean {
    return ts - this.#loadTs <= this.#cfg.staleMs && this.#loadFast > this.#loadSlow * (1 + this.#cfg.burstRise);
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

  /** Record the latest inlet temperature (of the host's first inlet sensor), reusing its entry. */
  recordInlet(name: string, v: number, ts: number): void {
    // one room per host: a second inlet-like sensor (front panel and board) would make the inlet jump between them
    if (this.inlet && this.inlet.name !== name) return;
    if (this.inlet && this.#inletSlow !== null) {
      const dt = Math.max(0, ts - this.inlet.ts);
      this.#inletSlow += (v - this.#inletSlow) * (1 - Math.exp(-dt / LOAD_SLOW_MS));
      this.inlet.v = v;
      this.inlet.ts = ts;
    } else {
      this.inlet = { name, v, ts };
      this.#inletSlow = v;
    }
  }

  /**
   * The room is moving: the inlet is more than `roomExcursionC` away from its own 6-h level (a CRAC excursion,
   * and the hours it takes to settle after one). Heat transfer is not exactly linear in airflow, so while the fan
   * loops answer a warmer room the cooling model drifts: context, not evidence of a clog.
   */
  roomMoving(): boolean {
    return (
      this.inlet !== null &&
      this.#inletSlow !== null &&
      Math.abs(this.inlet.v - this.#inletSlow) > this.#cfg.roomExcursionC
    );
  }

  /** How far the fresh inlet is above its own 6-h level (negative below it); null without a fresh inlet. */
  inletOver(ts: number): number | null {
    if (this.inlet === null || this.#inletSlow === null || ts - this.inlet.ts > this.#cfg.staleMs) return null;
    return this.inlet.v - this.#inletSlow;
  }

  /**
   * Whether a component at (or near) its critical threshold is there because the room is hot: the inlet more than
   * `roomCauseC` above its own 6-h level. Returns the words to add to its reason, or null (its own fault).
   */
  roomCause(ts: number): string | null {
    const over = this.inletOver(ts);
    if (over === null || this.inlet === null || over <= this.#cfg.roomCauseC) return null;
    return `; inlet ${degC(this.inlet.v)} (${overLevel(over)}): room or rack cooling`;
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
