/**
 * A hostile (or broken) agent that invents sensor names, against the real controller on a real
 * nats-server with a small max_payload: the controller keeps at most maxSensorsPerHost sensors for
 * that host, counts the dropped readings, logs the host once, keeps updating the sensors it has,
 * and `presage host` still answers, cut under the server's max_payload with a note.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateFleet, SENSORS_DROPPED } from "@presage/controller/internal";
import { connectNats, createLogger, type NatsConnection, type Reading, scaledClock, subjects } from "@presage/shared";
import { type NatsServerHandle, startNatsServer } from "@presage/shared/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { presageInProcess } from "../cli/run-cli.js";
import { poll } from "./harness.js";
import { type Leader, startLeader } from "./leader.js";

const MAX_PAYLOAD = 131_072;
const CAP = 2_000;
const INVENTED = 12_000;
const BATCH = 250;

let nats: NatsServerHandle;
let nc: NatsConnection;
let leader: Leader;
let dir: string;
const clock = scaledClock(1);
const fleet = generateFleet({ hosts: 2, vmsPerHost: 1, seed: 3 });
const [victim, other] = fleet.hosts.map((h) => h.name) as [string, string];

const cli = (argv: string[]) => presageInProcess(argv, { NATS_URL: nats.url });

/** What a hostile agent publishes: `count` readings of distinct invented sensors, from `from` on. */
async function flood(host: string, from: number, count: number, value = 1): Promise<void> {
  for (let i = from; i < from + count; i += BATCH) {
    const readings: Reading[] = [];
    for (let j = i; j < Math.min(i + BATCH, from + count); j++)
      readings.push({
        ts: Date.now(),
        host,
        sensor: `X${j.toString(36).padStart(8, "0")}`,
        type: "other",
        unit: "",
        value,
      });
    nc.publish(subjects.readings(host), JSON.stringify({ host, readings }));
  }
  await nc.flush();
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "presage-hostile-"));
  nats = await startNatsServer({
    config: `listen: 127.0.0.1:{{PORT}}\nmax_payload: ${MAX_PAYLOAD}\njetstream { store_dir: "{{STORE}}" }\n`,
  });
  nc = await connectNats({ url: nats.url });
  const log = createLogger("presage-controller", { level: "warn", destination: join(dir, "ctl.log") });
  const config = { telemetry: { maxSensorsPerHost: CAP } };
  leader = await startLeader({ nc, fleet, clock, name: "ctl-hostile", config, log });
});

afterAll(async () => {
  await leader?.stop();
  await nc?.close();
  await nats?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("hostile telemetry", () => {
  it("hostile - invented sensor names are capped per host, counted, logged once; `presage host` fits max_payload", async () => {
    expect(nc.info?.max_payload).toBe(MAX_PAYLOAD);
    await flood(victim, 0, INVENTED);
    await poll(
      "drops counted",
      async () => (await leader.ctl.metrics.total(SENSORS_DROPPED)) === INVENTED - CAP,
      30_000,
      50,
    );
    // a second wave: still capped, counted again, not logged again
    await flood(victim, INVENTED, 2_000);
    await poll(
      "second wave counted",
      async () => (await leader.ctl.metrics.total(SENSORS_DROPPED)) === INVENTED + 2_000 - CAP,
      30_000,
      50,
    );
    // the sensors it kept still update
    await flood(victim, 0, 1, 42);
    await flood(other, 0, 10);

    const j = await poll(
      "host reply with the updated first sensor",
      async () => {
        const r = await cli(["host", victim, "--json"]);
        const body = JSON.parse(r.out) as {
          ok: boolean;
          readings: Reading[];
          history: Record<string, unknown[]>;
          truncated?: Record<string, number>;
        };
        return body.readings.find((x) => x.sensor === "X00000000")?.value === 42 ? { r, body } : null;
      },
      10_000,
      100,
    );
    expect(j.r.code).toBe(0);
    expect(j.body.ok).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(JSON.parse(j.r.out)))).toBeLessThanOrEqual(MAX_PAYLOAD);
    const shown = j.body.readings.length;
    expect(shown).toBeGreaterThan(100);
    expect(j.body.truncated).toEqual({ readings: CAP - shown });
    expect(Object.keys(j.body.history).sort()).toEqual(j.body.readings.map((r) => r.sensor).sort());

    const text = await cli(["host", victim]);
    expect(text.code).toBe(0);
    expect(text.err).toMatch(
      new RegExp(
        `presage host: the reply was cut to fit the NATS server's max_payload: ${CAP - shown} readings not shown`,
      ),
    );
    // the other host is untouched by the flood
    const o = JSON.parse((await cli(["host", other, "--json"])).out) as { readings: Reading[]; truncated?: unknown };
    expect(o.readings).toHaveLength(10);
    expect(o.truncated).toBeUndefined();

    const warnings = readFileSync(join(dir, "ctl.log"), "utf8")
      .split("\n")
      .filter((l) => l.includes("distinct sensors"));
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0] as string)).toMatchObject({ host: victim, maxSensorsPerHost: CAP });
  }, 60_000);
});
