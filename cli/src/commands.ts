/**
 * Every `presage` command: its options, help, and how it turns arguments into one operator
 * request and the reply into output. `watch` and `demo` run their own loop.
 */
import { HostState, isValidHostName, type OpsEndpoint, type OpsReplies, Severity } from "@presage/shared";
import { usageError } from "./exit.js";
import { parseWhen } from "./format.js";
import * as r from "./render.js";

export type OptionSpec = { type: "string" | "boolean"; short?: string; value?: string; help: string };

export type Args = { positionals: string[]; values: Record<string, string | boolean | undefined> };

/**
 * A request-reply command: build the request, render the reply. `render` takes the reply of its
 * own endpoint; `never` lets each command annotate that type while sharing one table.
 */
export type RequestCommand = {
  kind: "request";
  /** most positional arguments it takes (maintenance and plan take any number of hosts) */
  maxArgs: number;
  endpoint: (a: Args) => OpsEndpoint;
  request: (a: Args, now: number) => Record<string, unknown>;
  render: (v: r.View, data: never, a: Args) => string;
};

export type Command = {
  name: string;
  usage: string;
  summary: string;
  options: Record<string, OptionSpec>;
  examples: string[];
} & (RequestCommand | { kind: "watch" } | { kind: "demo" });

// ---- argument helpers: each error names the flag and what is allowed ----

export function host(a: Args, i: number, what = "host"): string {
  const h = a.positionals[i];
  if (h === undefined) throw usageError(`missing <${what}>`);
  if (!isValidHostName(h)) throw usageError(`"${h}" is not a host name: use letters, digits, '-' or '_'`);
  return h;
}

function hosts(a: Args, from: number): string[] {
  if (a.positionals.length <= from) throw usageError("name at least one host");
  return a.positionals.slice(from).map((_, i) => host(a, from + i));
}

const str = (a: Args, k: string) => (typeof a.values[k] === "string" ? (a.values[k] as string) : undefined);
const flag = (a: Args, k: string) => (a.values[k] === true ? true : undefined);

export function int(a: Args, k: string, min: number, max: number): number | undefined {
  const s = str(a, k);
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isInteger(n) || n < min || n > max)
    throw usageError(`--${k} must be an integer from ${min} to ${max}, got "${s}"`);
  return n;
}

/** An enum-like flag: absent, or one of `values` (the error lists them all). */
export function choice(a: Args, k: string, values: readonly string[]): string | undefined {
  const s = str(a, k);
  if (s !== undefined && !values.includes(s))
    throw usageError(`--${k} must be one of ${values.join(", ")}, got "${s}"`);
  return s;
}

/** A --host flag: absent, or a valid host name. */
export function hostFlag(a: Args, k = "host"): string | undefined {
  const h = str(a, k);
  if (h !== undefined && !isValidHostName(h))
    throw usageError(`--${k} "${h}" is not a host name: use letters, digits, '-' or '_'`);
  return h;
}

function when(a: Args, k: string, now: number): number | undefined {
  const s = str(a, k);
  if (s === undefined) return undefined;
  const t = parseWhen(s, now);
  if (t === null)
    throw usageError(`--${k} "${s}" is not a time: use an ISO time (2026-11-26T02:00Z) or a delay (90m, 2h, 1d)`);
  return t;
}

function sub(a: Args, choices: readonly string[], what: string): string {
  const s = a.positionals[0];
  if (s === undefined || !choices.includes(s)) throw usageError(`${what} needs one of: ${choices.join(", ")}`);
  return s;
}

// request bodies drop undefined fields when JSON-encoded, so optional flags can be passed as-is
const note: Record<string, OptionSpec> = {
  note: { type: "string", value: "TEXT", help: "why (kept on the audit stream)" },
};

