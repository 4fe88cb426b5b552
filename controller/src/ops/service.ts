/**
 * The controller's operator API as one NATS service (services API: $SRV.PING/INFO/STATS), one
 * endpoint per OpsEndpoint on presage.v1.ops.<endpoint>. Each request is validated with the
 * shared opsRequestChecks before the matching ControllerApi method runs; the reply is
 * `{ ok: true, ...data }` or `{ ok: false, error: { code, message } }` with the service error
 * headers. A handler never throws: unexpected errors become `internal` and are logged.
 *
 * With `role`, every replica runs the service outside a queue group, so every replica sees every
 * request: the leader answers, a follower that knows a live leader stays silent, and a replica
 * that knows no leader answers `not_leader` at once. A frozen leader then costs a request no
 * more than its lease: it is never the one member of a queue group that a request went to.
 */
import { type Service, type ServiceMsg, Svcm } from "@nats-io/services";
import type { NatsConnection } from "@nats-io/transport-node";
import {
  ErrorCode,
  type Logger,
  type Metrics,
  OPS_SERVICE_NAME,
  type OpsEndpoint,
  OpsError,
  type OpsErrorBody,
  opsRequestChecks,
  subjects,
  validate,
} from "@presage/shared";
import type { ControllerApi } from "../api.js";
import { fitReply } from "./fit.js";
import { type Actor, actorOf } from "./identity.js";

type Req = Record<string, unknown>;
type Call = (api: ControllerApi, req: Req, actor: string) => Promise<object>;

/** Endpoint -> ControllerApi method; `satisfies` makes the table exhaustive at compile time. */
const calls = {
  hosts: (api, r) => api.hosts(r),
  host: (api, r) => api.host(r as { host: string }),
  events: (api, r) => api.events(r),
  ack: (api, r, a) => api.ack(r as { target: string }, a),
  repaired: (api, r, a) => api.repaired(r as { host: string }, a),
  "maintenance-enter": (api, r, a) => api.maintenanceEnter(r as { hosts: string[] }, a),
  "maintenance-exit": (api, r, a) => api.maintenanceExit(r as { hosts: string[] }, a),
  migrations: (api, r) => api.migrations(r),
  plans: (api, r) => api.plans(r),
  "plan-approve": (api, r, a) => api.planApprove(r as { id: string }, a),
  "plan-reject": (api, r, a) => api.planReject(r as { id: string }, a),
  rebalance: (api, r, a) => api.rebalance(r, a),
  status: (api, r) => api.status(r),
} satisfies Record<OpsEndpoint, Call>;

/** Numeric codes for the Nats-Service-Error-Code header (HTTP-like, as the services API suggests). */
const statusOf: Record<ErrorCode, number> = {
  bad_request: 400,
  unknown_host: 404,
  unknown_event: 404,
  unknown_plan: 404,
  forbidden_transition: 409,
  conflict: 409,
  brake_engaged: 423,
  no_capacity: 507,
  not_leader: 503,
  internal: 500,
};

const knownCodes = new Set<string>(Object.values(ErrorCode));

/** leader: answer; follower: another replica holds a live lease, stay silent; none: no leader known */
export type OpsRole = "leader" | "follower" | "none";

export type OpsServiceOptions = { log: Logger; metrics?: Metrics; version?: string; role?: () => OpsRole };

/** Parse and validate a request body; an empty body is an empty request. */
export function parseOpsRequest(endpoint: OpsEndpoint, data: Uint8Array): { ok: true; req: Req } | OpsErrorBody {
  const text = new TextDecoder().decode(data).trim();
  let v: unknown = {};
  if (text) {
    try {
      v = JSON.parse(text);
    } catch (e) {
      return { code: ErrorCode.BadRequest, message: `request is not JSON: ${(e as Error).message}` };
    }
  }
  const r = validate<Req>(opsRequestChecks[endpoint], v);
  return r.ok
    ? { ok: true, req: r.value }
    : { code: ErrorCode.BadRequest, message: `bad ${endpoint} request: ${r.error}` };
}

