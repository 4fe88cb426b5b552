/** Numbers in reason sentences: the way a person would write them. */
export const rpm = (v: number) => `${Math.round(v).toLocaleString("en-US")} RPM`;
/** a fan speed in its own unit: RPM, or duty % for fans that report it (HPE iLO) */
export const fanSpeed = (v: number, pct: boolean) => (pct ? `${Math.round(v)} %` : rpm(v));
/** "FAN1, FAN2 and FAN4" */
export function list(names: readonly string[]): string {
  if (names.length <= 1) return names.join("");
  return `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}
export const volts = (v: number) => `${v.toFixed(2)} V`;
export const degC = (v: number) => `${Math.round(v)} C`;
/** "+20 C over its level" */
export const overLevel = (over: number) => `${over >= 0 ? "+" : "-"}${degC(Math.abs(over))} over its level`;

export function duration(ms: number): string {
  const h = ms / 3_600_000;
  if (h >= 48) return `${Math.round(h / 24)} days`;
  if (h >= 1.5) return `${Math.round(h)} h`;
  return `${Math.max(1, Math.round(ms / 60_000))} min`;
}

/** Confidence from the Mann-Kendall z and how far past the minimum deviation the series is. */
export function confidence(z: number, dev: number, minDev: number): number {
  const zPart = 1 - Math.exp(-Math.max(0, z) / 3);
  const devPart = Math.min(1, dev / (minDev * 2));
  return Math.round(Math.min(0.99, 0.5 * zPart + 0.5 * devPart) * 100) / 100;
}
