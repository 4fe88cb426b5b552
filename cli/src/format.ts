/** Terminal rendering for the CLI: tables, colour, sparklines, times, sizes. Pure functions. */
import { textTable } from "@presage/shared";

export type Style = { color: boolean };

const codes = {
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  blue: [34, 39],
  magenta: [35, 39],
  cyan: [36, 39],
  gray: [90, 39],
  bold: [1, 22],
} as const;
export type Colour = keyof typeof codes;

export function paint(style: Style, colour: Colour | null, s: string): string {
  if (!style.color || !colour) return s;
  const [a, b] = codes[colour];
  return `\u001b[${a}m${s}\u001b[${b}m`;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: strips our own ANSI colour codes
const ANSI = /\u001b\[[0-9;]*m/g;
export const visibleLength = (s: string) => s.replace(ANSI, "").length;

const stateColours: Record<string, Colour> = {
  healthy: "green",
  suspect: "yellow",
  degraded: "red",
  evacuating: "magenta",
  quarantined: "red",
  returning: "cyan",
  maintenance: "blue",
  failed: "red",
  critical: "red",
  warning: "yellow",
  info: "gray",
  running: "cyan",
  queued: "gray",
  completed: "green",
  cancelled: "gray",
  proposed: "yellow",
  approved: "green",
  rejected: "gray",
  executing: "cyan",
  done: "green",
};
export const colourOf = (word: string): Colour | null => stateColours[word] ?? null;

/** A left-aligned table with a bold header (shared textTable, measuring cells without their colour codes). */
export function table(style: Style, header: string[], rows: string[][]): string {
  if (!rows.length) return "";
  return textTable(
    [header.map((h) => paint(style, "bold", h)), ...rows.map((r) => r.map((c) => c ?? ""))],
    visibleLength,
  );
}

const BARS = "▁▂▃▄▅▆▇█";

/** One character per sample, scaled between the series' min and max; gaps (null) are blank. */
export function sparkline(values: (number | null)[]): string {
  const nums = values.filter((v): v is number => typeof v === "number" && Number.isFinite(v));
  if (!nums.length) return "";
  const lo = Math.min(...nums);
  const hi = Math.max(...nums);
  return values
    .map((v) => {
      if (typeof v !== "number" || !Number.isFinite(v)) return " ";
      const i = hi === lo ? 3 : Math.round(((v - lo) / (hi - lo)) * (BARS.length - 1));
      return BARS[i];
    })
    .join("");
}

/** "42s", "5m", "3h12m", "2d4h" */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${m % 60 ? `${m % 60}m` : ""}`;
  return `${Math.floor(h / 24)}d${h % 24 ? `${h % 24}h` : ""}`;
}

export function ago(ts: number | null | undefined, now: number): string {
  if (ts === null || ts === undefined) return "-";
  return ts > now ? `in ${duration(ts - now)}` : `${duration(now - ts)} ago`;
}

export const iso = (ts: number | null | undefined) =>
  ts === null || ts === undefined ? "-" : new Date(ts).toISOString();

export function mib(n: number): string {
  return n >= 1024 ? `${(n / 1024).toFixed(n % 1024 ? 1 : 0)}G` : `${n}M`;
}

/** at most one decimal: 2.54 -> "2.5", 64 -> "64" */
export const num = (n: number) => String(Math.round(n * 10) / 10);

export function pct(used: number, capacity: number): string {
  return capacity > 0 ? `${Math.round((used / capacity) * 100)}%` : "-";
}

export function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, Math.max(0, max - 1))}…`;
}

/**
 * A time given on the command line: an ISO date ("2026-11-26T02:00Z"), epoch milliseconds, or a
 * duration from now ("90m", "2h", "1d"). Returns null when it is none of these.
 */
export function parseWhen(s: string, now: number): number | null {
  const rel = /^\+?(\d+(?:\.\d+)?)(s|m|h|d)$/.exec(s.trim());
  if (rel) {
    const mult = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[rel[2] as "s" | "m" | "h" | "d"];
    return now + Math.round(Number(rel[1]) * mult);
  }
  if (/^\d{12,}$/.test(s)) return Number(s);
  const t = Date.parse(s);
  return Number.isNaN(t) ? null : t;
}
