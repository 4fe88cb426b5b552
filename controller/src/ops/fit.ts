/**
 * Keep an ops reply under the server's max_payload: a reply NATS cannot carry never arrives, and
 * the CLI would only see a timeout or `internal`. The largest lists are cut (as few items as
 * needed, from the end) and the reply says how many items of which field it left out in
 * `truncated`, so `presage host` on a host with thousands of sensors still answers.
 */

/** Bytes kept free under max_payload for the envelope and the headers the services API adds. */
export const REPLY_HEADROOM_BYTES = 2_048;

type Data = Record<string, unknown>;

const bytes = (s: string) => Buffer.byteLength(s, "utf8");
const encode = (d: Data, truncated: Record<string, number>) =>
  JSON.stringify(Object.keys(truncated).length ? { ok: true, ...d, truncated } : { ok: true, ...d });

/** `history` is keyed by sensor: keep only the sensors whose readings are still in the reply. */
function pruneHistory(d: Data): void {
  const h = d.history;
  if (!Array.isArray(d.readings) || typeof h !== "object" || h === null || Array.isArray(h)) return;
  const kept = new Set((d.readings as { sensor?: unknown }[]).map((r) => r.sensor));
  d.history = Object.fromEntries(Object.entries(h).filter(([k]) => kept.has(k)));
}

function largestList(d: Data): string | null {
  let best: string | null = null;
  let size = 0;
  for (const [k, v] of Object.entries(d)) {
    if (!Array.isArray(v) || v.length === 0) continue;
    const n = bytes(JSON.stringify(v)) + (k === "readings" ? bytes(JSON.stringify(d.history ?? null)) : 0);
    if (n > size) [best, size] = [k, n];
  }
  return best;
}

/** The reply text `{ ok: true, ...data }`, cut to at most `maxBytes`, or null if even empty lists do not fit. */
export function fitReply(data: Data, maxBytes: number): string | null {
  const limit = maxBytes - REPLY_HEADROOM_BYTES;
  const truncated: Record<string, number> = {};
  let d: Data = { ...data };
  let text = encode(d, truncated);
  while (bytes(text) > limit) {
    const field = largestList(d);
    if (!field) return null;
    const list = d[field] as unknown[];
    // the most items of this list that fit with everything else as it is (binary search)
    const withKeep = (keep: number) => {
      const next: Data = { ...d, [field]: list.slice(0, keep) };
      if (field === "readings") pruneHistory(next);
      return next;
    };
    let lo = 0;
    let hi = list.length - 1;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      const t = { ...truncated, [field]: (truncated[field] ?? 0) + list.length - mid };
      if (bytes(encode(withKeep(mid), t)) <= limit) lo = mid;
      else hi = mid - 1;
    }
    truncated[field] = (truncated[field] ?? 0) + list.length - lo;
    d = withKeep(lo);
    text = encode(d, truncated);
  }
  return text;
}
