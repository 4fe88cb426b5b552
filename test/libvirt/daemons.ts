/**
 * Two libvirt "hosts" on one machine (docs/migration.md, recipe libvirt.md): the root namespace's libvirtd
 * (reused if already running, else started and later stopped) and a second libvirtd in its own network,
 * mount and UTS namespace with private /run and /var/lib/libvirt, a different hostname and host UUID.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { randomInt, randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export type LibvirtPair = {
  uriA: string;
  uriB: string;
  /** where migrations into B connect, and into A */
  migrateUriB: string;
  migrateUriA: string;
  stop(): void;
};

const HOSTB_SCRIPT = `#!/bin/sh
set -e
B=$1
mount --make-rprivate /
for d in /run/libvirt /var/lib/libvirt /var/log/libvirt /var/cache/libvirt /etc/libvirt; do
  mkdir -p $B$d; cp -a $d/. $B$d/ 2>/dev/null || true
done
rm -rf $B/run/libvirt/* $B/var/lib/libvirt/qemu/domain-* $B/var/log/libvirt/qemu/* $B/etc/libvirt/qemu/*.xml
echo "host_uuid = \\"$2\\"" >> $B/etc/libvirt/libvirtd.conf
echo 'cgroup_controllers = [ ]' >> $B/etc/libvirt/qemu.conf
mount -t tmpfs tmpfs /run; mkdir -p /run/libvirt /run/lock
for d in /run/libvirt /var/lib/libvirt /var/log/libvirt /var/cache/libvirt /etc/libvirt; do mount --bind $B$d $d; done
hostname $3
ip link set lo up
virtlogd -d
libvirtd -d
`;

export function libvirtUnavailable(): string | null {
  if (process.getuid?.() !== 0) return "two libvirt daemons need root (namespaces, /run/libvirt)";
  for (const bin of ["libvirtd", "virtlogd", "virsh", "unshare"])
    if (spawnSync("sh", ["-c", `command -v ${bin}`]).status !== 0) return `${bin} is not installed`;
  return null;
}

const virshOk = (uri: string) => spawnSync("virsh", ["-c", uri, "hostname"], { timeout: 10_000 }).status === 0;

function waitFor(what: string, f: () => boolean, ms = 30_000): void {
  const t0 = Date.now();
  while (!f()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    spawnSync("sleep", ["0.2"]);
  }
}

/**
 * Run libvirtd (and virtlogd) in network namespace `ns` with private state under `root` (HOSTB_SCRIPT), its own
 * hostname and host UUID. Returns its connection URI (the socket under `root`); the daemon may not answer yet.
 */
export function startNamespacedLibvirtd(ns: string, root: string, hostname: string): string {
  const script = `${root}.sh`;
  writeFileSync(script, HOSTB_SCRIPT);
  execFileSync("ip", [
    "netns",
    "exec",
    ns,
    "unshare",
    "--mount",
    "--uts",
    "--",
    "sh",
    script,
    root,
    randomUUID(),
    hostname,
  ]);
  return `qemu+unix:///system?socket=${join(root, "run", "libvirt", "libvirt-sock")}`;
}

export function startLibvirtPair(): LibvirtPair {
  const uriA = "qemu:///system";
  const startedA: number[] = [];
  if (!virshOk(uriA)) {
    execFileSync("virtlogd", ["-d"]);
    execFileSync("libvirtd", ["-d"]);
    waitFor("root libvirtd", () => virshOk(uriA));
    for (const f of ["/run/libvirtd.pid", "/run/virtlogd.pid"])
      if (existsSync(f)) startedA.push(Number(readFileSync(f, "utf8").trim()));
  }
  const id = randomInt(1e6).toString(36);
  const ns = `pzlv${id}`;
  const devA = `pzlv${id}a`;
  const net = `10.${200 + randomInt(50)}.${randomInt(250)}`;
  const dir = mkdtempSync("/tmp/pzlv");
  const stop = () => {
    const pids = spawnSync("ip", ["netns", "pids", ns]).stdout?.toString().split(/\s+/).filter(Boolean) ?? [];
    for (const p of pids) spawnSync("kill", ["-9", p]);
    spawnSync("ip", ["netns", "del", ns]);
    spawnSync("ip", ["link", "del", devA]);
    for (const p of startedA) spawnSync("kill", [String(p)]);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const ip = (...a: string[]) => execFileSync("ip", a);
    ip("netns", "add", ns);
    ip("link", "add", devA, "type", "veth", "peer", "name", `pzlv${id}b`);
    ip("link", "set", `pzlv${id}b`, "netns", ns);
    ip("addr", "add", `${net}.1/24`, "dev", devA);
    ip("link", "set", devA, "up");
    ip("-n", ns, "addr", "add", `${net}.2/24`, "dev", `pzlv${id}b`);
    ip("-n", ns, "link", "set", `pzlv${id}b`, "up");
    const uriB = startNamespacedLibvirtd(ns, join(dir, "b"), `hostb-${id}`);
    waitFor("namespaced libvirtd", () => virshOk(uriB));
    return { uriA, uriB, migrateUriB: `tcp://${net}.2`, migrateUriA: `tcp://${net}.1`, stop };
  } catch (e) {
    stop();
    throw e;
  }
}
