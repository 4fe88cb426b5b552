import type { HealthStatus, Reading, SensorEvent } from "@presage/shared";
import type { Detector } from "../../src/detect/detector.js";
import type { SensorSource } from "../../src/sources/source.js";

/** A source whose next answer the test decides: readings, an error, or a poll that never returns. */
export class ScriptedSource implements SensorSource {
  readonly name: string;
  mode: "ok" | "fail" | "hang" = "ok";
  polls = 0;
  active = 0;
  maxActive = 0;
  fanRpm = 5_000;
  constructor(
    readonly host: string,
    readonly now: () => number,
  ) {
    this.name = `scripted:${host}`;
  }
  async poll(signal: AbortSignal): Promise<Reading[]> {
    this.polls++;
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      if (this.mode === "fail") throw new Error("BMC unreachable");
      if (this.mode === "hang")
        await new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
      const ts = this.now();
      const r = (sensor: string, type: Reading["type"], unit: string, value: number | null): Reading => ({
        ts,
        host: this.host,
        sensor,
        type,
        unit,
        value,
      });
      return [
        r("FAN1", "fan", "RPM", this.fanRpm),
        r("CPU Utilization", "utilization", "%", 37),
        r("FAN2", "fan", "RPM", null),
      ];
    } finally {
      this.active--;
    }
  }
}

/** A detector that raises a critical fan event the first time FAN1 reads below 1,000 RPM. */
export class ThresholdDetector implements Detector {
  seen: Reading[] = [];
  #raised = new Set<string>();
  ingest(r: Reading): SensorEvent[] {
    this.seen.push(r);
    if (r.sensor !== "FAN1" || r.value === null || r.value >= 1_000 || this.#raised.has(r.host)) return [];
    this.#raised.add(r.host);
    return [
      {
        id: `${r.host}-FAN1-${r.ts}`,
        ts: r.ts,
        host: r.host,
        severity: "critical",
        kind: "failure",
        component: "fan",
        sensor: "FAN1",
        reason: `FAN1 reads ${r.value} RPM`,
        predictedFailureAt: null,
        confidence: 0.9,
      },
    ];
  }
  health(host: string): { status: HealthStatus; conditions: string[] } {
    return this.#raised.has(host)
      ? { status: "critical", conditions: ["FAN1 failed"] }
      : { status: "ok", conditions: [] };
  }
}

export async function until<T>(
  f: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  ms = 20_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