/** Turn anything a ControllerApi method threw into an error body a person can act on. */
export function errorBody(e: unknown): OpsErrorBody {
  if (e instanceof OpsError && knownCodes.has(e.code)) return { code: e.code as ErrorCode, message: e.message };
  return { code: ErrorCode.Internal, message: "internal controller error; see the controller log" };
}

export async function startOpsService(
  nc: NatsConnection,
  api: ControllerApi,
  opts: OpsServiceOptions,
): Promise<{ stop(): Promise<void> }> {
  const log = opts.log.child({ component: "ops" });
  // @nats-io/services 3.0.0-25 pins an older nats-core; its NatsConnection type differs only nominally
  const svcm = new Svcm(nc as unknown as ConstructorParameters<typeof Svcm>[0]);
  const svc: Service = await svcm.add({
    name: OPS_SERVICE_NAME,
    version: opts.version ?? "0.1.0",
    description: "Presage controller operator API",
    ...(opts.role ? { queue: "" } : {}),
  });
  for (const endpoint of Object.keys(calls) as OpsEndpoint[]) {
    svc.addEndpoint(endpoint, {
      subject: subjects.ops(endpoint),
      handler: (err, msg) => {
        if (err) {
          log.error({ err, endpoint }, "ops endpoint subscription failed");
          return;
        }
        // a reply can still fail (connection closing); log it, never let it escape
        handle(endpoint, msg).catch((e) => log.error({ err: e, endpoint }, "ops reply failed"));
      },
    });
  }

  async function handle(endpoint: OpsEndpoint, msg: ServiceMsg): Promise<void> {
    const started = Date.now();
    const role = opts.role?.() ?? "leader";
    if (role === "follower") return; // the leader answers
    if (role === "none")
      return replyError(endpoint, msg, { code: ErrorCode.NotLeader, message: "no controller holds the lease now" });
    const parsed = parseOpsRequest(endpoint, msg.data);
    if (!("ok" in parsed)) return replyError(endpoint, msg, parsed);
    const actor: Actor = actorOf(msg.headers, parsed.req.by);
    const { by: _declared, ...req } = parsed.req;
    try {
      const data = await calls[endpoint](api, req, actor.name);
      const maxPayload = nc.info?.max_payload ?? 1_048_576;
      const text = fitReply(data as Record<string, unknown>, maxPayload);
      if (text === null) {
        log.error({ endpoint, maxPayload }, "ops reply does not fit max_payload even with its lists emptied");
        return replyError(endpoint, msg, {
          code: ErrorCode.Internal,
          message: `the ${endpoint} reply does not fit the server's max_payload (${maxPayload} bytes)`,
        });
      }
      respond(msg, text);
      opts.metrics?.inc("presage_ops_requests_total", { endpoint, result: "ok" });
      log.debug({ endpoint, actor, ms: Date.now() - started }, "ops request served");
    } catch (e) {
      const body = errorBody(e);
      if (body.code === ErrorCode.Internal) log.error({ err: e, endpoint, actor }, "ops request failed unexpectedly");
      else log.info({ endpoint, actor, code: body.code, error: body.message }, "ops request refused");
      replyError(endpoint, msg, body);
    }
  }

  function replyError(endpoint: OpsEndpoint, msg: ServiceMsg, error: OpsErrorBody): void {
    opts.metrics?.inc("presage_ops_requests_total", { endpoint, result: error.code });
    const sent = msg.respondError(statusOf[error.code], error.message, JSON.stringify({ ok: false, error }));
    if (!sent) log.warn({ endpoint }, "ops request had no reply subject; error not delivered");
  }

  function respond(msg: ServiceMsg, body: string): void {
    if (!msg.respond(body)) log.warn({ subject: msg.subject }, "ops request had no reply subject");
  }

  log.info({ service: OPS_SERVICE_NAME, subjects: subjects.allOps }, "ops service listening");
  return {
    async stop() {
      await svc.stop();
    },
  };
}
