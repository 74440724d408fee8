/**
 * bench:peer `--neighbour`: what an idle SpecFleet costs the process beside it. llama-server's best
 * one-stream setting stays up; each round it serves the prompts once alone and once with a
 * SpecFleet setup started beside it and left idle (the order swapped every round, the fleet
 * started afresh each time). A fleet's processes that wake while a forward pass runs take a core
 * from its threads: the ratio is llama-server's time per request beside the idle fleet over alone.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { median } from "../support/report.js";
import { completeOnce, warmUp } from "./load.js";
import type { PeerSetup, StartContext } from "./setup.js";

/** After a fleet is up, before its neighbour is timed: start-up's last work (profiles, first reports) ends. */
const SETTLE_MS = 8000;

export interface NeighbourRun {
  fleet: PeerSetup;
  llamaServer: PeerSetup;
  /** llama-server's ms per request, one per prompt per round. */
  aloneMs: number[];
  besideMs: number[];
  /** Per round: median beside / median alone. */
  roundRatios: number[];
}

export async function runNeighbour(
  fleet: PeerSetup,
  llamaServer: PeerSetup,
  prompts: readonly string[],
  maxTokens: number,
  rounds: number,
  context: Omit<StartContext, "concurrency">,
): Promise<NeighbourRun> {
  const run: NeighbourRun = { fleet, llamaServer, aloneMs: [], besideMs: [], roundRatios: [] };
  const server = await llamaServer.start({ ...context, concurrency: 1 });
  const serveAll = async () => {
    const ms: number[] = [];
    for (const prompt of prompts) {
      const started = performance.now();
      await completeOnce(server, prompt, maxTokens);
      ms.push(performance.now() - started);
    }
    return ms;
  };
  try {
    await warmUp(server, prompts, 1);
    for (let round = 0; round < rounds; round++) {
      const timed: Record<"alone" | "beside", number[]> = { alone: [], beside: [] };
      for (const where of round % 2 === 0 ? (["alone", "beside"] as const) : (["beside", "alone"] as const)) {
        if (where === "alone") {
          timed.alone = await serveAll();
          continue;
        }
        const idle = await fleet.start({ ...context, concurrency: 1 });
        try {
          await sleep(SETTLE_MS);
          timed.beside = await serveAll();
        } finally {
          await idle.stop();
        }
      }
      run.aloneMs.push(...timed.alone);
      run.besideMs.push(...timed.beside);
      run.roundRatios.push(median(timed.beside) / median(timed.alone));
    }
  } finally {
    await server.stop();
  }
  return run;
}

/** One row: llama-server's medians alone and beside the idle fleet, their ratio, the rounds' ratios. */
export function neighbourRow(run: NeighbourRun): string[] {
  const alone = median(run.aloneMs);
  const beside = median(run.besideMs);
  const rounds = run.roundRatios.map((r) => r.toFixed(2));
  return [
    run.fleet.label,
    run.llamaServer.label,
    String(run.aloneMs.length),
    alone.toFixed(1),
    beside.toFixed(1),
    `${(beside / alone).toFixed(3)}×`,
    `${median(run.roundRatios).toFixed(3)}× (${rounds.join(", ")})`,
  ];
}

export const NEIGHBOUR_HEADER = [
  "idle SpecFleet setup",
  "its neighbour",
  "requests each",
  "neighbour alone, ms/request",
  "beside the idle fleet, ms/request",
  "cost, ratio of medians",
  "cost, median of rounds (each round)",
];
