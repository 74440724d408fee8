import { MetricsReport, type PayloadOf } from "#contracts";
import type { LocalFleet } from "#infra";
import type { ContractBus } from "#transport";
import { fleetBus } from "../../test/support/fleet-nats.js";

const PHASE_METRICS = new Set([
  "specfleet:verify_round_phase_seconds_total",
  "specfleet:draft_round_phase_seconds_total",
]);

/** ms spent in each phase so far, per process role: `verifier.journal`, `drafter.draft`… */
export type PhaseTotals = Map<string, number>;

/**
 * The workers' round phases as they report them (`specfleet:*_round_phase_seconds_total`, in each
 * process's MetricsReport about once a second): totals taken between two points of a run give
 * the run's per-round breakdown.
 */
export class FleetPhaseReader {
  private readonly latest = new Map<string, PayloadOf<typeof MetricsReport>>();

  private constructor(private readonly bus: ContractBus) {
    bus.subscribe(MetricsReport, "", (report) => {
      if (report.actor === "verify-worker" || report.actor === "draft-worker")
        this.latest.set(`${report.instance}/${report.part}`, report);
    });
  }

  static async start(fleet: LocalFleet): Promise<FleetPhaseReader> {
    const reader = new FleetPhaseReader(await fleetBus(fleet));
    await reader.bus.flush();
    return reader;
  }

  /** The totals once both workers have reported after this call. */
  async totals(timeoutMs = 10_000): Promise<PhaseTotals> {
    const since = Date.now();
    const deadline = since + timeoutMs;
    for (;;) {
      const fresh = [...this.latest.values()].filter((r) => r.at > since);
      const roles = new Set(fresh.map((r) => r.actor));
      if (roles.has("verify-worker") && roles.has("draft-worker")) return totalsOf(fresh);
      if (Date.now() > deadline) throw new Error(`no fresh metrics from both workers within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  stop(): Promise<void> {
    return this.bus.drain();
  }
}

function totalsOf(reports: PayloadOf<typeof MetricsReport>[]): PhaseTotals {
  const totals: PhaseTotals = new Map();
  for (const report of reports) {
    const role = report.actor === "verify-worker" ? "verifier" : "drafter";
    for (const metric of report.metrics) {
      if (!PHASE_METRICS.has(metric.name)) continue;
      for (const { labels, value } of metric.values) {
        const key = `${role}.${String(labels.phase)}`;
        totals.set(key, (totals.get(key) ?? 0) + value * 1000);
      }
    }
  }
  return totals;
}

/** `after - before`, per phase, divided by `rounds`: ms per round. */
export function perRound(before: PhaseTotals, after: PhaseTotals, rounds: number): PhaseTotals {
  const out: PhaseTotals = new Map();
  for (const [key, value] of after) out.set(key, (value - (before.get(key) ?? 0)) / rounds);
  return out;
}

/** One row of the breakdown: a phase, and how to read it from each path's per-round figures. */
interface PhaseRow {
  label: string;
  fleet: (p: PhaseTotals) => number | null;
  local: (p: PhaseTotals) => number | null;
  /** Off the round's critical path (overlapped with other phases): not part of the sum. */
  overlapped?: boolean;
}

const v = (p: PhaseTotals, phase: string) => p.get(`verifier.${phase}`) ?? 0;
const d = (p: PhaseTotals, phase: string) => p.get(`drafter.${phase}`) ?? 0;
const l = (p: PhaseTotals, phase: string) => p.get(`local.${phase}`) ?? 0;
const none = () => null;

/** Verifier time between its timed phases (handler and promise hops). */
const verifierBetween = (p: PhaseTotals) =>
  v(p, "served") - v(p, "decode") - v(p, "lock") - v(p, "wait") - v(p, "verify") - v(p, "reply");
/** The round trip less what both ends account for: the network and nats-server, both ways. */
const transit = (p: PhaseTotals) => d(p, "round_trip") - d(p, "encode") - d(p, "decode") - v(p, "served");

export const PHASE_ROWS: PhaseRow[] = [
  { label: "draft (not drafted ahead)", fleet: (p) => d(p, "draft"), local: (p) => l(p, "draft") },
  { label: "drafted ahead, waited for after the reply", fleet: (p) => d(p, "ahead"), local: none },
  {
    label: "encode (request at the drafter, reply at the verifier)",
    fleet: (p) => d(p, "encode") + v(p, "reply"),
    local: none,
  },
  { label: "NATS transit (both ways)", fleet: transit, local: none },
  {
    label: "decode + validate (request at the verifier, reply at the drafter)",
    fleet: (p) => v(p, "decode") + d(p, "decode"),
    local: none,
  },
  {
    label: "wait at the verifier: session lock (a window sent ahead behind the round in flight)",
    fleet: (p) => v(p, "lock"),
    local: none,
  },
  { label: "wait at the verifier: checks + batcher", fleet: (p) => v(p, "wait"), local: none },
  { label: "verify (forward pass + acceptance + commit)", fleet: (p) => v(p, "verify"), local: (p) => l(p, "verify") },
  { label: "verifier, between phases (promise hops)", fleet: verifierBetween, local: none },
  {
    label: "reply applied at the drafter (rollback, commit, report)",
    fleet: (p) => d(p, "apply"),
    local: (p) => l(p, "apply"),
  },
  {
    label: "journal (Redis write, after the reply; overlapped)",
    fleet: (p) => v(p, "journal") - v(p, "publish"),
    local: none,
    overlapped: true,
  },
  {
    label: "publish (token event, after the journal; overlapped)",
    fleet: (p) => v(p, "publish"),
    local: none,
    overlapped: true,
  },
];

/** One column of the breakdown: a path's per-round phases and its measured ms per round. */
export interface BreakdownColumn {
  side: "fleet" | "local";
  phases: PhaseTotals;
  ms: number;
}

/**
 * The rows, one column per path, plus what the phases leave out of the measured ms/round (per
 * request: HTTP, placement, open, prefill, end). A pipelined drafter's next window is drafted
 * during the round trip: only the part of it waited for after the reply is on the round's path.
 */
export function breakdownRows(columns: readonly BreakdownColumn[]): string[][] {
  const fmt = (x: number | null) => (x === null ? "–" : x.toFixed(3));
  const sums = columns.map(() => 0);
  const rows = PHASE_ROWS.map((row) => [
    row.label,
    ...columns.map((column, i) => {
      const value = (column.side === "fleet" ? row.fleet : row.local)(column.phases);
      if (!row.overlapped) sums[i]! += value ?? 0;
      return fmt(value);
    }),
  ]);
  rows.push([
    "the rest: per request (HTTP, placement, open, prefill, end), loop",
    ...columns.map((column, i) => fmt(column.ms - sums[i]!)),
  ]);
  rows.push(["**ms per round (measured)**", ...columns.map((column) => fmt(column.ms))]);
  return rows;
}
