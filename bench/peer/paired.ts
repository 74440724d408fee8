/**
 * bench:peer `--paired`: a SpecFleet setup and llama-server's best one-stream setting up at the
 * same time, single requests alternated (the same prompt to one, then the other, the order
 * swapped every round). Each server's requests then run beside the same idle processes (the
 * other server's, and SpecFleet's control plane whichever serves), so the ratio weighs what each
 * does per request, apart from what SpecFleet's idle control plane takes from the cores when it
 * runs alone as in the main table.
 */
import { median } from "../support/report.js";
import { completeOnce, warmUp } from "./load.js";
import type { PeerSetup, StartContext } from "./setup.js";

export interface PairedRun {
  specFleet: PeerSetup;
  llamaServer: PeerSetup;
  /** ms per request, in request order, one per prompt per round. */
  specFleetMs: number[];
  llamaServerMs: number[];
  /** Requests whose greedy texts differed between the two (near ties are possible: bench:peer explains them). */
  textsDiffering: number;
}

export async function runPaired(
  specFleet: PeerSetup,
  llamaServer: PeerSetup,
  prompts: readonly string[],
  maxTokens: number,
  rounds: number,
  context: Omit<StartContext, "concurrency">,
): Promise<PairedRun> {
  const run: PairedRun = { specFleet, llamaServer, specFleetMs: [], llamaServerMs: [], textsDiffering: 0 };
  const ours = await specFleet.start({ ...context, concurrency: 1 });
  try {
    const theirs = await llamaServer.start({ ...context, concurrency: 1 });
    try {
      for (const server of [ours, theirs]) await warmUp(server, prompts, 1);
      for (let round = 0; round < rounds; round++) {
        for (const prompt of prompts) {
          const texts: string[] = [];
          const order = round % 2 === 0 ? ([ours, theirs] as const) : ([theirs, ours] as const);
          for (const server of order) {
            const started = performance.now();
            const answer = await completeOnce(server, prompt, maxTokens);
            (server === ours ? run.specFleetMs : run.llamaServerMs).push(performance.now() - started);
            texts.push(answer.text);
          }
          if (texts[0] !== texts[1]) run.textsDiffering++;
        }
      }
    } finally {
      await theirs.stop();
    }
  } finally {
    await ours.stop();
  }
  return run;
}

/** One row of the paired table: medians per request and the median of the per-prompt ratios. */
export function pairedRow(run: PairedRun): string[] {
  const ratios = run.specFleetMs.map((ms, i) => run.llamaServerMs[i]! / ms);
  const ours = median(run.specFleetMs);
  const theirs = median(run.llamaServerMs);
  return [
    run.specFleet.label,
    run.llamaServer.label,
    String(run.specFleetMs.length),
    theirs.toFixed(1),
    ours.toFixed(1),
    `${(theirs / ours).toFixed(2)}×`,
    `${median(ratios).toFixed(2)}× (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`,
    String(run.textsDiffering),
  ];
}

export const PAIRED_HEADER = [
  "SpecFleet setup",
  "llama-server setup",
  "requests each",
  "llama-server ms/request",
  "SpecFleet ms/request",
  "speed, ratio of medians",
  "speed, median of same-prompt ratios (range)",
  "texts differing",
];
