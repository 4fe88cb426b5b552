/**
 * The one schema module: every message that crosses NATS or a file boundary is checked here.
 * Validators are hand-written combinators (no dependency) because replay parses hundreds of
 * thousands of readings a second and must stay allocation-light.
 */
import {
  Component,
  EventKind,
  HealthStatus,
  type Heartbeat,
  HostState,
  type Reading,
  type ReadingBatch,
  type SensorEvent,
  SensorType,
  Severity,
  type Thresholds,
} from "./types.js";

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

const values = <T extends Record<string, string>>(o: T) => Object.values(o) as string[];
const numOrNull = check.nullable(check.num());

const thresholdsCheck = check.obj({
  lnr: check.optional(numOrNull),
  lcr: check.optional(numOrNull),
  lnc: check.optional(numOrNull),
  unc: check.optional(numOrNull),
  ucr: check.optional(numOrNull),
  unr: check.optional(numOrNull),
});

export const readingCheck: Check = check.obj({
  ts: check.int({ min: 0 }),
  host: check.host(),
  sensor: check.str({ min: 1, max: 256 }),
  type: check.oneOf(values(SensorType)),
  unit: check.str({ max: 64 }),
  value: numOrNull,
  status: check.optional(check.str({ max: 64 })),
  thresholds: check.optional(thresholdsCheck),
  state: check.optional(check.str({ max: 256 })),
});

export const eventCheck: Check = check.obj({
  id: check.str({ min: 1, max: 256 }),
  ts: check.int({ min: 0 }),
  host: check.host(),
  severity: check.oneOf(values(Severity)),
  kind: check.oneOf(values(EventKind)),
  component: check.oneOf(values(Component)),
  sensor: check.nullable(check.str({ max: 256 })),
  reason: check.str({ min: 1, max: 2000 }),
  predictedFailureAt: check.nullable(check.int({ min: 0 })),
  confidence: check.nullable(check.num({ min: 0, max: 1 })),
});

export const batchCheck: Check = check.obj({
  host: check.host(),
  readings: check.array(readingCheck, { max: 10_000 }),
});

export const heartbeatCheck: Check = check.obj({
  host: check.host(),
  ts: check.int({ min: 0 }),
  status: check.oneOf(values(HealthStatus)),
  conditions: check.array(check.str({ max: 2000 }), { max: 1000 }),
  cpuUtilPct: check.optional(check.nullable(check.num({ min: 0, max: 100 }))),
  powerOn: check.optional(check.nullable(check.bool())),
  sourceFailures: check.optional(check.int({ min: 0 })),
  agentVersion: check.optional(check.str({ max: 64 })),
});

export const hostStateCheck: Check = check.oneOf(values(HostState));

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

export const parseReading = (text: string) => parseJson<Reading>(readingCheck, text);
export const parseEvent = (text: string) => parseJson<SensorEvent>(eventCheck, text);
export const parseBatch = (text: string) => parseJson<ReadingBatch>(batchCheck, text);
export const parseHeartbeat = (text: string) => parseJson<Heartbeat>(heartbeatCheck, text);

/** Normalise thresholds to the full shape with nulls. */
export function fullThresholds(t: Partial<Thresholds> | undefined): Thresholds {
  return {
    lnr: t?.lnr ?? null,
    lcr: t?.lcr ?? null,
    lnc: t?.lnc ?? null,
    unc: t?.unc ?? null,
    ucr: t?.ucr ?? null,
    unr: t?.unr ?? null,
  };
}
