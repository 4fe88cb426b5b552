import { readingCheck } from "@presage/shared";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createReadingChecker } from "../../src/reading-fast-check.js";

/** Readings that are mostly valid, with every field sometimes wrong in the ways a bad trace gets it wrong. */
const odd = fc.oneof(fc.constant(undefined), fc.constant(null), fc.string(), fc.double(), fc.integer(), fc.boolean());
const field = <T>(good: fc.Arbitrary<T>) => fc.oneof({ weight: 4, arbitrary: good }, { weight: 1, arbitrary: odd });
const reading = fc.record(
  {
    ts: field(fc.integer({ min: -5, max: 2 ** 45 })),
    host: field(fc.constantFrom("h1", "rack-2_b", "bad host", "", "x".repeat(129))),
    sensor: field(fc.string({ maxLength: 260 })),
    type: field(fc.constantFrom("fan", "temperature", "voltage", "power", "Fan")),
    unit: field(fc.string({ maxLength: 70 })),
    value: field(fc.oneof(fc.constant(null), fc.double())),
    status: field(fc.string({ maxLength: 70 })),
    state: field(fc.string({ maxLength: 260 })),
    thresholds: field(
      fc.oneof(
        fc.record({ lcr: field(fc.double()), ucr: field(fc.double()), extra: odd }, { requiredKeys: [] }),
        fc.array(fc.integer(), { maxLength: 2 }),
      ),
    ),
    // the contract ignores unknown fields
    extra: odd,
  },
  { requiredKeys: [] },
);

describe("replay's fast reading check", () => {
  it("accepts and rejects exactly what readingCheck does, with the same message", () => {
    const fast = createReadingChecker();
    fc.assert(
      fc.property(fc.oneof({ weight: 9, arbitrary: reading }, { weight: 1, arbitrary: fc.anything() }), (v) => {
        // twice: the second call takes the remembered-host path
        expect(fast(v)).toBe(readingCheck(v, ""));
        expect(fast(v)).toBe(readingCheck(v, ""));
      }),
      { numRuns: 3000 },
    );
  });
});
