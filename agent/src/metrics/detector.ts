/**
 * Presage's own view beside the ipmi_* families: what the detector makes of each sensor (residual, score,
 * predicted time to failure), open episodes by severity, and each source's run of failed polls. Read from the
 * detector's read-only view on every scrape.
 */
import { type Collect, type Metrics, Severity } from "@presage/shared";
import type { Detector, DetectorView } from "../detect/detector.js";
import type { SourceView } from "./ipmi.js";

export type DetectorMetricsInput = {
  detector: Detector;
  hosts: readonly string[];
  sources: () => readonly SourceView[];
  /** the agent's clock, ms (predicted failure times are on it) */
  now: () => number;
};

export function registerDetectorMetrics(m: Metrics, o: DetectorMetricsInput): void {
  const sensors =
    (pick: (s: DetectorView["sensors"][number]) => number | null): Collect =>
    (set) => {
      for (const host of o.hosts)
        for (const s of o.detector.inspect?.(host).sensors ?? []) {
          const v = pick(s);
          if (v !== null) set(v, { host, sensor: s.sensor });
        }
    };
  const labels = ["host", "sensor"];
  m.collected(
    {
      name: "presage_sensor_residual",
      help: "The sensor's last judged deviation from its learned baseline, in the detector's residual units (positive = toward failure).",
      labels,
    },
    sensors((s) => s.residual),
  );
  m.collected(
    {
      name: "presage_sensor_score",
      help: "The residual divided by the smallest deviation that counts as degradation (1 = just significant).",
      labels,
    },
    sensors((s) => s.score),
  );
  m.collected(
    {
      name: "presage_sensor_predicted_failure_seconds",
      help: "Predicted time until the sensor's trend crosses its failure point, seconds (0 = past it); absent when not heading there.",
      labels,
    },
    sensors((s) => (s.predictedAt === null ? null : Math.max(0, (s.predictedAt - o.now()) / 1_000))),
  );
  m.collected(
    {
      name: "presage_detector_episodes_open",
      help: "Conditions the detector has open on the host, by severity.",
      labels: ["host", "severity"],
    },
    (set) => {
      for (const host of o.hosts) {
        const open = o.detector.inspect?.(host).open ?? [];
        for (const severity of Object.values(Severity))
          set(open.filter((x) => x === severity).length, { host, severity });
      }
    },
  );
  m.collected(
    {
      name: "presage_agent_source_consecutive_failures",
      help: "Polls in a row the source has failed (0 = its last poll answered).",
      labels: ["host", "source"],
    },
    (set) => {
      for (const s of o.sources()) set(s.failures, { host: s.host, source: s.source });
    },
  );
}
