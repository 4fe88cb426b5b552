import { statusView } from "@presage/cli/internal";
import type { OpsReplies } from "@presage/shared";
import { describe, expect, it } from "vitest";

const v = { style: { color: false }, now: 0 };
const status = (brake: OpsReplies["status"]["brake"]): OpsReplies["status"] => ({
  controller: "ctl-a",
  leader: true,
  mode: "automatic",
  hostsByState: { healthy: 10, degraded: 3 },
  vms: 40,
  activeMigrations: 0,
  brake,
});

describe("cli status rendering", () => {
  it("render - a cooling incident's held hosts and how to release them; an older controller's reply still renders", () => {
    const out = statusView(
      v,
      status({
        engaged: true,
        inRemediation: 0,
        limit: 3,
        waiting: [],
        held: ["h10", "h11", "h12"],
        incidents: [{ id: "ctl-cooling-rack-1-5", scope: "rack-1", hosts: ["h10", "h11", "h12"], acked: false }],
      }),
    );
    expect(out).toMatch(/brake: +ENGAGED \(0\/3 hosts in remediation; held: h10, h11, h12\)/);
    expect(out).toMatch(
      /incident: +ctl-cooling-rack-1-5 3 host\(s\) of rack-1 too hot at once .*presage ack ctl-cooling-rack-1-5/,
    );
    const old = statusView(v, status({ engaged: false, inRemediation: 0, limit: 3, waiting: [] }));
    expect(old).toMatch(/brake: +released \(0\/3 hosts in remediation\)$/);
  });
});
