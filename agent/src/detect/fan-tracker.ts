/**
 * A fan judged against the fans that move with it (learned by the host's FanBank): common-mode changes of its
 * zone (load, fan curve, room) cancel; its own wear does not. Single samples are checked for an outright stop,
 * which is a failure within `confirmSamples` samples whatever episode is already open, unless its whole zone
 * spins down with it. RPM and duty-% fans are judged the same way, in their own unit.
 */
import type { Reading, SensorEvent } from "@presage/shared";
import type { Assessment } from "./channel.js";
import { isPsuName } from "./classify.js";
import type { DetectConfig } from "./config.js";
import type { FanBank, FanFrame, FanListener } from "./fan-bank.js";
import { fanSpeed, list } from "./fmt.js";
import type { HostContext } from "./host.js";
import { TrendTracker, th } from "./trackers.js";

export class FanTracker extends TrendTracker implements FanListener {
  readonly #bank: FanBank;
  readonly #slot: number;
  readonly #psu: boolean;
  readonly #pct: boolean;
  readonly #spinning: number;
  #lcr: number | null = null;
  #stuckNow = false;

  constructor(cfg: DetectConfig, prefix: string, host: string, name: string, unit: string, bank: FanBank) {
    super(cfg, prefix, host, name, isPsuName(name) ? "psu" : "fan", -Math.log(1 - cfg.fanMinDrop));
    this.#psu = isPsuName(name);
    this.#pct = unit === "%";
    this.#spinning = this.#pct ? cfg.fanSpinningPct : cfg.fanSpinningRpm;
    this.#bank = bank;
    this.#slot = bank.add(name, this);
  }

  ingest(r: Reading & { value: number }, ctx: HostContext, out: SensorEvent[]): void {
    if (this.#slot < 0) return;
    const v = r.value;
    const spinning = v >= this.#spinning;
    if (spinning && !this.#psu) ctx.lastOnTs = r.ts;
    this.#lcr = th(r, "lcr");
    const ref = this.#bank.expectedAtFrame(this.#slot);
    const others = this.#bank.othersLevel(this.#slot, r.ts);
    this.#stuckNow = !Number.isNaN(others) && this.stuck(r.ts, v, others);
    this.#bank.setStuck(this.#slot, this.#stuckNow);
    // the close look (peers' latest samples) only for a sample that might be a failure: keeps the hot path cheap
    const lcr = this.#lcr;
    const suspicious = !spinning || (lcr !== null && v <= lcr) || !(v > this.cfg.fanFailRatio * ref * 1.25);
    const failure = suspicious && !this.#stuckNow ? this.#failure(r.ts, v) : null;
    // a fan at a standstill that cannot be judged (its peers' samples stale, its zone parked) is no evidence that
    // it runs normally again: it neither fails nor counts toward clearing a failure
    if (spinning || failure !== null) this.sample(r.ts, failure, out);
    this.#bank.record(this.#slot, r.ts, v, spinning && failure === null, out);
  }

  /** Why this sample is a stopped or failed fan, or null. */
  #failure(ts: number, v: number): string | null {
    const lcr = this.#lcr;
    const lcrText = () => (lcr !== null ? ` (lower critical ${this.#speed(lcr)})` : "");
    const expected = this.#bank.expectedNow(this.#slot, ts);
    if (expected !== null) {
      if (expected < this.#spinning) return null; // its zone spun down together: host off or fans parked
      if (v > (lcr ?? this.cfg.fanFailRatio * expected)) return null;
      return `${this.name} reads ${this.#speed(v)} while ${list(this.#bank.peerNames(this.#slot))}, which move with it, say ${this.#speed(expected)}${lcrText()}: fan stopped or failed`;
    }
    // zones not learned yet: only a fan at a standstill (or past its BMC threshold) while others clearly spin
    const other = this.#bank.maxOther(this.#slot, ts);
    if (other < 4 * this.#spinning) return null;
    if (v >= this.#spinning && (lcr === null || v > lcr)) return null;
    return `${this.name} reads ${this.#speed(v)} while other fans of this host turn at up to ${this.#speed(other)}${lcrText()}: fan stopped or failed`;
  }

  frame(f: FanFrame, out: SensorEvent[]): void {
    if (f.replaced) {
      if (this.episode.open && !this.episode.latched)
        this.episode.clear(
          f.ts,
          `${this.name} stepped up against the fans that move with it (replaced): new baseline`,
          out,
        );
      this.channel.rebaseline();
      return;
    }
    if (this.#stuckNow || this.episode.latched) return;
    const failLog = this.#lcr !== null ? Math.log(this.#lcr / f.expected) : Math.log(this.cfg.fanFailRatio);
    const a = this.channel.add(f.ts, -f.residual, -failLog);
    if (a) this.judge(f.ts, a, (x) => this.#describe(x, f), out);
  }

  #describe(a: Assessment, f: FanFrame): string {
    const lost = f.expected * (1 - Math.exp(-a.dev));
    const perHour = f.expected * a.slope * 3_600_000;
    return `${this.name} runs ${this.#speed(lost)} (${Math.round((1 - Math.exp(-a.dev)) * 100)}%) slower than ${list(f.peers())}, which move with it, say it should (${this.#speed(f.expected)}), losing ${this.#speed(perHour)}/h${this.eta(f.ts, a)}`;
  }

  #speed(v: number): string {
    return fanSpeed(v, this.#pct);
  }
}
