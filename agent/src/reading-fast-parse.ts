/**
 * A fast path in front of JSON.parse for replay's hot loop: one compiled regular expression for the line shape
 * readings are written in (contract field order: ts, host, sensor, type, unit, value, then optional status and
 * thresholds), about twice as fast as JSON.parse on such lines. Anything else (other key order, extra fields,
 * escapes, whitespace) returns undefined and goes to JSON.parse, so what is accepted and every value stay what
 * JSON.parse gives: numbers match JSON's grammar before Number() converts them (both round the same way), and a
 * thresholds object is JSON.parse'd once per distinct text and shared, frozen. A property test holds it to that.
 */
import type { Reading } from "@presage/shared";

const NUM = "-?(?:0|[1-9]\\d*)(?:\\.\\d+)?(?:[eE][+-]?\\d+)?";
const STR = '"([^"\\\\\\u0000-\\u001f]*)"';
const LINE = new RegExp(
  `^\\{"ts":(${NUM}),"host":${STR},"sensor":${STR},"type":${STR},"unit":${STR},"value":(null|${NUM})` +
    `(?:,"status":${STR})?(?:,"thresholds":(\\{[^{}\\\\]*\\}))?\\}$`,
);

/** distinct thresholds texts seen; bounded so hostile input cannot grow it without limit */
const MAX_CACHED = 10_000;

export function createReadingParser(): (line: string) => Reading | undefined {
  const thresholds = new Map<string, Reading["thresholds"]>();
  return (line) => {
    const m = LINE.exec(line);
    if (m === null) return undefined;
    const r: Reading = {
      ts: Number(m[1]),
      host: m[2] as string,
      sensor: m[3] as string,
      type: m[4] as Reading["type"],
      unit: m[5] as string,
      value: m[6] === "null" ? null : Number(m[6]),
    };
    if (m[7] !== undefined) r.status = m[7];
    const text = m[8];
    if (text !== undefined) {
      let t = thresholds.get(text);
      if (t === undefined) {
        try {
          t = Object.freeze(JSON.parse(text)) as Reading["thresholds"];
        } catch {
          return undefined;
        }
        if (thresholds.size < MAX_CACHED) thresholds.set(text, t);
      }
      r.thresholds = t;
    }
    return r;
  };
}
