/**
 * The one schema module: every shape that crosses NATS, KV or a file is declared once as a TypeBox schema; its
 * TypeScript type is inferred (`Static`) and its validator compiled (TypeBox JIT: ~14M readings/s on one core, no
 * copies). `checkOf` turns a schema into a Check whose message names the bad path ("sources[0].kind must be one of
 * ..."), so errors read the same for messages, ops requests and config files.
 */
import Type, { type Static, type TSchema } from "typebox";
import { Compile } from "typebox/compile";

export { type Static, type TSchema, Type };

export type Result<T> = { ok: true; value: T } | { ok: false; error: string };

/** A validator returns null when the value is fine, or a message naming the bad path. */
export type Check = (v: unknown, path: string) => string | null;

const HOST_RE = /^[A-Za-z0-9_-]{1,128}$/;

/** Host names become NATS subject tokens: letters, digits, '-', '_' only. */
export function isValidHostName(h: unknown): h is string {
  return typeof h === "string" && HOST_RE.test(h);
}

export function hostNameError(h: unknown): string | null {
  if (isValidHostName(h)) return null;
  return `invalid host name ${JSON.stringify(h)}: use 1-128 letters, digits, '-' or '_' (it becomes a NATS subject token)`;
}

type Schema = Record<string, unknown>;
type Message = (v: unknown, path: string) => string;
const MESSAGE = "x-message";
/** schema option: the noun an unknown-key message uses ("detection setting (docs/detection.md)") */
export const UNKNOWN_KEY = "x-unknown-key";
const TAG = "x-tag";

/** A rule JSON Schema cannot say; `message(value, path)` is the whole error text. */
export function refine<T extends TSchema>(schema: T, ok: (v: Static<T>) => boolean, message: Message): T {
  const r = Type.Refine(schema, ok as (v: unknown) => boolean, (v) => message(v, "value"));
  (r as unknown as Schema)[MESSAGE] = message;
  return r as unknown as T;
}

/** A host name (NATS subject token). */
export const HostName = () =>
  refine(Type.String(), isValidHostName, (v, p) => `${p}: ${hostNameError(v)}`) as ReturnType<typeof Type.String>;

/** An object that refuses keys it does not declare (configs, ops requests); `hint` ends the message. */
export function Strict<P extends Parameters<typeof Type.Object>[0]>(properties: P, hint?: string) {
  return Type.Object(properties, { additionalProperties: false, [UNKNOWN_KEY]: hint });
}

/** One of several objects told apart by `tag` (e.g. a source's `kind`); the message names the tag first. */
export function Tagged<S extends TSchema[]>(tag: string, branches: [...S]) {
  return Type.Union(branches, { [TAG]: tag });
}

/** String values of a const enum object, as a schema whose type is their union. */
export function OneOf<const O extends Record<string, string>>(o: O) {
  return Type.Enum(Object.values(o) as O[keyof O][]);
}

/** Compile a schema into a Check: the compiled verdict first, the explanation only for values that fail. */
export function checkOf(schema: TSchema): Check {
  // compiled on first use: a process that never sees a shape (the CLI, most of the schemas) pays nothing for it
  let compiled: ReturnType<typeof Compile> | undefined;
  return (v, p) => {
    compiled ??= Compile(schema);
    if (compiled.Check(v)) return null;
    const why = explain(schema as unknown as Schema, v, p);
    if (why) return why;
    const first = compiled.Errors(v)[0];
    return `${p || "message"}${first?.instancePath.replaceAll("/", ".") ?? ""} ${first?.message ?? "is invalid"}`;
  };
}

/** Validate an already-parsed value. */
export function validate<T>(c: Check, v: unknown): Result<T> {
  const error = c(v, "");
  return error ? { ok: false, error } : { ok: true, value: v as T };
}

/** Parse JSON text and validate it; never throws. */
export function parseJson<T>(c: Check, text: string): Result<T> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `not JSON: ${(e as Error).message}` };
  }
  return validate<T>(c, v);
}

const join = (p: string, k: string) => (p ? `${p}.${k}` : k);
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const list = (vs: unknown[]) => vs.map(String).join(", ");

/** The first reason `v` fails `s`, in the words operators read; null when it passes. */
function explain(s: Schema, v: unknown, p: string): string | null {
  const own = explainOwn(s, v, p);
  if (own) return own;
  for (const r of (s["~refine"] as { check: (v: unknown) => boolean }[] | undefined) ?? []) {
    if (!r.check(v)) return (s[MESSAGE] as Message | undefined)?.(v, p) ?? `${p} is invalid`;
  }
  return null;
}

