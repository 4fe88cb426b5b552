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
  type OpsRequests,
  opsRequestChecks,
  PRESAGE_VERSION,
  subjects,
  validate,
} from "@presage/shared";
import type { ControllerApi } from "../api.js";
import { fitReply } from "./fit.js";
import { type Actor, actorOf } from "./identity.js";

/** A request as a method sees it: the self-declared `by` already turned into the actor. */
type Req<E extends OpsEndpoint> = Omit<OpsRequests[E], "by">;
type Call<E extends OpsEndpoint> = (api: ControllerApi, req: Req<E>, actor: string) => Promise<object>;

/** Endpoint -> ControllerApi method; the mapped type makes the table exhaustive and each request typed. */
const calls: { [E in OpsEndpoint]: Call<E> } = {
  hosts: (api, r) => api.hosts(r),
  host: (api, r) => api.host(r),
  events: (api, r) => api.events(r),
  ack: (api, r, a) => api.ack(r, a),
  repaired: (api, r, a) => api.repaired(r, a),
  "maintenance-enter": (api, r, a) => api.maintenanceEnter(r, a),
  "maintenance-exit": (api, r, a) => api.maintenanceExit(r, a),
  migrations: (api, r) => api.migrations(r),
  plans: (api, r) => api.plans(r),
  "plan-approve": (api, r, a) => api.planApprove(r, a),
  "plan-reject": (api, r, a) => api.planReject(r, a),
  rebalance: (api, r, a) => api.rebalance(r, a),
  status: (api, r) => api.status(r),
  audit: (api, r) => api.audit(r),
};

/** Numeric codes for the Nats-Service-Error-Code header (HTTP-like, as the services API suggests). */
export const statusOf: Record<ErrorCode, number> = {
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
export function parseOpsRequest<E extends OpsEndpoint>(
  endpoint: E,
  data: Uint8Array,
): { ok: true; req: Req<E>; by: string | undefined } | OpsErrorBody {
  const text = new TextDecoder().decode(data).trim();
  let v: unknown = {};
  if (text) {
    try {
      v = JSON.parse(text);
    } catch (e) {
      return { code: ErrorCode.BadRequest, message: `request is not JSON: ${(e as Error).message}` };
    }
  }
  // endpoints that do not act refuse `by`, so it is absent there
  const r = validate<OpsRequests[E] & { by?: string }>(opsRequestChecks[endpoint], v);
  if (!r.ok) return { code: ErrorCode.BadRequest, message: `bad ${endpoint} request: ${r.error}` };
  const { by, ...req } = r.value;
  return { ok: true, req, by };
}

/** Turn anything a ControllerApi method threw into an error body a person can act on. */
export function errorBody(e: unknown): OpsErrorBody {
  if (e instanceof OpsError && knownCodes.has(e.code)) return { code: e.code as ErrorCode, message: e.message };
  return { code: ErrorCode.Internal, message: "internal controller error; see the controller log" };
}

export type OpOutcome = { ok: true; data: object; actor: Actor } | { ok: false; error: OpsErrorBody; actor?: Actor };

/**
 * Validate one request body and run it as the actor `who` names (given the body's self-declared `by`):
 * the one path every operator surface takes, the NATS service and the dashboard (http/) alike.
 */
export async function runOp<E extends OpsEndpoint>(
  api: ControllerApi,
  endpoint: E,
  body: Uint8Array,
  who: (declared: string | undefined) => Actor,
  log: Logger,
): Promise<OpOutcome> {
  const parsed = parseOpsRequest(endpoint, body);
  if (!("ok" in parsed)) return { ok: false, error: parsed };
  const actor = who(parsed.by);
  const call: Call<E> = calls[endpoint];
  try {
    return { ok: true, data: await call(api, parsed.req, actor.name), actor };
  } catch (e) {
    const error = errorBody(e);
    if (error.code === ErrorCode.Internal) log.error({ err: e, endpoint, actor }, "ops request failed unexpectedly");
    else log.info({ endpoint, actor, code: error.code, error: error.message }, "ops request refused");
    return { ok: false, error, actor };
  }
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
    version: opts.version ?? PRESAGE_VERSION,
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

  async function handle<E extends OpsEndpoint>(endpoint: E, msg: ServiceMsg): Promise<void> {
    const started = Date.now();
    const role = opts.role?.() ?? "leader";
    if (role === "follower") return; // the leader answers
    if (role === "none")
      return replyError(endpoint, msg, { code: ErrorCode.NotLeader, message: "no controller holds the lease now" });
    const out = await runOp(api, endpoint, msg.data, (by) => actorOf(msg.headers, by), log);
    if (!out.ok) return replyError(endpoint, msg, out.error);
    const maxPayload = nc.info?.max_payload ?? 1_048_576;
    const text = fitReply(out.data as Record<string, unknown>, maxPayload);
    if (text === null) {
      log.error({ endpoint, maxPayload }, "ops reply does not fit max_payload even with its lists emptied");
      return replyError(endpoint, msg, {
        code: ErrorCode.Internal,
        message: `the ${endpoint} reply does not fit the server's max_payload (${maxPayload} bytes)`,
      });
    }
    respond(msg, text);
    opts.metrics?.inc("presage_ops_requests_total", { endpoint, result: "ok" });
    log.debug({ endpoint, actor: out.actor, ms: Date.now() - started }, "ops request served");
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
