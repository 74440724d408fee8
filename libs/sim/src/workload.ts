import { readFileSync } from "node:fs";
import { z } from "zod";
import type { SimConfig } from "./config.js";
import type { Random } from "./random.js";

export interface SimRequest {
  id: number;
  /** When it arrives, ms from the start (closed loop: filled in when its client sends it). */
  arrivalMs: number;
  promptTokens: number;
  outputTokens: number;
}

const traceLineSchema = z.object({
  at: z.number().nonnegative(),
  promptTokens: z.number().int().min(1),
  outputTokens: z.number().int().min(1),
});

/** A trace's requests, in arrival order; a bad line is an error naming its line number. */
export function readTrace(path: string, limit: number): SimRequest[] {
  const lines = readFileSync(path, "utf8").split("\n");
  const requests: SimRequest[] = [];
  for (let i = 0; i < lines.length && requests.length < limit; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new Error(`${path}:${i + 1}: not JSON`);
    }
    const result = traceLineSchema.safeParse(parsed);
    if (!result.success)
      throw new Error(
        `${path}:${i + 1}: ${result.error.issues.map((issue) => `${issue.path.join(".") || "line"}: ${issue.message}`).join("; ")}`,
      );
    requests.push({
      id: requests.length,
      arrivalMs: result.data.at,
      promptTokens: result.data.promptTokens,
      outputTokens: result.data.outputTokens,
    });
  }
  if (requests.length === 0) throw new Error(`${path}: no requests`);
  return requests.sort((a, b) => a.arrivalMs - b.arrivalMs).map((r, id) => ({ ...r, id }));
}

/** Open-loop arrivals (Poisson or a trace), all known up front; closed loop makes them as it goes. */
export function openArrivals(config: SimConfig["workload"], random: Random, tracePath?: string): SimRequest[] {
  const { arrivals } = config;
  if (arrivals.kind === "trace") return readTrace(tracePath ?? arrivals.path, config.requests);
  if (arrivals.kind !== "poisson") throw new Error("closed-loop arrivals are made during the run");
  const meanGapMs = 1000 / arrivals.ratePerSecond;
  let at = 0;
  return Array.from({ length: config.requests }, (_, id) => {
    at += random.exponential(meanGapMs);
    return { id, arrivalMs: at, ...requestShape(config, random) };
  });
}

/**
 * Poisson arrivals made one at a time as the run reaches them (the same draws, in the same order,
 * as `openArrivals`): a million requests are not all held, nor all in the event queue, at once.
 */
export function poissonArrivals(config: SimConfig["workload"], random: Random): () => SimRequest | null {
  const { arrivals } = config;
  if (arrivals.kind !== "poisson") throw new Error("not Poisson arrivals");
  const meanGapMs = 1000 / arrivals.ratePerSecond;
  let at = 0;
  let id = 0;
  return () => {
    if (id >= config.requests) return null;
    at += random.exponential(meanGapMs);
    return { id: id++, arrivalMs: at, ...requestShape(config, random) };
  };
}

export function requestShape(
  config: SimConfig["workload"],
  random: Random,
): Pick<SimRequest, "promptTokens" | "outputTokens"> {
  return {
    promptTokens: Math.max(1, random.integer(config.promptTokens.min, config.promptTokens.max)),
    outputTokens: Math.max(1, random.integer(config.outputTokens.min, config.outputTokens.max)),
  };
}
