/**
 * The safety brake (machine-health-check's maxUnhealthy): at most N hosts, and at most P% of the
 * fleet, in remediation at once. A burst of critical events (a room cooling failure) then stops
 * at the limit instead of emptying the data center; the rest wait, reported and audited.
 */
import type { HostState } from "@presage/shared";
import { REMEDIATION_STATES } from "./lifecycle.js";

export type BrakeSettings = { maxHosts: number; maxPercent: number };

export type BrakeStatus = {
  engaged: boolean;
  inRemediation: number;
  limit: number;
  /** hosts that need remediation but wait for the brake, in the order they will go */
  waiting: string[];
  /** degraded hosts held back by a common-cause incident (or settling while their room is hot): common-cause.ts */
  held: string[];
  /** the common-cause incidents now (each one controller alert) */
  incidents: { id: string; scope: string; hosts: string[]; acked: boolean }[];
};

export const BRAKE_IDLE: BrakeStatus = {
  engaged: false,
  inRemediation: 0,
  limit: 0,
  waiting: [],
  held: [],
  incidents: [],
};

/** The number of hosts allowed in remediation at once (never below 1: one sick host can always go). */
export function brakeLimit(s: BrakeSettings, fleetSize: number): number {
  return Math.max(1, Math.min(s.maxHosts, Math.floor((fleetSize * s.maxPercent) / 100)));
}

/**
 * Which of the `candidates` (hosts asking to start remediation, most urgent first) may start now,
 * given the state of every host.
 */
export function applyBrake(
  s: BrakeSettings,
  states: ReadonlyMap<string, HostState>,
  candidates: readonly string[],
): { admit: string[]; status: BrakeStatus } {
  const limit = brakeLimit(s, states.size);
  let inRemediation = 0;
  for (const st of states.values()) if (REMEDIATION_STATES.includes(st)) inRemediation++;
  const room = Math.max(0, limit - inRemediation);
  const admit = candidates.slice(0, room);
  const waiting = candidates.slice(room);
  return { admit, status: { engaged: waiting.length > 0, inRemediation, limit, waiting, held: [], incidents: [] } };
}
