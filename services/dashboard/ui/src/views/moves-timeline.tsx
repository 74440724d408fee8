import { useMemo } from "react";
import { MoveBadge } from "../components/badge.js";
import { clock, fixed, ms } from "../components/format.js";
import { VirtualTable, type Column } from "../components/virtual-table.js";
import type { SchedulerMove } from "../feed/contracts.js";

/** The scheduler's moves, newest first, each with its reason. */
export function MovesTimeline({ moves }: { moves: SchedulerMove[] }) {
  const newestFirst = useMemo(() => [...moves].reverse(), [moves]);
  return (
    <VirtualTable
      label="Moves"
      rows={newestFirst}
      columns={COLUMNS}
      rowKey={(m) => `${m.at}|${m.sessionId}|${m.kind}`}
      height="min(50vh, 420px)"
      empty="The scheduler has not moved a session yet."
    />
  );
}

type PairRef = SchedulerMove["from"];

function pairText(ref: PairRef): string {
  if (!ref) return "queue";
  return `${ref.drafterId ?? "alone"} → ${ref.verifierId}`;
}

function gainText(move: SchedulerMove): string {
  const gain = move.predictedGain;
  if (!gain) return "";
  return `${fixed(gain.fromTokensPerSecond)} → ${fixed(gain.toTokensPerSecond)} tok/s, saves ${ms(gain.savedMs)}`;
}

const COLUMNS: Column<SchedulerMove>[] = [
  { id: "at", header: "Time", width: "76px", cell: (m) => <span className="mono small">{clock(m.at)}</span> },
  { id: "kind", header: "Kind", width: "130px", cell: (m) => <MoveBadge kind={m.kind} /> },
  {
    id: "session",
    header: "Session",
    width: "minmax(120px, 1fr)",
    cell: (m) => <span className="mono small">{m.sessionId}</span>,
  },
  {
    id: "route",
    header: "From → to",
    width: "minmax(200px, 2fr)",
    cell: (m) => (
      <span className="small">
        {pairText(m.from)} <b>⇒</b> {pairText(m.to)}
      </span>
    ),
  },
  {
    id: "gain",
    header: "Predicted gain",
    width: "minmax(140px, 1.2fr)",
    cell: (m) => <span className="small">{gainText(m)}</span>,
  },
  {
    id: "reason",
    header: "Reason",
    width: "minmax(200px, 2.5fr)",
    cell: (m) => (
      <span className="small" title={m.reason}>
        {m.reason}
      </span>
    ),
  },
];
