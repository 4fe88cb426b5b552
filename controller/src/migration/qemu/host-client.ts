/**
 * QEMU hosts on other machines: a small helper on each host (`presage-qemu-host`, run next to the agent)
 * serves its LocalQemuHost over NATS on `presage.v1.commands.<host>.qemu.<op>`, and the controller's
 * QemuEngine talks to it through QemuHelperClient. QMP commands are relayed by the helper, so QMP sockets
 * never leave the host and NATS authentication covers them; the migration stream itself goes host to
 * host over TCP (the host spec's `address`).
 */
import type { Msg, NatsConnection, Subscription } from "@nats-io/transport-node";
import {
  type Check,
  check,
  ErrorCode,
  type Logger,
  OpsError,
  PresageError,
  silentLogger,
  subjects,
  validate,
} from "@presage/shared";
import { type Reply, replyCheck } from "../remote/protocol.js";
import type { LocalQemuHost, QemuHostOps, QemuHostSpec, QemuVmSpec, Qmp } from "./host.js";
import { QmpError } from "./qmp-client.js";

const OPS = ["up", "start", "qmp", "pid", "stop", "vms", "drop", "connect"] as const;
type Op = (typeof OPS)[number];

const subjectOf = (host: string, op: Op) => `${subjects.commands(host)}.qemu.${op}`;

const vmId = check.str({ min: 1, max: 64 });
const vmSpecCheck: Check = check.obj({
  id: vmId,
  memoryMiB: check.int({ min: 1 }),
  vcpus: check.int({ min: 1 }),
  kernel: check.optional(check.nullable(check.str({ min: 1, max: 1000 }))),
  extraArgs: check.optional(check.array(check.str({ max: 1000 }), { max: 100 })),
});
const requestChecks: Record<Op, Check> = {
  up: check.any(),
  vms: check.any(),
  start: check.obj({ vm: vmSpecCheck, incoming: check.bool(), timeoutMs: check.int({ min: 1 }) }),
  qmp: check.obj({
    vm: vmId,
    command: check.str({ min: 1, max: 128 }),
    arguments: check.optional(check.any()),
    timeoutMs: check.int({ min: 1 }),
  }),
  connect: check.obj({ vm: vmId, retryMs: check.int({ min: 0 }) }),
  pid: check.obj({ vm: vmId }),
  stop: check.obj({ vm: vmId }),
  drop: check.obj({ vm: vmId }),
};

/** A request body after its check passed (the check above says which fields each op has). */
type Req = Record<string, unknown>;
const str = (r: Req, k: string) => r[k] as string;
const num = (r: Req, k: string) => r[k] as number;

/** Serve a local host's QEMU operations to a QemuEngine on another machine. */
export function serveQemuHost(
  nc: NatsConnection,
  host: LocalQemuHost,
  o: { log?: Logger } = {},
): { ready: Promise<void>; stop(): void } {
  const log = o.log ?? silentLogger;
  const name = host.spec.name;
  const handlers: Record<Op, (r: Req) => Promise<unknown>> = {
    up: () => host.isUp(),
    vms: () => host.vmIds(),
    start: (r) => host.start(r.vm as QemuVmSpec, r.incoming === true, num(r, "timeoutMs")),
    connect: async (r) => {
      await host.qmp(str(r, "vm"), num(r, "retryMs"));
      return null;
    },
    qmp: async (r) =>
      (await host.qmp(str(r, "vm"))).execute(
        str(r, "command"),
        r.arguments as Record<string, unknown> | undefined,
        num(r, "timeoutMs"),
      ),
    pid: (r) => host.pid(str(r, "vm")),
    stop: (r) => host.stop(str(r, "vm")),
    drop: async (r) => host.drop(str(r, "vm")),
  };
  const subs: Subscription[] = [];
  for (const op of OPS) {
    const answer = async (m: Msg) => {
      let reply: Reply<unknown> & { error?: { qmpClass?: string } };
      try {
        const v = validate<Req>(requestChecks[op], m.data.length ? JSON.parse(new TextDecoder().decode(m.data)) : {});
        if (!v.ok) throw new OpsError(ErrorCode.BadRequest, v.error);
        reply = { ok: true, value: (await handlers[op](v.value)) ?? null };
      } catch (e) {
        const err = e as Error;
        reply = {
          ok: false,
          error: {
            code: e instanceof PresageError ? e.code : ErrorCode.Internal,
            message: err.message,
            ...(e instanceof QmpError ? { qmpClass: e.qmpClass } : {}),
          },
        };
      }
      m.respond(JSON.stringify(reply));
    };
    const sub = nc.subscribe(subjectOf(name, op));
    subs.push(sub);
    (async () => {
      for await (const m of sub) void answer(m);
    })().catch((e) => log.error({ err: e, op }, "qemu host helper subscription ended"));
  }
  log.info({ host: name }, "qemu host helper serving");
  return {
    /** resolves once the server has registered every subscription */
    ready: nc.flush(),
    stop() {
      for (const s of subs) s.unsubscribe();
      host.close();
    },
  };
}

