/**
 * `presage`: the operator CLI. Parses the command line, connects, runs one command, and maps
 * every failure to an exit code (exit.ts) with a message that says what to do.
 */
import { parseArgs } from "node:util";
import type { NatsConnection } from "@nats-io/transport-node";
import type { OpsEndpoint } from "@presage/shared";
import { connectCli, opsRequest } from "./client.js";
import { type Args, type Command, commandByName, commands, hostFlag, int, type OptionSpec } from "./commands.js";
import { type ConnectionFlags, resolveConnection } from "./connection.js";
import { CliError, Exit, usageError } from "./exit.js";
import { parseWhen } from "./format.js";
import { watch } from "./watch.js";

export type CliIo = {
  out: (text: string) => void;
  err: (text: string) => void;
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
  now: () => number;
  /** aborts `watch` (SIGINT in the real CLI) */
  signal?: AbortSignal;
};

const globalOptions: Record<string, OptionSpec> = {
  json: { type: "boolean", help: "print the reply as JSON (errors too, on stdout)" },
  server: { type: "string", short: "s", value: "URL", help: "NATS server(s), comma-separated (default $NATS_URL)" },
  user: { type: "string", value: "USER", help: "NATS user (default $NATS_USER)" },
  password: { type: "string", value: "PASS", help: "NATS password (default $NATS_PASSWORD)" },
  creds: { type: "string", value: "FILE", help: "NATS credentials file (JWT + nkey seed)" },
  "tls-ca": { type: "string", value: "FILE", help: "CA certificate that signed the server's certificate" },
  "tls-cert": { type: "string", value: "FILE", help: "client certificate" },
  "tls-key": { type: "string", value: "FILE", help: "client key" },
  context: { type: "string", value: "FILE", help: "context file (default ~/.config/presage/context.json)" },
  timeout: { type: "string", value: "MS", help: "how long to wait for the controller (default 5000)" },
  by: { type: "string", value: "NAME", help: "your name for the audit log when the server cannot vouch for one" },
  "no-color": { type: "boolean", help: "no colour even on a terminal" },
  help: { type: "boolean", short: "h", help: "show help" },
};

function optionLines(opts: Record<string, OptionSpec>): string[] {
  return Object.entries(opts).map(([k, o]) => {
    const left = `${o.short ? `-${o.short}, ` : "    "}--${k}${o.value ? ` ${o.value}` : ""}`;
    return `  ${left.padEnd(30)} ${o.help}`;
  });
}

export function commandHelp(c: Command): string {
  const own = optionLines(c.options);
  return [
    `${c.summary}`,
    "",
    `usage: ${c.usage}`,
    ...(own.length ? ["", "options:", ...own] : []),
    "",
    "connection and output (every command):",
    ...optionLines(globalOptions),
    "",
    "examples:",
    ...c.examples.map((e) => `  ${e}`),
  ].join("\n");
}

export function mainHelp(): string {
  return [
    "presage: operate a Presage fleet over NATS",
    "",
    "usage: presage <command> [options]     (presage <command> --help for details)",
    "",
    "commands:",
    ...commands.map((c) => `  ${c.name.padEnd(12)} ${c.summary}`),
    "",
    "exit codes: 0 ok, 1 refused by the controller, 2 usage error, 3 cannot reach NATS or the controller, 4 not found",
    "",
    "examples:",
    "  presage hosts",
    "  presage events --unacked",
    '  presage ack node-07 --note "FAN3 on order"',
    "  presage repaired node-07",
    "  NATS_URL=tls://nats.example:4222 presage status --tls-ca ca.pem --creds ops.creds",
  ].join("\n");
}

