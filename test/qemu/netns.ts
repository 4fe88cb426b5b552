/**
 * Network namespaces as test "hosts": a veth pair from the root namespace into a fresh namespace, on a
 * random /24 under 10.200-250.x, with unique names per test run. Needs root (CAP_NET_ADMIN).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { randomInt } from "node:crypto";

export type NetnsHost = {
  ns: string;
  /** address of the root-namespace end */
  rootAddr: string;
  /** address inside the namespace */
  nsAddr: string;
  /** the root-namespace end of the veth pair */
  rootDev: string;
  /** cut or restore the link (as a pulled cable would) */
  setLink(up: boolean): void;
  remove(): void;
};

const ip = (...args: string[]) => execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });

/** Why namespaces cannot be used here, or null when they can. */
export function netnsUnavailable(): string | null {
  if (process.getuid?.() !== 0) return "network namespaces need root";
  const r = spawnSync("ip", ["netns", "list"]);
  if (r.error || r.status !== 0) return `'ip netns' does not work here: ${r.error?.message ?? r.stderr}`;
  return null;
}

export function createNetnsHost(tag: string): NetnsHost {
  const id = `${tag}${randomInt(1e6).toString(36)}`.slice(0, 9);
  const ns = `pz${id}`;
  const rootDev = `pz${id}a`;
  const nsDev = `pz${id}b`;
  const net = `10.${200 + randomInt(50)}.${randomInt(250)}`;
  const h: NetnsHost = {
    ns,
    rootAddr: `${net}.1`,
    nsAddr: `${net}.2`,
    rootDev,
    setLink(up) {
      ip("link", "set", rootDev, up ? "up" : "down");
    },
    remove() {
      spawnSync("ip", ["netns", "del", ns]); // also removes the veth pair
      spawnSync("ip", ["link", "del", rootDev]);
    },
  };
  try {
    ip("netns", "add", ns);
    ip("link", "add", rootDev, "type", "veth", "peer", "name", nsDev);
    ip("link", "set", nsDev, "netns", ns);
    ip("addr", "add", `${h.rootAddr}/24`, "dev", rootDev);
    ip("link", "set", rootDev, "up");
    ip("-n", ns, "addr", "add", `${h.nsAddr}/24`, "dev", nsDev);
    ip("-n", ns, "link", "set", nsDev, "up");
    ip("-n", ns, "link", "set", "lo", "up");
  } catch (e) {
    h.remove();
    throw e;
  }
  return h;
}
