import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { simulate } from "#sim";
import { cloud, fleetWithFarDrafters, smallFleet } from "./fleets.js";

describe("a seeded simulation", () => {
  const cases = [
    { what: "load-aware, adaptive windows", config: smallFleet() },
    { what: "random pairing, far drafters", config: fleetWithFarDrafters("random") },
    {
      what: "closed loop",
      config: smallFleet({ workload: { arrivals: { kind: "closed", clients: 6, thinkMs: [0, 200] }, requests: 200 } }),
    },
    {
      what: "fused",
      config: smallFleet({
        execution: "fused",
        drafters: [],
        verifiers: [{ ...cloud, fusedDrafter: { profile: { draftMsPerToken: 2, prefillMsPerToken: 0.2 } } }],
      }),
    },
  ];
  for (const { what, config } of cases) {
    it(`${what}: the same seed gives the same summary`, () => {
      assert.equal(JSON.stringify(simulate(config)), JSON.stringify(simulate(config)));
    });
    it(`${what}: another seed gives another`, () => {
      assert.notEqual(JSON.stringify(simulate(config)), JSON.stringify(simulate({ ...config, seed: config.seed + 1 })));
    });
  }
});