function explainOwn(s: Schema, v: unknown, p: string): string | null {
  if (s.anyOf) return explainUnion(s, s.anyOf as Schema[], v, p);
  if (s.enum) return (s.enum as unknown[]).includes(v) ? null : `${p} must be one of ${list(s.enum as unknown[])}`;
  if ("const" in s) return v === s.const ? null : `${p} must be ${JSON.stringify(s.const)}`;
  switch (s.type) {
    case "string":
      return explainString(s, v, p);
    case "integer":
      if (typeof v !== "number" || !Number.isInteger(v)) return `${p} must be an integer`;
      return explainRange(s, v, p);
    case "number":
      if (typeof v !== "number" || !Number.isFinite(v)) return `${p} must be a finite number`;
      return explainRange(s, v, p);
    case "boolean":
      return typeof v === "boolean" ? null : `${p} must be true or false`;
    case "null":
      return v === null ? null : `${p} must be null`;
    case "array":
      return explainArray(s, v, p);
    case "object":
      return explainObject(s, v, p);
    default:
      return null;
  }
}

function explainString(s: Schema, v: unknown, p: string): string | null {
  if (typeof v !== "string") return `${p} must be a string`;
  if (typeof s.minLength === "number" && v.length < s.minLength)
    return s.minLength === 1 ? `${p} must not be empty` : `${p} is shorter than ${s.minLength} characters`;
  if (typeof s.maxLength === "number" && v.length > s.maxLength) return `${p} is longer than ${s.maxLength} characters`;
  if (typeof s.pattern === "string" && !new RegExp(s.pattern).test(v)) return `${p} must match ${s.pattern}`;
  return null;
}

function explainRange(s: Schema, v: number, p: string): string | null {
  if (typeof s.minimum === "number" && v < s.minimum) return `${p} must be >= ${s.minimum}`;
  if (typeof s.maximum === "number" && v > s.maximum) return `${p} must be <= ${s.maximum}`;
  return null;
}

function explainUnion(s: Schema, branches: Schema[], v: unknown, p: string): string | null {
  const tag = s[TAG] as string | undefined;
  if (tag) {
    if (!isObj(v)) return `${p || "message"} must be a JSON object`;
    const tags = branches.map((b) => (b.properties as Record<string, Schema>)[tag]?.const);
    const i = tags.indexOf(v[tag]);
    const b = branches[i];
    return b ? explain(b, v, p) : `${join(p, tag)} must be one of ${list(tags)}`;
  }
  if (branches.some((b) => explain(b, v, p) === null)) return null;
  const consts = branches.filter((b) => "const" in b).map((b) => b.const);
  if (consts.length === branches.length) return `${p} must be one of ${list(consts)}`;
  // nullable X: say what X wants
  const rest = branches.filter((b) => b.type !== "null");
  return explain(rest[0] ?? (branches[0] as Schema), v, p);
}

function explainArray(s: Schema, v: unknown, p: string): string | null {
  if (!Array.isArray(v)) return `${p} must be an array`;
  if (typeof s.maxItems === "number" && v.length > s.maxItems) return `${p} has more than ${s.maxItems} items`;
  const item = s.items as Schema | undefined;
  if (!item) return null;
  for (let i = 0; i < v.length; i++) {
    const e = explain(item, v[i], `${p}[${i}]`);
    if (e) return e;
  }
  return null;
}

function explainObject(s: Schema, v: unknown, p: string): string | null {
  if (!isObj(v)) return `${p || "message"} must be a JSON object`;
  const props = (s.properties ?? {}) as Record<string, Schema>;
  const required = new Set((s.required ?? []) as string[]);
  for (const [k, ps] of Object.entries(props)) {
    if (v[k] === undefined && !required.has(k)) continue;
    const e = explain(ps, v[k], join(p, k));
    if (e) return e;
  }
  const pattern = s.patternProperties as Record<string, Schema> | undefined;
  const values = pattern ? Object.values(pattern)[0] : isObj(s.additionalProperties) ? s.additionalProperties : null;
  for (const k of Object.keys(v)) {
    if (k in props) continue;
    if (s.additionalProperties === false) {
      const hint = s[UNKNOWN_KEY] as string | undefined;
      return `${join(p, k)} is not a known ${hint ?? `key${p ? ` of ${p}` : ""}`}`;
    }
    if (values) {
      const e = explain(values as Schema, v[k], join(p, k));
      if (e) return e;
    }
  }
  return null;
}
