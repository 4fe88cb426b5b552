/**
 * The detection pipeline shared by the live agent and `replay`: readings in (per host in time order),
 * events out. Pure: no I/O, no wall clock; time comes only from reading timestamps, so output is deterministic.
 */
import type { HealthStatus, Reading, SensorEvent } from "@presage/shared";
import { AirflowTracker } from "./airflow.js";
import { classify, Role } from "./classify.js";
import { type DetectSettings, resolveDetectConfig } from "./config.js";
import type { Detector } from "./detector.js";
import { Phase } from "./episode.js";
import { FanTracker } from "./fan-tracker.js";
import { HostContext } from "./host.js";
import { PsuShareTracker } from "./psu-share.js";
import { RailTracker } from "./rails.js";
import { BatteryTracker, CpuTracker, InletTracker, type Tracker } from "./trackers.js";

export {
  DEFAULT_DETECT_CONFIG,
  DETECT_PROFILES,
  type DetectConfig,
  type DetectProfile,
  type DetectSettings,
  detectConfigCheck,
  resolveDetectConfig,
} from "./config.js";
export type { Detector } from "./detector.js";

type HostState = { ctx: HostContext; trackers: Map<string, Tracker | null>; airflow: AirflowTracker };

const STATUS: Record<number, HealthStatus> = {
  [Phase.None]: "ok",
  [Phase.Info]: "ok",
  [Phase.Warning]: "warning",
  [Phase.Critical]: "critical",
};

/** returned when a reading produced no event (almost always): frozen, so a caller that pushes to it fails loudly */
const NONE = Object.freeze([]) as unknown as SensorEvent[];

export function createDetector(config: DetectSettings = {}, opts: { idPrefix?: string } = {}): Detector {
  const cfg = resolveDetectConfig(config);
  const prefix = opts.idPrefix ?? "";
  const hosts = new Map<string, HostState>();
  // trackers append here; a reading allocates an array only when it produced events
  const scratch: SensorEvent[] = [];

  function emitted(): SensorEvent[] {
    if (scratch.length === 0) return NONE;
    const events = scratch.slice();
    scratch.length = 0;
    return events;
  }

  function tracker(h: HostState, r: Reading & { value: number }): Tracker | null {
    let t = h.trackers.get(r.sensor);
    if (t !== undefined) return t;
    switch (classify(r)) {
      case Role.Fan:
        t = new FanTracker(cfg, prefix, r.host, r.sensor, r.unit, h.ctx.fans);
        break;
      case Role.Cpu:
        t = new CpuTracker(cfg, prefix, r.host, r.sensor);
        break;
      case Role.Inlet:
        t = new InletTracker(prefix, r.host, r.sensor);
        break;
      case Role.Rail:
        t = RailTracker.create(cfg, prefix, r.host, r);
        break;
      case Role.PsuOutput:
        t = new PsuShareTracker(cfg, prefix, r.host, r);
        break;
      case Role.Battery:
        t = new BatteryTracker(cfg, prefix, r.host, r.sensor);
        break;
      default:
        t = null;
    }
    h.trackers.set(r.sensor, t);
    return t;
  }

  return {
    ingest(r: Reading): SensorEvent[] {
      let h = hosts.get(r.host);
      if (!h) {
        h = {
          ctx: new HostContext(r.host, cfg),
          trackers: new Map(),
          airflow: new AirflowTracker(cfg, prefix, r.host),
        };
        hosts.set(r.host, h);
      }
      if (r.value === null) return NONE;
      if (r.type === "power" && r.unit === "W") {
        if (r.value > 0) h.ctx.lastOnTs = r.ts;
        else h.ctx.lastZeroPowerTs = r.ts;
      }
      const t = tracker(h, r as Reading & { value: number });
      if (!t) {
        const power = h.ctx.hostPower(r);
        if (power !== null) {
          h.ctx.trackLoad(r.ts, power);
          h.airflow.ingest(r.ts, power, h.ctx, scratch);
        }
        return emitted();
      }
      t.ingest(r as Reading & { value: number }, h.ctx, scratch);
      const power = h.ctx.hostPower(r);
      if (power !== null) {
        h.ctx.trackLoad(r.ts, power);
        h.airflow.ingest(r.ts, power, h.ctx, scratch);
      }
      return emitted();
    },

    health(host: string) {
      const h = hosts.get(host);
      if (!h) return { status: "unknown", conditions: [] };
      let worst: number = Phase.None;
      const conditions: string[] = [];
      for (const ep of [h.airflow.episode, ...[...h.trackers.values()].flatMap((t) => [t?.episode, t?.also])]) {
        if (!ep?.open) continue;
        worst = Math.max(worst, ep.phase);
        conditions.push(ep.reason);
      }
      return { status: STATUS[worst] ?? "ok", conditions };
    },
  };
}
