import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { describeCorePlan, planCores, planFleet, type CorePlanRequest } from "#infra";

const base = { machineCores: 2 };

void describe("planCores", () => {
  const cases: Array<{
    name: string;
    request: CorePlanRequest;
    verifiers: number[];
    drafters: number[];
    warn: boolean;
  }> = [
    {
      name: "npm start on 2 cores: one thread each, the same as before",
      request: { ...base, budget: 2, verifiers: 1, drafters: 2 },
      verifiers: [1],
      drafters: [1, 1],
      warn: false,
    },
    {
      name: "target only: the verifier takes the whole budget",
      request: { ...base, budget: 2, verifiers: 1, drafters: 0 },
      verifiers: [2],
      drafters: [],
      warn: false,
    },
    {
      name: "one drafter on 2 cores: one thread each",
      request: { ...base, budget: 2, verifiers: 1, drafters: 1 },
      verifiers: [1],
      drafters: [1],
      warn: false,
    },
    {
      name: "8 cores, 2 drafters: the verifier gets the other 6",
      request: { machineCores: 8, budget: 8, verifiers: 1, drafters: 2 },
      verifiers: [6],
      drafters: [1, 1],
      warn: false,
    },
    {
      name: "two verifiers share what the drafters leave, the larger share first",
      request: { machineCores: 8, budget: 7, verifiers: 2, drafters: 2 },
      verifiers: [3, 2],
      drafters: [1, 1],
      warn: false,
    },
    {
      name: "fused: the verifier gets the whole budget",
      request: { machineCores: 4, budget: 4, verifiers: 1, drafters: 0, fused: true },
      verifiers: [4],
      drafters: [],
      warn: false,
    },
    {
      name: "fused with drafters: still the whole budget for the verifier, and a warning when that oversubscribes",
      request: { ...base, budget: 2, verifiers: 1, drafters: 1, fused: true },
      verifiers: [2],
      drafters: [1],
      warn: true,
    },
    {
      name: "a budget below the workers: one thread each, single-thread workers only take turns (no warning)",
      request: { ...base, budget: 1, verifiers: 1, drafters: 3 },
      verifiers: [1],
      drafters: [1, 1, 1],
      warn: false,
    },
    {
      name: "explicit per-role counts oversubscribing multi-thread workers: a warning",
      request: { ...base, budget: 2, verifiers: 1, drafters: 2, verifierThreads: 2, drafterThreads: 2 },
      verifiers: [2],
      drafters: [2, 2],
      warn: true,
    },
    {
      name: "explicit per-role counts within the cores: no warning",
      request: { machineCores: 4, budget: 2, verifiers: 1, drafters: 1, verifierThreads: 3 },
      verifiers: [3],
      drafters: [1],
      warn: false,
    },
    {
      name: "a budget beyond the machine for a multi-thread verifier: a warning",
      request: { ...base, budget: 4, verifiers: 1, drafters: 0 },
      verifiers: [4],
      drafters: [],
      warn: true,
    },
  ];
  for (const c of cases) {
    void it(c.name, () => {
      const plan = planCores(c.request);
      assert.deepEqual(plan.verifiers, c.verifiers);
      assert.deepEqual(plan.drafters, c.drafters);
      assert.equal(
        plan.total,
        [...c.verifiers, ...c.drafters].reduce((s, n) => s + n, 0),
      );
      assert.equal(plan.warning !== null, c.warn, plan.warning ?? "no warning");
    });
  }

  void it("never gives a worker fewer than one thread", () => {
    for (let budget = 1; budget <= 6; budget++)
      for (let verifiers = 1; verifiers <= 3; verifiers++)
        for (let drafters = 0; drafters <= 4; drafters++) {
          const plan = planCores({ machineCores: 4, budget, verifiers, drafters });
          assert.ok([...plan.verifiers, ...plan.drafters].every((n) => n >= 1));
          if (budget >= verifiers + drafters) assert.equal(plan.total, budget, `budget ${budget} is used whole`);
        }
  });

  void it("says what to do in its warning", () => {
    const plan = planCores({ ...base, budget: 2, verifiers: 1, drafters: 2, verifierThreads: 2, drafterThreads: 2 });
    assert.match(plan.warning!, /6 threads exceed this machine's 2 cores.*--threads 2/);
  });

  void it("refuses a budget or counts that are not whole numbers", () => {
    assert.throws(
      () => planCores({ ...base, budget: 0, verifiers: 1, drafters: 0 }),
      /budget must be a whole number ≥ 1/,
    );
    assert.throws(() => planCores({ ...base, budget: 1.5, verifiers: 1, drafters: 0 }), /budget/);
    assert.throws(() => planCores({ ...base, budget: 2, verifiers: -1, drafters: 0 }), /verifiers/);
  });

  void it("describes the plan per worker", () => {
    const plan = planCores({ ...base, budget: 1, verifiers: 1, drafters: 2 });
    assert.equal(
      describeCorePlan(plan, ["verifier-1"], ["drafter-1", "drafter-2"]),
      "threads: verifier-1 1, drafter-1 1, drafter-2 1 (a budget of 1; each worker needs one, so 3 in all; 2 cores here)",
    );
  });

  void it("reaches each worker's THREADS through the fleet plan", () => {
    const plan = planCores({ machineCores: 8, budget: 8, verifiers: 1, drafters: 2 });
    const services = planFleet(
      {
        modelPath: "/m/a.gguf",
        verifiers: plan.verifiers.map((threads) => ({ threads })),
        drafters: plan.drafters.map((threads) => ({ threads })),
        threads: 3,
      },
      { natsUrl: "n", redisUrl: "r", logLevel: "info", gatewayHost: "127.0.0.1", gatewayPort: 1 },
    ).flat();
    const threadsOf = (name: string) => services.find((s) => s.name === name)!.env.THREADS;
    assert.deepEqual(["verifier-1", "drafter-1", "drafter-2"].map(threadsOf), ["6", "1", "1"]);
  });
});
