/**
 * A second QMP monitor on a test guest, so a test can ask QEMU itself how the guest behaves on this machine
 * (its measured dirty rate, whether it has halted) instead of assuming one machine's TCG speed. The engine keeps
 * the VM's own QMP socket; this one is passed as extraArgs, so a migration target re-creates (re-binds) it too.
 */
import { join } from "node:path";
import { QmpClient } from "@presage/controller/internal";

export const probeArgs = (dir: string, vmId: string) => [
  "-qmp",
  `unix:${join(dir, `${vmId}.probe.qmp`)},server=on,wait=off`,
];

async function withProbe<T>(dir: string, vmId: string, f: (q: QmpClient) => Promise<T>): Promise<T> {
  const q = await QmpClient.connect({ path: join(dir, `${vmId}.probe.qmp`) }, { retry: true, timeoutMs: 10_000 });
  try {
    return await f(q);
  } finally {
    q.close();
  }
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** QEMU's own estimate of how fast the guest dirties memory, MiB/s (calc-dirty-rate over one second, page sampling). */
export function dirtyRateMiBps(dir: string, vmId: string): Promise<number> {
  return withProbe(dir, vmId, async (q) => {
    // the first samples after boot can miss the guest's loop; take the best of three
    let best = 0;
    for (let i = 0; i < 3; i++) {
      await q.execute("calc-dirty-rate", { "calc-time": 1, mode: "page-sampling" });
      for (;;) {
        await pause(200);
        const r = await q.execute<{ status: string; "dirty-rate"?: number }>("query-dirty-rate");
        if (r.status === "measured") {
          best = Math.max(best, r["dirty-rate"] ?? 0);
          break;
        }
      }
    }
    return best;
  });
}

/** Wait until the guest's CPU has halted (the fill guest halts once its memory is written), as QEMU reports it. */
export function untilHalted(dir: string, vmId: string, ms = 60_000): Promise<void> {
  return withProbe(dir, vmId, async (q) => {
    const t0 = Date.now();
    for (;;) {
      const regs = await q.execute<string>("human-monitor-command", { "command-line": "info registers" });
      if (/\bHLT=1\b/.test(regs)) return;
      if (Date.now() - t0 > ms) throw new Error(`guest ${vmId} did not halt in ${ms} ms`);
      await pause(100);
    }
  });
}
