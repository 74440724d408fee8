import type { SimSummary } from "#sim";

export interface SweepRow {
  shards: number;
  summary: SimSummary;
  wallS: number;
}

/**
 * The saturation table: per shard count, the offered decision load per shard (ρ: arrivals per
 * shard × a decision's time), what the shards decided and how busy the busiest was, how long
 * requests waited for a decision, and what the clients saw. ρ ≥ 1: that shard count saturates.
 */
export function saturationTable(rows: readonly SweepRow[], arrivalsPerSecond: number): string {
  const lines = [
    "| shards | ρ per shard | decisions/s | busiest shard | decision wait p50 / p99 ms | TTFT p50 / p99 ms | requests/s | goodput | wall s |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const { shards, summary: s, wallS } of rows) {
    const sched = s.scheduler;
    if (!sched) throw new Error("a sweep row without the scheduler's figures (the configuration has no shards)");
    const rho = (arrivalsPerSecond / shards) * (sched.decisionMs / 1000);
    lines.push(
      `| ${shards} | ${rho.toFixed(2)} | ${Math.round(sched.decisionsPerSecond)} | ${sched.utilisation.max.toFixed(2)} | ${num(sched.decisionWaitMs.p50)} / ${num(sched.decisionWaitMs.p99)} | ${num(s.ttftMs.p50)} / ${num(s.ttftMs.p99)} | ${Math.round(s.throughput.requestsPerSecond)} | ${(s.goodput.fraction * 100).toFixed(1)}% | ${wallS.toFixed(0)} |`,
    );
  }
  return lines.join("\n");
}

const num = (x: number) => (x >= 100 ? Math.round(x).toLocaleString("en") : x.toFixed(1));
