/** Shared by the benchmarks: what a measured path returns, and how results are printed. */
export interface PathOptions {
  modelPath: string;
  window: number;
  maxTokens: number;
  prompts: string[];
}

export interface PathRun {
  msPerRound: number;
  tokens: number[];
  /** ms per round by phase (bench:round's breakdown), when the path measures them. */
  phases?: Map<string, number>;
  /** CPU ms per round by process (bench:round), when the path measures it. */
  cpu?: Map<string, number>;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** A Markdown table, so the output pastes straight into docs/benchmarks.md. */
export function printTable(title: string, header: string[], rows: string[][]): void {
  console.log(`\n${title}\n`);
  console.log(`| ${header.join(" | ")} |`);
  console.log(`|${header.map(() => "---").join("|")}|`);
  for (const row of rows) console.log(`| ${row.join(" | ")} |`);
  console.log("");
}
