/** The detection pipeline's public face: the live agent and `replay` both drive it through this. */
import type { HealthStatus, Reading, SensorEvent } from "@presage/shared";

export interface Detector {
  /** feed one reading (per host in time order); returns the events it concludes, in time order */
  ingest(r: Reading): SensorEvent[];
  /** the host's current worst condition, for heartbeats */
  health(host: string): { status: HealthStatus; conditions: string[] };
}
