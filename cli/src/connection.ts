/**
 * Where the CLI connects, like the `nats` CLI: flags win over the environment (NATS_URL, NATS_USER,
 * NATS_PASSWORD or NATS_PASS, NATS_CREDS), which wins over a
 * context file (`--context FILE`, `$PRESAGE_CONTEXT`, else ~/.config/presage/context.json), which
 * wins over nats://127.0.0.1:4222.
 */
import { existsSync, readFileSync } from "node:fs";
import { homedir, userInfo } from "node:os";
import { join } from "node:path";
import { checkOf, inboxes, type NatsSettings, type Static, Strict, serverUrls, Type, validate } from "@presage/shared";
import { usageError } from "./exit.js";

export const DEFAULT_URL = "nats://127.0.0.1:4222";

/** The connection flags every command accepts. */
export type ConnectionFlags = {
  server?: string;
  user?: string;
  password?: string;
  creds?: string;
  "tls-ca"?: string;
  "tls-cert"?: string;
  "tls-key"?: string;
  context?: string;
  by?: string;
};

const OptStr = () => Type.Optional(Type.String({ minLength: 1 }));

/** A context file (`--context FILE`): strict, so a misspelt key is an error, not a silent default. */
export const ContextSchema = Strict({
  url: OptStr(),
  user: OptStr(),
  password: OptStr(),
  creds: OptStr(),
  tls: Type.Optional(Strict({ ca: OptStr(), cert: OptStr(), key: OptStr() })),
  /** the operator name sent with requests (the server's identity wins when it has one) */
  by: OptStr(),
  /** reply inbox prefix; default `_INBOX.presage.ops.<user>` with a user, else `_INBOX` */
  inboxPrefix: OptStr(),
});
export type Context = Static<typeof ContextSchema>;
const contextCheck = checkOf(ContextSchema);

export function defaultContextPath(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CONFIG_HOME || join(homedir(), ".config");
  return join(base, "presage", "context.json");
}

export function loadContext(path: string, required: boolean): Context {
  if (!existsSync(path)) {
    if (required) throw usageError(`context file ${path} does not exist`);
    return {};
  }
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw usageError(`context file ${path} is not valid JSON: ${(e as Error).message}`);
  }
  const r = validate<Context>(contextCheck, v);
  if (!r.ok) throw usageError(`context file ${path}: ${r.error}`);
  return r.value;
}

export type Resolved = { settings: NatsSettings; by: string };

export function resolveConnection(f: ConnectionFlags, env: NodeJS.ProcessEnv): Resolved {
  const explicit = f.context ?? env.PRESAGE_CONTEXT;
  const ctx = loadContext(explicit ?? defaultContextPath(env), explicit !== undefined);
  const url = f.server ?? env.NATS_URL ?? ctx.url ?? DEFAULT_URL;
  const tls = {
    ca: f["tls-ca"] ?? ctx.tls?.ca,
    cert: f["tls-cert"] ?? ctx.tls?.cert,
    key: f["tls-key"] ?? ctx.tls?.key,
  };
  if (Boolean(tls.cert) !== Boolean(tls.key)) throw usageError("--tls-cert and --tls-key go together");
  for (const [what, file] of [
    ["--creds", f.creds ?? env.NATS_CREDS ?? ctx.creds],
    ["--tls-ca", tls.ca],
    ["--tls-cert", tls.cert],
    ["--tls-key", tls.key],
  ] as const) {
    if (file && !existsSync(file)) throw usageError(`${what} file ${file} does not exist`);
  }
  const user = f.user ?? env.NATS_USER ?? ctx.user;
  const settings: NatsSettings = {
    url,
    user,
    pass: f.password ?? env.NATS_PASSWORD ?? env.NATS_PASS ?? ctx.password,
    creds: f.creds ?? env.NATS_CREDS ?? ctx.creds,
    tls: tls.ca || tls.cert || serverUrls(url).some((u) => u.startsWith("tls://")) ? tls : null,
    name: "presage-cli",
  };
  // an operator's replies land under their own prefix, the only inbox deploy/nats lets them read
  // (with --creds there is no user name here: set inboxPrefix in the context file or PRESAGE_INBOX_PREFIX)
  const inbox = env.PRESAGE_INBOX_PREFIX || ctx.inboxPrefix || (user ? inboxes.operator(user) : null);
  if (inbox) settings.inboxPrefix = inbox;
  return { settings, by: f.by ?? ctx.by ?? safeUserName() };
}

function safeUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return "operator";
  }
}
