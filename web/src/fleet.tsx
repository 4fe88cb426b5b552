/** The fleet at a glance: one tile per host coloured by state, with its VM count and open alerts; filters. */
import { memo } from "preact/compat";
import { useEffect, useMemo, useState } from "preact/hooks";
import { Field } from "./field";
import { type Live, live } from "./store";

const STATES = [
  "healthy",
  "suspect",
  "degraded",
  "evacuating",
  "quarantined",
  "returning",
  "maintenance",
  "failed",
] as const;

/**
 * A tile renders on its own host's changes only, at once (every state it passes through shows); the
 * fleet list around it re-renders at most once a frame, and skips the tiles it keeps.
 */
const Tile = memo(function Tile(p: { name: string }) {
  const [, setTick] = useState(0);
  useEffect(() => live.onHost(p.name, () => setTick((t) => t + 1)), [p.name]);
  const h = live.hosts.get(p.name);
  if (!h) return null;
  return (
    <a
      class={`tile s-${h.state}${h.lost ? " lost" : ""}`}
      href={`#/host/${encodeURIComponent(h.host)}`}
      data-host={h.host}
      data-state={h.state}
      title={`${h.host}: ${h.state}${h.reason ? ` (${h.reason})` : ""}`}
    >
      <span class="name">{h.host}</span>
      <span class="vms" data-vms={h.vmCount}>
        {h.vmCount} VM{h.vmCount === 1 ? "" : "s"}
      </span>
      {h.openAlerts > 0 && (
        <span class="alerts" data-open-alerts={h.openAlerts}>
          {h.openAlerts}!
        </span>
      )}
    </a>
  );
});

export function Fleet(p: { live: Live }) {
  const [state, setState] = useState("");
  const [rack, setRack] = useState("");
  const [text, setText] = useState("");
  const hosts = p.live.hosts;
  const sorted = useMemo(() => [...hosts.values()].sort((a, b) => a.host.localeCompare(b.host)), [p.live.version]);
  const racks = useMemo(
    () => [...new Set(sorted.map((h) => h.rack).filter((r): r is string => !!r))].sort(),
    [sorted.length],
  );
  const counts = new Map<string, number>();
  for (const h of sorted) counts.set(h.state, (counts.get(h.state) ?? 0) + 1);
  useEffect(() => {
    if (sorted.length && !performance.getEntriesByName("presage:tiles").length) performance.mark("presage:tiles");
  });
  const q = text.trim().toLowerCase();
  const shown = sorted.filter(
    (h) =>
      (!state || h.state === state) &&
      (!rack || h.rack === rack) &&
      (!q || h.host.toLowerCase().includes(q) || h.reason.toLowerCase().includes(q)),
  );
  return (
    <section>
      <div class="filters">
        <select name="state" value={state} onChange={(e) => setState((e.target as HTMLSelectElement).value)}>
          <option value="">every state ({sorted.length})</option>
          {STATES.map((s) => (
            <option value={s} key={s}>
              {s} ({counts.get(s) ?? 0})
            </option>
          ))}
        </select>
        <select name="rack" value={rack} onChange={(e) => setRack((e.target as HTMLSelectElement).value)}>
          <option value="">every rack</option>
          {racks.map((r) => (
            <option value={r} key={r}>
              {r}
            </option>
          ))}
        </select>
        <Field name="q" type="search" placeholder="host or reason" value={text} onValue={setText} />
        <span class="muted" data-shown={shown.length}>
          {shown.length} of {sorted.length} hosts
        </span>
        <span class="legend">
          {STATES.filter((s) => counts.get(s)).map((s) => (
            <span class={`chip s-${s}`} key={s}>
              {s} {counts.get(s)}
            </span>
          ))}
        </span>
      </div>
      <div class="tiles" data-tiles={shown.length}>
        {shown.map((h) => (
          <Tile name={h.host} key={h.host} />
        ))}
      </div>
    </section>
  );
}
