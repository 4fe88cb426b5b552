/**
 * The NATS edge shared by agent and controller: connect, and consume JSON messages that are
 * validated on receipt. Invalid messages are logged, counted and dropped; a handler that throws
 * is logged and counted too. Nothing here can crash the process.
 */
import {
  type ConnectionOptions,
  connect,
  type Msg,
  type NatsConnection,
  type Subscription,
} from "@nats-io/transport-node";
import type { Logger } from "./logger.js";
import type { Metrics } from "./metrics.js";
import { type Check, type Static, Strict, Type, validate } from "./schema.js";

export type { Msg, NatsConnection, Subscription };

const Path = () => Type.Optional(Type.String({ minLength: 1 }));

/** How to reach NATS: the `nats` section of every config and CLI context. */
export const NatsSettingsSchema = Strict({
  /** one server URL, or a comma-separated list of a cluster's servers: the client fails over between them */
  url: Type.String({ minLength: 1 }),
  user: Type.Optional(Type.String()),
  pass: Type.Optional(Type.String()),
  token: Type.Optional(Type.String()),
  /** path of a .creds file (JWT + nkey seed) */
  creds: Path(),
  /** TLS: CA file, client cert and key */
  tls: Type.Optional(Type.Union([Strict({ ca: Path(), cert: Path(), key: Path() }), Type.Null()])),
  name: Path(),
  /** reply inbox prefix (default `_INBOX`); each identity has its own (`inboxes` in subjects.ts) */
  inboxPrefix: Path(),
  /**
   * replicas of the streams and KV buckets the component creates: "auto" (default) is 3 on a cluster of three or
   * more servers, else 1; a number larger than the cluster is refused at start-up (resolveReplicas, jetstream.ts)
   */
  replicas: Type.Optional(Type.Union([Type.Literal("auto"), Type.Integer({ minimum: 1, maximum: 5 })])),
});
export type NatsSettings = Static<typeof NatsSettingsSchema>;

/**
 * Dead-peer detection: ping every `pingIntervalMs`, give up on the server after `maxPingOut`
 * unanswered pings (nats.js defaults: 2 min and 2). Long-lived services pass seconds.
 */
export type Liveness = { pingIntervalMs: number; maxPingOut: number };

/** The servers of a `nats.url` setting (one URL or a comma-separated list). */
export function serverUrls(url: string): string[] {
  return url
    .split(",")
    .map((u) => u.trim())
    .filter(Boolean);
}

export async function connectNats(s: NatsSettings, log?: Logger, liveness?: Liveness): Promise<NatsConnection> {
  const opts: ConnectionOptions = {
    servers: serverUrls(s.url),
    name: s.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    waitOnFirstConnect: false,
    ...(liveness ? { pingInterval: liveness.pingIntervalMs, maxPingOut: liveness.maxPingOut } : {}),
  };
  if (s.inboxPrefix) opts.inboxPrefix = s.inboxPrefix;
  if (s.user) opts.user = s.user;
  if (s.pass) opts.pass = s.pass;
  if (s.token) opts.token = s.token;
  if (s.creds) {
    const { credsAuthenticator } = await import("@nats-io/transport-node");
    const { readFileSync } = await import("node:fs");
    opts.authenticator = credsAuthenticator(readFileSync(s.creds));
  }
  if (s.tls) {
    opts.tls = {};
    if (s.tls.ca) opts.tls.caFile = s.tls.ca;
    if (s.tls.cert) opts.tls.certFile = s.tls.cert;
    if (s.tls.key) opts.tls.keyFile = s.tls.key;
  }
  const nc = await connect(opts);
  if (log) {
    (async () => {
      for await (const st of nc.status()) {
        if (st.type === "disconnect" || st.type === "reconnect" || st.type === "error")
          log.warn({ nats: st.type, detail: "error" in st ? String(st.error) : undefined }, `nats ${st.type}`);
      }
    })().catch(() => {});
  }
  return nc;
}

export type JsonHandler<T> = (value: T, msg: Msg) => void | Promise<void>;

export type ConsumeOptions = { log: Logger; metrics?: Metrics; queue?: string };

/** Decode and validate one message body. Returns null (after logging and counting) when invalid. */
export function decodeMessage<T>(check: Check, data: Uint8Array, subject: string, o: ConsumeOptions): T | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(data));
  } catch (e) {
    o.metrics?.inc("presage_invalid_messages_total", { subject: subjectFamily(subject) });
    o.log.warn({ subject, error: (e as Error).message }, "dropped a message that is not JSON");
    return null;
  }
  const r = validate<T>(check, parsed);
  if (!r.ok) {
    o.metrics?.inc("presage_invalid_messages_total", { subject: subjectFamily(subject) });
    o.log.warn({ subject, error: r.error }, "dropped an invalid message");
    return null;
  }
  return r.value;
}

/** presage.v1.events.h1 -> presage.v1.events (keeps metric label cardinality bounded) */
export function subjectFamily(subject: string): string {
  return subject.split(".").slice(0, 3).join(".");
}

/** Subscribe with validation on receipt; handlers run one at a time in arrival order. */
export function subscribeJson<T>(
  nc: NatsConnection,
  subject: string,
  check: Check,
  handler: JsonHandler<T>,
  o: ConsumeOptions,
): Subscription {
  const sub = nc.subscribe(subject, o.queue ? { queue: o.queue } : {});
  (async () => {
    for await (const m of sub) {
      const v = decodeMessage<T>(check, m.data, m.subject, o);
      if (v === null) continue;
      try {
        await handler(v, m);
      } catch (e) {
        o.metrics?.inc("presage_handler_errors_total", { subject: subjectFamily(m.subject) });
        o.log.error({ subject: m.subject, err: e }, "message handler failed; message skipped");
      }
    }
  })().catch((e) => o.log.error({ err: e, subject }, "subscription ended with an error"));
  return sub;
}
