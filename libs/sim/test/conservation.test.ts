import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { simulate, type SimConfig } from "#sim";
import { cloud, fleetWithFarDrafters, smallFleet } from "./fleets.js";

/** Tokens the run committed, from its throughput and duration (both rounded to 4 decimals). */
const tokensOf = (summary: ReturnType<typeof simulate>) =>
  (summary.throughput.tokensPerSecond * summary.durationMs) / 1000;

// A trace whose output lengths are known: Σ output = 40 · (1 + 2 + … + 8) · 5.
const traceDir = mkdtempSync(join(tmpdir(), "sim-trace-"));
const traceLines = Array.from({ length: 40 }, (_, i) =>
  JSON.stringify({ at: i * 150, promptTokens: 20 + i, outputTokens: 5 * ((i % 8) + 1) }),
);
writeFileSync(join(traceDir, "trace.jsonl"), `${traceLines.join("\n")}\n`);
const traceOutput = traceLines.reduce(
  (sum, line) => sum + (JSON.parse(line) as { outputTokens: number }).outputTokens,
  0,
);

const fixedOutputs = (config: SimConfig, tokens: number): SimConfig => ({
  ...config,
  workload: { ...config.workload, outputTokens: { min: tokens, max: tokens } },
});

const cases: Array<{ what: string; config: SimConfig; baseDir?: string; outputTokens: number }> = [
  { what: "load-aware, 40-token outputs", config: fixedOutputs(smallFleet(), 40), outputTokens: 300 * 40 },
  {
    what: "random pairing, far drafters",
    config: fixedOutputs(fleetWithFarDrafters("random"), 33),
    outputTokens: 300 * 33,
  },
  {
    what: "overloaded (requests wait for a pair)",
    config: fixedOutputs(
      smallFleet({ workload: { arrivals: { kind: "poisson", ratePerSecond: 200 }, requests: 300 } }),
      24,
    ),
    outputTokens: 300 * 24,
  },
  {
    what: "fixed window 8, batches of at most 2",
    config: fixedOutputs(
      smallFleet({ verifiers: [{ ...cloud, maxBatch: 2 }], policies: { window: { policy: "fixed", window: 8 } } }),
      17,
    ),
    outputTokens: 300 * 17,
  },
  {
    what: "closed loop",
    config: fixedOutputs(
      smallFleet({ workload: { arrivals: { kind: "closed", clients: 5, thinkMs: [0, 100] }, requests: 150 } }),
      30,
    ),
    outputTokens: 150 * 30,
  },
  {
    what: "fused",
    config: fixedOutputs(
      smallFleet({
        execution: "fused",
        drafters: [],
        verifiers: [{ ...cloud, fusedDrafter: { profile: { draftMsPerToken: 2, prefillMsPerToken: 0.2 } } }],
      }),
      50,
    ),
    outputTokens: 300 * 50,
  },
  {
    what: "a trace",
    config: smallFleet({ workload: { arrivals: { kind: "trace", path: "trace.jsonl" }, requests: 1000 } }),
    baseDir: traceDir,
    outputTokens: traceOutput,
  },
];

describe("conservation", () => {
  for (const c of cases) {
    it(`${c.what}: every request completes or fails, every output token is delivered, no device is busy beyond the run`, () => {
      const summary = simulate(c.config, { baseDir: c.baseDir });
      const requests = c.config.workload.arrivals.kind === "trace" ? traceLines.length : c.config.workload.requests;
      assert.equal(summary.requests.completed + summary.requests.failed, requests);
      assert.equal(summary.requests.failed, 0, "every verifier serves the model: nothing is refused");
      assert.ok(
        Math.abs(tokensOf(summary) - c.outputTokens) < 1e-3 * c.outputTokens,
        `${tokensOf(summary)} tokens delivered, ${c.outputTokens} asked for`,
      );
      for (const verifier of summary.verifiers)
        assert.ok(
          verifier.utilisation >= 0 && verifier.utilisation <= 1,
          `${verifier.id}: utilisation ${verifier.utilisation}`,
        );
      assert.ok(summary.drafters.meanUtilisation >= 0 && summary.drafters.meanUtilisation <= 1);
      assert.equal(
        summary.verifiers.reduce((s, v) => s + v.sessions, 0),
        requests - summary.requests.failed + summary.rebalancing.verifierMoves,
        "every placed session counted on one verifier, and again on each it moved to",
      );
      assert.ok(summary.acceptance.rate >= 0 && summary.acceptance.rate <= 1);
    });
  }
});
