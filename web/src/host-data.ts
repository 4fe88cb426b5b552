/**
 * One host's live data: the ops `host` reply (summary, VMs, alerts, history, audit), then its own event
 * stream (`./api/stream?host=`): readings extend the charts, anything else reads the reply again.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { op } from "./api";
import type { Series } from "./chart";
import type { HostDetail, Reading, ReadingBatchLike, SensorEvent } from "./types";

const POINTS_KEPT = 720;

export type HostData = {
  detail: HostDetail | null;
  series: Map<string, Series & { type: string; latest: Reading }>;
  events: SensorEvent[];
  error: string | null;
  version: number;
  reload: () => void;
};

function seed(detail: HostDetail): HostData["series"] {
  const out: HostData["series"] = new Map();
  for (const r of detail.readings) {
    const values = detail.history[r.sensor] ?? [];
    const ts = detail.historyTs?.[r.sensor] ?? [];
    // without the sample times (an older controller) only the latest reading can be placed
    const ok = ts.length === values.length;
    out.set(r.sensor, {
      name: r.sensor,
      unit: r.unit,
      type: r.type,
      latest: r,
      ts: ok ? [...ts] : [r.ts],
      values: ok ? [...values] : [r.value],
    });
  }
  return out;
}

function append(series: HostData["series"], r: Reading): void {
  let s = series.get(r.sensor);
  if (!s) {
    s = { name: r.sensor, unit: r.unit, type: r.type, latest: r, ts: [], values: [] };
    series.set(r.sensor, s);
  }
  if (s.ts.length && r.ts <= (s.ts[s.ts.length - 1] as number)) return;
  s.latest = r;
  s.ts.push(r.ts);
  s.values.push(r.value);
  if (s.ts.length > POINTS_KEPT) {
    s.ts.shift();
    s.values.shift();
  }
}

export function useHostData(host: string): HostData {
  const [version, setVersion] = useState(0);
  const state = useRef<Omit<HostData, "version" | "reload">>({
    detail: null,
    series: new Map(),
    events: [],
    error: null,
  });
  const bump = () => setVersion((v) => v + 1);
  const reloadTimer = useRef<number | null>(null);

  const load = async (first: boolean) => {
    try {
      const [detail, ev] = await Promise.all([
        op<HostDetail>("host", { host, readings: 10_000 }),
        op<{ events: SensorEvent[] }>("events", { host, limit: 50 }),
      ]);
      state.current.detail = detail;
      state.current.events = ev.events;
      if (first) state.current.series = seed(detail);
      state.current.error = null;
    } catch (e) {
      state.current.error = (e as Error).message;
    }
    bump();
  };
  const reload = () => {
    if (reloadTimer.current !== null) return;
    reloadTimer.current = window.setTimeout(() => {
      reloadTimer.current = null;
      void load(false);
    }, 300);
  };

  useEffect(() => {
    state.current = { detail: null, series: new Map(), events: [], error: null };
    void load(true);
    const es = new EventSource(`./api/stream?host=${encodeURIComponent(host)}`);
    es.addEventListener("readings", (e) => {
      const b = JSON.parse((e as MessageEvent).data) as ReadingBatchLike;
      for (const r of b.readings) append(state.current.series, r);
      bump();
    });
    for (const name of ["audit", "migration", "alert"]) es.addEventListener(name, reload);
    es.addEventListener("event", (e) => {
      state.current.events.unshift(JSON.parse((e as MessageEvent).data) as SensorEvent);
      reload();
    });
    return () => {
      es.close();
      if (reloadTimer.current !== null) clearTimeout(reloadTimer.current);
      reloadTimer.current = null;
    };
  }, [host]);

  return { ...state.current, version, reload };
}
