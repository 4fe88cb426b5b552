/** Detection settings: one object of documented defaults (docs/detection.md) and their schema. */
import { checkOf, type Static, Strict, Type, UNKNOWN_KEY } from "@presage/shared";

const pos = () => Type.Number({ minimum: 0 });
const posInt = () => Type.Integer({ minimum: 1 });
const frac = () => Type.Number({ minimum: 0, maximum: 1 });
const UNKNOWN = "detection setting (docs/detection.md)";

export const DetectConfigSchema = Strict(
  {
    /** samples are reduced to one robust value (median) per bucket; makes detection sample-rate independent */
    bucketMs: Type.Integer({ minimum: 1_000 }),
    /** buckets kept per channel for trend fitting (bounds memory per sensor) */
    windowBuckets: Type.Integer({ minimum: 6, maximum: 1_000 }),
    /** buckets used to learn a channel's baseline after start or a re-baseline */
    learnBuckets: posInt(),
    /** a predicted failure inside this horizon makes a degradation critical (time to evacuate plus margin) */
    horizonMs: Type.Integer({ minimum: 0 }),
    /** CUSUM allowance and decision threshold, in noise-sigma units */
    cusumK: pos(),
    cusumH: pos(),
    /** Mann-Kendall z a trend needs before it counts as established */
    minTrendZ: pos(),
    /** an established trend this many times past its smallest significant change (or half-way to its failure
     * point) is critical even when its failure is not predicted inside the horizon */
    criticalDevs: pos(),
    /** smallest fan drop (fraction of its baseline ratio to its siblings) that can be a degradation */
    fanMinDrop: frac(),
    /** fan failure point when the BMC gives no lower-critical threshold: this fraction of what its peers say */
    fanFailRatio: frac(),
    /** below this the siblings are not spinning: host off or all fans stopped together, not a fan failure */
    fanSpinningRpm: pos(),
    /** the same for fans that report duty in % (HPE iLO) */
    fanSpinningPct: pos(),
    /** how long evidence that two fans move apart (different zones) is remembered; it decays after that */
    fanPeerMemoryMs: Type.Integer({ minimum: 0 }),
    /** frame-to-frame change of a fan pair's log ratio that tach quantization and noise alone can give */
    fanPeerNoise: frac(),
    /** change of a pair's log ratio within half an hour (3-frame medians) that one control loop cannot give: such
     * fans are never peers (slow wear moves a ratio by well under 1 % in that time) */
    fanPeerMaxStep: pos(),
    /** stalls (runs of samples at the failure point while the host is powered) within the last
     * `stallWindowSamples` samples that make a sensor intermittent; counted in samples so a glitch rate is rate-free */
    stallWarnCount: posInt(),
    stallCriticalCount: posInt(),
    stallWindowSamples: posInt(),
    /** a value unchanged for at least stuckMs while its siblings' reference moved by stuckMove (fraction) is a stuck
     * sensor: its trend is not judged and siblings ignore it until it changes */
    stuckMs: Type.Integer({ minimum: 0 }),
    stuckMove: frac(),
    /** rail failure point when the BMC gives none: nominal +/- this fraction */
    railTolerance: frac(),
    /** smallest rail droop (fraction of nominal) that can be a degradation */
    railMinDrop: frac(),
    /** smallest growth of a rail's mean dip below its own level (fraction of nominal, per slow bucket) that can be
     * a supply's degradation: 0.0005 is 6 mV on 12 V, a tenth of a typical BMC's 60 mV step */
    railMinDip: frac(),
    /** how long a rail's floor (the lowest level it regularly visits, load-line droop included) is learned */
    railLearnMs: Type.Integer({ minimum: 0 }),
    /** smallest growth, in degrees, of a CPU's difference to its twin that can be a degradation (twins carry
     * different loads, so healthy ones differ by several degrees) */
    cpuMinExcessC: pos(),
    /** a host drawing this fraction more than its own 6-h level is in a load burst: CPU twins are not judged then */
    burstRise: pos(),
    /** the bucket of slow faults (CPU twins, supply shares): long, so that load shifts cannot add up to a trend */
    slowBucketMs: Type.Integer({ minimum: 1_000 }),
    /** smallest loss of a supply's share of the load (fraction of its fair share) that can be a degradation */
    psuMinShareDrop: frac(),
    /** a supply carrying less than this fraction of its fair share has failed */
    psuFailShare: frac(),
    /** below this fraction of its fair share a supply is off or unplugged (redundancy lost, not a trend) */
    psuOffShare: frac(),
    /** smallest loss of cooling efficiency (log units, 0.15 ~ 14%) that can be an airflow degradation */
    airflowMinLoss: pos(),
    /** an inlet this many degrees away from its own 6-h level is a room (CRAC) excursion: airflow is not judged */
    roomExcursionC: pos(),
    /** an inlet more than this many degrees above its own 6-h level makes a component at (or near) its critical
     * threshold the room's fault (event cause `environment`): beyond a normal CRAC excursion (1.5-5 C) */
    roomCauseC: pos(),
    /** inlet critical point when the BMC gives no upper-critical threshold: past it the room or rack is too hot */
    inletMaxC: pos(),
    /** how long a host's per-power-band cooling baseline is learned before airflow is judged */
    airflowLearnMs: Type.Integer({ minimum: 0 }),
    /** CPU failure point when the BMC gives no upper-critical threshold */
    cpuMaxC: pos(),
    /** consecutive samples at the failure point before an outright failure is declared (1 = first sample) */
    confirmSamples: posInt(),
    /** buckets of normal values before a degradation episode clears */
    clearBuckets: posInt(),
    /** normal time before a failure episode clears (an intermittent fan must not re-trigger) */
    failureClearMs: Type.Integer({ minimum: 0 }),
    /** silence longer than this resets the partial bucket and stall counters (BMC reset, dropout) */
    maxGapMs: Type.Integer({ minimum: 1_000 }),
    /** silence longer than this also re-learns baselines: after an outage the host may have been serviced or
     * power-cycled into another regime (FASRC: PSU fans after the restore) */
    relearnGapMs: Type.Integer({ minimum: 1_000 }),
    /** sibling values older than this are ignored */
    staleMs: Type.Integer({ minimum: 1_000 }),
  },
  UNKNOWN,
);
export type DetectConfig = Static<typeof DetectConfigSchema>;

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
  railMinDip: 0.0005,
  railLearnMs: 24 * 3_600_000,
  cpuMinExcessC: 8,
  burstRise: 0.15,
  slowBucketMs: 1_800_000,
  psuMinShareDrop: 0.1,
  psuFailShare: 0.5,
  psuOffShare: 0.05,
  airflowMinLoss: 0.15,
  roomExcursionC: 1.5,
  roomCauseC: 5,
  inletMaxC: 40,
  airflowLearnMs: 24 * 3_600_000,
  cpuMaxC: 95,
  confirmSamples: 2,
  clearBuckets: 6,
  failureClearMs: 3_600_000,
  maxGapMs: 1_800_000,
  relearnGapMs: 6 * 3_600_000,
  staleMs: 600_000,
};

