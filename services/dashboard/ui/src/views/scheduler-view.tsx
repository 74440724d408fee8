import { useMemo } from "react";
import { age, fixed, ms } from "../components/format.js";
import { VirtualTable, type Column } from "../components/virtual-table.js";
import type { DashboardPair, DashboardState } from "../feed/contracts.js";
import { PAIR_ID_COLUMNS } from "./pair-columns.js";
import { pairKey } from "./pair-graph.js";
import { PredictionChart, type PredictionPoint } from "./prediction-chart.js";
import { tableHeight } from "./sessions-view.js";

type Props = Pick<DashboardState, "scheduler" | "sessions" | "pairs"> & { now: number };

/** The scheduler's policy, its decisions, and how good load-aware's predictions are. */
export function SchedulerView({ scheduler, sessions, pairs, now }: Props) {
  const sessionPoints = useMemo(() => predictionPoints(sessions), [sessions]);
  const pairPoints = useMemo(() => predictionPoints(pairs), [pairs]);
  const predicted = useMemo(() => pairs.filter((p) => p.predictedTokensPerSecond != null), [pairs]);
  const d = scheduler.decisions;
  return (
    <section className="view">
      <div className="cards">
        <Card label="Policy" value={scheduler.policy ?? "–"} testId="scheduler-policy" />
        <Card
          label="Scheduler"
          value={scheduler.connected ? "reporting" : "silent"}
          detail={scheduler.lastInsightAt ? `last report ${age(now - scheduler.lastInsightAt)} ago` : "no report yet"}
          tone={scheduler.connected ? "good" : "bad"}
        />
        <Card
          label="Decisions/s"
          value={fixed(d?.perSecond ?? null)}
          detail={d ? `${d.total} since start` : undefined}
        />
        <Card label="Decision p50" value={ms(d?.p50Ms)} />
        <Card label="p95" value={ms(d?.p95Ms)} />
        <Card label="p99" value={ms(d?.p99Ms)} />
        <Card label="Running" value={String(scheduler.running)} />
        <Card label="Waiting" value={String(scheduler.waiting)} />
      </div>
      <h2>Predicted vs achieved tokens/s</h2>
      <p className="muted small">
        Each session's committed tokens/s as load-aware predicted when it placed the session, against what it achieved;
        pairs show the mean of their sessions. On the dashed line the prediction was exact.
      </p>
      {sessionPoints.length + pairPoints.length === 0 ? (
        <div className="empty-graph muted">No session has both a prediction and a measured rate yet.</div>
      ) : (
        <PredictionChart sessions={sessionPoints} pairs={pairPoints} />
      )}
      <VirtualTable
        label="Predictions by pair"
        rows={predicted}
        columns={COLUMNS}
        rowKey={pairKey}
        height={tableHeight(predicted.length, 400)}
        empty="No pair has a prediction yet."
        initialSort={{ column: "error", descending: true }}
      />
    </section>
  );
}

function predictionPoints(
  rows: Array<{ predictedTokensPerSecond: number | null; achievedTokensPerSecond: number | null }>,
): PredictionPoint[] {
  const points: PredictionPoint[] = [];
  for (const row of rows) {
    if (row.predictedTokensPerSecond != null && row.achievedTokensPerSecond != null) {
      points.push({ predicted: row.predictedTokensPerSecond, achieved: row.achievedTokensPerSecond });
    }
  }
  return points;
}

/** Achieved over predicted: 1 is a perfect prediction. */
function ratio(p: DashboardPair): number | null {
  const { predictedTokensPerSecond: predicted, achievedTokensPerSecond: achieved } = p;
  return predicted && achieved != null ? achieved / predicted : null;
}

const COLUMNS: Column<DashboardPair>[] = [
  ...PAIR_ID_COLUMNS,
  {
    id: "pred",
    header: "Predicted",
    width: "84px",
    align: "right",
    cell: (p) => fixed(p.predictedTokensPerSecond),
    sortValue: (p) => p.predictedTokensPerSecond,
  },
  {
    id: "ach",
    header: "Achieved",
    width: "84px",
    align: "right",
    cell: (p) => fixed(p.achievedTokensPerSecond),
    sortValue: (p) => p.achievedTokensPerSecond,
  },
  {
    id: "error",
    header: "Achieved / predicted",
    width: "176px",
    align: "right",
    cell: (p) => {
      const r = ratio(p);
      return (
        <span className={r != null && Math.abs(r - 1) > 0.3 ? "late" : undefined}>
          {r == null ? "–" : `${r.toFixed(2)}×`}
        </span>
      );
    },
    sortValue: (p) => {
      const r = ratio(p);
      return r == null ? null : Math.abs(Math.log(r));
    },
  },
];

function Card(props: { label: string; value: string; detail?: string; tone?: "good" | "bad"; testId?: string }) {
  return (
    <div className={`card${props.tone ? ` tone-${props.tone}` : ""}`}>
      <div className="card-label">{props.label}</div>
      <div className="card-value" data-testid={props.testId}>
        {props.value}
      </div>
      {props.detail && <div className="card-detail">{props.detail}</div>}
    </div>
  );
}
