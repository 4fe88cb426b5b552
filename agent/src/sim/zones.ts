/**
 * Fan zones: two independent PI loops with ramp limits, one following the hottest CPU, one the peripheral/PSU
 * side. Which fans belong to which zone is drawn per host (names do not tell), both rotors of a fan together.
 */
import type { Rng } from "./rng.js";
import { fanOf, physicalFans, type VendorLayout } from "./vendors.js";

export const CPU_ZONE = 0;
export const PERIPHERAL_ZONE = 1;

export type ZoneCurve = {
  /** lowest duty the loop commands (the fan curve's floor) */
  minDuty: number;
  /** temperature the loop holds its input at, C */
  setpointC: number;
  /** duty per C of error, and per C-second of accumulated error */
  kp: number;
  ki: number;
  /** largest duty change per second */
  rampPerS: number;
};

export type ZoneLoop = { duty: number; integral: number };

/** Zone (CPU_ZONE or PERIPHERAL_ZONE) of every fan sensor: 1..n-2 physical fans go to the peripheral zone. */
export function drawZoneLayout(L: VendorLayout, rng: Rng): number[] {
  const n = physicalFans(L);
  const periph = rng.int(1, Math.max(1, n - 2));
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const k = rng.int(0, i);
    [order[i], order[k]] = [order[k] as number, order[i] as number];
  }
  const inPeriph = new Set(order.slice(0, periph));
  return L.fans.map((_, j) => (inPeriph.has(fanOf(L, j)) ? PERIPHERAL_ZONE : CPU_ZONE));
}

/** The two zones' default curves for a host: CPU zone holds the hottest CPU, peripheral zone its sensor. */
export function drawZoneCurves(rng: Rng): [ZoneCurve, ZoneCurve] {
  return [
    { minDuty: 0.22 + 0.1 * rng.next(), setpointC: 64 + 6 * rng.next(), kp: 0.03, ki: 0.0004, rampPerS: 0.004 },
    { minDuty: 0.25 + 0.1 * rng.next(), setpointC: 44 + 5 * rng.next(), kp: 0.02, ki: 0.0002, rampPerS: 0.002 },
  ];
}

/** One PI step over dt seconds: anti-windup integral, duty clamped to [minDuty, 1] and ramp-limited. */
export function stepZone(z: ZoneLoop, inputC: number, c: ZoneCurve, dtS: number): void {
  const err = inputC - c.setpointC;
  const iMax = (1 - c.minDuty) / c.ki;
  z.integral = Math.min(iMax, Math.max(0, z.integral + err * dtS));
  const target = Math.min(1, Math.max(c.minDuty, c.minDuty + c.kp * err + c.ki * z.integral));
  const step = c.rampPerS * dtS;
  z.duty = Math.min(1, Math.max(c.minDuty, z.duty + Math.max(-step, Math.min(step, target - z.duty))));
}
