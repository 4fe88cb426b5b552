/** What libvirt hosts and `virsh` say, as data: host specs, domstats and key: value parsers, domain states. */
import { HostName, PresageError, type Static, Strict, Type } from "@presage/shared";
import { Count, Rack } from "../engine.js";

const NumOrNull = () => Type.Optional(Type.Union([Count(), Type.Null()]));

/** A host as the engine config lists it (Strict, like the rest of the config). */
export const LibvirtHostSpecSchema = Strict({
  name: HostName(),
  /** libvirt connection URI, e.g. qemu+ssh://root@h1/system or qemu:///system */
  uri: Type.String({ minLength: 1, maxLength: 1000 }),
  /** where the migration stream goes, e.g. tcp://10.0.0.2 (virsh --migrateuri); null: libvirt decides */
  migrateUri: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 1000 }), Type.Null()])),
  /** override what `virsh nodeinfo` reports */
  cpuCapacity: NumOrNull(),
  memoryMiB: NumOrNull(),
  rack: Rack(),
});
export type LibvirtHostSpec = Static<typeof LibvirtHostSpecSchema>;

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
