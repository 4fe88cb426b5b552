/**
 * Config loading: built-in defaults, then a JSON file, then environment variables, then validation.
 * Every error names the offending key and where it came from.
 */
import { readFileSync } from "node:fs";
import { ConfigError } from "./errors.js";
import type { Check } from "./schema.js";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Deep-merge `over` onto `base`; arrays and scalars replace, undefined keeps the base. Unknown keys are reported. */
function merge(base: Obj, over: Obj, path: string, unknown: string[]): Obj {
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    const p = path ? `${path}.${k}` : k;
    if (!(k in base)) {
      unknown.push(p);
      out[k] = v;
    } else if (isObj(base[k]) && isObj(v)) out[k] = merge(base[k] as Obj, v, p, unknown);
    else out[k] = v;
  }
  return out;
}

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

/** Defaults with overrides (tests, demo) laid over them, the way a config file is; validate the result. */
export function withOverrides<T extends Obj>(defaults: T, over: DeepPartial<T>): T {
  return merge(defaults, over as Obj, "", []) as T;
}

/** Keys whose defaults are objects of free-form entries (e.g. per-host overrides) skip the unknown-key check. */
export type LoadConfigOptions<T> = {
  defaults: T;
  check: Check;
  file?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** env var -> dotted config key, e.g. { NATS_URL: "nats.url" } */
  envMap?: Record<string, string>;
  /** dotted prefixes where any key is allowed */
  openKeys?: string[];
};

function setPath(o: Obj, dotted: string, value: unknown): void {
  const parts = dotted.split(".");
  let cur = o;
  for (const p of parts.slice(0, -1)) {
    if (!isObj(cur[p])) cur[p] = {};
    cur = cur[p] as Obj;
  }
  cur[parts[parts.length - 1] as string] = value;
}

function envValue(raw: string): unknown {
  if (raw === "true") return true;
  if (raw === "false") return false;
  if (/^-?\d+(\.\d+)?$/.test(raw)) return Number(raw);
  return raw;
}

export function loadConfig<T extends Obj>(opts: LoadConfigOptions<T>): T {
  let cfg: Obj = structuredClone(opts.defaults);
  const unknown: string[] = [];
  if (opts.file) {
    let text: string;
    try {
      text = readFileSync(opts.file, "utf8");
    } catch (e) {
      throw new ConfigError(`cannot read config file ${opts.file}: ${(e as Error).message}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new ConfigError(`config file ${opts.file} is not valid JSON: ${(e as Error).message}`);
    }
    if (!isObj(parsed)) throw new ConfigError(`config file ${opts.file} must hold a JSON object`);
    cfg = merge(cfg, parsed, "", unknown);
  }
  const env = opts.env ?? process.env;
  for (const [name, dotted] of Object.entries(opts.envMap ?? {})) {
    const raw = env[name];
    if (raw !== undefined && raw !== "") setPath(cfg, dotted, envValue(raw));
  }
  const bad = unknown.filter((k) => !(opts.openKeys ?? []).some((p) => k === p || k.startsWith(`${p}.`)));
  if (bad.length) {
    throw new ConfigError(
      `unknown config key${bad.length > 1 ? "s" : ""} ${bad.join(", ")}${opts.file ? ` in ${opts.file}` : ""} (check the spelling against docs/configuration.md)`,
    );
  }
  const err = opts.check(cfg, "");
  if (err) throw new ConfigError(`invalid config${opts.file ? ` in ${opts.file}` : ""}: ${err}`);
  return cfg as T;
}
