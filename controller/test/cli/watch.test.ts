import { type AuditRecord, connectNats, type NatsConnection } from "@presage/shared";
import { type NatsServerHandle, startNatsServer } from "@presage/shared/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { watch } from "../../src/cli/watch.js";
import { alertMessage, runningMigration } from "./feed-samples.js";

let ns: NatsServerHandle;
let nc: NatsConnection;

beforeAll(async () => {
  ns = await startNatsServer();
  nc = await connectNats({ url: ns.url });
});
afterAll(async () => {
  await nc?.close();
  await ns?.stop();
});

describe("cli watch", () => {
  it("watch - one readable line per message, filtered by host, stops after --count", async () => {
    const lines: string[] = [];
    const ts = Date.UTC(2026, 10, 25, 18, 30, 5);
    const done = watch(
      nc,
      {
        style: { color: false },
        json: false,
        host: "h1",
        count: 2,
        forMs: 20_000,
        out: (l) => lines.push(l),
        ready: () => {
          // shapes as the controller publishes them (test/cli/contract.test.ts runs the real producer)
          const other = alertMessage({ id: "a-2", host: "h2", severity: "critical", reason: "other host", ts });
          nc.publish("presage.v1.alerts", JSON.stringify(other));
          const mig = runningMigration({ id: "m", vm: "vm-1", from: "h1", to: "h3", progress: 0.42, ts });
          nc.publish("presage.v1.migrations", JSON.stringify(mig));
          const audit: AuditRecord = { ts, action: "ack", host: "h1", actor: "alice", detail: "acknowledged ev-1" };
          nc.publish("presage.v1.audit.ack", JSON.stringify(audit));
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
      nc,
      { style: { color: false }, json: false, out: () => {}, now: Date.now, ready: () => ac.abort() },
      ac.signal,
    );
    expect(await done).toBe(0);
  });
});
