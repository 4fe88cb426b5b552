/** Detection settings: one object of documented defaults (docs/detection.md) and its config check. */
import { type Check, check } from "@presage/shared";

export type DetectConfig = {
  /** samples are reduced to one robust value (median) per bucket; makes detection sample-rate independent */
  bucketMs: number;
  /** buckets kept per channel for trend fitting (bounds memory per sensor) */
  windowBuckets: number;
  /** buckets used to learn a channel's baseline after start or a re-baseline */
  learnBuckets: number;
  /** a predicted failure inside this horizon makes a degradation critical (time to evacuate plus margin) */
  horizonMs: number;
  /** CUSUM allowance and decision threshold, in noise-sigma units */
  cusumK: number;
  cusumH: number;
  /** Mann-Kendall z a trend needs before it counts as established */
  minTrendZ: number;
  /** an established trend this many times past its smallest significant change (or half-way to its failure
   * point) is critical even when its failure is not predicted inside the horizon */
  criticalDevs: number;
  /** smallest fan drop (fraction of its baseline ratio to its siblings) that can be a degradation */
  fanMinDrop: number;
  /** fan failure point when the BMC gives no lower-critical threshold: this fraction of what its peers say */
  fanFailRatio: number;
  /** below this the siblings are not spinning: host off or all fans stopped together, not a fan failure */
  fanSpinningRpm: number;
  /** the same for fans that report duty in % (HPE iLO) */
  fanSpinningPct: number;
  /** how long evidence that two fans move apart (different zones) is remembered; it decays after that */
  fanPeerMemoryMs: number;
  /** frame-to-frame change of a fan pair's log ratio that tach quantization and noise alone can give */
  fanPeerNoise: number;
  /** change of a pair's log ratio within half an hour (3-frame medians) that one control loop cannot give: such
   * fans are never peers (slow wear moves a ratio by well under 1 % in that time) */
  fanPeerMaxStep: number;
  /** stalls (runs of samples at the failure point while the host is powered) within the last
   * `stallWindowSamples` samples that make a sensor intermittent; counted in samples so a glitch rate is rate-free */
  stallWarnCount: number;
  stallCriticalCount: number;
  stallWindowSamples: number;
  /** a value unchanged for at least stuckMs while its siblings' reference moved by stuckMove (fraction) is a stuck
   * sensor: its trend is not judged and siblings ignore it until it changes */
  stuckMs: number;
  stuckMove: number;
  /** rail failure point when the BMC gives none: nominal +/- this fraction */
  railTolerance: number;
  /** smallest rail droop (fraction of nominal) that can be a degradation */
  railMinDrop: number;
  /** smallest growth, in degrees, of a CPU's difference to its twin that can be a degradation (twins carry
   * different loads, so healthy ones differ by several degrees) */
  cpuMinExcessC: number;
  /** a host drawing this fraction more than its own 6-h level is in a load burst: CPU twins are not judged then */
  burstRise: number;
  /** the bucket of slow faults (CPU twins, supply shares): long, so that load shifts cannot add up to a trend */
  slowBucketMs: number;
  /** smallest loss of a supply's share of the load (fraction of its fair share) that can be a degradation */
  psuMinShareDrop: number;
  /** a supply carrying less than this fraction of its fair share has failed */
  psuFailShare: number;
  /** below this fraction of its fair share a supply is off or unplugged (redundancy lost, not a trend) */
  psuOffShare: number;
  /** smallest loss of cooling efficiency (log units, 0.15 ~ 14%) that can be an airflow degradation */
  airflowMinLoss: number;
  /** how long a host's per-power-band cooling baseline is learned before airflow is judged */
  airflowLearnMs: number;
  /** CPU failure point when the BMC gives no upper-critical threshold */
  cpuMaxC: number;
  /** consecutive samples at the failure point before an outright failure is declared (1 = first sample) */
  confirmSamples: number;
  /** buckets of normal values before a degradation episode clears */
  clearBuckets: number;
  /** normal time before a failure episode clears (an intermittent fan must not re-trigger) */
  failureClearMs: number;
  /** silence longer than this resets the partial bucket and stall counters (BMC reset, dropout) */
  maxGapMs: number;
  /** silence longer than this also re-learns baselines: after an outage the host may have been serviced or
   * power-cycled into another regime (FASRC: PSU fans after the restore) */
  relearnGapMs: number;
  /** sibling values older than this are ignored */
  staleMs: number;
};

