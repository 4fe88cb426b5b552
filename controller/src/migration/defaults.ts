/**
 * Engine defaults in one place: the engines' constructors and the controller config (`engine.*`, migration/index.ts)
 * both read these, so an engine built in code behaves like one built from a config file.
 */

/** Real hypervisors (QEMU, libvirt): 10 Gbit/s, 300 ms downtime, auto-converge on, give up after 10 min. */
export const REAL_ENGINE_DEFAULTS = {
  bandwidthBps: 1.25e9,
  downtimeLimitMs: 300,
  autoConverge: true,
  deadlineMs: 600_000 as number | null,
};

type RealEngineOptions = {
  bandwidthBps?: number;
  downtimeLimitMs?: number;
  autoConverge?: boolean;
  deadlineMs?: number | null;
};

/** An engine's options with the real-engine defaults filled in (`deadlineMs: null` means no deadline). */
export function realEngineOptions(o: RealEngineOptions): Required<RealEngineOptions> {
  const d = REAL_ENGINE_DEFAULTS;
  return {
    bandwidthBps: o.bandwidthBps ?? d.bandwidthBps,
    downtimeLimitMs: o.downtimeLimitMs ?? d.downtimeLimitMs,
    autoConverge: o.autoConverge ?? d.autoConverge,
    deadlineMs: o.deadlineMs === undefined ? d.deadlineMs : o.deadlineMs,
  };
}

export const QEMU_ENGINE_DEFAULTS = {
  ...REAL_ENGINE_DEFAULTS,
  qemuBin: "qemu-system-x86_64",
  accel: "tcg",
  setupTimeoutMs: 20_000,
  stallTimeoutMs: 10_000,
  pollMs: 100,
};

export const LIBVIRT_ENGINE_DEFAULTS = {
  ...REAL_ENGINE_DEFAULTS,
  virsh: "virsh",
  pollMs: 500,
  commandTimeoutMs: 30_000,
};

/** The simulator: a 10 Gbit/s link, pre-copy up to 30 rounds, then forced (like QEMU without auto-converge). */
export const SIM_ENGINE_DEFAULTS = {
  linkBandwidthBps: 1.25e9,
  downtimeLimitMs: 300,
  maxRounds: 30,
  onNoConvergence: "force" as "force" | "fail",
  autoConverge: false,
  setupMs: 100,
};
