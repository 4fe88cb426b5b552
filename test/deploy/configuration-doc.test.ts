/** docs/configuration.md lists every config key of the agent and the controller with the code's default. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AGENT_DEFAULTS } from "../../agent/src/config.js";
import { DEFAULT_DETECT_CONFIG, DETECT_PROFILES } from "../../agent/src/detect/config.js";
import { defaultControllerConfig } from "../../controller/src/config.js";

const doc = readFileSync(join(import.meta.dirname, "../../docs/configuration.md"), "utf8");
/** key -> default as the doc's table states it */
const rows = new Map([...doc.matchAll(/^\| `([\w.]+)` \| `(.*?)` \|/gm)].map((m) => [m[1] as string, m[2] as string]));

function flat(o: object, prefix = "", out: [string, unknown][] = []): [string, unknown][] {
  for (const [k, v] of Object.entries(o)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length) flat(v, key, out);
    else out.push([key, v]);
  }
  return out;
}
/** defaults computed from the machine (host name, pid) are described, not quoted */
const COMPUTED = new Set(["host", "name"]);

describe("docs/configuration.md", () => {
  it.each([
    ["agent", flat(AGENT_DEFAULTS)],
    ["detection", flat(DEFAULT_DETECT_CONFIG, "detect")],
    ["controller", flat(defaultControllerConfig())],
  ])("documents every %s key with its default", (_what, keys) => {
    const wrong = keys
      .filter(([k, v]) => !rows.has(k) || (!COMPUTED.has(k) && rows.get(k) !== JSON.stringify(v)))
      .map(([k, v]) => `${k}: doc ${rows.get(k) ?? "missing"}, code ${JSON.stringify(v)}`);
    expect(wrong).toEqual([]);
  });
  it("lists the lab profile's values", () => {
    for (const [k, v] of Object.entries(DETECT_PROFILES.lab)) expect(doc).toContain(`| \`detect.${k}\` | \`${v}\` |`);
  });
});
