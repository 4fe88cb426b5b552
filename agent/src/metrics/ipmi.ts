/**
 * The agent as a drop-in for prometheus-community/ipmi_exporter: its family names, HELP texts, labels (`id`,
 * `name`; `type` on the generic families; `collector` on ipmi_up) and unit mapping (by the reading's unit:
 * RPM, C, V, A, W; a fan in % becomes ipmi_fan_speed_ratio; anything else ipmi_sensor_value). Every series also
 * carries `host`, since one rack agent reads many BMCs. `id` is the sensor's position in the order the agent
 * first saw it on that host (our sources do not report SDR record ids), stable while the agent runs. No reading
 * is NaN, as ipmi_exporter writes N/A; a state the BMC did not give is NaN.
 */
import type { Collect, Metrics, Reading } from "@presage/shared";

type Slot = { id: string; r: Reading };
type Typed = { value: string; valueHelp: string; state: string; stateHelp: string; scale: number };

const state = (what: string) => `Reported state of a ${what} sensor (0=nominal, 1=warning, 2=critical).`;
const BY_UNIT: Record<string, Typed> = {
  RPM: typed("ipmi_fan_speed_rpm", "Fan speed in rotations per minute.", "ipmi_fan_speed_state", state("fan speed")),
  C: typed(
    "ipmi_temperature_celsius",
    "Temperature reading in degree Celsius.",
    "ipmi_temperature_state",
    state("temperature"),
  ),
  V: typed("ipmi_voltage_volts", "Voltage reading in Volts.", "ipmi_voltage_state", state("voltage")),
  A: typed("ipmi_current_amperes", "Current reading in Amperes.", "ipmi_current_state", state("current")),
  W: typed("ipmi_power_watts", "Power reading in Watts.", "ipmi_power_state", state("power")),
};
const FAN_RATIO = typed(
  "ipmi_fan_speed_ratio",
  "Fan speed as a proportion of the maximum speed.",
  "ipmi_fan_speed_state",
  "",
  0.01,
);
const GENERIC = {
  value: "ipmi_sensor_value",
  valueHelp: "Generic data read from an IPMI sensor of unknown type, relying on labels for context.",
  state: "ipmi_sensor_state",
  stateHelp: "Indicates the severity of the state reported by an IPMI sensor (0=nominal, 1=warning, 2=critical).",
};

function typed(value: string, valueHelp: string, stateName: string, stateHelp: string, scale = 1): Typed {
  return { value, valueHelp, state: stateName, stateHelp, scale };
}

/** BMC status word to ipmi_exporter's state number (FreeIPMI's words and ipmitool's threshold codes). */
export function stateNumber(status: string | undefined): number {
  switch (status?.toLowerCase()) {
    case "ok":
    case "nominal":
      return 0;
    case "lnc":
    case "unc":
    case "warning":
      return 1;
    case "lcr":
    case "ucr":
    case "lnr":
    case "unr":
    case "critical":
      return 2;
    default:
      return Number.NaN;
  }
}

/** The typed families a reading lands in, or null for the generic ones (by unit, as ipmi_exporter does). */
function typedOf(r: Reading): Typed | null {
  if (r.unit === "%" && r.type === "fan") return FAN_RATIO;
  return BY_UNIT[r.unit] ?? null;
}

/** our type in FreeIPMI's spelling ("Temperature", "Fan"), for the generic families' `type` label */
const typeWord = (t: string) => `${t.charAt(0).toUpperCase()}${t.slice(1)}`;

/** How a source's polls stand (the poller's state). */
export type SourceView = {
  source: string;
  host: string;
  polls: number;
  failures: number;
  lastDurationMs: number | null;
};

/** The latest reading of every sensor per host. */
export class SensorBook {
  readonly #hosts = new Map<string, Map<string, Slot>>();

  record(host: string, readings: readonly Reading[]): void {
    let sensors = this.#hosts.get(host);
    if (!sensors) {
      sensors = new Map();
      this.#hosts.set(host, sensors);
    }
    for (const r of readings) {
      const slot = sensors.get(r.sensor);
      if (slot) slot.r = r;
      else sensors.set(r.sensor, { id: String(sensors.size + 1), r });
    }
  }

  /** Register the ipmi_* families, read from this book and the sources' state on every scrape. */
  register(m: Metrics, sources: () => readonly SourceView[]): void {
    const names = new Map<string, { help: string; labels: string[] }>();
    for (const t of [...Object.values(BY_UNIT), FAN_RATIO]) {
      names.set(t.value, { help: t.valueHelp, labels: ["host", "id", "name"] });
      if (t.stateHelp) names.set(t.state, { help: t.stateHelp, labels: ["host", "id", "name"] });
    }
    names.set(GENERIC.value, { help: GENERIC.valueHelp, labels: ["host", "id", "name", "type"] });
    names.set(GENERIC.state, { help: GENERIC.stateHelp, labels: ["host", "id", "name", "type"] });
    for (const [name, f] of names) m.collected({ name, ...f }, (set) => this.#collect(name, set));
    m.collected(
      {
        name: "ipmi_up",
        help: "'1' if a scrape of the IPMI device was successful, '0' otherwise.",
        labels: ["host", "collector"],
      },
      (set) => {
        for (const p of sources())
          if (p.polls > 0) set(p.failures === 0 ? 1 : 0, { host: p.host, collector: p.source });
      },
    );
    m.collected(
      {
        name: "ipmi_scrape_duration_seconds",
        help: "Returns how long the scrape took to complete in seconds.",
        labels: ["host"],
      },
      (set) => {
        const byHost = new Map<string, number>();
        for (const p of sources())
          if (p.lastDurationMs !== null) byHost.set(p.host, (byHost.get(p.host) ?? 0) + p.lastDurationMs / 1_000);
        for (const [host, s] of byHost) set(s, { host });
      },
    );
  }

  #collect(family: string, set: Parameters<Collect>[0]): void {
    for (const [host, sensors] of this.#hosts)
      for (const { id, r } of sensors.values()) {
        const t = typedOf(r);
        const labels: Record<string, string> = t
          ? { host, id, name: r.sensor }
          : { host, id, name: r.sensor, type: typeWord(r.type) };
        const f = t ?? { ...GENERIC, scale: 1 };
        if (f.value === family) set(r.value === null ? Number.NaN : r.value * f.scale, labels);
        else if (f.state === family) set(stateNumber(r.status), labels);
      }
  }
}
