/**
 * Fail fast on NATS permissions. A wrong user used to log a permission violation every poll, forever, while
 * nothing reached the controller. The guard watches the connection for the server's "Permissions Violation"
 * on the agent's own subjects (its hosts' readings, health, events and commands, its reply inboxes):
 * `startAgent` checks it once the first heartbeats and the command subscriptions are flushed (the server
 * answers a forbidden PUB/SUB with -ERR before the flush's PONG, so this is exact, not timed), and `fatal`
 * settles on a later one (first readings, first event). No probe messages: subscribers see only real traffic.
 */
import { NATS_PERMISSION, type NatsConnection, PresageError, subjects } from "@presage/shared";

export class PermissionError extends PresageError {
  constructor(message: string) {
    super(NATS_PERMISSION, message);
    this.name = "PermissionError";
  }
}

type Violation = { name: string; operation: string; subject: string };
const isViolation = (e: unknown): e is Violation => (e as { name?: string })?.name === "PermissionViolationError";

export type PermissionGuard = {
  /** the first violation on an own subject among what the connection has received so far */
  violation(): Promise<PermissionError | null>;
  /** settles with the first violation on an own subject */
  fatal: Promise<PermissionError>;
  stop(): void;
};

export function guardPermissions(nc: NatsConnection, hosts: string[], user: string): PermissionGuard {
  const own = new Set(
    hosts.flatMap((h) => [subjects.readings(h), subjects.health(h), subjects.events(h), subjects.commands(h)]),
  );
  const mine = (s: string) => own.has(s) || s.startsWith("_INBOX.");
  let first: PermissionError | null = null;
  let settle: (e: PermissionError) => void = () => {};
  const fatal = new Promise<PermissionError>((r) => {
    settle = r;
  });
  const status = nc.status();
  (async () => {
    for await (const s of status) {
      if (first || s.type !== "error" || !isViolation(s.error) || !mine(s.error.subject)) continue;
      const verb = s.error.operation === "subscription" ? "subscribe to" : "publish to";
      first = new PermissionError(
        `NATS user ${user} may not ${verb} ${s.error.subject}: check the agent's host name and its NATS user's permissions (deploy/nats/agent-users.sh)`,
      );
      settle(first);
    }
  })().catch(() => {});
  return {
    // status events are queued to the iterator in the read that resolved the flush; let the loop drain them
    violation: () => new Promise((r) => setImmediate(() => r(first))),
    fatal,
    // the iterator behind the AsyncIterable type is nats.js' QueuedIterator: stop() ends the loop above
    stop: () => (status as unknown as { stop(): void }).stop(),
  };
}
