/**
 * A fast path in front of the shared ReadingSchema's `readingCheck` (shared/src/messages.ts) for replay's hot loop.
 * It accepts only values that pass the same tests the schema makes, and remembers host names already found valid
 * (the schema runs the host regex on every reading); anything else goes to readingCheck itself, so what is
 * rejected, and the message, do not change. agent/test/replay/reading-fast-check.test.ts holds them to that.
 */
import { isValidHostName, readingCheck, SensorType } from "@presage/shared";

const TYPES: ReadonlySet<unknown> = new Set(Object.values(SensorType));
const LIMITS = ["lnr", "lcr", "lnc", "unc", "ucr", "unr"] as const;

const numOrNull = (x: unknown) => x === undefined || x === null || (typeof x === "number" && Number.isFinite(x));

function thresholdsOk(t: unknown): boolean {
  if (t === undefined) return true;
  if (typeof t !== "object" || t === null || Array.isArray(t)) return false;
  const o = t as Record<string, unknown>;
  for (const k of LIMITS) if (!numOrNull(o[k])) return false;
  return true;
}

const strOk = (x: unknown, max: number) => x === undefined || (typeof x === "string" && x.length <= max);

export function createReadingChecker(): (v: unknown) => string | null {
  const hosts = new Set<string>();
  return (v) => {
    if (typeof v !== "object" || v === null) return readingCheck(v, "");
    const r = v as Record<string, unknown>;
    const { ts, host, sensor, unit, value } = r;
    const common =
      typeof ts === "number" &&
      Number.isInteger(ts) &&
      ts >= 0 &&
      typeof host === "string" &&
      typeof sensor === "string" &&
      sensor.length >= 1 &&
      sensor.length <= 256 &&
      TYPES.has(r.type) &&
      typeof unit === "string" &&
      unit.length <= 64 &&
      (value === null || (typeof value === "number" && Number.isFinite(value))) &&
      strOk(r.status, 64) &&
      strOk(r.state, 256) &&
      thresholdsOk(r.thresholds);
    if (!common) return readingCheck(v, "");
    if (hosts.has(host)) return null;
    if (!isValidHostName(host)) return readingCheck(v, "");
    hosts.add(host);
    return null;
  };
}
