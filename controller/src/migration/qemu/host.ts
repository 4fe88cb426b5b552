/**
 * Where a QEMU "host" lives and how to start, reach and stop the QEMU of a VM there (`QemuHostOps`).
 * `LocalQemuHost` runs them on this machine, optionally inside a network namespace (`ip netns exec NS
 * qemu ...`: tests and one-machine demos); `QemuHelperClient` (host-client.ts) reaches another
 * machine's helper. Each VM process is named by files under `<stateDir>/hosts/<host>/`: `<vm>.qmp` (QMP
 * socket), `<vm>.pid`, `<vm>.log`. QEMUs are started detached, so they outlive a controller that is
 * killed, as VMs outlive a real hypervisor's management process.
 */
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { checkOf, HostName, parseJson, type Static, Strict, sleep, Type } from "@presage/shared";
import { Count, Rack } from "../engine.js";
import { QmpClient } from "./qmp-client.js";

/** A host as the engine config lists it (Strict, like the rest of the config). */
export const QemuHostSpecSchema = Strict({
  name: HostName(),
  cpuCapacity: Count(),
  memoryMiB: Count(),
  /** address the migration stream connects to on this host (the target listens on it) */
  address: Type.String({ minLength: 1, maxLength: 255 }),
  /** run this host's QEMUs inside this network namespace; null/absent: the root namespace */
  netns: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()])),
  /** reach this host through its helper over NATS (host-client.ts) instead of running QEMU here */
  helper: Type.Optional(Type.Boolean()),
  rack: Rack(),
});
export type QemuHostSpec = Static<typeof QemuHostSpecSchema>;

/**
 * A VM's definition: the target of a migration is started with exactly the same devices. It crosses NATS to a
 * host helper, so unknown keys are ignored as before (not Strict).
 */
export const QemuVmSpecSchema = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64 }),
  memoryMiB: Type.Integer({ minimum: 1 }),
  vcpus: Type.Integer({ minimum: 1 }),
  /** multiboot image or kernel for `-kernel`; null: no boot device (the BIOS idles) */
  kernel: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 1000 }), Type.Null()])),
  /** extra QEMU arguments, identical on source and target */
  extraArgs: Type.Optional(Type.Array(Type.String({ maxLength: 1000 }), { maxItems: 100 })),
});
export type QemuVmSpec = Static<typeof QemuVmSpecSchema>;

const checkVmSpec = checkOf(QemuVmSpecSchema);

/** A VM's definition stored at `path`: the spec, why it is not a valid one for `vmId`, or null when there is none. */
export function readVmSpec(path: string, vmId: string): QemuVmSpec | { invalid: string } | null {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return null; // no such VM, or removed since the directory was listed
  }
  const r = parseJson<QemuVmSpec>(checkVmSpec, text);
  if (!r.ok) return { invalid: r.error };
  return r.value.id === vmId ? r.value : { invalid: `its id is not ${vmId}` };
}

const VM_ID_RE = /^[A-Za-z0-9_.-]{1,64}$/;

export function vmIdError(id: string): string | null {
  return VM_ID_RE.test(id) && id !== "." && id !== ".."
    ? null
    : `invalid VM id ${JSON.stringify(id)}: use 1-64 letters, digits, '.', '-' or '_' (it names files and a QEMU -name)`;
}

export type VmFiles = { qmp: string; pid: string; log: string };

