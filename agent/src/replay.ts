/**
 * Replay (CONTRACT section 3): readings NDJSON in, the live agent's detector, events NDJSON out in time order.
 * Deterministic: event time is reading time and ids derive from (host, sensor, episode, kind, ts), so the same
 * input gives byte-identical output. Malformed lines are reported with their line number, counted and skipped.
 */
import { isAscii } from "node:buffer";
import { StringDecoder } from "node:string_decoder";
import type { Reading, SensorEvent } from "@presage/shared";
import type { DetectConfig } from "./detect/config.js";
import { createDetector } from "./detect/index.js";
import { createReadingChecker } from "./reading-fast-check.js";

export type ReplayOptions = {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  errors: NodeJS.WritableStream;
  config?: Partial<DetectConfig>;
  /** malformed-line reports after this many are summarised, not printed (default 100) */
  maxErrorLines?: number;
};

export type ReplayResult = { readings: number; events: number; skipped: number };

export async function runReplay(opts: ReplayOptions): Promise<ReplayResult> {
  const detector = createDetector(opts.config ?? {});
  const readingError = createReadingChecker();
  const maxErrors = opts.maxErrorLines ?? 100;
  const lastTs = new Map<string, number>();
  const events: SensorEvent[] = [];
  let readings = 0;
  let skipped = 0;
  let lineNo = 0;

  const skip = (why: string) => {
    skipped++;
    if (skipped <= maxErrors) opts.errors.write(`line ${lineNo}: ${why}\n`);
  };

  const line = (text: string) => {
    lineNo++;
    if (text.length === 0 || text.trim() === "") return;
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (e) {
      return skip(`not JSON: ${(e as Error).message}`);
    }
    const err = readingError(v);
    if (err) return skip(err);
    const r = v as Reading;
    const prev = lastTs.get(r.host);
    if (prev !== undefined && r.ts < prev)
      return skip(`ts ${r.ts} goes back in time for host ${r.host} (last ${prev})`);
    if (prev !== r.ts) lastTs.set(r.host, r.ts);
    readings++;
    const out = detector.ingest(r);
    for (const e of out) events.push(e);
  };

  const rest = await forEachLine(opts.input, line);
  if (rest.length) line(rest);
  if (skipped > maxErrors)
    opts.errors.write(`${skipped - maxErrors} more malformed lines not shown (${skipped} skipped in all)\n`);

  // hosts interleave freely in a file, so order across hosts is only known at the end (a stable sort)
  events.sort((a, b) => a.ts - b.ts);
  await writeAll(opts.output, events);
  return { readings, events: events.length, skipped };
}

/**
 * Calls `line` for each complete line (without its LF or CRLF) and returns the unterminated rest. ASCII chunks
 * (the usual case) are decoded as latin1, which is a plain copy; others go through a UTF-8 decoder that also
 * joins characters split across chunks.
 */
async function forEachLine(input: NodeJS.ReadableStream, line: (text: string) => void): Promise<string> {
  const decoder = new StringDecoder("utf8");
  let decoderUsed = false;
  let rest = "";
  for await (const chunk of input as AsyncIterable<string | Buffer>) {
    let text: string;
    if (typeof chunk === "string") text = chunk;
    else if (!decoderUsed && isAscii(chunk)) text = chunk.toString("latin1");
    else {
      // once a chunk went through the decoder it may hold a partial character: keep using it
      decoderUsed = true;
      text = decoder.write(chunk);
    }
    if (rest.length) text = rest + text;
    let start = 0;
    for (let nl = text.indexOf("\n", start); nl >= 0; nl = text.indexOf("\n", start)) {
      line(text.charCodeAt(nl - 1) === 13 ? text.slice(start, nl - 1) : text.slice(start, nl));
      start = nl + 1;
    }
    rest = text.slice(start);
  }
  return decoderUsed ? rest + decoder.end() : rest;
}

async function writeAll(out: NodeJS.WritableStream, events: SensorEvent[]): Promise<void> {
  const CHUNK = 1_000;
  for (let i = 0; i < events.length; i += CHUNK) {
    let s = "";
    for (const e of events.slice(i, i + CHUNK)) s += `${JSON.stringify(e)}\n`;
    if (!out.write(s)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
  }
}