export const DEFAULT_DETECT_CONFIG: DetectConfig = {
  bucketMs: 300_000,
  windowBuckets: 72,
  learnBuckets: 12,
  horizonMs: 24 * 3_600_000,
  cusumK: 1,
  cusumH: 12,
  minTrendZ: 3,
  criticalDevs: 2,
  fanMinDrop: 0.1,
  fanFailRatio: 0.5,
  fanSpinningRpm: 300,
  fanSpinningPct: 5,
  fanPeerMemoryMs: 3 * 24 * 3_600_000,
  fanPeerNoise: 0.03,
  fanPeerMaxStep: 0.15,
  stallWarnCount: 3,
  stallCriticalCount: 6,
  stallWindowSamples: 120,
  stuckMs: 600_000,
  stuckMove: 0.05,
  railTolerance: 0.08,
  railMinDrop: 0.025,
  cpuMinExcessC: 8,
  burstRise: 0.15,
  slowBucketMs: 1_800_000,
  psuMinShareDrop: 0.1,
  psuFailShare: 0.5,
  psuOffShare: 0.05,
  airflowMinLoss: 0.15,
  airflowLearnMs: 24 * 3_600_000,
  cpuMaxC: 95,
  confirmSamples: 2,
  clearBuckets: 6,
  failureClearMs: 3_600_000,
  maxGapMs: 1_800_000,
  relearnGapMs: 6 * 3_600_000,
  staleMs: 600_000,
};

const pos = check.num({ min: 0 });
const posInt = check.int({ min: 1 });
const frac = check.num({ min: 0, max: 1 });

/** Every key optional, so an agent config can embed a partial `detect` section. */
export const detectConfigCheck: Check = check.obj({
  bucketMs: check.optional(check.int({ min: 1_000 })),
  windowBuckets: check.optional(check.int({ min: 6, max: 1_000 })),
  learnBuckets: check.optional(posInt),
  horizonMs: check.optional(check.int({ min: 0 })),
  cusumK: check.optional(pos),
  cusumH: check.optional(pos),
  minTrendZ: check.optional(pos),
  criticalDevs: check.optional(pos),
  fanMinDrop: check.optional(frac),
  fanFailRatio: check.optional(frac),
  fanSpinningRpm: check.optional(pos),
  fanSpinningPct: check.optional(pos),
  fanPeerMemoryMs: check.optional(check.int({ min: 0 })),
  fanPeerNoise: check.optional(frac),
  fanPeerMaxStep: check.optional(pos),
  stallWarnCount: check.optional(posInt),
  stallCriticalCount: check.optional(posInt),
  stallWindowSamples: check.optional(posInt),
  stuckMs: check.optional(check.int({ min: 0 })),
  stuckMove: check.optional(frac),
  railTolerance: check.optional(frac),
  railMinDrop: check.optional(frac),
  cpuMinExcessC: check.optional(pos),
  burstRise: check.optional(pos),
  slowBucketMs: check.optional(check.int({ min: 1_000 })),
  psuMinShareDrop: check.optional(frac),
  psuFailShare: check.optional(frac),
  psuOffShare: check.optional(frac),
  airflowMinLoss: check.optional(pos),
  airflowLearnMs: check.optional(check.int({ min: 0 })),
  cpuMaxC: check.optional(pos),
  confirmSamples: check.optional(posInt),
  clearBuckets: check.optional(posInt),
  failureClearMs: check.optional(check.int({ min: 0 })),
  maxGapMs: check.optional(check.int({ min: 1_000 })),
  relearnGapMs: check.optional(check.int({ min: 1_000 })),
  staleMs: check.optional(check.int({ min: 1_000 })),
});

export function resolveDetectConfig(c: Partial<DetectConfig> = {}): DetectConfig {
  const out = { ...DEFAULT_DETECT_CONFIG };
  for (const k of Object.keys(out) as (keyof DetectConfig)[]) {
    const v = c[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}
