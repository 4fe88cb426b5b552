/** `presage-agent sensors`: what each configured source sees right now, as a table for the person installing an agent. */
import { type Reading, textTable } from "@presage/shared";

export type SourceSnapshot = {
  source: string;
  host: string;
  ok: boolean;
  error?: string;
  durationMs: number;
  readings: Reading[];
};

const fmtNum = (v: number | null | undefined) => (v === null || v === undefined ? "-" : String(Number(v.toFixed(3))));

function row(r: Reading): string[] {
  const t = r.thresholds;
  const th = t ? `${fmtNum(t.lcr)} .. ${fmtNum(t.ucr)}` : "";
  const value = r.state !== undefined ? r.state : r.value === null ? "no reading" : fmtNum(r.value);
  return [r.sensor, r.type, value, r.state !== undefined ? "" : r.unit, r.status ?? "", th];
}

export function renderSensors(snaps: SourceSnapshot[]): string {
  const parts: string[] = [];
  for (const s of snaps) {
    const head = `${s.host}  ${s.source}  (${Math.round(s.durationMs)} ms)`;
    if (!s.ok) {
      parts.push(`${head}\n  FAILED: ${s.error}`);
      continue;
    }
    const rows = [["SENSOR", "TYPE", "VALUE", "UNIT", "STATUS", "LCR .. UCR"], ...s.readings.map(row)];
    const missing = s.readings.filter((r) => r.value === null && r.state === undefined).length;
    parts.push(`${head}: ${s.readings.length} sensors, ${missing} without a reading\n${textTable(rows)}`);
  }
  return `${parts.join("\n\n")}\n`;
}