/**
 * Named starting points for `detect`; explicit keys override them. `lab`: a lab, demo or acceptance test on
 * real BMCs, where a fan is worn by hand over minutes: 10 s buckets (1 min for slow faults), one minute of
 * learning, a 5-minute horizon for critical. Far too jumpy for production (docs/operations.md, "Detection profiles").
 */
export const DETECT_PROFILES = {
  production: {},
  lab: {
    bucketMs: 10_000,
    windowBuckets: 36,
    learnBuckets: 6,
    horizonMs: 5 * 60_000,
    clearBuckets: 3,
    stuckMs: 120_000,
    stallWindowSamples: 60,
    airflowLearnMs: 10 * 60_000,
    railLearnMs: 10 * 60_000,
    slowBucketMs: 60_000,
    fanPeerMemoryMs: 30 * 60_000,
    failureClearMs: 60_000,
    maxGapMs: 60_000,
    relearnGapMs: 10 * 60_000,
    staleMs: 60_000,
  },
} as const satisfies Record<string, Partial<DetectConfig>>;
export type DetectProfile = keyof typeof DETECT_PROFILES;

/** Every key optional, so an agent config can embed a partial `detect` section (a `profile` plus keys that
 * override it); unknown keys are refused. */
export const PartialDetectConfigSchema = Type.Object(
  {
    ...Type.Partial(DetectConfigSchema).properties,
    profile: Type.Optional(Type.Union(Object.keys(DETECT_PROFILES).map((k) => Type.Literal(k)))),
  },
  { additionalProperties: false, [UNKNOWN_KEY]: UNKNOWN },
);

/** What a config's `detect` section holds: a profile and any keys that override it. */
export type DetectSettings = Partial<DetectConfig> & { profile?: DetectProfile };
export const detectConfigCheck = checkOf(PartialDetectConfigSchema);

export function resolveDetectConfig(c: DetectSettings = {}): DetectConfig {
  const out: DetectConfig = { ...DEFAULT_DETECT_CONFIG, ...DETECT_PROFILES[c.profile ?? "production"] };
  for (const k of Object.keys(out) as (keyof DetectConfig)[]) {
    const v = c[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}
