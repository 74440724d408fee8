import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { simulate, type SimConfigInput } from "#sim";
import { fleetWithFarDrafters } from "./fleets.js";

/**
 * The scheduler's rebalancer in DSD-Sim: random pairing puts sessions on far, slow drafters; the
 * production `rebalanceMoves`, run every 500 ms, moves them to near ones as those free up.
 */
describe("rebalancing", () => {
  const run = (rebalanceMs: number, tuning: SimConfigInput["policies"] = {}) =>
    simulate(
      fleetWithFarDrafters("random", {
        policies: { pairing: "random", rebalanceMs, ...tuning },
        workload: {
          arrivals: { kind: "poisson", ratePerSecond: 3 },
          requests: 200,
          promptTokens: [16, 64],
          outputTokens: [100, 200],
        },
      }),
    );

  it("off: nothing moves", () => {
    assert.equal(run(0).rebalancing.moves, 0);
  });

  it("tuned from the configuration: more moves a pass move more sessions, a cost factor out of reach none", () => {
    const moves = (rebalance: object) => run(500, { tuning: { rebalance } }).rebalancing.moves;
    const one = moves({});
    assert.ok(moves({ maxMoves: 4 }) > one, `${moves({ maxMoves: 4 })} moves at 4 a pass, ${one} at 1`);
    assert.equal(moves({ costFactor: 1e9 }), 0);
  });

  it("on: sessions leave the far drafters, and a token moved is never lost or repeated", () => {
    const off = run(0);
    const on = run(500);
    assert.ok(on.rebalancing.moves > 0, JSON.stringify(on.rebalancing));
    assert.equal(on.requests.completed, 200);
    const tokens = (s: typeof on) => Math.round((s.throughput.tokensPerSecond * s.durationMs) / 1000);
    assert.equal(tokens(on), tokens(off), "the same requests, the same tokens delivered");
    assert.ok(
      on.tpotMs.mean < off.tpotMs.mean,
      `TPOT ${on.tpotMs.mean} ms with rebalancing, ${off.tpotMs.mean} without`,
    );
  });
});