/** The engine's view of a host reached through its helper. */
export class QemuHelperClient implements QemuHostOps {
  readonly spec: QemuHostSpec;
  #nc: NatsConnection;
  #timeoutMs: number;
  #proxies = new Map<string, Qmp & { closed: boolean }>();

  constructor(nc: NatsConnection, spec: QemuHostSpec, o: { timeoutMs?: number } = {}) {
    this.#nc = nc;
    this.spec = spec;
    this.#timeoutMs = o.timeoutMs ?? 10_000;
  }

  async #call<T>(op: Op, body: unknown, timeoutMs = this.#timeoutMs): Promise<T> {
    const m = await this.#nc.request(subjectOf(this.spec.name, op), JSON.stringify(body ?? {}), { timeout: timeoutMs });
    const r = validate<Reply<T> & { error?: { qmpClass?: string } }>(
      replyCheck,
      JSON.parse(new TextDecoder().decode(m.data)),
    );
    if (!r.ok) throw new OpsError(ErrorCode.Internal, `bad reply from helper on ${this.spec.name}: ${r.error}`);
    if (r.value.ok) return r.value.value;
    const e = r.value.error;
    if (e.qmpClass) throw new QmpError(e.qmpClass, e.message);
    throw new PresageError(e.code, e.message);
  }

  async isUp(): Promise<boolean> {
    return this.#call<boolean>("up", {}, 3_000).catch(() => false);
  }

  start(vm: QemuVmSpec, incoming: boolean, timeoutMs: number): Promise<void> {
    return this.#call("start", { vm, incoming, timeoutMs }, timeoutMs + 5_000);
  }

  async qmp(id: string, retryMs = 0): Promise<Qmp> {
    const have = this.#proxies.get(id);
    if (have && !have.closed) return have;
    await this.#call("connect", { vm: id, retryMs }, Math.max(retryMs, 2_000) + 5_000);
    const call = this.#call.bind(this);
    const proxy = {
      closed: false,
      get isClosed() {
        return this.closed;
      },
      async execute<T>(command: string, args?: Record<string, unknown>, timeoutMs = 10_000): Promise<T> {
        try {
          return await call<T>("qmp", { vm: id, command, arguments: args, timeoutMs }, timeoutMs + 5_000);
        } catch (e) {
          if (e instanceof QmpError && e.qmpClass === "Closed") proxy.closed = true;
          throw e;
        }
      },
    };
    this.#proxies.set(id, proxy);
    return proxy;
  }

  pid(id: string): Promise<number | null> {
    return this.#call("pid", { vm: id });
  }

  stop(id: string): Promise<void> {
    this.#proxies.delete(id);
    return this.#call("stop", { vm: id }, 15_000);
  }

  vmIds(): Promise<string[]> {
    return this.#call("vms", {});
  }

  drop(id: string): void {
    this.#proxies.delete(id);
    this.#call("drop", { vm: id }).catch(() => {});
  }

  close(): void {
    this.#proxies.clear();
  }
}
