/**
 * Who sent an operator request. nats-server (2.9+) adds a `Nats-Request-Info` header with the
 * requester's account and, when the importing account declares `share: true`, its user name, to
 * every request that crosses a service import. The server overwrites any header a client forged,
 * so in the deploy/nats layout (operators live in their own account and reach presage.v1.ops.>
 * only through that import) the user name is vouched for by the server. Requests without the
 * header (same account, or no security configured) fall back to the self-declared `by` field.
 */
export const REQUEST_INFO_HEADER = "Nats-Request-Info";

export type Actor = {
  /** the name recorded on the audit stream */
  name: string;
  /** true when the name comes from the server, false when the client declared it */
  verified: boolean;
  account?: string;
};

/** the part of MsgHdrs we read (the services package and transport-node ship different nats-core types) */
export type HeaderReader = { get(key: string): string };

export function actorOf(headers: HeaderReader | undefined, declared: unknown): Actor {
  const raw = headers?.get(REQUEST_INFO_HEADER);
  if (raw) {
    try {
      const info = JSON.parse(raw) as { acc?: unknown; user?: unknown };
      const account = typeof info.acc === "string" ? info.acc : undefined;
      if (typeof info.user === "string" && info.user) return { name: info.user, verified: true, account };
      if (account) return { name: `account:${account}`, verified: true, account };
    } catch {
      // not JSON: fall through to the declared name
    }
  }
  const name = typeof declared === "string" && declared ? declared : "anonymous";
  return { name, verified: false };
}
