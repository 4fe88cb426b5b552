import { watch } from "@presage/cli/internal";
import { natsEnv } from "@presage/shared/testing";
import { describe, expect, it } from "vitest";

const env = natsEnv();

describe("cli watch", () => {
  it("watch - one readable line per message, filtered by host, stops after --count", async () => {
    const lines: string[] = [];
    const ts = Date.UTC(2026, 10, 25, 18, 30, 5);
    const done = watch(
      env.nc,
      {
        style: { color: false },
        json: false,
        host: "h1",
        count: 2,
        forMs: 20_000,
        out: (l) => lines.push(l),
        ready: () => {
          env.nc.publish(
            "presage.v1.alerts",
            JSON.stringify({ id: "a-2", host: "h2", severity: "critical", reason: "other host" }),
          );
          env.nc.publish(
            "presage.v1.migrations",
            JSON.stringify({ id: "m", vm: "vm-1", from: "h1", to: "h3", status: "running", progress: 0.42, ts }),
          );
          env.nc.publish(
            "presage.v1.audit.ack",
            JSON.stringify({ ts, action: "ack", host: "h1", actor: "alice", detail: "acknowledged ev-1" }),
          );
        },
        now: () => ts,
      },
      new AbortController().signal,
    );
    expect(await done).toBe(2);
    expect(lines.sort()).toEqual([
      "18:30:05 AUDIT     ack h1 by alice: acknowledged ev-1",
      "18:30:05 MIGRATION vm-1 h1 -> h3 running 42%",
    ]);
  });

  it("watch - stops when aborted (Ctrl-C) with nothing to show", async () => {
    const ac = new AbortController();
    const done = watch(
      env.nc,
      { style: { color: false }, json: false, out: () => {}, now: Date.now, ready: () => ac.abort() },
      ac.signal,
    );
    expect(await done).toBe(0);
  });
});
