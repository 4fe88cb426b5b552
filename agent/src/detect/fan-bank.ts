/**
 * One host's fans as a model learned from their own data. Servers drive fans in zones from separate control
 * loops (and dual-rotor fans report a B rotor slower than its A rotor), so a fan can only be judged against the
 * fans that move with it. Which those are is not in the names: it is learned from how the fans move.
 *
 * Every `bucketMs` the bank closes a frame: each fan's mean over the frame (spinning samples only), in log units.
 * For every pair it keeps
 * - `score`: a decaying maximum of the squared change of their log ratio from one frame to the next and over half
 *   an hour. Fans of one zone (or the two rotors of one fan) keep a steady ratio while their zone speeds up and
 *   slows down; fans of different zones diverge whenever one zone's loop moves and the other's does not (at once,
 *   or frame by frame under ramp limits). Wear changes the ratio by a fraction of a percent per half hour, so it
 *   never disqualifies a peer.
 * - `offset`: their mean log ratio over the pair's first `learnBuckets` frames.
 * A fan's peers are the fans whose score is within twice its best score (or the noise floor), among those whose
 * half-hour divergence never passed `fanPeerMaxStep` (one loop cannot pull its fans that far apart; a fan alone in
 * its zone has no peers rather than another zone's fans); its expected speed
 * is the median over its peers of (peer speed x learned ratio), and its residual the log of actual over expected.
 * A fan whose own speed steps up while its peers' do not was replaced: its pairs are learned again.
 * Memory is fixed per host: O(fans^2) numbers, capped at MAX_FANS fans.
 */
import type { SensorEvent } from "@presage/shared";
import type { DetectConfig } from "./config.js";

/** fans beyond this on one host are not modelled (counted in `ignored`); real chassis have at most ~16 */
export const MAX_FANS = 32;
/** the slower of the two time scales a pair's divergence is measured on, in frames (30 min at 5-min frames):
 * ramp-limited loops can pull two zones apart a little each frame */
const SLOW_FRAMES = 6;
/** frames kept per fan: a median of 3 now and a median of 3 SLOW_FRAMES ago */
const HIST = SLOW_FRAMES + 3;

/** what the bank tells a fan's judge when a frame closes */
export type FanFrame = {
  ts: number;
  /** log(actual / expected); negative = slower than its peers say it should be */
  residual: number;
  /** expected speed in the fan's unit */
  expected: number;
  /** the fans the expectation came from, named on demand (only a judgement that speaks needs them) */
  peers: () => string[];
  /** the fan's own speed stepped up against its peers (a replacement): re-learn */
  replaced: boolean;
};

export interface FanListener {
  frame(f: FanFrame, out: SensorEvent[]): void;
}

type Slot = {
  readonly name: string;
  readonly listener: FanListener;
  last: number;
  lastTs: number;
  sum: number;
  n: number;
  log: number;
  prevLog: number;
  has: boolean;
  hadPrev: boolean;
  /** the last HIST frame logs (NaN where the fan had none), newest at `head` */
  readonly hist: Float64Array;
  head: number;
  /** frozen tach (its judge says so): no evidence about cooling or about its peers */
  stuck: boolean;
  /** log of expected speed at the last frame, for the cheap per-sample check */
  expectedLog: number;
  peers: number[];
};

export class FanBank {
  readonly #cfg: DetectConfig;
  readonly #slots: Slot[] = [];
  readonly #byName = new Map<string, number>();
  readonly #score = new Float64Array(MAX_FANS * MAX_FANS);
  /** the same over half an hour, on 3-frame medians (a one-frame glitch cannot count) */
  readonly #slow = new Float64Array(MAX_FANS * MAX_FANS);
  readonly #offSum = new Float64Array(MAX_FANS * MAX_FANS);
  readonly #offN = new Uint16Array(MAX_FANS * MAX_FANS);
  readonly #off = new Float64Array(MAX_FANS * MAX_FANS).fill(Number.NaN);
  #frameStart = -1;
  #lastFrameTs = -1;
  ignored = 0;
  readonly #scratch: number[] = [];

  constructor(cfg: DetectConfig) {
    this.#cfg = cfg;
  }

