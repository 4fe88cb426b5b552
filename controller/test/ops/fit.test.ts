import { describe, expect, it } from "vitest";
import { fitReply, REPLY_HEADROOM_BYTES } from "../../src/ops/fit.js";

const limitFor = (bytes: number) => bytes + REPLY_HEADROOM_BYTES;

describe("fitReply", () => {
  it("fit - a reply under the limit is sent as it is", () => {
    const data = { hosts: [{ host: "h1" }, { host: "h2" }] };
    expect(fitReply(data, limitFor(1_000))).toBe(JSON.stringify({ ok: true, ...data }));
  });

  it("fit - cuts the largest list by as few items as needed and says how many", () => {
    const readings = Array.from({ length: 500 }, (_, i) => ({ sensor: `S${i}`, value: i }));
    const history = Object.fromEntries(readings.map((r) => [r.sensor, [1, 2, 3]]));
    const data = { host: { host: "h1" }, readings, history, audit: [{ a: 1 }] };
    const limit = 8_000;
    const text = fitReply(data, limitFor(limit)) as string;
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(limit);
    const out = JSON.parse(text) as typeof data & { truncated: Record<string, number> };
    expect(out.truncated.readings).toBe(500 - out.readings.length);
    expect(Object.keys(out.history)).toEqual(out.readings.map((r) => r.sensor));
    expect(out.audit).toEqual([{ a: 1 }]);
    // one more reading would not have fit
    const kept = readings.slice(0, out.readings.length + 1);
    const more = { ...out, readings: kept, history: Object.fromEntries(kept.map((r) => [r.sensor, [1, 2, 3]])) };
    expect(Buffer.byteLength(JSON.stringify(more))).toBeGreaterThan(limit);
  });

  it("fit - null when even empty lists do not fit", () => {
    expect(fitReply({ host: { reason: "x".repeat(5_000) }, readings: [1, 2] }, limitFor(1_000))).toBeNull();
  });
});
