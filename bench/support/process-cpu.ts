import { readFileSync } from "node:fs";

/** Linux counts a process's CPU time in clock ticks of 1/100 s (USER_HZ). */
const TICKS_PER_SECOND = 100;

/** CPU seconds (user and system) a process has used so far, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** A process's CPU over a stretch of time, as a share of one core. */
export class CpuMeter {
  private readonly startedCpu: number;
  private readonly startedAt = performance.now();

  constructor(private readonly pid: number) {
    this.startedCpu = cpuSeconds(pid);
  }

  /** CPU seconds used since the meter started. */
  seconds(): number {
    return cpuSeconds(this.pid) - this.startedCpu;
  }

  /** Share of one core since the meter started (1 = a whole core). */
  share(): number {
    return this.seconds() / ((performance.now() - this.startedAt) / 1000);
  }
}
