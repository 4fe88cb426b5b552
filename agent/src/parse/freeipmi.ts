/**
 * FreeIPMI's CSV (`ipmi-sensors --comma-separated-output --output-sensor-state --no-header-output`,
 * optionally `--output-sensor-thresholds`) and ipmi_exporter's `ipmimonitoring` flags
 * (`--output-event-bitmask`). Also accepts the default `|` table with its header.
 * Columns: id, name, type, [state], reading, units, [lnr, lc, lnc, unc, uc, unr], event.
 */
import type { Reading, Thresholds } from "@presage/shared";
import { classify } from "./classify.js";
import {
  cells,
  HEADER,
  isMissing,
  isSensorName,
  isUnitText,
  num,
  type ParseContext,
  type ParseStats,
  parseLines,
  reading,
} from "./common.js";

const ID_RE = /^(\d+|0x[0-9a-f]+)$/i;
/** FreeIPMI's Type column: `Fan`, `Power Supply`, `Other Units Based Sensor`, `OEM Reserved` */
const TYPE_WORD_RE = /^[A-Za-z][A-Za-z0-9 _/-]{0,47}$/;
const STATE_RE = /^(nominal|warning|critical|n\/a)?$/i;
/** the Event column: quoted texts (`'OK'`, `'Presence detected' 'x'`), a bitmask (`2h`), or N/A */
const EVENT_RE = /^('.*'|(0x)?[0-9a-f]{1,8}h?|n\/a)$/i;
const ANALOG_TYPES = new Set(["fan", "temperature", "voltage", "current", "power"]);

/** ipmimonitoring --output-event-bitmask on a threshold sensor: bit 0 LNC, 1 LC, 2 LNR, 3 UNC, 4 UC, 5 UNR. */
const BITMASK_RE = /^(?:0x)?([0-9a-f]+)h?$/i;
const BITS: [number, string][] = [
  [2, "lnr"],
  [5, "unr"],
  [1, "lcr"],
  [4, "ucr"],
  [0, "lnc"],
  [3, "unc"],
];

function statusFromBitmask(event: string): string | null {
  const m = BITMASK_RE.exec(event);
  if (!m) return null;
  const bits = Number.parseInt(m[1] as string, 16);
  if (!Number.isFinite(bits)) return null;
  for (const [bit, s] of BITS) if (bits & (1 << bit)) return s;
  return "ok";
}

/** `'At or Below (<=) Lower Critical Threshold'` -> `lcr`; the worst threshold named wins. */
export function statusFromEvent(event: string, stateWord: string): string {
  const levels: [RegExp, string][] = [
    [/lower non-recoverable/i, "lnr"],
    [/upper non-recoverable/i, "unr"],
    [/lower critical/i, "lcr"],
    [/upper critical/i, "ucr"],
    [/lower non-critical/i, "lnc"],
    [/upper non-critical/i, "unc"],
  ];
  for (const [re, s] of levels) if (re.test(event)) return s;
  if (/^ok$/i.test(event) || /^nominal$/i.test(stateWord)) return "ok";
  return stateWord.toLowerCase();
}

const isThresholdCell = (s: string) => num(s) !== null || isMissing(s);

type Row = {
  name: string;
  typeWord: string;
  state: string;
  reading: string;
  unit: string;
  th: string[];
  event: string;
};

function split(f: string[]): Row | null {
  const n = f.length;
  if (n < 6) return null;
  const [, name, typeWord] = f as [string, string, string];
  if (n === 6)
    return { name, typeWord, state: "", reading: f[3] as string, unit: f[4] as string, th: [], event: f[5] as string };
  const withTh = n >= 13 && f.slice(6, 12).every(isThresholdCell);
  return {
    name,
    typeWord,
    state: f[3] as string,
    reading: f[4] as string,
    unit: f[5] as string,
    th: withTh ? f.slice(6, 12) : [],
    event: f.slice(withTh ? 12 : 6).join(","),
  };
}

const TH_KEYS = ["lnr", "lcr", "lnc", "unc", "ucr", "unr"] as const;

/** Whether split cells look like a FreeIPMI sensor row (not a header, a banner or noise). */
function isSensorRow(r: Row): boolean {
  return (
    isSensorName(r.name) &&
    TYPE_WORD_RE.test(r.typeWord) &&
    STATE_RE.test(r.state) &&
    (num(r.reading) !== null || isMissing(r.reading)) &&
    isUnitText(r.unit) &&
    EVENT_RE.test(r.event.trim())
  );
}

export function parseFreeipmiCsv(text: string, ctx: ParseContext, stats?: ParseStats): Reading[] {
  return parseLines(text, (line) => freeipmiRow(line, ctx), stats);
}

function freeipmiRow(line: string, ctx: ParseContext): Reading | typeof HEADER | null {
  const f = line.includes(",") ? cells(line, ",") : cells(line, "|");
  if (/^id$/i.test(f[0] ?? "") && /^name$/i.test(f[1] ?? "")) return HEADER;
  if (!ID_RE.test(f[0] ?? "")) return null;
  const r = split(f);
  if (!r || !isSensorRow(r)) return null;
  const event = r.event.replace(/^'|'$/g, "").replace(/' '/g, "; ").trim();
  const value = num(r.reading);
  const unit = isMissing(r.unit) ? "" : r.unit;
  const analogType = ANALOG_TYPES.has(r.typeWord.toLowerCase());
  if (value === null && unit === "" && !analogType) {
    return reading(ctx, {
      sensor: r.name,
      type: "other",
      unit: "",
      value: null,
      status: r.state.toLowerCase() || undefined,
      state: event || r.state,
    });
  }
  const thresholds: Partial<Thresholds> = {};
  TH_KEYS.forEach((k, i) => {
    const cell = r.th[i];
    if (cell !== undefined) thresholds[k] = num(cell);
  });
  const status = value === null ? "ns" : (statusFromBitmask(event) ?? statusFromEvent(event, r.state));
  return reading(ctx, { sensor: r.name, ...classify(r.name, unit, r.typeWord), value, status, thresholds });
}
