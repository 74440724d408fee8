import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PairStats, type LinkReport } from "#placement";

const link = (drafterId: string, verifierId: string, extra: Partial<LinkReport> = {}): LinkReport => ({
  drafterId,
  drafterModel: "small",
  verifierId,
  targetModel: "big",
  roundTripMs: 10,
  acceptance: 0.5,
  rounds: 10,
  ...extra,
});

describe("PairStats", () => {
  it("weighs each link's acceptance by its rounds, per drafter model and target model", () => {
    const stats = new PairStats();
    stats.report(link("d1", "v1", { acceptance: 0.9, rounds: 30 }));
    stats.report(link("d2", "v1", { acceptance: 0.5, rounds: 10 }));
    stats.report(link("d3", "v1", { drafterModel: "other", acceptance: 0.1, rounds: 10 }));
    const context = stats.context(Math.random);
    assert.equal(context.acceptance!("small", "big"), 0.8);
    assert.equal(context.acceptance!("other", "big"), 0.1);
    assert.equal(context.acceptance!("small", "huge"), undefined);
  });

  it("a new report of a link replaces its old one", () => {
    const stats = new PairStats();
    stats.report(link("d1", "v1", { acceptance: 0.2, rounds: 10, roundTripMs: 50 }));
    stats.report(link("d1", "v1", { acceptance: 0.6, rounds: 20, roundTripMs: 5 }));
    const context = stats.context(Math.random);
    assert.equal(context.acceptance!("small", "big"), 0.6);
    assert.equal(context.roundTripMs!("d1", "v1"), 5);
    assert.equal(context.roundTripMs!("d1", "v2"), undefined);
  });

  it("the excess is the links' mean round trip beyond their workers' broker round trips, when known", () => {
    const stats = new PairStats();
    assert.equal(stats.context(Math.random).roundTripExcessMs, undefined);
    stats.report(link("d1", "v1", { roundTripMs: 10 }), { drafter: 2, verifier: 3 });
    stats.report(link("d2", "v1", { roundTripMs: 9 }), { drafter: 1, verifier: 3 });
    stats.report(link("d3", "v1", { roundTripMs: 100 }));
    assert.equal(stats.context(Math.random).roundTripExcessMs, 5);
    stats.report(link("d1", "v1", { roundTripMs: 5 }), { drafter: 2, verifier: 3 });
    assert.equal(stats.context(Math.random).roundTripExcessMs, 2.5);
  });

  it("a context is live: reports made after it show through it, the excess too", () => {
    const stats = new PairStats();
    const context = stats.context(Math.random);
    assert.equal(context.roundTripExcessMs, undefined);
    stats.report(link("d1", "v1", { roundTripMs: 10, acceptance: 0.7 }), { drafter: 2, verifier: 3 });
    assert.equal(context.roundTripExcessMs, 5);
    assert.equal(context.acceptance!("small", "big"), 0.7);
    assert.equal(context.roundTripMs!("d1", "v1"), 10);
  });

  it("a link without rounds adds a round trip but no acceptance", () => {
    const stats = new PairStats();
    stats.report(link("d1", "v1", { rounds: 0, acceptance: 1 }));
    const context = stats.context(Math.random);
    assert.equal(context.acceptance!("small", "big"), undefined);
    assert.equal(context.roundTripMs!("d1", "v1"), 10);
  });

  it("a context's revision changes with every report, and is never another PairStats' revision", () => {
    const first = new PairStats();
    const second = new PairStats();
    const context = first.context(Math.random);
    const before = context.revision;
    assert.notEqual(before, second.context(Math.random).revision);
    assert.equal(first.context(Math.random).revision, before);
    first.report(link("d1", "v1"));
    assert.notEqual(context.revision, before); // the context is live
    assert.notEqual(context.revision, second.context(Math.random).revision);
  });
});