export const commands: Command[] = [
  {
    name: "hosts",
    usage: "presage hosts [--state STATE]",
    summary: "list hosts with lifecycle state, load and open alerts",
    options: {
      state: {
        type: "string",
        value: "STATE",
        help: `only hosts in this state: ${Object.values(HostState).join(", ")}`,
      },
    },
    examples: ["presage hosts", "presage hosts --state quarantined --json"],
    kind: "request",
    endpoint: () => "hosts",
    maxArgs: 0,
    request: (a) => ({ state: choice(a, "state", Object.values(HostState)) }),
    render: (v, d: OpsReplies["hosts"]) => r.hostsTable(v, d.hosts),
  },
  {
    name: "host",
    usage: "presage host <name> [--readings N]",
    summary: "one host: state, health, VMs, alerts, sensors with sparklines, history",
    options: { readings: { type: "string", value: "N", help: "history samples per sensor for the sparklines" } },
    examples: ["presage host node-07", "presage host node-07 --json | jq .alerts"],
    kind: "request",
    endpoint: () => "host",
    maxArgs: 1,
    request: (a) => ({ host: host(a, 0), readings: int(a, "readings", 0, 10_000) }),
    render: (v, d: OpsReplies["host"]) => r.hostDetail(v, d),
  },
  {
    name: "events",
    usage: "presage events [--host H] [--severity S] [--unacked] [--open] [--limit N]",
    summary: "alerts (one per open condition) and recent events",
    options: {
      host: { type: "string", value: "H", help: "only this host" },
      severity: { type: "string", value: "S", help: "info, warning or critical" },
      unacked: { type: "boolean", help: "only alerts nobody acknowledged" },
      open: { type: "boolean", help: "only alerts not yet cleared" },
      limit: { type: "string", value: "N", help: "at most N events" },
    },
    examples: ["presage events --unacked", "presage events --host node-07 --severity critical"],
    kind: "request",
    endpoint: () => "events",
    maxArgs: 0,
    request: (a) => {
      return {
        host: hostFlag(a),
        severity: choice(a, "severity", Object.values(Severity)),
        unacked: flag(a, "unacked"),
        open: flag(a, "open"),
        limit: int(a, "limit", 1, 10_000),
      };
    },
    render: (v, d: OpsReplies["events"]) => r.eventsView(v, d),
  },
  {
    name: "ack",
    usage: "presage ack <event-id|host|rack> [--note TEXT]",
    summary: "acknowledge an alert, or every open alert of a host (or of a rack's cooling incident)",
    options: note,
    examples: ['presage ack node-07 --note "replacing FAN3, ticket OPS-1234"', "presage ack ev-0193f2"],
    kind: "request",
    endpoint: () => "ack",
    maxArgs: 1,
    request: (a) => {
      const target = a.positionals[0];
      if (!target) throw usageError("missing <event-id|host|rack>");
      return { target, note: str(a, "note") };
    },
    render: (v, d: OpsReplies["ack"]) => r.ackView(v, d),
  },
  {
    name: "repaired",
    usage: "presage repaired <host> [--note TEXT] [--force]",
    summary: "mark a quarantined or failed host repaired: its VMs go back home once its agent reports healthy",
    options: {
      ...note,
      force: { type: "boolean", help: "accept it although the host's agent still reports critical" },
    },
    examples: ['presage repaired node-07 --note "FAN3 replaced"', "presage repaired node-07 --force"],
    kind: "request",
    endpoint: () => "repaired",
    maxArgs: 1,
    request: (a) => ({ host: host(a, 0), note: str(a, "note"), ...(a.values.force ? { force: true } : {}) }),
    render: (v, d: OpsReplies["repaired"]) => r.repairedView(v, d),
  },
  {
    name: "maintenance",
    usage: "presage maintenance enter|exit <host...> [--reason TEXT] [--deadline WHEN] [--at WHEN] [--dry-run]",
    summary: "planned maintenance: evacuate hosts (enter), or give them back (exit)",
    options: {
      reason: { type: "string", value: "TEXT", help: "why (enter); shown in hosts and audit" },
      note: { type: "string", value: "TEXT", help: "note (exit)" },
      deadline: { type: "string", value: "WHEN", help: "when the hosts must be empty (ISO time or 2h, 90m)" },
      at: { type: "string", value: "WHEN", help: "start later instead of now" },
      "dry-run": { type: "boolean", help: "show the evacuation plan, change nothing" },
    },
    examples: [
      'presage maintenance enter node-03 node-04 --reason "BIOS update" --deadline 2h',
      "presage maintenance enter node-03 --dry-run",
      "presage maintenance exit node-03 node-04",
    ],
    kind: "request",
    maxArgs: 1001,
    endpoint: (a) => (sub(a, ["enter", "exit"], "maintenance") === "enter" ? "maintenance-enter" : "maintenance-exit"),
    request: (a, now) =>
      a.positionals[0] === "enter"
        ? {
            hosts: hosts(a, 1),
            reason: str(a, "reason"),
            deadline: when(a, "deadline", now),
            at: when(a, "at", now),
            dryRun: flag(a, "dry-run"),
          }
        : { hosts: hosts(a, 1), note: str(a, "note") ?? str(a, "reason") },
    render: (v, d: OpsReplies["maintenance-enter"] | OpsReplies["maintenance-exit"], a) =>
      "plans" in d ? r.maintenanceEnterView(v, d, a.values["dry-run"] === true) : r.hostStates(v, d.hosts),
  },
  {
    name: "migrations",
    usage: "presage migrations [--active] [--host H] [--limit N]",
    summary: "live migrations, newest first",
    options: {
      active: { type: "boolean", help: "only queued and running migrations" },
      host: { type: "string", value: "H", help: "only migrations from or to this host" },
      limit: { type: "string", value: "N", help: "at most N" },
    },
    examples: ["presage migrations --active", "presage migrations --host node-07 --json"],
    kind: "request",
    endpoint: () => "migrations",
    maxArgs: 0,
    request: (a) => ({ active: flag(a, "active"), host: hostFlag(a), limit: int(a, "limit", 1, 100_000) }),
    render: (v, d: OpsReplies["migrations"]) => r.migrationsTable(v, d.migrations),
  },
  {
    name: "plans",
    usage: "presage plans",
    summary: "plans waiting for approval (manual mode) and recent plans",
    options: {},
    examples: ["presage plans"],
    kind: "request",
    endpoint: () => "plans",
    maxArgs: 0,
    request: () => ({}),
    render: (v, d: OpsReplies["plans"]) => r.plansTable(v, d.plans),
  },
  {
    name: "plan",
    usage: "presage plan approve|reject <id> [--note TEXT]",
    summary: "approve or reject a proposed plan (manual mode)",
    options: note,
    examples: ["presage plan approve p-42", 'presage plan reject p-42 --note "not during the sale"'],
    kind: "request",
    endpoint: (a) => (sub(a, ["approve", "reject"], "plan") === "approve" ? "plan-approve" : "plan-reject"),
    maxArgs: 2,
    request: (a) => {
      const id = a.positionals[1];
      if (!id) throw usageError("missing plan <id> (presage plans lists them)");
      return { id, note: str(a, "note") };
    },
    render: (v, d: OpsReplies["plan-approve"]) => r.planView(v, d.plan),
  },
  {
    name: "rebalance",
    usage: "presage rebalance [--dry-run] [--aggressiveness 1-5] [--max-moves N]",
    summary: "even out load across healthy hosts",
    options: {
      "dry-run": { type: "boolean", help: "show the plan, move nothing" },
      aggressiveness: {
        type: "string",
        value: "N",
        help: "1 (a move must gain 4x its price, large tolerance) to 5 (a quarter of its price, no tolerance)",
      },
      "max-moves": { type: "string", value: "N", help: "at most N migrations" },
    },
    examples: ["presage rebalance --dry-run", "presage rebalance --aggressiveness 4 --max-moves 3"],
    kind: "request",
    endpoint: () => "rebalance",
    maxArgs: 0,
    request: (a) => ({
      dryRun: flag(a, "dry-run"),
      aggressiveness: int(a, "aggressiveness", 1, 5),
      maxMoves: int(a, "max-moves", 1, 10_000),
    }),
    render: (v, d: OpsReplies["rebalance"]) => r.rebalanceView(v, d),
  },
  {
    name: "status",
    usage: "presage status",
    summary: "controller, fleet and safety-brake summary",
    options: {},
    examples: ["presage status", "presage status --json | jq .brake"],
    kind: "request",
    endpoint: () => "status",
    maxArgs: 0,
    request: () => ({}),
    render: (v, d: OpsReplies["status"]) => r.statusView(v, d),
  },
  {
    name: "watch",
    usage: "presage watch [--host H] [--count N] [--for DURATION]",
    summary: "tail events, alerts, migrations and audit records live",
    options: {
      host: { type: "string", value: "H", help: "only this host" },
      count: { type: "string", value: "N", help: "exit after N lines" },
      for: { type: "string", value: "DURATION", help: "exit after this long (30s, 5m)" },
    },
    examples: ["presage watch", "presage watch --host node-07 --json | jq -c .data"],
    kind: "watch",
  },
  {
    name: "demo",
    usage: "presage demo [demo options]",
    summary: "run the self-contained demo (own nats-server, agents, controller, dashboard); --serve keeps it running",
    options: {},
    examples: ["presage demo", "presage demo --serve   # then open the printed dashboard URL", "presage demo --help"],
    kind: "demo",
  },
];

export const commandByName = new Map(commands.map((c) => [c.name, c]));
