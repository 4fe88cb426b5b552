/**
 * The real controller behind the deploy/nats permissions: an operator's action lands on the audit
 * stream under the NATS user the server vouches for, not the name the operator claims.
 */
import { connectNats, inboxes, type NatsConnection, scaledClock } from "@presage/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateFleet } from "../../controller/src/migration/index.js";
import { assertBuilt, presage } from "../cli/run-cli.js";
import { criticalFanEvent, poll, publishEvent, readAudit } from "../e2e/harness.js";
import { type Leader, startLeader } from "../e2e/leader.js";
import { type SecureServer, startSecureNats } from "./secure-server.js";

let srv: SecureServer;
let nc: NatsConnection;
let leader: Leader;
const clock = scaledClock(40);
const fleet = generateFleet({ hosts: 3, vmsPerHost: 2, seed: 11 });
const sick = fleet.hosts[0]?.name as string;

beforeAll(async () => {
  assertBuilt();
  srv = await startSecureNats({ tls: true });
  const tls = { ca: srv.certs?.ca };
  nc = await connectNats({
    url: srv.url,
    user: "controller",
    pass: srv.passwords.PRESAGE_CONTROLLER_PASSWORD,
    tls,
    inboxPrefix: inboxes.controller,
  });
  leader = await startLeader({ nc, fleet, clock, name: "ctl-secure" });
});

afterAll(async () => {
  await leader?.stop();
  await nc?.close();
  await srv?.stop();
});

describe("secured controller", () => {
  it("security - the audit actor of an operator action is the operator's NATS user", async () => {
    await publishEvent(nc, criticalFanEvent(sick, clock.now()));
    const cli = [
      "--server",
      srv.url,
      "--tls-ca",
      srv.certs?.ca ?? "",
      "--user",
      "alice",
      "--password",
      srv.passwords.PRESAGE_OPERATOR_ALICE_PASSWORD,
    ];
    await poll(
      "an open alert",
      async () => {
        const r = await presage(["events", "--unacked", "--json", ...cli]);
        return r.code === 0 && (JSON.parse(r.stdout) as { alerts: unknown[] }).alerts.length > 0;
      },
      30_000,
      300,
    );
    const ack = await presage(["ack", sick, "--note", "on it", "--by", "mallory", ...cli]);
    expect(ack.stderr).toBe("");
    expect(ack.code).toBe(0);
    const audit = await poll(
      "ack audited",
      async () => {
        const acks = (await readAudit(nc)).filter((a) => a.action === "ack");
        return acks.length ? acks : null;
      },
      10_000,
      200,
    );
    expect(audit.map((a) => a.actor)).toEqual(["alice"]);
  });
});
