import { useMemo } from "react";
import type uPlot from "uplot";
import { themeColor, themedAxes, UplotChart } from "../components/uplot-chart.js";

export interface PredictionPoint {
  predicted: number;
  achieved: number;
}

/**
 * Predicted against achieved tokens/s as points, sessions and pairs in two colours, with the
 * y = x line: a point above it did better than load-aware predicted, below it worse.
 */
export function PredictionChart({ sessions, pairs }: { sessions: PredictionPoint[]; pairs: PredictionPoint[] }) {
  const options = useMemo<Omit<uPlot.Options, "width" | "height">>(() => {
    const points = (label: string, color: string, size: number, fill: string): uPlot.Series => ({
      label,
      stroke: color,
      fill,
      paths: () => null,
      points: { show: true, size, stroke: color, fill, width: 1.5 },
    });
    return {
      series: [
        { label: "predicted tok/s" },
        // Pairs as rings under the sessions' dots, so neither hides the other.
        points("pairs", themeColor("--chart-2", "#f59e0b"), 10, themeColor("--panel", "#fff")),
        points("sessions", themeColor("--chart-1", "#3b82f6"), 5, themeColor("--chart-1", "#3b82f6")),
        {
          label: "y = x",
          stroke: themeColor("--muted", "#888"),
          dash: [4, 4],
          width: 1,
          spanGaps: true,
          points: { show: false },
        },
      ],
      scales: { x: { time: false } },
      axes: [{ ...themedAxes("")[0], label: "predicted tok/s", labelSize: 18 }, themedAxes("achieved tok/s")[1]],
      cursor: { drag: { x: false, y: false } },
      legend: { live: false },
    };
  }, []);
  const data = useMemo(() => alignScatter(sessions, pairs), [sessions, pairs]);
  return <UplotChart options={options} data={data} height={320} testId="prediction-chart" />;
}

/**
 * uPlot's aligned mode wants one ascending x array: the union of the predicted values, each
 * series null where it has no point. The y = x line goes from 0 to the largest value shown.
 */
export function alignScatter(sessions: PredictionPoint[], pairs: PredictionPoint[]): uPlot.AlignedData {
  const rows: Array<{ x: number; s: number | null; p: number | null }> = [
    ...sessions.map((pt) => ({ x: pt.predicted, s: pt.achieved, p: null })),
    ...pairs.map((pt) => ({ x: pt.predicted, s: null, p: pt.achieved })),
  ];
  const top = Math.max(1, ...rows.map((r) => Math.max(r.x, r.s ?? 0, r.p ?? 0))) * 1.05;
  rows.push({ x: 0, s: null, p: null }, { x: top, s: null, p: null });
  rows.sort((a, b) => a.x - b.x);
  const line = rows.map((r) => (r.x === 0 || r.x === top ? r.x : null));
  return [rows.map((r) => r.x), rows.map((r) => r.p), rows.map((r) => r.s), line];
}
