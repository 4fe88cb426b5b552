import { ago, duration, paint, parseWhen, sparkline, table, visibleLength } from "@presage/cli/internal";
import { describe, expect, it } from "vitest";

describe("cli format", () => {
  it("format - sparkline scales between min and max, blanks for missing readings", () => {
    expect(sparkline([9000, 8500, 8000, 7200, null, 6100, 5200])).toBe("█▇▆▅ ▃▁");
    expect(sparkline([3, 3, 3])).toBe("▄▄▄");
    expect(sparkline([null, null])).toBe("");
    expect(sparkline([])).toBe("");
  });

  it("format - table pads every column but the last, and measures without colour codes", () => {
    const out = table(
      { color: true },
      ["HOST", "STATE", "REASON"],
      [
        ["h1", paint({ color: true }, "green", "healthy"), ""],
        ["host-0002", "quarantined", "FAN3 fell"],
      ],
    );
    const lines = out.split("\n");
    expect(lines.map(visibleLength)).toEqual([30, 18, 33]);
    expect(lines[2]).toBe("host-0002  quarantined  FAN3 fell");
    expect(table({ color: false }, ["A"], [])).toBe("");
  });

  it("format - colour only when the style asks for it", () => {
    expect(paint({ color: false }, "red", "failed")).toBe("failed");
    expect(paint({ color: true }, "red", "failed")).toBe("\u001b[31mfailed\u001b[39m");
    expect(paint({ color: true }, null, "x")).toBe("x");
  });

  it("format - durations and relative times a person reads", () => {
    expect(duration(42_000)).toBe("42s");
    expect(duration(5 * 60_000)).toBe("5m");
    expect(duration(3 * 3_600_000 + 12 * 60_000)).toBe("3h12m");
    expect(duration(52 * 3_600_000)).toBe("2d4h");
    expect(ago(1_000, 61_000)).toBe("1m ago");
    expect(ago(null, 0)).toBe("-");
  });

  it("format - parseWhen takes delays, ISO times and epoch ms, and nothing else", () => {
    const now = Date.UTC(2026, 10, 25, 12, 0, 0);
    expect(parseWhen("90m", now)).toBe(now + 90 * 60_000);
    expect(parseWhen("2h", now)).toBe(now + 7_200_000);
    expect(parseWhen("1.5d", now)).toBe(now + 129_600_000);
    expect(parseWhen("2026-11-26T02:00Z", now)).toBe(Date.UTC(2026, 10, 26, 2, 0));
    expect(parseWhen("1795632395843", now)).toBe(1_795_632_395_843);
    expect(parseWhen("soonish", now)).toBeNull();
    expect(parseWhen("-2h", now)).toBeNull();
  });
});
