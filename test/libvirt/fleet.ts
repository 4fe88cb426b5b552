/**
 * N libvirt "hosts" on one machine, none of them the root namespace's libvirtd: each runs in its own network,
 * mount and UTS namespace (startNamespacedLibvirtd, recipe libvirt.md) with its own hostname and host UUID, and all sit
 * on one test bridge, so any host can migrate to any other over TCP.
 */
import { execFile, execFileSync, spawnSync } from "node:child_process";
import { randomInt } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { startNamespacedLibvirtd } from "./daemons.js";

const execFileP = promisify(execFile);

/** Async, so a slow daemon (capability probing on a loaded machine) never blocks the test worker's event loop. */
async function waitForVirsh(what: string, uri: string, ms: number): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const ok = await execFileP("virsh", ["-c", uri, "hostname"], { timeout: 10_000 }).then(
      () => true,
      () => false,
    );
    if (ok) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export type LibvirtFleetHost = { name: string; uri: string; migrateUri: string; ns: string };
export type LibvirtFleet = { hosts: LibvirtFleetHost[]; stop(): void };

export async function startLibvirtFleet(names: string[]): Promise<LibvirtFleet> {
  const id = randomInt(36 ** 4).toString(36);
  const br = `pzf${id}br`;
  const net = `10.${200 + randomInt(50)}.${randomInt(250)}`;
  const dir = mkdtempSync("/tmp/pzlf");
  const nss = names.map((_, i) => `pzf${id}h${i}`);
  const stop = () => {
    for (const ns of nss) {
      const pids = spawnSync("ip", ["netns", "pids", ns]).stdout?.toString().split(/\s+/).filter(Boolean) ?? [];
      for (const p of pids) spawnSync("kill", ["-9", p]);
      spawnSync("ip", ["netns", "del", ns]);
    }
    for (let i = 0; i < names.length; i++) spawnSync("ip", ["link", "del", `pzf${id}h${i}a`]);
    spawnSync("ip", ["link", "del", br]);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const ip = (...a: string[]) => execFileSync("ip", a);
    ip("link", "add", "name", br, "type", "bridge");
    ip("addr", "add", `${net}.1/24`, "dev", br);
    ip("link", "set", br, "up");
    const hosts = names.map((name, i) => {
      const ns = nss[i] as string;
      const [a, b] = [`pzf${id}h${i}a`, `pzf${id}h${i}b`];
      ip("netns", "add", ns);
      ip("link", "add", a, "type", "veth", "peer", "name", b);
      ip("link", "set", b, "netns", ns);
      ip("link", "set", a, "master", br);
      ip("link", "set", a, "up");
      ip("-n", ns, "addr", "add", `${net}.${10 + i}/24`, "dev", b);
      ip("-n", ns, "link", "set", b, "up");
      const uri = startNamespacedLibvirtd(ns, join(dir, name), `${name}-${id}`);
      return { name, uri, migrateUri: `tcp://${net}.${10 + i}`, ns };
    });
    await Promise.all(hosts.map((h) => waitForVirsh(`libvirtd of ${h.name}`, h.uri, 120_000)));
    return { hosts, stop };
  } catch (e) {
    stop();
    throw e;
  }
}
