import { PassThrough, Readable, Writable } from "node:stream";
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
    expect(res).toEqual({ readings: 3, events: 0, skipped: 5, late: 0 });
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

  it("streams: events of a live pipe come out before the input ends, in time order", async () => {
    const lines = trace().trim().split("\n");
    const input = new PassThrough();
    const out = sink();
    const done = runReplay({ input, output: out.stream, errors: sink().stream });
    // feed the first 20 h (the fan stop at 10 h), then keep the pipe open
    const cut = lines.findIndex((l) => JSON.parse(l).ts >= T0 + 20 * HOUR);
    for (let i = 0; i < cut; i += 500) input.write(`${lines.slice(i, Math.min(i + 500, cut)).join("\n")}\n`);
    const deadline = Date.now() + 20_000;
    while (!out.text().includes('"kind":"failure"') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    const early = out.text();
    expect(early).toContain('"host":"rack1-a"');
    expect(early).toContain('"kind":"failure"');
    input.end(`${lines.slice(cut).join("\n")}\n`);
    const res = await done;
    expect(res.late).toBe(0);
    // streaming changed when events come out, not what comes out
    expect(out.text()).toBe((await replay(trace())).out);
    expect(out.text().startsWith(early)).toBe(true);
  });

  it("a host that goes silent holds output back by at most lagMs of reading time", async () => {
    const input = new PassThrough();
    const out = sink();
    const done = runReplay({ input, output: out.stream, errors: sink().stream, lagMs: 30 * 60_000 });
    const at = (i: number) => T0 + i * 60_000;
    // "quiet" reports once and falls silent; "busy" has four fans and loses one after 2 h
    input.write(
      `${JSON.stringify({ ts: at(0), host: "quiet", sensor: "FAN1", type: "fan", unit: "RPM", value: 5_000 })}\n`,
    );
    for (let i = 0; i < 400; i++) {
      const rows = [1, 2, 3, 4].map((f) =>
        JSON.stringify({
          ts: at(i),
          host: "busy",
          sensor: `FAN${f}`,
          type: "fan",
          unit: "RPM",
          value: f === 1 && i >= 120 ? 0 : 5_000 + ((i * f) % 7) * 10,
        }),
      );
      input.write(`${rows.join("\n")}\n`);
    }
    const deadline = Date.now() + 20_000;
    while (!out.text().includes('"kind":"failure"') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    expect(out.text()).toContain('"host":"busy"');
    input.end();
    await done;
  });
});