function parse(c: Command, argv: string[]): Args {
  const options = Object.fromEntries(
    Object.entries({ ...globalOptions, ...c.options }).map(([k, o]) => [
      k,
      o.short ? { type: o.type, short: o.short } : { type: o.type },
    ]),
  );
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { values: values as Args["values"], positionals };
  } catch (e) {
    throw usageError(`${(e as Error).message.split("\n")[0]} (presage ${c.name} --help)`);
  }
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    const c = rest[0] ? commandByName.get(rest[0]) : undefined;
    io.out(c ? commandHelp(c) : mainHelp());
    return name === undefined ? Exit.Usage : Exit.Ok;
  }
  if (name === "--version") {
    io.out("presage 0.1.0");
    return Exit.Ok;
  }
  const cmd = commandByName.get(name);
  if (!cmd) {
    io.err(`presage: unknown command "${name}" (presage --help lists them)`);
    return Exit.Usage;
  }
  if (cmd.kind === "demo") return runDemoCommand(rest, io);

  let json = rest.includes("--json");
  let nc: NatsConnection | undefined;
  try {
    const a = parse(cmd, rest);
    json = a.values.json === true;
    if (a.values.help) {
      io.out(commandHelp(cmd));
      return Exit.Ok;
    }
    const style = { color: io.isTTY && !io.env.NO_COLOR && a.values["no-color"] !== true };
    const conn = resolveConnection(a.values as ConnectionFlags, io.env);
    const timeoutMs = int(a, "timeout", 100, 600_000) ?? 5_000;

    if (cmd.kind === "watch") {
      const count = int(a, "count", 1, 1_000_000_000);
      const forText = typeof a.values.for === "string" ? a.values.for : undefined;
      const forMs = forText === undefined ? undefined : durationMs(forText, io.now());
      const host = hostFlag(a);
      nc = await connectCli(conn.settings);
      await watch(
        nc,
        {
          style,
          json,
          host,
          count,
          forMs,
          out: io.out,
          now: io.now,
          ready: () => io.err(`watching events, alerts, migrations and audit on ${conn.settings.url} (Ctrl-C stops)`),
        },
        io.signal ?? new AbortController().signal,
      );
      return Exit.Ok;
    }

    if (a.positionals.length > cmd.maxArgs)
      throw usageError(`unexpected argument "${a.positionals[cmd.maxArgs]}" (presage ${cmd.name} --help)`);
    const endpoint: OpsEndpoint = cmd.endpoint(a);
    const body = cmd.request(a, io.now());
    if (endpointActs(endpoint)) body.by = conn.by;
    nc = await connectCli(conn.settings);
    const data = await opsRequest({ nc, url: conn.settings.url, timeoutMs }, endpoint, body);
    io.out(
      json ? JSON.stringify({ ok: true, ...data }, null, 2) : cmd.render({ style, now: io.now() }, data as never, a),
    );
    const cut = (data as { truncated?: Record<string, number> }).truncated;
    if (cut && !json)
      io.err(
        `presage ${name}: the reply was cut to fit the NATS server's max_payload: ${Object.entries(cut)
          .map(([k, n]) => `${n} ${k}`)
          .join(", ")} not shown (--json shows the same cut reply)`,
      );
    return Exit.Ok;
  } catch (e) {
    if (!(e instanceof CliError)) throw e;
    if (json)
      io.out(
        JSON.stringify({ ok: false, error: { code: e.code ?? exitName(e.exitCode), message: e.message } }, null, 2),
      );
    else io.err(`presage ${name}: ${e.message}`);
    return e.exitCode;
  } finally {
    await nc?.close().catch(() => {});
  }
}

/** Endpoints that change something, and so carry the operator's declared name. */
function endpointActs(e: OpsEndpoint): boolean {
  return [
    "ack",
    "repaired",
    "maintenance-enter",
    "maintenance-exit",
    "plan-approve",
    "plan-reject",
    "rebalance",
  ].includes(e);
}

function exitName(code: number): string {
  return code === Exit.Usage
    ? "usage"
    : code === Exit.Unreachable
      ? "unreachable"
      : code === Exit.NotFound
        ? "not_found"
        : "error";
}

function durationMs(s: string, now: number): number {
  const t = /^\d/.test(s) && !/^\d{12,}$/.test(s) ? parseWhen(s, now) : null;
  if (t === null) throw usageError(`--for "${s}" is not a duration: use 30s, 5m, 1h`);
  return t - now;
}

async function runDemoCommand(argv: string[], io: CliIo): Promise<number> {
  let mod: { runDemo(argv: string[]): Promise<number> };
  try {
    // dynamic: the demo is written separately and the CLI must work without it
    mod = (await import(["..", "demo", "index.js"].join("/"))) as typeof mod;
  } catch (e) {
    io.err(`presage demo: the demo is not available in this build (${(e as Error).message})`);
    return Exit.Refused;
  }
  return mod.runDemo(argv);
}
