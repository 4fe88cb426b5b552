/** The BMC's own alarm: what operators get without Presage. Used by the demo and the benchmark baseline. */
import type { Reading } from "@presage/shared";

/** True when the reading is at or past a critical threshold the BMC publishes (lcr/ucr, else lnr/unr). */
export function bmcCritical(r: Reading): boolean {
  if (r.value === null || !r.thresholds) return false;
  const lo = r.thresholds.lcr ?? r.thresholds.lnr ?? null;
  const hi = r.thresholds.ucr ?? r.thresholds.unr ?? null;
  return (lo !== null && r.value <= lo) || (hi !== null && r.value >= hi);
}

/** Status word the BMC would print for the value (ipmitool style). */
export function bmcStatus(value: number | null, t: Reading["thresholds"]): string {
  if (value === null) return "ns";
  if (!t) return "ok";
  const le = (k: "lnr" | "lcr" | "lnc") => typeof t[k] === "number" && value <= (t[k] as number);
  const ge = (k: "unr" | "ucr" | "unc") => typeof t[k] === "number" && value >= (t[k] as number);
  if (le("lnr")) return "lnr";
  if (le("lcr")) return "lcr";
  if (ge("unr")) return "unr";
  if (ge("ucr")) return "ucr";
  if (le("lnc")) return "lnc";
  if (ge("unc")) return "unc";
  return "ok";
}
