/**
 * Replay (CONTRACT section 3): readings NDJSON in, the live agent's detector, events NDJSON out in time order.
 * Deterministic: event time is reading time and ids derive from (host, sensor, episode, kind, ts), so the same
 * input gives byte-identical output. Malformed lines are reported with their line number, counted and skipped.
 * Streaming: events are written after each input chunk as soon as no host can still produce an earlier one, so a
 * live pipe (`--input -`) shows events as they happen, not at EOF.
 */
import { isAscii } from "node:buffer";
import { StringDecoder } from "node:string_decoder";
import type { Reading, SensorEvent } from "@presage/shared";
import type { DetectConfig } from "./detect/config.js";
import { createDetector } from "./detect/index.js";
import { createReadingChecker } from "./reading-fast-check.js";
import { createReadingParser } from "./reading-fast-parse.js";

export type ReplayOptions = {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  errors: NodeJS.WritableStream;
  config?: Partial<DetectConfig>;
  /** malformed-line reports after this many are summarised, not printed (default 100) */
  maxErrorLines?: number;
  /**
   * How far (reading time) a host may trail the newest reading before its silence stops holding back output
   * (default 10 min). Infinity holds every event until EOF and sorts them all.
   */
  lagMs?: number;
};

/** `late`: events written after a later one already had been (a host trailed the others by more than lagMs) */
export type ReplayResult = { readings: number; events: number; skipped: number; late: number };

export const DEFAULT_REPLAY_LAG_MS = 600_000;

export async function runReplay(opts: ReplayOptions): Promise<ReplayResult> {
  const detector = createDetector(opts.config ?? {});
  const readingError = createReadingChecker();
  const parse = createReadingParser();
  const maxErrors = opts.maxErrorLines ?? 100;
  const lastTs = new Map<string, number>();
  const order = createEventOrder(opts.lagMs ?? DEFAULT_REPLAY_LAG_MS);
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
    let v: unknown = parse(text);
    if (v === undefined)
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
    order.add(r.ts, detector.ingest(r));
  };

  const afterChunk = () => writeAll(opts.output, order.ready(lastTs.values()));
  const rest = await forEachLine(opts.input, line, afterChunk);
  if (rest.length) line(rest);
  if (skipped > maxErrors)
    opts.errors.write(`${skipped - maxErrors} more malformed lines not shown (${skipped} skipped in all)\n`);
  await writeAll(opts.output, order.ready(null));
  if (order.late > 0)
    opts.errors.write(
      `${order.late} events were written after later ones: some host trailed the others by more than ${order.lagMs} ms of reading time\n`,
    );
  return { readings, events: order.written, skipped, late: order.late };
}

/**
 * Holds events until their order is settled. A host's future events are no earlier than its last reading, so
 * everything up to the minimum over hosts of their last reading time (or the newest time minus lagMs, so a host
 * that went silent cannot hold output back forever) can go out. Equal times keep arrival order (a stable sort),
 * which is what one sort of all events at EOF gives: a well-interleaved file's output does not change.
 */
function createEventOrder(lagMs: number) {
  let pending: SensorEvent[] = [];
  let newest = Number.NEGATIVE_INFINITY;
  let lastWritten = Number.NEGATIVE_INFINITY;
  const state = {
    lagMs,
    late: 0,
    written: 0,
    add(ts: number, events: SensorEvent[]): void {
      if (ts > newest) newest = ts;
      for (const e of events) pending.push(e);
    },
    /** the events that may be written now, in order; hostLastTs null at EOF (everything goes) */
    ready(hostLastTs: Iterable<number> | null): SensorEvent[] {
      if (pending.length === 0) return [];
      let mark = Number.POSITIVE_INFINITY;
      if (hostLastTs) {
        for (const ts of hostLastTs) if (ts < mark) mark = ts;
        mark = Math.max(mark, newest - lagMs);
      }
      pending.sort((a, b) => a.ts - b.ts);
      let n = 0;
      while (n < pending.length && (pending[n] as SensorEvent).ts <= mark) n++;
      if (n === 0) return [];
      const out = pending.slice(0, n);
      pending = pending.slice(n);
      for (const e of out) if (e.ts < lastWritten) state.late++;
      lastWritten = Math.max(lastWritten, (out[n - 1] as SensorEvent).ts);
      state.written += n;
      return out;
    },
  };
  return state;
}

/**
 * Calls `line` for each complete line (without its LF or CRLF), `afterChunk` after each chunk's lines, and
 * returns the unterminated rest. ASCII chunks
 * (the usual case) are decoded as latin1, which is a plain copy; others go through a UTF-8 decoder that also
 * joins characters split across chunks.
 */
async function forEachLine(
  input: NodeJS.ReadableStream,
  line: (text: string) => void,
  afterChunk: () => Promise<void>,
): Promise<string> {
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
    await afterChunk();
  }
  return decoderUsed ? rest + decoder.end() : rest;
}

async function writeAll(out: NodeJS.WritableStream, events: readonly SensorEvent[]): Promise<void> {
  const CHUNK = 1_000;
  for (let i = 0; i < events.length; i += CHUNK) {
    let s = "";
    for (const e of events.slice(i, i + CHUNK)) s += `${JSON.stringify(e)}\n`;
    if (!out.write(s)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
  }
}
