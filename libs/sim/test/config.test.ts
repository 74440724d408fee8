import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ZodError } from "zod";
import { PAIRING_TUNING_DEFAULTS } from "#pairing";
import { simConfigSchema, type SimConfigInput } from "#sim";
import { cloud } from "./fleets.js";

const valid: SimConfigInput = {
  workload: { arrivals: { kind: "poisson", ratePerSecond: 5 } },
  verifiers: [cloud],
  drafters: [{ name: "edge", count: 2, profile: { draftMsPerToken: 3, prefillMsPerToken: 0.5 } }],
};

/** `valid`, with `change` made to a deep copy. */
const broken = (change: (config: any) => void): unknown => {
  const config = structuredClone(valid);
  change(config);
  return config;
};

describe("configuration errors name the field", () => {
  const cases: Array<{ what: string; config: unknown; path: Array<string | number> }> = [
    {
      what: "a verifier group of none",
      config: broken((c) => (c.verifiers[0].count = 0)),
      path: ["verifiers", 0, "count"],
    },
    {
      what: "a negative arrival rate",
      config: broken((c) => (c.workload.arrivals.ratePerSecond = -1)),
      path: ["workload", "arrivals", "ratePerSecond"],
    },
    {
      what: "a lossier link than allowed",
      config: broken((c) => (c.drafters[0].link = { loss: 0.95 })),
      path: ["drafters", 0, "link", "loss"],
    },
    {
      what: "a window beyond 64",
      config: broken((c) => (c.policies = { window: { window: 65 } })),
      path: ["policies", "window", "window"],
    },
    {
      what: "an unknown pairing policy",
      config: broken((c) => (c.policies = { pairing: "fastest" })),
      path: ["policies", "pairing"],
    },
    {
      what: "a drafter profile without its speed",
      config: broken((c) => delete c.drafters[0].profile.draftMsPerToken),
      path: ["drafters", 0, "profile"],
    },
    {
      what: "a verifier profile by its old name, verifyMs",
      config: broken((c) => {
        c.verifiers[0].profile.verifyMs = c.verifiers[0].profile.verifyMsByTokens;
        delete c.verifiers[0].profile.verifyMsByTokens;
      }),
      path: ["verifiers", 0, "profile"],
    },
    {
      what: "a tuning value out of bounds",
      config: broken((c) => (c.policies = { tuning: { loadAware: { priorAcceptance: 2 } } })),
      path: ["policies", "tuning", "loadAware", "priorAcceptance"],
    },
    {
      what: "an unknown tuning value",
      config: broken((c) => (c.policies = { tuning: { rebalance: { minGian: 0.3 } } })),
      path: ["policies", "tuning", "rebalance"],
    },
    {
      what: "a name with a space",
      config: broken((c) => (c.verifiers[0].name = "big cloud")),
      path: ["verifiers", 0, "name"],
    },
    { what: "a misspelt field", config: broken((c) => (c.workload.request = 10)), path: ["workload"] },
    {
      what: "an acceptance above 1",
      config: broken((c) => (c.acceptance = { kind: "rate", alpha: 1.2 })),
      path: ["acceptance", "alpha"],
    },
    { what: "no verifiers", config: broken((c) => (c.verifiers = [])), path: ["verifiers"] },
    {
      what: "fused execution without a fused drafter",
      config: broken((c) => (c.execution = "fused")),
      path: ["verifiers", 0, "fusedDrafter"],
    },
  ];
  for (const c of cases) {
    it(c.what, () => {
      const result = simConfigSchema.safeParse(c.config);
      assert.equal(result.success, false);
      assert.ok(result.error instanceof ZodError);
      const paths = result.error.issues.map((issue) => issue.path);
      assert.ok(
        paths.some((path) => JSON.stringify(path) === JSON.stringify(c.path)),
        `expected an issue at ${JSON.stringify(c.path)}, got ${JSON.stringify(paths)}`,
      );
    });
  }
  it("the valid configuration parses, with defaults filled in", () => {
    const config = simConfigSchema.parse(valid);
    assert.equal(config.policies.pairing, "load-aware");
    assert.equal(config.policies.window.policy, "adaptive");
    assert.deepEqual(config.drafters[0]!.link.rttMs, { min: 0, max: 0 });
    assert.deepEqual(config.policies.tuning, PAIRING_TUNING_DEFAULTS);
  });
  it("a tuning value set, the others at their defaults", () => {
    const config = simConfigSchema.parse({ ...valid, policies: { tuning: { loadAware: { waitGain: 0.5 } } } });
    assert.deepEqual(config.policies.tuning, {
      ...PAIRING_TUNING_DEFAULTS,
      loadAware: { ...PAIRING_TUNING_DEFAULTS.loadAware, waitGain: 0.5 },
    });
  });
  it("fused execution with a fused drafter on every group is accepted", () => {
    const config = simConfigSchema.parse({
      ...valid,
      execution: "fused",
      verifiers: [{ ...cloud, fusedDrafter: { profile: { draftMsPerToken: 2, prefillMsPerToken: 0 } } }],
    });
    assert.equal(config.execution, "fused");
  });
});
