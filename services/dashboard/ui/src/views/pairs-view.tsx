import { useMemo, useState } from "react";
import { age, fixed, ms, percent } from "../components/format.js";
import { VirtualTable, type Column } from "../components/virtual-table.js";
import type { DashboardPair } from "../feed/contracts.js";
import { PAIR_ID_COLUMNS } from "./pair-columns.js";
import { acceptanceColor, PairGraph, pairKey } from "./pair-graph.js";
import { PairHistoryPanel } from "./pair-history.js";
import { tableHeight } from "./sessions-view.js";

/** The drafter ↔ verifier pairs in use: a picture, a table, and one pair's history on click. */
export function PairsView({ pairs, now }: { pairs: DashboardPair[]; now: number }) {
  const [selectedKey, setSelectedKey] = useState<string | null>(null);
  const selected = pairs.find((p) => pairKey(p) === selectedKey) ?? null;
  const columns = useMemo(() => pairColumns(now), [now]);
  const select = (pair: DashboardPair) => setSelectedKey((old) => (old === pairKey(pair) ? null : pairKey(pair)));

  return (
    <section className="view">
      <PairGraph pairs={pairs} selected={selectedKey} onSelect={select} />
      {selected && <PairHistoryPanel pair={selected} onClose={() => setSelectedKey(null)} />}
      <VirtualTable
        label="Pairs"
        rows={pairs}
        columns={columns}
        rowKey={pairKey}
        rowTestId={(p) => `pair-row-${p.drafterId}-${p.verifierId}`}
        onRowClick={select}
        selectedKey={selectedKey}
        height={tableHeight(pairs.length, 520)}
        empty="No pair in use."
        initialSort={{ column: "tps", descending: true }}
      />
    </section>
  );
}

function pairColumns(now: number): Column<DashboardPair>[] {
  return [
    ...PAIR_ID_COLUMNS,
    {
      id: "acc",
      header: "Accept",
      width: "70px",
      align: "right",
      cell: (p) => <span style={{ color: acceptanceColor(p.acceptance) }}>{percent(p.acceptance)}</span>,
      sortValue: (p) => p.acceptance,
    },
    {
      id: "window",
      header: "Mean γ",
      width: "70px",
      align: "right",
      cell: (p) => fixed(p.meanWindow),
      sortValue: (p) => p.meanWindow,
    },
    {
      id: "windows",
      header: "Windows chosen",
      width: "minmax(140px, 1.2fr)",
      cell: (p) => <WindowBars windows={p.windows} />,
    },
    {
      id: "rtt",
      header: "Round trip",
      width: "88px",
      align: "right",
      cell: (p) => ms(p.roundTripMs),
      sortValue: (p) => p.roundTripMs,
    },
    {
      id: "tps",
      header: "Tok/s",
      width: "64px",
      align: "right",
      cell: (p) => fixed(p.tokensPerSecond),
      sortValue: (p) => p.tokensPerSecond,
    },
    {
      id: "rounds",
      header: "Rounds",
      width: "70px",
      align: "right",
      cell: (p) => <span data-testid={`pair-rounds-${p.drafterId}-${p.verifierId}`}>{p.rounds}</span>,
      sortValue: (p) => p.rounds,
    },
    {
      id: "pred",
      header: "Pred / ach",
      title: "Committed tokens/s load-aware predicted for one session, and what its sessions achieved",
      width: "96px",
      align: "right",
      cell: (p) => `${fixed(p.predictedTokensPerSecond)} / ${fixed(p.achievedTokensPerSecond)}`,
      sortValue: (p) => p.achievedTokensPerSecond,
    },
    {
      id: "last",
      header: "Last round",
      width: "96px",
      align: "right",
      cell: (p) => (p.lastRoundAt == null ? "–" : age(now - p.lastRoundAt)),
      sortValue: (p) => (p.lastRoundAt == null ? null : -p.lastRoundAt),
    },
  ];
}

/** How often each window γ was chosen lately, as a tiny histogram. */
export function WindowBars({ windows }: { windows: Record<string, number> }) {
  const entries = Object.entries(windows)
    .map(([window, count]) => [Number(window), count] as const)
    .sort((a, b) => a[0] - b[0]);
  const total = entries.reduce((sum, [, count]) => sum + count, 0);
  if (total === 0) return <span className="muted">–</span>;
  const max = Math.max(...entries.map(([, count]) => count));
  return (
    <span className="window-bars" title={entries.map(([w, c]) => `γ${w}: ${c}`).join(", ")}>
      {entries.map(([window, count]) => (
        <span key={window} className="window-bar">
          <span className="window-bar-fill" style={{ height: `${Math.max(8, (100 * count) / max)}%` }} />
          <span className="window-bar-label">{window}</span>
        </span>
      ))}
    </span>
  );
}
