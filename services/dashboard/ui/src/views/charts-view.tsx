import { useMemo } from "react";
import type uPlot from "uplot";
import { themeColor, themedAxes, UplotChart } from "../components/uplot-chart.js";
import type { DashboardPoint } from "../feed/contracts.js";

interface ChartSpec {
  id: string;
  title: string;
  unit: string;
  lines: Array<{ label: string; value: (p: DashboardPoint) => number | null; color: string; dash?: number[] }>;
  range?: [number, number];
  format?: (v: number) => string;
}

/** The charts' span: the dashboard keeps 15 minutes of samples. */
const SERIES_SPAN_MS = 15 * 60_000;

const percentAxis = (v: number) => `${Math.round(v * 100)}%`;

const CHARTS: ChartSpec[] = [
  {
    id: "throughput",
    title: "Throughput",
    unit: "tok/s",
    lines: [{ label: "committed tok/s", value: (p) => p.throughput, color: "--chart-1" }],
  },
  {
    id: "ttft",
    title: "Time to first token",
    unit: "ms",
    lines: [
      { label: "p50", value: (p) => p.ttftP50Ms, color: "--chart-1" },
      { label: "p95", value: (p) => p.ttftP95Ms, color: "--chart-2", dash: [5, 3] },
    ],
  },
  {
    id: "tpot",
    title: "Time per output token",
    unit: "ms",
    lines: [
      { label: "p50", value: (p) => p.tpotP50Ms, color: "--chart-1" },
      { label: "p95", value: (p) => p.tpotP95Ms, color: "--chart-2", dash: [5, 3] },
    ],
  },
  {
    id: "acceptance",
    title: "Acceptance",
    unit: "",
    range: [0, 1],
    format: percentAxis,
    lines: [{ label: "accepted / drafted", value: (p) => p.acceptance, color: "--chart-3" }],
  },
  {
    id: "queue",
    title: "Queue depth",
    unit: "requests",
    lines: [{ label: "waiting", value: (p) => p.queueDepth, color: "--chart-2" }],
  },
  {
    id: "sessions",
    title: "Sessions",
    unit: "sessions",
    lines: [{ label: "running", value: (p) => p.sessions, color: "--chart-1" }],
  },
];

/** The fleet over the last 15 minutes, one sample per DASHBOARD_SAMPLE_MS (from `series` and `point` events). */
export function ChartsView({ series }: { series: DashboardPoint[] }) {
  return (
    <section className="view">
      {series.length === 0 && <div className="muted">No sample yet: the first arrives within a second or two.</div>}
      <div className="chart-grid wide">
        {CHARTS.map((spec) => (
          <SeriesChart key={spec.id} spec={spec} series={series} />
        ))}
      </div>
    </section>
  );
}

function SeriesChart({ spec, series }: { spec: ChartSpec; series: DashboardPoint[] }) {
  const options = useMemo<Omit<uPlot.Options, "width" | "height">>(
    () => ({
      series: [
        {},
        ...spec.lines.map((line) => ({
          label: line.label,
          stroke: themeColor(line.color, "#3b82f6"),
          width: 1.5,
          dash: line.dash,
        })),
      ],
      scales: {
        // Always the last 15 minutes, so a quiet start reads as quiet rather than stretched.
        x: { range: (_u, _min, max) => [max - SERIES_SPAN_MS / 1000, max] },
        y: { range: spec.range ?? ((_u, _min, max) => [0, Math.max(1, max * 1.1)]) },
      },
      axes: themedAxes(spec.unit, spec.format),
      legend: { live: true },
    }),
    [spec],
  );
  const data = useMemo<uPlot.AlignedData>(
    () => [series.map((p) => p.at / 1000), ...spec.lines.map((line) => series.map(line.value))],
    [series, spec],
  );
  return (
    <figure className="chart-card" data-testid={`chart-${spec.id}`}>
      <figcaption>{spec.title}</figcaption>
      <UplotChart options={options} data={data} height={180} />
    </figure>
  );
}
