/**
 * The per-host alert cap, on a real KV bucket: beyond `maxPerHost` the oldest cleared alert is
 * retired (gone from memory and KV), a host whose alerts are all open stores no new agent alert,
 * the controller's own alerts are always stored, and every drop is counted.
 */
import { type Alert, Severity, silentLogger } from "@presage/shared";
import { natsEnv } from "@presage/shared/testing";
import { describe, expect, it } from "vitest";
import { controllerAlert } from "../../src/alerts.js";
import { controllerMetrics } from "../../src/metrics/families.js";
import { AlertBook } from "../../src/runtime/alert-book.js";
import { openStore } from "../../src/store/index.js";

const env = natsEnv();

const agentAlert = (host: string, i: number, cleared = false): Alert => ({
  ...controllerAlert(`ev-${host}-${i}`, host, Severity.Warning, `FAN${i} drifting`, 1_000 + i),
  sensor: `FAN${i}`,
  cleared,
});

describe("alert cap per host", () => {
  it("alerts - retires the oldest cleared alert at the cap, then drops new agent alerts, and counts both", async () => {
    const store = await openStore(env.nc, silentLogger);
    await store.load();
    const metrics = controllerMetrics();
    const book = new AlertBook(store.alerts, env.nc, { maxPerHost: 3, metrics, log: silentLogger });
    const dropped = (reason: string) => metrics.get("presage_alerts_dropped_total", { reason });

    expect(book.save(agentAlert("h1", 1, true))).toBe(true);
    expect(book.save(agentAlert("h1", 2, true))).toBe(true);
    expect(book.save(agentAlert("h1", 3))).toBe(true);
    await store.flush();
    // a fourth: the oldest cleared alert (1) goes, from KV too
    expect(book.save(agentAlert("h1", 4))).toBe(true);
    await store.flush();
    expect(store.alerts.has("ev-h1-1")).toBe(false);
    const kv = store.alerts.kv;
    expect(await kv.get("ev-h1-1").then((e) => e?.operation)).not.toBe("PUT");
    expect(await dropped("retired")).toBe(1);
    // updating an alert the host already has needs no room
    expect(book.save({ ...agentAlert("h1", 3), reason: "still drifting" })).toBe(true);
    expect(await dropped("retired")).toBe(1);

    expect(book.save(agentAlert("h1", 5))).toBe(true); // retires 2, the last cleared one
    expect(book.save(agentAlert("h1", 6))).toBe(false); // 3, 4, 5 are open: not stored
    expect(store.alerts.has("ev-h1-6")).toBe(false);
    expect(await dropped("host_cap")).toBe(1);
    expect(book.save(controllerAlert("ctl-lost-h1", "h1", Severity.Critical, "heartbeats lost", 2_000))).toBe(true);
    expect(
      book
        .openOf("h1")
        .map((a) => a.id)
        .sort(),
    ).toEqual(["ctl-lost-h1", "ev-h1-3", "ev-h1-4", "ev-h1-5"]);
    // another host has its own room
    expect(book.save(agentAlert("h2", 1))).toBe(true);
    await store.flush();

    // a new book over the reloaded bucket sees the same alerts
    await store.load();
    expect(store.alerts.size).toBe(5);
    const again = new AlertBook(store.alerts, env.nc, { maxPerHost: 3, metrics, log: silentLogger });
    expect(again.openOf("h1")).toHaveLength(4);
  });
});
