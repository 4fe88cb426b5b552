/**
 * Where a QEMU "host" lives and how to start a QEMU there. A host is either this machine or a network
 * namespace on it (`ip netns exec NS qemu ...`: tests and one-machine demos). Each VM process is named by
 * files under `<stateDir>/hosts/<host>/`: `<vm>.qmp` (QMP socket), `<vm>.pid`, `<vm>.log`. QEMUs are
 * started detached, so they outlive a controller that is killed, as VMs outlive a real hypervisor's
 * management process.
 */
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type Check, check } from "@presage/shared";

export type QemuHostSpec = {
  name: string;
  cpuCapacity: number;
  memoryMiB: number;
  /** address the migration stream connects to on this host (the target listens on it) */
  address: string;
  /** run this host's QEMUs inside this network namespace; null/absent: the root namespace */
  netns?: string | null;
  rack?: string | null;
};

/** A VM's definition: the target of a migration is started with exactly the same devices. */
export type QemuVmSpec = {
  id: string;
  memoryMiB: number;
  vcpus: number;
  /** multiboot image or kernel for `-kernel`; null: no boot device (the BIOS idles) */
  kernel?: string | null;
  /** extra QEMU arguments, identical on source and target */
  extraArgs?: string[];
};

const VM_ID_RE = /^[A-Za-z0-9_.-]{1,64}$/;

export function vmIdError(id: string): string | null {
  return VM_ID_RE.test(id) && id !== "." && id !== ".."
    ? null
    : `invalid VM id ${JSON.stringify(id)}: use 1-64 letters, digits, '.', '-' or '_' (it names files and a QEMU -name)`;
}

export const qemuHostCheck: Check = check.obj({
  name: check.host(),
  cpuCapacity: check.num({ min: 0 }),
  memoryMiB: check.num({ min: 0 }),
  address: check.str({ min: 1, max: 255 }),
  netns: check.optional(check.nullable(check.str({ min: 1, max: 64 }))),
  rack: check.optional(check.nullable(check.str({ max: 128 }))),
});

export type VmFiles = { qmp: string; pid: string; log: string };

export class QemuHost {
  readonly spec: QemuHostSpec;
  readonly dir: string;
  constructor(spec: QemuHostSpec, stateDir: string) {
    this.spec = spec;
    this.dir = join(stateDir, "hosts", spec.name);
    mkdirSync(this.dir, { recursive: true });
  }

  get name(): string {
    return this.spec.name;
  }

  files(vmId: string): VmFiles {
    const base = join(this.dir, vmId);
    return { qmp: `${base}.qmp`, pid: `${base}.pid`, log: `${base}.log` };
  }

  /** A namespace host is up while its namespace exists; the local host always is. */
  isUp(): boolean {
    return this.spec.netns ? existsSync(join("/run/netns", this.spec.netns)) : true;
  }

  /** The pid QEMU wrote for this VM, if that process still exists. */
  livePid(vmId: string): number | null {
    try {
      const pid = Number(readFileSync(this.files(vmId).pid, "utf8").trim());
      if (!Number.isInteger(pid) || pid <= 0) return null;
      process.kill(pid, 0);
      return pid;
    } catch {
      return null;
    }
  }

  /** Start a detached QEMU for `vm` on this host; returns its pid. */
  launch(qemuBin: string, args: string[], vmId: string): number {
    const f = this.files(vmId);
    const log = openSync(f.log, "a");
    try {
      const cmd = this.spec.netns ? ["ip", "netns", "exec", this.spec.netns, qemuBin, ...args] : [qemuBin, ...args];
      const child = spawn(cmd[0] as string, cmd.slice(1), { detached: true, stdio: ["ignore", log, log] });
      child.on("error", () => {}); // a missing binary shows up as a QMP connect failure with the log to read
      child.unref();
      return child.pid ?? -1;
    } finally {
      closeSync(log);
    }
  }
}

/** The QEMU command line for a VM on a host; the target of a migration adds `-incoming defer`. */
export function qemuArgs(o: { vm: QemuVmSpec; files: VmFiles; accel: string; incoming: boolean }): string[] {
  const a = [
    "-name",
    `${o.vm.id},process=presage-${o.vm.id}`,
    "-machine",
    `pc,accel=${o.accel}`,
    "-m",
    String(o.vm.memoryMiB),
    "-smp",
    String(o.vm.vcpus),
    "-nodefaults",
    "-display",
    "none",
    "-serial",
    "none",
    "-monitor",
    "none",
    "-qmp",
    `unix:${o.files.qmp},server=on,wait=off`,
    "-pidfile",
    o.files.pid,
  ];
  if (o.vm.kernel) a.push("-kernel", o.vm.kernel);
  if (o.vm.extraArgs) a.push(...o.vm.extraArgs);
  if (o.incoming) a.push("-incoming", "defer");
  return a;
}