/** The part of a QMP connection the engine uses (a local socket, or one relayed by a host helper). */
export type Qmp = {
  execute<T = unknown>(command: string, args?: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  readonly isClosed: boolean;
};

/** What the engine needs from a host: start, reach and stop the QEMU processes of VMs on it. */
export interface QemuHostOps {
  readonly spec: QemuHostSpec;
  isUp(): Promise<boolean>;
  /** start QEMU for `vm` (`incoming`: as a migration target) and wait until its QMP answers */
  start(vm: QemuVmSpec, incoming: boolean, timeoutMs: number): Promise<void>;
  /** the shared QMP connection to a VM's QEMU here (a QMP socket serves one client at a time) */
  qmp(vmId: string, retryMs?: number): Promise<Qmp>;
  /** pid of the VM's QEMU here, if alive */
  pid(vmId: string): Promise<number | null>;
  /** QMP quit, then SIGKILL if it lingers; removes its socket and pidfile */
  stop(vmId: string): Promise<void>;
  /** VMs with a QEMU pidfile here */
  vmIds(): Promise<string[]>;
  /** forget the connection to a VM's QEMU (it was replaced or quit) */
  drop(vmId: string): void;
  close(): void;
}

export type QemuRuntime = { qemuBin: string; accel: string };

/** A host whose QEMUs run on this machine (optionally inside a network namespace). */
export class LocalQemuHost implements QemuHostOps {
  readonly spec: QemuHostSpec;
  readonly dir: string;
  #rt: QemuRuntime;
  #conns = new Map<string, Promise<QmpClient>>();

  constructor(spec: QemuHostSpec, stateDir: string, rt: QemuRuntime) {
    this.spec = spec;
    this.#rt = rt;
    this.dir = join(stateDir, "hosts", spec.name);
    mkdirSync(this.dir, { recursive: true });
  }

  files(vmId: string): VmFiles {
    const base = join(this.dir, vmId);
    return { qmp: `${base}.qmp`, pid: `${base}.pid`, log: `${base}.log` };
  }

  /** A namespace host is up while its namespace exists; the local host always is. */
  async isUp(): Promise<boolean> {
    return this.spec.netns ? existsSync(join("/run/netns", this.spec.netns)) : true;
  }

  async pid(vmId: string): Promise<number | null> {
    return this.#livePid(vmId);
  }

  #livePid(vmId: string): number | null {
    try {
      const pid = Number(readFileSync(this.files(vmId).pid, "utf8").trim());
      if (!Number.isInteger(pid) || pid <= 0) return null;
      process.kill(pid, 0);
      return pid;
    } catch {
      return null;
    }
  }

  async vmIds(): Promise<string[]> {
    return readdirSync(this.dir)
      .filter((n) => n.endsWith(".pid"))
      .map((n) => n.slice(0, -4));
  }

  async start(vm: QemuVmSpec, incoming: boolean, timeoutMs: number): Promise<void> {
    const f = this.files(vm.id);
    rmSync(f.qmp, { force: true });
    rmSync(f.pid, { force: true });
    this.drop(vm.id);
    const args = qemuArgs({ vm, files: f, accel: this.#rt.accel, incoming });
    const cmd = this.spec.netns
      ? ["ip", "netns", "exec", this.spec.netns, this.#rt.qemuBin, ...args]
      : [this.#rt.qemuBin, ...args];
    const log = openSync(f.log, "a");
    try {
      // detached: VMs outlive a controller that is killed, as they outlive a real management process
      const child = spawn(cmd[0] as string, cmd.slice(1), { detached: true, stdio: ["ignore", log, log] });
      child.on("error", () => {}); // a missing binary shows up as a QMP failure, with the log to read
      child.unref();
    } finally {
      closeSync(log);
    }
    try {
      await this.qmp(vm.id, timeoutMs);
    } catch (e) {
      let tail = "";
      try {
        tail = readFileSync(f.log, "utf8").trim().split("\n").slice(-3).join(" | ");
      } catch {}
      throw new Error(
        `QEMU for ${vm.id} did not start on ${this.spec.name}: ${(e as Error).message}${tail ? `: ${tail}` : ""}`,
      );
    }
  }

  qmp(vmId: string, retryMs = 0): Promise<QmpClient> {
    const path = this.files(vmId).qmp;
    const have = this.#conns.get(path);
    if (have) {
      return have.then(
        (c) => (c.isClosed ? this.#connect(path, retryMs) : c),
        () => this.#connect(path, retryMs),
      );
    }
    return this.#connect(path, retryMs);
  }

  #connect(path: string, retryMs: number): Promise<QmpClient> {
    const p = QmpClient.connect({ path }, { timeoutMs: Math.max(retryMs, 2_000), retry: retryMs > 0 });
    this.#conns.set(path, p);
    p.then(
      (c) => c.closed.then(() => this.#conns.get(path) === p && this.#conns.delete(path)),
      () => this.#conns.get(path) === p && this.#conns.delete(path),
    );
    return p;
  }

  drop(vmId: string): void {
    const path = this.files(vmId).qmp;
    const c = this.#conns.get(path);
    this.#conns.delete(path);
    c?.then((q) => q.close()).catch(() => {});
  }

  async stop(vmId: string): Promise<void> {
    const pid = this.#livePid(vmId);
    const c = this.#conns.get(this.files(vmId).qmp);
    if (c) await c.then((q) => q.execute("quit", undefined, 2_000)).catch(() => {});
    this.drop(vmId);
    if (pid !== null) {
      for (let i = 0; i < 20 && this.#livePid(vmId) !== null; i++) await sleep(50);
      try {
        process.kill(pid, "SIGKILL");
      } catch {}
      for (let i = 0; i < 40 && this.#livePid(vmId) !== null; i++) await sleep(50);
    }
    const f = this.files(vmId);
    rmSync(f.qmp, { force: true });
    rmSync(f.pid, { force: true });
  }

  close(): void {
    for (const c of this.#conns.values()) c.then((q) => q.close()).catch(() => {});
    this.#conns.clear();
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
