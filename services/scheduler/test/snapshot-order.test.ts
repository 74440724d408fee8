import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { FleetSnapshot } from "#contracts";
import { MAX_SEQ_STEP, SnapshotOrder, STALE_AFTER_MS } from "../src/fleet/snapshot-order.js";

const snapshot = (epoch: number, seq: number, at = 0): FleetSnapshot => ({ epoch, seq, at, workers: [] });

describe("SnapshotOrder", () => {
  it("orders one registry's snapshots by their numbers, not their clocks", () => {
    const order = new SnapshotOrder();
    assert.equal(order.answer(snapshot(7, 10, 5000), 0), "accepted");
    assert.equal(order.offer(snapshot(7, 11, 1), 10), "accepted", "dated in the past, numbered later");
    assert.equal(order.offer(snapshot(7, 9, 9e15), 20), "ignored", "dated far in the future, numbered earlier");
    assert.equal(order.snapshot?.seq, 11);
  });

  it("a forged page from the future or far ahead is not taken; the registry is asked instead", () => {
    const order = new SnapshotOrder();
    order.answer(snapshot(7, 10), 0);
    assert.equal(order.offer(snapshot(7, 10 + MAX_SEQ_STEP + 1), 10), "ask-registry");
    assert.equal(order.offer(snapshot(9e12, 1), 10), "ask-registry", "another epoch");
    assert.equal(order.snapshot?.seq, 10);
    assert.equal(order.answer(snapshot(7, 12), 20), "accepted");
  });

  it("a restarted registry (another epoch) is taken from its own answer", () => {
    const order = new SnapshotOrder();
    order.answer(snapshot(7, 500), 0);
    assert.equal(order.offer(snapshot(8, 1), 10), "ask-registry");
    assert.equal(order.answer(snapshot(8, 2), 20), "accepted");
    assert.equal(order.offer(snapshot(8, 3), 30), "accepted");
  });

  it("a held snapshot gone stale gives way to the registry's answer, whatever its number", () => {
    const order = new SnapshotOrder();
    order.answer(snapshot(7, 10), 0);
    order.offer(snapshot(7, 10 + MAX_SEQ_STEP), 10); // a forged page just within reach
    assert.equal(order.offer(snapshot(7, 12), 20), "ignored");
    assert.equal(order.offer(snapshot(7, 13), 20 + STALE_AFTER_MS), "ask-registry");
    assert.equal(order.answer(snapshot(7, 13), 30 + STALE_AFTER_MS), "accepted");
    assert.equal(order.offer(snapshot(7, 14), 40 + STALE_AFTER_MS), "accepted");
  });

  it("the first snapshot comes from the registry's answer", () => {
    const order = new SnapshotOrder();
    assert.equal(order.offer(snapshot(7, 1), 0), "ask-registry");
    assert.equal(order.answer(snapshot(7, 1), 0), "accepted");
  });
});
