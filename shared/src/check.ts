/**
 * Hand-written Check combinators, kept only for the migration engines' configs and protocol replies until those are
 * declared as schemas (schema.ts) with the engine regroup. New shapes: declare a TypeBox schema and use `checkOf`.
 */
import { type Check, hostNameError, isValidHostName } from "./schema.js";

export const check = {
  str:
    (opts: { min?: number; max?: number } = {}): Check =>
    (v, p) => {
      if (typeof v !== "string") return `${p} must be a string`;
      if (opts.min !== undefined && v.length < opts.min) return `${p} must not be empty`;
      if (opts.max !== undefined && v.length > opts.max) return `${p} is longer than ${opts.max} characters`;
      return null;
    },
  host: (): Check => (v, p) => (isValidHostName(v) ? null : `${p}: ${hostNameError(v)}`),
  int:
    (opts: { min?: number; max?: number } = {}): Check =>
    (v, p) => {
      if (typeof v !== "number" || !Number.isInteger(v)) return `${p} must be an integer`;
      if (opts.min !== undefined && v < opts.min) return `${p} must be >= ${opts.min}`;
      if (opts.max !== undefined && v > opts.max) return `${p} must be <= ${opts.max}`;
      return null;
    },
  num:
    (opts: { min?: number; max?: number } = {}): Check =>
    (v, p) => {
      if (typeof v !== "number" || !Number.isFinite(v)) return `${p} must be a finite number`;
      if (opts.min !== undefined && v < opts.min) return `${p} must be >= ${opts.min}`;
      if (opts.max !== undefined && v > opts.max) return `${p} must be <= ${opts.max}`;
      return null;
    },
  bool: (): Check => (v, p) => (typeof v === "boolean" ? null : `${p} must be true or false`),
  oneOf:
    (values: readonly string[]): Check =>
    (v, p) =>
      typeof v === "string" && values.includes(v) ? null : `${p} must be one of ${values.join(", ")}`,
  nullable:
    (c: Check): Check =>
    (v, p) =>
      v === null ? null : c(v, p),
  optional:
    (c: Check): Check =>
    (v, p) =>
      v === undefined ? null : c(v, p),
  array:
    (item: Check, opts: { max?: number } = {}): Check =>
    (v, p) => {
      if (!Array.isArray(v)) return `${p} must be an array`;
      if (opts.max !== undefined && v.length > opts.max) return `${p} has more than ${opts.max} items`;
      for (let i = 0; i < v.length; i++) {
        const e = item(v[i], `${p}[${i}]`);
        if (e) return e;
      }
      return null;
    },
  obj:
    (fields: Record<string, Check>): Check =>
    (v, p) => {
      if (typeof v !== "object" || v === null || Array.isArray(v)) return `${p || "message"} must be a JSON object`;
      const o = v as Record<string, unknown>;
      for (const k in fields) {
        const c = fields[k] as Check;
        const e = c(o[k], p ? `${p}.${k}` : k);
        if (e) return e;
      }
      return null;
    },
  any: (): Check => () => null,
};
