/**
 * A live line chart of one sensor type (uPlot on a canvas). On the sensor an event named, it draws
 * the event's time, a baseline (the sensor's median before the event), the trend from the reading at
 * the event to the threshold at the predicted failure time, and that time itself.
 */
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export type Series = { name: string; unit: string; ts: number[]; values: (number | null)[] };
export type Overlay = {
  sensor: string;
  eventTs: number;
  predictedFailureAt: number | null;
  /** the threshold the trend runs to (a fan's lower critical, a temperature's upper critical) */
  threshold: number | null;
};

const COLOURS = ["#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#ff9da7", "#9c755f"];

function median(xs: number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? null;
}

/** uPlot wants one x array: the union of the sample times, each series null where it has none. */
function aligned(series: Series[]): uPlot.AlignedData {
  const xs = [...new Set(series.flatMap((s) => s.ts))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const ys = series.map((s) => {
    const y: (number | null)[] = new Array(xs.length).fill(null);
    s.ts.forEach((t, i) => {
      y[index.get(t) as number] = s.values[i] ?? null;
    });
    return y;
  });
  return [xs.map((x) => x / 1000), ...ys] as uPlot.AlignedData;
}

function drawOverlay(u: uPlot, series: Series[], o: Overlay): void {
  const s = series.find((x) => x.name === o.sensor);
  if (!s) return;
  const ctx = u.ctx;
  const x = (ms: number) => u.valToPos(ms / 1000, "x", true);
  const y = (v: number) => u.valToPos(v, "y", true);
  const { top, height, left, width } = u.bbox;
  ctx.save();
  ctx.lineWidth = 2 * devicePixelRatio;
  ctx.font = `${11 * devicePixelRatio}px sans-serif`;
  const before = s.values.filter((v, i): v is number => v !== null && (s.ts[i] ?? 0) < o.eventTs);
  const base = median(before);
  if (base !== null) {
    ctx.strokeStyle = "#888";
    ctx.setLineDash([6, 4]);
    ctx.beginPath();
    ctx.moveTo(left, y(base));
    ctx.lineTo(left + width, y(base));
    ctx.stroke();
    ctx.fillStyle = "#666";
    ctx.fillText(`baseline ${base.toFixed(0)}`, left + 4, y(base) - 4);
  }
  ctx.setLineDash([2, 3]);
  ctx.strokeStyle = "#d62728";
  ctx.beginPath();
  ctx.moveTo(x(o.eventTs), top);
  ctx.lineTo(x(o.eventTs), top + height);
  ctx.stroke();
  const at = s.ts.findIndex((t) => t >= o.eventTs);
  const v0 = at >= 0 ? s.values[at] : null;
  if (o.predictedFailureAt !== null) {
    const px = Math.min(x(o.predictedFailureAt), left + width);
    if (v0 !== null && v0 !== undefined && o.threshold !== null) {
      ctx.setLineDash([]);
      ctx.beginPath();
      ctx.moveTo(x(s.ts[at] as number), y(v0));
      ctx.lineTo(x(o.predictedFailureAt), y(o.threshold));
      ctx.stroke();
    }
    ctx.setLineDash([8, 4]);
    ctx.beginPath();
    ctx.moveTo(px, top);
    ctx.lineTo(px, top + height);
    ctx.stroke();
    ctx.fillStyle = "#d62728";
    // beyond the chart's right edge: the line stands at the edge and the label points on
    const beyond = x(o.predictedFailureAt) > left + width;
    const label = `predicted failure ${new Date(o.predictedFailureAt).toISOString().slice(11, 16)} UTC${beyond ? " →" : ""}`;
    ctx.fillText(label, Math.max(left, px - ctx.measureText(label).width - 4), top + 12 * devicePixelRatio);
  }
  ctx.restore();
}

export function Chart(p: { title: string; series: Series[]; overlay: Overlay | null }) {
  const el = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const names = p.series.map((s) => s.name).join(",");
  const latest = useRef(p);
  latest.current = p;

  useEffect(() => {
    if (!el.current) return;
    const o = latest.current;
    const opts: uPlot.Options = {
      width: Math.max(320, el.current.clientWidth),
      height: 200,
      // UTC, like every time on the page
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
      series: [
        {},
        ...o.series.map((s, i) => ({
          label: s.name,
          stroke: COLOURS[i % COLOURS.length] as string,
          width: 1.5,
          spanGaps: true,
          value: (_u: uPlot, v: number | null) => (v === null ? "-" : `${v.toFixed(1)} ${s.unit}`),
        })),
      ],
      scales: {
        x: {
          time: true,
          // room on the right for a predicted failure time that is near
          range: (_u, min, max) => {
            const pfa = latest.current.overlay?.predictedFailureAt;
            const span = Math.max(max - min, 60);
            return [min, pfa ? Math.max(max, Math.min(pfa / 1000, max + span)) : max];
          },
        },
      },
      hooks: {
        draw: [
          (u) => {
            const ov = latest.current.overlay;
            if (ov) drawOverlay(u, latest.current.series, ov);
          },
        ],
      },
    };
    const u = new uPlot(opts, aligned(o.series), el.current);
    plot.current = u;
    // follow the page's width (a resized window, a narrower column)
    const box = el.current;
    const resize = new ResizeObserver(() => u.setSize({ width: Math.max(320, box.clientWidth), height: 200 }));
    resize.observe(box);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [names]);

  useEffect(() => {
    plot.current?.setData(aligned(p.series));
  });

  return (
    <div class="chart" data-chart={p.title} data-sensors={names} data-overlay={p.overlay?.sensor ?? ""}>
      <h4>{p.title}</h4>
      <div ref={el} />
    </div>
  );
}
