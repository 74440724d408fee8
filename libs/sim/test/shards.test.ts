import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CellDraw, SchedulerShards, simulate } from "#sim";
import { cloud, smallFleet } from "./fleets.js";

describe("SchedulerShards: each shard decides its cells' requests in turn", () => {
  it("cell c goes to shard c mod shards", () => {
    const shards = new SchedulerShards(4, 1);
    assert.deepEqual(
      [0, 1, 3, 4, 9].map((c) => shards.shardOf(c)),
      [0, 1, 3, 0, 1],
    );
  });

  it("a decision takes decisionMs after those queued before it at the same shard, not at another", () => {
    const shards = new SchedulerShards(2, 5);
    assert.equal(shards.decide(0, 100), 105);
    assert.equal(shards.decide(2, 101), 110, "behind the first, on shard 0");
    assert.equal(shards.decide(1, 101), 106, "shard 1 is free");
    assert.equal(shards.decide(0, 200), 205, "idle again");
  });

  it("decisions outside the arrival queue delay the arrivals behind them", () => {
    const shards = new SchedulerShards(1, 2);
    shards.charge(0, 10, 3);
    assert.equal(shards.decide(0, 10), 18);
    assert.equal(shards.summary().decisions, 4);
  });

  it("with no decision time a request is decided on arrival", () => {
    const shards = new SchedulerShards(1, 0);
    assert.equal(shards.timed, false);
    assert.equal(shards.decide(0, 42), 42);
    assert.equal(shards.decide(0, 42), 42);
  });

  const cases = [
    { what: "below capacity (ρ = 0.5)", gapMs: 4, saturated: false },
    { what: "past capacity (ρ = 2)", gapMs: 1, saturated: true },
  ];
  for (const { what, gapMs, saturated } of cases) {
    it(`one shard at 2 ms a decision, an arrival every ${gapMs} ms: ${what}`, () => {
      const shards = new SchedulerShards(1, 2);
      const n = 1000;
      for (let i = 0; i < n; i++) shards.decide(0, i * gapMs);
      const summary = shards.summary();
      assert.equal(summary.decisions, n);
      if (saturated) {
        // The queue grows by one every 2 ms of arrivals: the last waits about n ms.
        assert.ok(summary.decisionWaitMs.p99 > 900, `p99 ${summary.decisionWaitMs.p99}`);
        assert.ok(summary.utilisation.max > 0.99);
      } else {
        assert.equal(summary.decisionWaitMs.p99, 2);
        assert.ok(Math.abs(summary.utilisation.mean - 0.5) < 0.01);
      }
    });
  }

  it("refuses a shard count or a decision time that makes no sense", () => {
    assert.throws(() => new SchedulerShards(0, 1), /shards/);
    assert.throws(() => new SchedulerShards(1.5, 1), /shards/);
    assert.throws(() => new SchedulerShards(1, -1), /decision/);
  });
});

describe("CellDraw: a request's cell in proportion to the cells' weights", () => {
  it("picks by cumulative weight, skipping cells of no weight", () => {
    const draw = new CellDraw([1, 0, 3]);
    assert.deepEqual(
      [0, 0.24, 0.25, 0.5, 0.999].map((u) => draw.pick(u)),
      [0, 0, 2, 2, 2],
    );
  });

  it("refuses no cells, a negative weight, or weights that add up to nothing", () => {
    assert.throws(() => new CellDraw([]), /no cells/);
    assert.throws(() => new CellDraw([1, -1]), /weight/);
    assert.throws(() => new CellDraw([0, 0]), /nothing/);
  });
});

describe("a sharded simulation", () => {
  const sharded = (decisionMs: number, shards = 2) =>
    smallFleet({
      regions: 2,
      scheduler: { shards, decisionMs },
      verifiers: [{ ...cloud, count: 4 }],
      workload: { arrivals: { kind: "poisson", ratePerSecond: 40 }, requests: 400, outputTokens: [16, 32] },
    });

  it("completes every request within the cells and reports its shards", () => {
    const summary = simulate(sharded(1));
    assert.equal(summary.requests.completed, 400);
    assert.equal(summary.scheduler?.shards, 2);
    assert.ok(summary.scheduler!.decisions >= 400);
    // Each cell has two verifiers: every one of them served.
    assert.ok(summary.verifiers.every((v) => v.sessions > 0));
  });

  it("a shard slower than its arrivals makes requests wait for their decisions, and the first token later", () => {
    const quick = simulate(sharded(1));
    // 40 requests/s over 1 shard at 50 ms a decision: ρ = 2.
    const slow = simulate(sharded(50, 1));
    assert.ok(slow.scheduler!.utilisation.max > 0.95, `utilisation ${slow.scheduler!.utilisation.max}`);
    assert.ok(slow.scheduler!.decisionWaitMs.p99 > 50 * quick.scheduler!.decisionWaitMs.p99);
    assert.ok(slow.ttftMs.p50 > quick.ttftMs.p50 + 1000);
  });

  it("is deterministic, and without cells or shards reports no scheduler", () => {
    assert.equal(JSON.stringify(simulate(sharded(1))), JSON.stringify(simulate(sharded(1))));
    assert.equal(simulate(smallFleet()).scheduler, undefined);
  });
});
