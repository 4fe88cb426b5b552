/**
 * The detection pipeline shared by the live agent and `replay`: readings in (per host in time order),
 * events out. Pure: no I/O, no wall clock; time comes only from reading timestamps, so output is deterministic.
 */
import type { HealthStatus, Reading, SensorEvent, Severity } from "@presage/shared";
import { AirflowTracker } from "./airflow.js";
import { classify, Role } from "./classify.js";
import { type DetectSettings, resolveDetectConfig } from "./config.js";
import type { Detector, DetectorView } from "./detector.js";
import { Phase } from "./episode.js";
import { FanTracker } from "./fan-tracker.js";
import { HostContext } from "./host.js";
import { InletTracker } from "./inlet.js";
import { PsuShareTracker } from "./psu-share.js";
import { RailTracker } from "./rails.js";
import { BatteryTracker, CpuTracker, type Tracker } from "./trackers.js";

export {
  DEFAULT_DETECT_CONFIG,
  DETECT_PROFILES,
  type DetectConfig,
  type DetectProfile,
  type DetectSettings,
  detectConfigCheck,
  resolveDetectConfig,
} from "./config.js";
export type { Detector, DetectorView } from "./detector.js";

/** A sensor's judge under its first name; `retired` once a firmware update renamed it (its new name took over). */
type Slot = { t: Tracker | null; name: string; retired: boolean };
type HostState = {
  ctx: HostContext;
  /** by the name a reading carries; a renamed sensor's new name points at its old slot */
  trackers: Map<string, Slot>;
  /** by sensorKey: the slot a renamed sensor continues */
  byKey: Map<string, Slot>;
  airflow: AirflowTracker;
};

/**
 * A name as firmware updates rename it ("CPU1 Temp" -> "CPU1_Temp", "Fan1A" -> "Fan 1A", "02-CPU 1" -> "CPU 1"):
 * case, spacing, punctuation and HPE's index prefix dropped. A renamed sensor keeps its baselines and peers.
 */
const sensorKey = (name: string) =>
  name
    .replace(/^\d+-/, "")
    .replace(/[^A-Za-z0-9]+/g, "")
    .toLowerCase();

const SEVERITY: Record<number, Severity> = {
  [Phase.Info]: "info",
  [Phase.Warning]: "warning",
  [Phase.Critical]: "critical",
};

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

  function create(h: HostState, r: Reading & { value: number }): Tracker | null {
    switch (classify(r)) {
      case Role.Fan:
        return new FanTracker(cfg, prefix, r.host, r.sensor, r.unit, h.ctx.fans);
      case Role.Cpu:
        return new CpuTracker(cfg, prefix, r.host, r.sensor);
      case Role.Inlet:
        return new InletTracker(cfg, prefix, r.host, r.sensor);
      case Role.Rail:
        return RailTracker.create(cfg, prefix, r.host, r);
      case Role.PsuOutput:
        return new PsuShareTracker(cfg, prefix, r.host, r);
      case Role.Battery:
        return new BatteryTracker(cfg, prefix, r.host, r.sensor);
      default:
        return null;
    }
  }

  function slot(h: HostState, r: Reading & { value: number }): Slot {
    let s = h.trackers.get(r.sensor);
    if (s !== undefined) {
      if (!s.retired || r.sensor !== s.name) return s;
      // the old name reads again: two sensors, not a rename; each new name gets a judge of its own
      s.retired = false;
      for (const [name, other] of h.trackers)
        if (other === s && name !== s.name)
          h.trackers.set(name, { t: create(h, { ...r, sensor: name }), name, retired: false });
      return s;
    }
    const key = sensorKey(r.sensor);
    const old = h.byKey.get(key);
    if (old && old.name !== r.sensor && old.t !== null && classify(r) === classify({ ...r, sensor: old.name })) {
      old.retired = true;
      h.trackers.set(r.sensor, old);
      return old;
    }
    s = { t: create(h, r), name: r.sensor, retired: false };
    h.trackers.set(r.sensor, s);
    if (!old) h.byKey.set(key, s);
    return s;
  }

  return {
    ingest(r: Reading): SensorEvent[] {
      let h = hosts.get(r.host);
      if (!h) {
        h = {
          ctx: new HostContext(r.host, cfg),
          trackers: new Map(),
          byKey: new Map(),
          airflow: new AirflowTracker(cfg, prefix, r.host),
        };
        hosts.set(r.host, h);
      }
      if (r.value === null) return NONE;
      if (r.type === "power" && r.unit === "W") {
        if (r.value > 0) h.ctx.lastOnTs = r.ts;
        else h.ctx.lastZeroPowerTs = r.ts;
      }
      const s = slot(h, r as Reading & { value: number });
      s.t?.ingest(r as Reading & { value: number }, h.ctx, scratch);
      const power = h.ctx.hostPower(r, s.name);
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
      for (const ep of [
        h.airflow.episode,
        ...[...new Set(h.trackers.values())].flatMap((s) => [s.t?.episode, s.t?.also]),
      ]) {
        if (!ep?.open) continue;
        worst = Math.max(worst, ep.phase);
        conditions.push(ep.reason);
      }
      return { status: STATUS[worst] ?? "ok", conditions };
    },

    inspect(host: string): DetectorView {
      const view: DetectorView = { sensors: [], open: [] };
      const h = hosts.get(host);
      if (!h) return view;
      // one judge per slot, under the newest name that reads into it (a renamed sensor)
      const named = new Map<Slot, string>();
      for (const [name, s] of h.trackers) named.set(s, name);
      for (const ep of [h.airflow.episode, ...[...named.keys()].flatMap((s) => [s.t?.episode, s.t?.also])])
        if (ep?.open) view.open.push(SEVERITY[ep.phase] ?? "info");
      for (const [s, sensor] of named) {
        const i = s.t?.insight;
        if (i) view.sensors.push({ sensor, ...i });
      }
      return view;
    },
  };
}
