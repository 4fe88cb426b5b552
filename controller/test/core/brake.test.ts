import { type HostState, HostState as S } from "@presage/shared";
import { describe, expect, it } from "vitest";
import { applyBrake, brakeLimit } from "../../src/brake.js";

const fleet = (n: number, sick: Record<string, HostState> = {}) =>
  new Map<string, HostState>(Array.from({ length: n }, (_, i) => [`h${i}`, sick[`h${i}`] ?? S.Healthy]));

describe("brake", () => {
  it("brake - the limit is the smaller of N hosts and P% of the fleet, never below one", () => {
    expect(brakeLimit({ maxHosts: 3, maxPercent: 20 }, 100)).toBe(3);
    expect(brakeLimit({ maxHosts: 3, maxPercent: 20 }, 10)).toBe(2);
    expect(brakeLimit({ maxHosts: 3, maxPercent: 20 }, 3)).toBe(1);
  });

  it("brake - a room cooling burst admits only up to the limit, the rest wait in order", () => {
    const candidates = Array.from({ length: 30 }, (_, i) => `h${i}`);
    const { admit, status } = applyBrake({ maxHosts: 3, maxPercent: 20 }, fleet(100), candidates);
    expect(admit).toEqual(["h0", "h1", "h2"]);
    expect(status).toMatchObject({ engaged: true, inRemediation: 0, limit: 3 });
    expect(status.waiting).toHaveLength(27);
    expect(status.waiting[0]).toBe("h3");
  });

  it("brake - hosts already evacuating or quarantined count against the limit", () => {
    const states = fleet(100, { h50: S.Evacuating, h51: S.Quarantined });
    const { admit, status } = applyBrake({ maxHosts: 3, maxPercent: 20 }, states, ["h1", "h2"]);
    expect(admit).toEqual(["h1"]);
    expect(status).toMatchObject({ engaged: true, inRemediation: 2, waiting: ["h2"] });
  });

  it("brake - released when everything fits", () => {
    const { admit, status } = applyBrake({ maxHosts: 3, maxPercent: 20 }, fleet(100), ["h1"]);
    expect(admit).toEqual(["h1"]);
    expect(status.engaged).toBe(false);
  });
});
