import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createReadingParser } from "../../src/reading-fast-parse.js";

const text = fc.oneof(
  fc.constantFrom("FAN1", "Fan 1A Tach", "CPU1 Temp", 'q"uote', "back\\slash", "tab\there", "ünï", "\u2028", ""),
  fc.string({ maxLength: 20, unit: "binary" }),
);
const num = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(0, -0, 1e21, 5e-324, 12.06, 1.7976931348623157e308));
const reading = fc.record(
  {
    ts: fc.oneof(fc.integer({ min: 0, max: 2 ** 45 }), num),
    host: text,
    sensor: text,
    type: fc.oneof(fc.constantFrom("fan", "temperature", "voltage"), text),
    unit: text,
    value: fc.oneof(fc.constant(null), num, text),
    status: text,
    thresholds: fc.oneof(
      fc.record({ lcr: fc.oneof(num, fc.constant(null)), ucr: num, x: fc.oneof(text, num) }, { requiredKeys: [] }),
      fc.array(fc.integer(), { maxLength: 2 }),
      fc.constant(null),
    ),
    extra: text,
  },
  { requiredKeys: ["ts", "host", "sensor", "type", "unit", "value"] },
);

/** lines as agents write them: contract field order, the fast path's case */
const usual = fc.record(
  {
    ts: fc.integer({ min: 0, max: 2 ** 45 }),
    host: fc.constantFrom("h1", "r00-u01"),
    sensor: text,
    type: fc.constantFrom("fan", "temperature"),
    unit: fc.constantFrom("RPM", "%", "C"),
    value: fc.oneof(fc.constant(null), num),
    status: fc.constantFrom("ok", "lcr"),
    thresholds: fc.record({ lcr: fc.oneof(num, fc.constant(null)), ucr: num }, { requiredKeys: [] }),
  },
  { requiredKeys: ["ts", "host", "sensor", "type", "unit", "value"] },
);

describe("replay's fast reading parser", () => {
  it("either declines a line or gives exactly what JSON.parse gives", () => {
    const parse = createReadingParser();
    let fast = 0;
    fc.assert(
      fc.property(fc.oneof(reading, usual), fc.boolean(), (r, spaced) => {
        const line = spaced ? JSON.stringify(r, null, 1).replace(/\n/g, " ") : JSON.stringify(r);
        const got = parse(line);
        if (got !== undefined) {
          fast++;
          expect(got).toStrictEqual(JSON.parse(line));
        }
      }),
      { numRuns: 20_000 },
    );
    expect(fast).toBeGreaterThan(1_000); // the fast path is taken, not always declined
  });

  it("declines what is not a reading line in contract order", () => {
    const parse = createReadingParser();
    for (const line of [
      '{"ts":1,"host":"h"}',
      "not json",
      '{"host":"h","ts":1,"sensor":"s","type":"fan","unit":"RPM","value":1}',
      '{"ts":01,"host":"h","sensor":"s","type":"fan","unit":"RPM","value":1}',
      '{"ts":1,"host":"h","sensor":"s","type":"fan","unit":"RPM","value":1,"thresholds":{"lcr":1e}}',
    ])
      expect(parse(line)).toBeUndefined();
    expect(
      parse(
        '{"ts":1,"host":"h","sensor":"s","type":"fan","unit":"RPM","value":-2.5e3,"status":"ok","thresholds":{"lcr":null,"ucr":9}}',
      ),
    ).toStrictEqual({
      ts: 1,
      host: "h",
      sensor: "s",
      type: "fan",
      unit: "RPM",
      value: -2500,
      status: "ok",
      thresholds: { lcr: null, ucr: 9 },
    });
  });
});
