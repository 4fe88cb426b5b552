/** The detection pipeline's public face: the live agent and `replay` both drive it through this. */
import type { HealthStatus, Reading, SensorEvent, Severity } from "@presage/shared";
import type { TrendInsight } from "./trackers.js";

/** What the detector holds about one host, read-only (the agent's /metrics). */
export type DetectorView = {
  /** per trend-judged sensor: the last bucket's residual, score and predicted failure time */
  sensors: Array<{ sensor: string } & TrendInsight>;
  /** the severity of each open episode (condition) on the host */
  open: Severity[];
};

export interface Detector {
  /** feed one reading (per host in time order); returns the events it concludes, in time order */
  ingest(r: Reading): SensorEvent[];
  /** the host's current worst condition, for heartbeats */
  health(host: string): { status: HealthStatus; conditions: string[] };
  /** read-only view for metrics; optional so test doubles need not provide it */
  inspect?(host: string): DetectorView;
}
