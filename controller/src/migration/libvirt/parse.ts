/** What libvirt hosts and `virsh` say, as data: host specs, domstats and key: value parsers, domain states. */
import { type Check, check, PresageError } from "@presage/shared";

export type LibvirtHostSpec = {
  name: string;
  /** libvirt connection URI, e.g. qemu+ssh://root@h1/system or qemu:///system */
  uri: string;
  /** where the migration stream goes, e.g. tcp://10.0.0.2 (virsh --migrateuri); null: libvirt decides */
  migrateUri?: string | null;
  /** override what `virsh nodeinfo` reports */
  cpuCapacity?: number | null;
  memoryMiB?: number | null;
  rack?: string | null;
};

export const libvirtHostCheck: Check = check.obj({
  name: check.host(),
  uri: check.str({ min: 1, max: 1000 }),
  migrateUri: check.optional(check.nullable(check.str({ min: 1, max: 1000 }))),
  cpuCapacity: check.optional(check.nullable(check.num({ min: 0 }))),
  memoryMiB: check.optional(check.nullable(check.num({ min: 0 }))),
  rack: check.optional(check.nullable(check.str({ max: 128 }))),
});

export type DomStat = { name: string; state: number; memoryMiB: number; vcpus: number };

/** virDomainState values where the domain is the VM (running, blocked, paused, pmsuspended). */
export const OWNER = new Set([1, 2, 3, 7]);
export const RUNNING = new Set([1, 2]);
export const PAUSED = 3;

export class VirshError extends PresageError {
  constructor(message: string) {
    super("virsh", message);
    this.name = "VirshError";
  }
}

/** Parse `virsh domstats --raw` output: "Domain: 'x'" then indented key=value lines. */
export function parseDomstats(text: string): DomStat[] {
  const out: DomStat[] = [];
  let cur: DomStat | null = null;
  for (const line of text.split("\n")) {
    const d = /^Domain: '(.*)'$/.exec(line.trim());
    if (d) {
      cur = { name: d[1] as string, state: 0, memoryMiB: 0, vcpus: 0 };
      out.push(cur);
      continue;
    }
    const kv = /^\s*([\w.]+)=(.*)$/.exec(line);
    if (!cur || !kv) continue;
    const v = Number(kv[2]);
    if (kv[1] === "state.state") cur.state = v;
    else if (kv[1] === "balloon.maximum") cur.memoryMiB = Math.round(v / 1024);
    else if (kv[1] === "vcpu.current") cur.vcpus = v;
  }
  return out;
}

/** Parse `key: value` lines (domjobinfo --rawstats, nodeinfo). */
export function parseColonLines(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split("\n")) {
    const i = line.indexOf(":");
    if (i > 0) m.set(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  return m;
}
