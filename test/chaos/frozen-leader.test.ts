/**
 * A frozen leader (SIGSTOP, as a long GC pause or a hung VM would freeze it): the follower takes
 * the lease and from then on every `presage status` is answered, by the follower, within the
 * CLI's timeout and one retry. The frozen replica, woken, answers nothing and decides nothing.
 */
import { connectNats, type NatsConnection, scaledClock } from "@presage/shared";
import { type NatsServerHandle, startNatsServer } from "@presage/shared/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, presage } from "../cli/run-cli.js";
import { poll } from "../e2e/harness.js";
import {
  buildController,
  type ControllerProc,
  chaosFleet,
  type Hypervisor,
  startControllerProc,
  startHypervisor,
  watchAudit,
} from "./harness.js";

describe("chaos - frozen leader", () => {
  let nats: NatsServerHandle;
  let nc: NatsConnection;
  let hv: Hypervisor;
  const procs: ControllerProc[] = [];

  beforeAll(async () => {
    await buildController();
    assertBuilt();
    nats = await startNatsServer();
    nc = await connectNats({ url: nats.url });
  }, 200_000);
  afterAll(async () => {
    for (const p of procs) {
      p.proc.kill("SIGCONT");
      await p.kill9();
    }
    await hv?.close();
    await nc?.close();
    await nats?.stop();
  });

  it("chaos - SIGSTOP the leader: after the takeover 10 of 10 `presage status` calls answer, from the follower", async () => {
    hv = await startHypervisor(nats.url, chaosFleet(8), scaledClock(2));
    const audit = watchAudit(nc);
    const status = async () => {
      const r = await presage(["status", "--json", "--timeout", "2000"], { NATS_URL: nats.url });
      return {
        code: r.code,
        body: r.code === 0 ? (JSON.parse(r.stdout) as { controller: string; leader: boolean }) : null,
      };
    };
    try {
      procs.push(startControllerProc(nats.url, "replica-a"));
      await poll("a leads", () => audit.records.some((r) => r.action === "leader" && r.actor === "replica-a"), 30_000);
      procs.push(startControllerProc(nats.url, "replica-b"));
      await new Promise((r) => setTimeout(r, 1_500)); // b is up and campaigning
      expect((await status()).body?.controller).toBe("replica-a");

      (procs[0] as ControllerProc).proc.kill("SIGSTOP");
      await poll("b leads", () => audit.records.some((r) => r.action === "leader" && r.actor === "replica-b"), 30_000);
      const answers = [];
      for (let i = 0; i < 10; i++) answers.push(await status());
      expect(answers.map((a) => a.code)).toEqual(Array(10).fill(0));
      expect(answers.every((a) => a.body?.controller === "replica-b" && a.body.leader)).toBe(true);

      // woken, the old leader finds its lease gone: it neither answers nor decides
      const seen = audit.records.length;
      (procs[0] as ControllerProc).proc.kill("SIGCONT");
      const after = [];
      for (let i = 0; i < 5; i++) after.push(await status());
      expect(after.every((a) => a.code === 0 && a.body?.controller === "replica-b")).toBe(true);
      expect(audit.records.slice(seen).filter((r) => r.data?.replica === "replica-a")).toEqual([]);
    } finally {
      audit.stop();
    }
  }, 180_000);
});
