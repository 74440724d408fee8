/** One value of a cumulative series (a counter, or a histogram's bucket), with what it adds up into. */
export interface CumulativeSample {
  /** The reporting process (`actor/instance`). */
  process: string;
  /** Names the series, the process included: `process|metric|labels`. */
  series: string;
  /** What the series' increase is summed into (`committed`, `ttft:0.5`, ...). */
  group: string;
  value: number;
}

/**
 * Fleet-wide increases of cumulative series between two looks, as Prometheus' `increase()`
 * counts them: a series that went down was reset (its process restarted), so all of its new
 * value is the increase. A process seen for the first time gives nothing yet (its counts so far
 * happened before the dashboard watched), but a new series of a process already seen counts
 * whole: a labelled series appears with its first observation. What is no longer reported is
 * forgotten.
 */
export class CounterIncrease {
  private last = new Map<string, number>();
  private processes: ReadonlySet<string> = new Set<string>();

  /** Per group, the summed increase since the previous call; `processes`: every process that reported. */
  increase(processes: ReadonlySet<string>, samples: Iterable<CumulativeSample>): Map<string, number> {
    const sums = new Map<string, number>();
    const seen = new Map<string, number>();
    for (const { process, series, group, value } of samples) {
      seen.set(series, value);
      const before = this.last.get(series) ?? (this.processes.has(process) ? 0 : undefined);
      const delta = before === undefined ? 0 : value >= before ? value - before : value;
      sums.set(group, (sums.get(group) ?? 0) + delta);
    }
    this.last = seen;
    this.processes = processes;
    return sums;
  }
}

/** Increases summed over the last `windowMs` (the 10 s behind a chart's TTFT, TPOT and acceptance). */
export class RollingSums {
  private readonly entries: { at: number; sums: Map<string, number> }[] = [];

  constructor(private readonly windowMs: number) {}

  add(at: number, sums: Map<string, number>): void {
    this.entries.push({ at, sums });
    while (this.entries.length > 0 && this.entries[0]!.at <= at - this.windowMs) this.entries.shift();
  }

  /** The sum of each group over the window. */
  totals(): Map<string, number> {
    const totals = new Map<string, number>();
    for (const { sums } of this.entries)
      for (const [group, value] of sums) totals.set(group, (totals.get(group) ?? 0) + value);
    return totals;
  }
}
