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
  checkOf,
  ErrorCode,
  type Logger,
  OpsError,
  PresageError,
  type Static,
  silentLogger,
  subjects,
  Type,
  validate,
} from "@presage/shared";
import { type Reply, replyOf } from "../remote/protocol.js";
import {
  type LocalQemuHost,
  type QemuHostOps,
  type QemuHostSpec,
  type QemuVmSpec,
  QemuVmSpecSchema,
  type Qmp,
} from "./host.js";
import { QmpError } from "./qmp-client.js";

const vmId = QemuVmSpecSchema.properties.id;
const VmRequestSchema = Type.Object({ vm: vmId });
/** Request bodies per op. Not Strict: the hand-written checks they replace ignored unknown keys. */
const HelperRequests = {
  up: Type.Unknown(),
  vms: Type.Unknown(),
  start: Type.Object({ vm: QemuVmSpecSchema, incoming: Type.Boolean(), timeoutMs: Type.Integer({ minimum: 1 }) }),
  qmp: Type.Object({
    vm: vmId,
    command: Type.String({ minLength: 1, maxLength: 128 }),
    arguments: Type.Optional(Type.Unknown()),
    timeoutMs: Type.Integer({ minimum: 1 }),
  }),
  connect: Type.Object({ vm: vmId, retryMs: Type.Integer({ minimum: 0 }) }),
  pid: VmRequestSchema,
  stop: VmRequestSchema,
  drop: VmRequestSchema,
};
type Op = keyof typeof HelperRequests;
type Req<K extends Op> = Static<(typeof HelperRequests)[K]>;
const OPS = Object.keys(HelperRequests) as Op[];
const requestChecks = Object.fromEntries(OPS.map((op) => [op, checkOf(HelperRequests[op])])) as Record<Op, Check>;
/** any value: each method knows what its op returns */
const replyCheck = checkOf(replyOf(Type.Optional(Type.Unknown())));

const subjectOf = (host: string, op: Op) => `${subjects.commands(host)}.qemu.${op}`;

/** Serve a local host's QEMU operations to a QemuEngine on another machine. */
export function serveQemuHost(
  nc: NatsConnection,
  host: LocalQemuHost,
  o: { log?: Logger } = {},
): { ready: Promise<void>; stop(): void } {
  const log = o.log ?? silentLogger;
  const name = host.spec.name;
  const handlers: { [K in Op]: (r: Req<K>) => Promise<unknown> } = {
    up: () => host.isUp(),
    vms: () => host.vmIds(),
    start: (r) => host.start(r.vm, r.incoming, r.timeoutMs),
    connect: async (r) => {
      await host.qmp(r.vm, r.retryMs);
      return null;
    },
    qmp: async (r) =>
      (await host.qmp(r.vm)).execute(r.command, r.arguments as Record<string, unknown> | undefined, r.timeoutMs),
    pid: (r) => host.pid(r.vm),
    stop: (r) => host.stop(r.vm),
    drop: async (r) => host.drop(r.vm),
  };
  const subs: Subscription[] = [];
  const answer = async <K extends Op>(op: K, m: Msg) => {
    let reply: Reply<unknown>;
    try {
      const v = validate<Req<K>>(requestChecks[op], m.data.length ? JSON.parse(new TextDecoder().decode(m.data)) : {});
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
  for (const op of OPS) {
    const sub = nc.subscribe(subjectOf(name, op));
    subs.push(sub);
    (async () => {
      for await (const m of sub) void answer(op, m);
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
    const r = validate<Reply<T>>(replyCheck, JSON.parse(new TextDecoder().decode(m.data)));
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
