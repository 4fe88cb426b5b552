import { Readable, Writable } from "node:stream";
import { parseEvent } from "@presage/shared";
import { describe, expect, it } from "vitest";
import { runReplay } from "../../src/replay.js";
import { createHostModel } from "../../src/sim/host.js";

const T0 = 1_700_000_000_000;
const HOUR = 3_600_000;

function sink(): { stream: Writable; text: () => string } {
  const parts: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      parts.push(chunk.toString());
      cb();
    },
  });
  return { stream, text: () => parts.join("") };
}

/** Two hosts interleaved, one with a fan that stops and one with a fan that wears out. */
function trace(): string {
  const a = createHostModel({ host: "rack1-a", seed: 11, vendor: "dell" });
  const b = createHostModel({ host: "rack1-b", seed: 12, vendor: "supermicro" });
  a.injectFault({ kind: "fan-stop", fan: 0, start: T0 + 10 * HOUR });
  b.injectFault({ kind: "fan-wear", fan: 2, start: T0 + 4 * HOUR, durationMs: 30 * HOUR });
  const lines: string[] = [];
  for (let ts = T0; ts < T0 + 40 * HOUR; ts += 60_000)
    for (const h of [a, b]) for (const r of h.sample(ts)) lines.push(JSON.stringify(r));
  return `${lines.join("\n")}\n`;
}

async function replay(text: string) {
  const out = sink();
  const err = sink();
  const res = await runReplay({ input: Readable.from([text]), output: out.stream, errors: err.stream });
  return { res, out: out.text(), err: err.text() };
}

describe("replay", () => {
  it("same input gives byte-identical events, in time order, valid per the contract", async () => {
    const text = trace();
    const first = await replay(text);
    const second = await replay(text);
    expect(second.out).toBe(first.out);
    const events = first.out
      .trim()
      .split("\n")
      .map((l) => parseEvent(l));
    expect(events.every((e) => e.ok)).toBe(true);
    const ok = events.flatMap((e) => (e.ok ? [e.value] : []));
    expect(ok.map((e) => e.ts)).toEqual([...ok.map((e) => e.ts)].sort((x, y) => x - y));
    expect(ok.some((e) => e.host === "rack1-a" && e.severity === "critical" && e.kind === "failure")).toBe(true);
    expect(ok.some((e) => e.host === "rack1-b" && e.severity === "critical" && e.kind === "degradation")).toBe(true);
    expect(first.res).toMatchObject({ skipped: 0, events: ok.length });
    expect(first.res.readings).toBe(text.trim().split("\n").length);
    expect(first.err).toBe("");
  });

  it("reports malformed lines with their number on stderr, counts and skips them, and goes on", async () => {
    const good = (ts: number, v: number) =>
      JSON.stringify({ ts, host: "h1", sensor: "FAN1", type: "fan", unit: "RPM", value: v });
    const lines = [
      good(T0, 5_000),
      "{not json",
      JSON.stringify({ ts: T0, host: "bad host!", sensor: "FAN1", type: "fan", unit: "RPM", value: 1 }),
      JSON.stringify({ ts: T0, host: "h1", sensor: "FAN1", type: "fan", unit: "RPM" }),
      "",
      good(T0 + 60_000, 5_000),
      good(T0, 5_000),
      "[1,2,3]",
      good(T0 + 120_000, 5_000),
    ];
    const { res, err } = await replay(lines.join("\r\n"));
    expect(res).toEqual({ readings: 3, events: 0, skipped: 5 });
    const reported = err.trim().split("\n");
    expect(reported.map((l) => l.split(":")[0])).toEqual(["line 2", "line 3", "line 4", "line 7", "line 8"]);
    expect(reported[1]).toMatch(/host/);
    expect(reported[2]).toMatch(/value/);
    expect(reported[3]).toMatch(/back in time/);
  });

  it("handles lines split across chunks", async () => {
    const text = trace();
    const whole = await replay(text);
    const out = sink();
    const chunks: string[] = [];
    for (let i = 0; i < text.length; i += 777) chunks.push(text.slice(i, i + 777));
    const res = await runReplay({ input: Readable.from(chunks), output: out.stream, errors: sink().stream });
    expect(res).toEqual(whole.res);
    expect(out.text()).toBe(whole.out);
  });
});
