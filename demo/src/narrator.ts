/** The demo's timeline printer: simulated time on the left, one line per thing a person cares about. */
import type { AuditRecord, Clock, Reading, SensorEvent } from "@presage/shared";

type Tone = "plain" | "good" | "warn" | "bad" | "dim";

const COLOURS: Record<Tone, string> = { plain: "", good: "32", warn: "33", bad: "31", dim: "2" };

/** What the demo reports at the end (also its --json output). */
export type Summary = {
  vms: number;
  vmsMoved: number;
  vmsLost: number;
  vmsHome: number;
  sickHost: string;
  warningLeadH: number | null;
  criticalLeadH: number | null;
  evacuationSimS: number | null;
  returnSimS: number | null;
  realSeconds: number;
  /** the demo's working directory (agent configs and logs), removed at the end: processes it started name it */
  workDir: string;
};

export class Narrator {
  readonly #out: NodeJS.WritableStream;
  readonly #colour: boolean;
  #clock: Clock | null = null;
  #t0 = 0;
  #evacTotal = 0;
  #evacDone = 0;

  constructor(out: NodeJS.WritableStream) {
    this.#out = out;
    this.#colour = Boolean((out as { isTTY?: boolean }).isTTY) && !process.env.NO_COLOR;
  }

  start(clock: Clock, speed: number, url: string): void {
    this.#clock = clock;
    this.#t0 = clock.now();
    this.#line(this.#paint("Presage demo", "good"), "");
    this.#line(`nats-server ${url}; simulated time runs ${speed}x faster than the wall clock`, "");
  }

  /** The dashboard's address, one line a script can find (docs/contract.md section 6), and the run's login. */
  dashboard(url: string, user: string, token: string): void {
    this.#out.write(`dashboard: ${url}\n`);
    this.#out.write(`dashboard login: user ${user}, token ${token}\n`);
  }

  say(text: string, tone: Tone = "plain"): void {
    this.#line(this.#paint(text, tone));
  }

  command(text: string): void {
    this.#line(this.#paint(`$ ${text}`, "warn"));
  }

  output(text: string): void {
    for (const l of text.trimEnd().split("\n")) this.#line(this.#paint(`    ${l}`, "dim"), "");
  }

  event(ev: SensorEvent): void {
    const tone: Tone = ev.kind === "cleared" ? "good" : ev.severity === "critical" ? "bad" : "warn";
    const eta = ev.predictedFailureAt ? `, predicted failure ${this.#rel(ev.predictedFailureAt)}` : "";
    const conf = ev.confidence !== null ? `, confidence ${Math.round(ev.confidence * 100)}%` : "";
    this.#line(
      `${this.#paint(`${ev.severity.toUpperCase()} ${ev.kind}`, tone)} ${ev.host} ${ev.sensor ?? ev.component}: ${ev.reason}${eta}${conf}`,
      this.#rel(ev.ts),
    );
  }

  audit(a: AuditRecord): void {
    const data = (a.data ?? {}) as Record<string, unknown>;
    switch (a.action) {
      case "transition": {
        const to = String(data.to ?? "");
        const tone: Tone = to === "healthy" ? "good" : to === "evacuating" || to === "degraded" ? "bad" : "warn";
        this.#line(`${this.#paint("state", tone)} ${a.detail}`, this.#rel(a.ts));
        if (to === "evacuating") {
          this.#evacTotal = 0;
          this.#evacDone = 0;
        }
        return;
      }
      case "migration.start":
        this.#evacTotal++;
        this.#line(this.#paint(`migrate ${a.detail}`, "dim"), this.#rel(a.ts));
        return;
      case "migration.done":
        this.#evacDone++;
        this.#line(`${this.#paint("moved", "good")} ${a.detail} ${this.#bar()}`, this.#rel(a.ts));
        return;
      case "migration.failed":
        this.#line(`${this.#paint("migration failed", "bad")} ${a.detail}`, this.#rel(a.ts));
        return;
      case "ack":
      case "repaired":
      case "alert":
      case "brake":
        this.#line(`${this.#paint(a.action, "warn")} ${a.detail} (${a.actor})`, this.#rel(a.ts));
        return;
      default:
        return;
    }
  }

  bmc(r: Reading, criticalTs: number | null): void {
    const lead = criticalTs === null ? "" : `, ${fmtDuration(r.ts - criticalTs)} after Presage's critical event`;
    this.#line(
      `${this.#paint("BMC alarm", "bad")} ${r.sensor} ${r.value ?? "no reading"} ${r.unit} crossed its lower critical threshold${lead}`,
      this.#rel(r.ts),
    );
  }

  summary(s: Summary): void {
    const rows: [string, string][] = [
      ["VMs in the fleet", String(s.vms)],
      ["migrations (out and home)", String(s.vmsMoved)],
      ["VMs lost", this.#paint(String(s.vmsLost), s.vmsLost === 0 ? "good" : "bad")],
      ["VMs back on their home host", `${s.vmsHome} of ${s.vms}`],
      ["warning before the BMC alarm", s.warningLeadH === null ? "n/a" : `${s.warningLeadH} h`],
      ["critical before the BMC alarm", s.criticalLeadH === null ? "n/a" : `${s.criticalLeadH} h`],
      ["time to evacuate (simulated)", s.evacuationSimS === null ? "n/a" : fmtDuration(s.evacuationSimS * 1000)],
      ["time to return (simulated)", s.returnSimS === null ? "n/a" : fmtDuration(s.returnSimS * 1000)],
      ["demo wall time", `${s.realSeconds} s`],
    ];
    const w = Math.max(...rows.map(([k]) => k.length));
    this.#out.write(`\n${this.#paint("Summary", "good")} (${s.sickHost})\n`);
    for (const [k, v] of rows) this.#out.write(`  ${k.padEnd(w)}  ${v}\n`);
  }

  #bar(): string {
    const total = Math.max(this.#evacTotal, this.#evacDone);
    const width = 20;
    const filled = total ? Math.round((this.#evacDone / total) * width) : 0;
    return this.#paint(`[${"#".repeat(filled)}${".".repeat(width - filled)}] ${this.#evacDone}/${total}`, "dim");
  }

  #rel(ts: number): string {
    const d = ts - this.#t0;
    const sign = d < 0 ? "-" : "+";
    const m = Math.floor(Math.abs(d) / 60_000);
    return `T${sign}${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
  }

  #line(text: string, at?: string): void {
    const stamp = at ?? (this.#clock ? this.#rel(this.#clock.now()) : "");
    this.#out.write(`${this.#paint(stamp.padEnd(8), "dim")} ${text}\n`);
  }

  #paint(text: string, tone: Tone): string {
    const c = COLOURS[tone];
    return this.#colour && c ? `\x1b[${c}m${text}\x1b[0m` : text;
  }
}

export function fmtDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 120) return `${m} min`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, "0")} min`;
}
