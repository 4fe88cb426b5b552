/**
 * Replicas outside a queue group: every replica sees every request, only the leader answers, a
 * follower stays silent, and a replica that knows no leader says not_leader at once.
 */
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { silentLogger } from "@presage/shared";
import { type NatsServerHandle, startNatsServer } from "@presage/shared/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type OpsRole, startOpsService } from "../../src/ops/service.js";
import { fakeControllerApi } from "./fake-api.js";

let ns: NatsServerHandle;
let nc: NatsConnection;

beforeAll(async () => {
  ns = await startNatsServer();
  nc = await connect({ servers: ns.url });
});
afterAll(async () => {
  await nc?.close();
  await ns?.stop();
});

describe("ops service roles", () => {
  it("ops roles - the leader answers while three followers stay silent; with no leader, not_leader comes at once", async () => {
    const roles: OpsRole[] = ["follower", "follower", "leader", "follower"];
    const services = await Promise.all(
      roles.map((_, i) =>
        startOpsService(nc, fakeControllerApi().api, { log: silentLogger, role: () => roles[i] as OpsRole }),
      ),
    );
    try {
      for (let i = 0; i < 8; i++) {
        const m = await nc.request("presage.v1.ops.status", "{}", { timeout: 2_000 });
        expect(m.json<{ ok: boolean }>().ok).toBe(true);
      }
      roles.fill("follower");
      await expect(nc.request("presage.v1.ops.status", "{}", { timeout: 500 })).rejects.toThrow(/timeout/i);
      roles.fill("none");
      const m = await nc.request("presage.v1.ops.hosts", "{}", { timeout: 2_000 });
      expect(m.json<{ ok: boolean; error: { code: string } }>()).toMatchObject({
        ok: false,
        error: { code: "not_leader" },
      });
    } finally {
      for (const s of services) await s.stop();
    }
  });
});
