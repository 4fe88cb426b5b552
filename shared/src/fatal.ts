/**
 * What a daemon (presage-controller, presage-agent) prints when it cannot start or run: one line
 * naming the problem and what to do, and an exit code systemd and scripts can tell apart
 * (docs/controller.md and docs/agent.md, "Exit codes"). Stacks only at PRESAGE_LOG_LEVEL=debug.
 */
import { ConfigError, PresageError } from "./errors.js";

export const DaemonExit = {
  Ok: 0,
  /** anything else (a source or the input failed, an unexpected error) */
  Failed: 1,
  /** bad command line or config */
  Usage: 2,
  /** NATS could not be reached, refused the credentials, or refused the daemon's own subjects */
  Nats: 3,
  /** an address it must listen on (metrics.listen) is in use, not permitted or not local */
  Port: 4,
} as const;
export type DaemonExit = (typeof DaemonExit)[keyof typeof DaemonExit];

/** The code PresageErrors carry when a listening port cannot be bound. */
export const PORT_UNAVAILABLE = "port_unavailable";
/** The code PresageErrors carry when NATS refuses one of the daemon's own subjects (permissions). */
export const NATS_PERMISSION = "nats_permission";

type Explained = { message: string; code: DaemonExit };

function causeCode(e: unknown): string | undefined {
  const c = (e as { cause?: { code?: unknown } } | null)?.cause?.code;
  return typeof c === "string" ? c : undefined;
}

/** Turn whatever ended a daemon into one line and its exit code. */
export function explainFatal(e: unknown, ctx: { natsUrl?: string } = {}): Explained {
  const err = e instanceof Error ? e : new Error(String(e));
  const at = ctx.natsUrl ? ` at ${ctx.natsUrl}` : "";
  if (err instanceof ConfigError || (err as { code?: unknown }).code?.toString().startsWith("ERR_PARSE_ARGS"))
    return { message: err.message, code: DaemonExit.Usage };
  if (err instanceof PresageError && err.code === PORT_UNAVAILABLE)
    return { message: err.message, code: DaemonExit.Port };
  if (err instanceof PresageError && err.code === NATS_PERMISSION)
    return { message: err.message, code: DaemonExit.Nats };
  if (err.name === "AuthorizationError" || /authorization violation|authentication/i.test(err.message))
    return {
      message: `NATS${at} refused the credentials (${err.message}): check nats.user/nats.pass (NATS_USER/NATS_PASS) or nats.creds`,
      code: DaemonExit.Nats,
    };
  const why = causeCode(err) ?? err.message;
  if (err.name === "ConnectionError" || /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH)$/.test(why))
    return {
      message: `cannot connect to NATS${at} (${err.message}${why !== err.message ? `, ${why}` : ""}): is nats-server running? (nats.url or NATS_URL)`,
      code: DaemonExit.Nats,
    };
  return { message: `${err.message} (PRESAGE_LOG_LEVEL=debug prints the stack)`, code: DaemonExit.Failed };
}

/** Print the one line (and the stack when debugging) and set the exit code. */
export function reportFatal(program: string, e: unknown, ctx: { natsUrl?: string } = {}): DaemonExit {
  const { message, code } = explainFatal(e, ctx);
  process.stderr.write(`${program}: ${message}\n`);
  if (process.env.PRESAGE_LOG_LEVEL === "debug" && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
  return code;
}