  /** Register a fan; returns its slot or -1 when the host already has MAX_FANS. */
  add(name: string, listener: FanListener): number {
    const known = this.#byName.get(name);
    if (known !== undefined) return known;
    if (this.#slots.length >= MAX_FANS) {
      this.ignored++;
      return -1;
    }
    const i = this.#slots.length;
    this.#slots.push({
      name,
      listener,
      last: 0,
      lastTs: Number.NEGATIVE_INFINITY,
      sum: 0,
      n: 0,
      log: 0,
      prevLog: 0,
      has: false,
      hadPrev: false,
      hist: new Float64Array(HIST).fill(Number.NaN),
      head: 0,
      stuck: false,
      expectedLog: Number.NaN,
      peers: [],
    });
    this.#byName.set(name, i);
    return i;
  }

  /** One sample of fan `i`; closes the frame first when it is due (listeners hear about it). */
  record(i: number, ts: number, v: number, spinning: boolean, out: SensorEvent[]): void {
    if (this.#frameStart < 0) this.#frameStart = ts;
    else if (ts - this.#frameStart >= this.#cfg.bucketMs) {
      this.#close(ts, out);
      this.#frameStart = ts;
    }
    const s = this.#slots[i] as Slot;
    s.last = v;
    s.lastTs = ts;
    if (spinning) {
      s.sum += v;
      s.n++;
    }
  }

  /** The speed fan `i` should have now from its peers' latest samples, or null with no learned, fresh peer. */
  expectedNow(i: number, ts: number): number | null {
    const s = this.#slots[i] as Slot;
    const a = this.#scratch;
    a.length = 0;
    for (const j of s.peers) {
      const p = this.#slots[j] as Slot;
      if (ts - p.lastTs > this.#cfg.staleMs) continue;
      a.push(Math.log(Math.max(p.last, 1)) + (this.#off[i * MAX_FANS + j] as number));
    }
    return a.length ? Math.exp(medianOf(a)) : null;
  }

  /** Expected speed at the last frame (cheap, for deciding whether a sample needs a closer look), or NaN. */
  expectedAtFrame(i: number): number {
    return Math.exp((this.#slots[i] as Slot).expectedLog);
  }

  /** Mean of the fresh latest values of the other fans that are not frozen: a reference that moves whenever the
   * host's fans move, for telling a frozen tach (it must not depend on peers, which a frozen fan loses). */
  othersLevel(i: number, ts: number): number {
    let sum = 0;
    let n = 0;
    for (let j = 0; j < this.#slots.length; j++) {
      const p = this.#slots[j] as Slot;
      if (j === i || p.stuck || ts - p.lastTs > this.#cfg.staleMs) continue;
      sum += p.last;
      n++;
    }
    return n ? sum / n : Number.NaN;
  }

  /** Highest fresh latest value of any fan other than `i` (the fallback reference while peers are unknown). */
  maxOther(i: number, ts: number): number {
    let m = 0;
    for (let j = 0; j < this.#slots.length; j++) {
      const p = this.#slots[j] as Slot;
      if (j !== i && ts - p.lastTs <= this.#cfg.staleMs && p.last > m) m = p.last;
    }
    return m;
  }

  /**
   * The cooling effort (host-level airflow context): the mean of the faster half of the fresh latest values,
   * i.e. the zone the loops have spun up, not a mean diluted by a zone that idles; null when none.
   */
  effort(ts: number): number | null {
    const a = this.#scratch;
    a.length = 0;
    for (const s of this.#slots) if (!s.stuck && ts - s.lastTs <= this.#cfg.staleMs) a.push(s.last);
    if (a.length === 0) return null;
    a.sort((p, q) => q - p);
    const k = Math.ceil(a.length / 2);
    let sum = 0;
    for (let i = 0; i < k; i++) sum += a[i] as number;
    return sum / k;
  }

  setStuck(i: number, stuck: boolean): void {
    (this.#slots[i] as Slot).stuck = stuck;
  }

  peerNames(i: number): string[] {
    return (this.#slots[i] as Slot).peers.map((j) => (this.#slots[j] as Slot).name);
  }

  /** Forget everything learned about fan `i`'s pairs (long silence, replacement). */
  forget(i: number): void {
    for (let j = 0; j < this.#slots.length; j++) {
      for (const k of [i * MAX_FANS + j, j * MAX_FANS + i]) {
        this.#off[k] = Number.NaN;
        this.#offSum[k] = 0;
        this.#offN[k] = 0;
        this.#score[k] = 0;
        this.#slow[k] = 0;
      }
    }
    const s = this.#slots[i] as Slot;
    s.hadPrev = false;
    s.hist.fill(Number.NaN);
  }

  #close(ts: number, out: SensorEvent[]): void {
    const slots = this.#slots;
    const dt = this.#lastFrameTs < 0 ? 0 : ts - this.#lastFrameTs;
    this.#lastFrameTs = ts;
    if (dt > this.#cfg.relearnGapMs) for (let i = 0; i < slots.length; i++) this.forget(i);
    for (const s of slots) {
      s.prevLog = s.log;
      s.hadPrev = s.has && dt <= this.#cfg.maxGapMs;
      s.has = s.n > 0;
      if (s.has) s.log = Math.log(s.sum / s.n);
      if (dt > this.#cfg.maxGapMs) s.hist.fill(Number.NaN);
      s.head = (s.head + 1) % s.hist.length;
      s.hist[s.head] = s.has ? s.log : Number.NaN;
      s.sum = 0;
      s.n = 0;
    }
    this.#learnPairs(dt);
    const replaced = this.#replacements();
    for (const i of replaced) this.forget(i);
    for (let i = 0; i < slots.length; i++) this.#judge(i, ts, replaced.includes(i), out);
  }

  #learnPairs(dt: number): void {
    const slots = this.#slots;
    const n = slots.length;
    const decay = Math.exp(-dt / this.#cfg.fanPeerMemoryMs);
    for (let i = 0; i < n; i++) {
      const a = slots[i] as Slot;
      if (!a.has) continue;
      for (let j = i + 1; j < n; j++) {
        const b = slots[j] as Slot;
        if (!b.has) continue;
        const ij = i * MAX_FANS + j;
        const ji = j * MAX_FANS + i;
        if (a.hadPrev && b.hadPrev) {
          const d = a.log - a.prevLog - (b.log - b.prevLog);
          const sc = Math.max((this.#score[ij] as number) * decay, d * d);
          this.#score[ij] = sc;
          this.#score[ji] = sc;
        }
        // over half an hour too: slow zone divergence (ramp limits) adds up there, wear does not
        const d6 = med3(a, 0) - med3(a, SLOW_FRAMES) - (med3(b, 0) - med3(b, SLOW_FRAMES));
        const slow = Math.max((this.#slow[ij] as number) * decay, Number.isNaN(d6) ? 0 : d6 * d6);
        this.#slow[ij] = slow;
        this.#slow[ji] = slow;
        if (Number.isNaN(this.#off[ij] as number)) {
          this.#offSum[ij] = (this.#offSum[ij] as number) + a.log - b.log;
          const k = (this.#offN[ij] as number) + 1;
          this.#offN[ij] = k;
          if (k >= this.#cfg.learnBuckets) {
            const off = (this.#offSum[ij] as number) / k;
            this.#off[ij] = off;
            this.#off[ji] = -off;
          }
        }
      }
    }
  }

  /** Fans whose own speed stepped up by a fan drop's worth while the median of the others' did not. */
  #replacements(): number[] {
    const out: number[] = [];
    const step = -Math.log(1 - this.#cfg.fanMinDrop);
    const a = this.#scratch;
    for (let i = 0; i < this.#slots.length; i++) {
      const s = this.#slots[i] as Slot;
      if (!s.has || !s.hadPrev || s.log - s.prevLog < step || s.peers.length === 0) continue;
      a.length = 0;
      for (const j of s.peers) {
        const p = this.#slots[j] as Slot;
        if (p.has && p.hadPrev) a.push(p.log - p.prevLog);
      }
      if (a.length && s.log - s.prevLog - medianOf(a) >= step) out.push(i);
    }
    return out;
  }

  #judge(i: number, ts: number, replaced: boolean, out: SensorEvent[]): void {
    const s = this.#slots[i] as Slot;
    s.peers = this.#choosePeers(i);
    const a = this.#scratch;
    a.length = 0;
    for (const j of s.peers) {
      const p = this.#slots[j] as Slot;
      if (p.has) a.push(p.log + (this.#off[i * MAX_FANS + j] as number));
    }
    s.expectedLog = a.length ? medianOf(a) : Number.NaN;
    if (replaced) {
      s.listener.frame({ ts, residual: 0, expected: s.last, peers: () => [], replaced: true }, out);
      return;
    }
    if (!s.has || a.length === 0) return;
    s.listener.frame(
      {
        ts,
        residual: s.log - s.expectedLog,
        expected: Math.exp(s.expectedLog),
        peers: () => this.peerNames(i),
        replaced: false,
      },
      out,
    );
  }

  #choosePeers(i: number): number[] {
    const n = this.#slots.length;
    const cap = this.#cfg.fanPeerMaxStep * this.#cfg.fanPeerMaxStep;
    // candidates: learned pairs that never drifted apart for half an hour more than one loop can explain
    const ok = (j: number) =>
      j !== i &&
      !Number.isNaN(this.#off[i * MAX_FANS + j] as number) &&
      (this.#slow[i * MAX_FANS + j] as number) <= cap;
    let best = Number.POSITIVE_INFINITY;
    for (let j = 0; j < n; j++) if (ok(j)) best = Math.min(best, this.#score[i * MAX_FANS + j] as number);
    if (best === Number.POSITIVE_INFINITY) return [];
    // scores are squares: within twice the best pair's frame-to-frame change, or the noise floor
    const limit = Math.max(4 * best, this.#cfg.fanPeerNoise * this.#cfg.fanPeerNoise);
    const out: number[] = [];
    for (let j = 0; j < n; j++) if (ok(j) && (this.#score[i * MAX_FANS + j] as number) <= limit) out.push(j);
    return out;
  }
}

/** Median of the fan's frame logs `back`, `back + 1` and `back + 2` frames ago (NaN if one is missing). */
function med3(s: Slot, back: number): number {
  const at = (k: number) => s.hist[(s.head - k + HIST) % HIST] as number;
  const a = at(back);
  const b = at(back + 1);
  const c = at(back + 2);
  return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
}

/** Median of a small scratch array (sorted in place). */
function medianOf(a: number[]): number {
  const n = a.length;
  if (n === 1) return a[0] as number;
  a.sort((p, q) => p - q);
  const m = n >> 1;
  return n % 2 ? (a[m] as number) : ((a[m - 1] as number) + (a[m] as number)) / 2;
}
