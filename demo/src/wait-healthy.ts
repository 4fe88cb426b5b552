/** Wait until the controller has a healthy heartbeat from a host's agent (it refuses `repaired` before that). */
import type { Heartbeat } from "@presage/shared";

export async function waitHealthy(
  ctl: { host(r: { host: string }): Promise<{ health: Heartbeat | null }> },
  host: string,
  realTimeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + realTimeoutMs;
  while ((await ctl.host({ host })).health?.status !== "ok") {
    if (Date.now() > deadline) throw new Error(`${host}'s agent did not report healthy in ${realTimeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
