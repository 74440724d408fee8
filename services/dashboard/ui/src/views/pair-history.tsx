import { useEffect, useMemo, useState } from "react";
import type uPlot from "uplot";
import { fetchPairHistory } from "../api.js";
import { themeColor, themedAxes, UplotChart } from "../components/uplot-chart.js";
import type { DashboardPair, PairHistory } from "../feed/contracts.js";

/** The history endpoint is sampled every 5 s on the server; asking more often shows nothing new. */
const REFRESH_MS = 5000;

/** One pair's last 15 minutes (GET /dashboard/api/pairs/:v/:d/history), refreshed while open. */
export function PairHistoryPanel({ pair, onClose }: { pair: DashboardPair; onClose: () => void }) {
  const [history, setHistory] = useState<PairHistory | null>(null);
  const [error, setError] = useState<string | null>(null);
  const { verifierId, drafterId } = pair;

  useEffect(() => {
    let cancelled = false;
    const load = () =>
      fetchPairHistory(verifierId, drafterId).then(
        (h) => !cancelled && (setHistory(h), setError(null)),
        (e: unknown) => !cancelled && setError(e instanceof Error ? e.message : String(e)),
      );
    setHistory(null);
    void load();
    const timer = setInterval(() => void load(), REFRESH_MS);
    return () => {
      cancelled = true;
      clearInterval(timer);
    };
  }, [verifierId, drafterId]);

  const charts = useMemo(() => (history ? historyCharts(history) : null), [history]);

  return (
    <div className="panel" data-testid="pair-history">
      <div className="panel-head">
        <h3>
          {drafterId} → {verifierId}
        </h3>
        <button type="button" className="link" onClick={onClose}>
          close
        </button>
      </div>
      {error && <div className="notice bad">History unavailable: {error}</div>}
      {!history && !error && <div className="muted">Loading history…</div>}
      {history && history.points.length === 0 && <div className="muted">No samples yet (taken every 5 s).</div>}
      {charts && history && history.points.length > 0 && (
        <div className="chart-grid">
          {charts.map((chart) => (
            <figure key={chart.title} className="chart-card">
              <figcaption>{chart.title}</figcaption>
              <UplotChart options={chart.options} data={chart.data} height={150} />
            </figure>
          ))}
        </div>
      )}
    </div>
  );
}

interface ChartSpec {
  title: string;
  options: Omit<uPlot.Options, "width" | "height">;
  data: uPlot.AlignedData;
}

function historyCharts(history: PairHistory): ChartSpec[] {
  const x = history.points.map((p) => p.at / 1000);
  const pick = (f: (p: PairHistory["points"][number]) => number | null) => history.points.map(f);
  const c1 = themeColor("--chart-1", "#3b82f6");
  const c2 = themeColor("--chart-2", "#f59e0b");
  const c3 = themeColor("--chart-3", "#10b981");
  const line = (label: string, stroke: string, dash?: number[]): uPlot.Series => ({
    label,
    stroke,
    width: 1.5,
    dash,
    spanGaps: false,
  });
  return [
    {
      title: "Tokens/s",
      options: {
        series: [{}, line("committed", c1), line("predicted", c2, [4, 4]), line("achieved", c3)],
        axes: themedAxes("tok/s"),
        legend: { live: false },
      },
      data: [
        x,
        pick((p) => p.tokensPerSecond),
        pick((p) => p.predictedTokensPerSecond),
        pick((p) => p.achievedTokensPerSecond),
      ],
    },
    {
      title: "Acceptance",
      options: {
        series: [{}, line("acceptance", c3)],
        scales: { y: { range: [0, 1] } },
        axes: themedAxes("", (v) => `${Math.round(v * 100)}%`),
        legend: { live: false },
      },
      data: [x, pick((p) => p.acceptance)],
    },
    {
      title: "Mean window γ",
      options: { series: [{}, line("window", c1)], axes: themedAxes("γ"), legend: { live: false } },
      data: [x, pick((p) => p.meanWindow)],
    },
    {
      title: "Round trip (network) and rounds",
      options: {
        series: [{}, line("round trip ms", c2), { ...line("rounds", c1), scale: "rounds" }],
        axes: [...themedAxes("ms"), { ...themedAxes("rounds")[1], side: 1, scale: "rounds", grid: { show: false } }],
        legend: { live: false },
      },
      data: [x, pick((p) => p.roundTripMs), pick((p) => p.rounds)],
    },
  ];
}
