/** deploy/grafana: the boards are scripts/grafana-boards.mjs's output, with units and the variables people expect. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script without types
import { renderBoards } from "../../scripts/grafana-boards.mjs";

type Panel = {
  title: string;
  fieldConfig: { defaults: { unit?: string } };
  datasource: { uid: string };
  targets: { expr: string }[];
};
type Board = { uid: string; templating: { list: { name: string }[] }; panels: Panel[] };

const dir = join(import.meta.dirname, "../../deploy/grafana");
const rendered = renderBoards() as Record<string, string>;
const boards = Object.keys(rendered).map((f) => [f, JSON.parse(readFileSync(join(dir, f), "utf8")) as Board] as const);

describe("deploy/grafana", () => {
  it("grafana - fleet, host and controller boards, as the generator writes them", () => {
    expect(Object.keys(rendered).sort()).toEqual([
      "presage-controller.json",
      "presage-fleet.json",
      "presage-host.json",
    ]);
    for (const [f, b] of boards) expect(b, f).toEqual(JSON.parse(rendered[f] as string));
  });

  it("grafana - every panel has a unit and uses $datasource; the host board filters every query by $host", () => {
    for (const [f, b] of boards) {
      expect(
        b.templating.list.map((v) => v.name),
        f,
      ).toContain("datasource");
      for (const p of b.panels) {
        expect(p.fieldConfig.defaults.unit, `${f}: ${p.title}`).toMatch(/\w/);
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax
        expect(p.datasource.uid).toBe("${datasource}");
        expect(p.targets.length).toBeGreaterThan(0);
      }
    }
    const host = boards.find(([f]) => f === "presage-host.json")?.[1] as Board;
    expect(host.templating.list.map((v) => v.name)).toContain("host");
    for (const p of host.panels) for (const t of p.targets) expect(t.expr, p.title).toContain('host=~"$host"');
  });
});
