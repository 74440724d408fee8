import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FleetPageAssembler, fleetPages, type FleetWorker } from "#contracts";

const worker = (i: number) => ({ workerId: `w${i}` }) as FleetWorker;
const snapshot = (seq: number, n: number, epoch = 7) => ({
  epoch,
  seq,
  at: 1000 + seq,
  workers: Array.from({ length: n }, (_, i) => worker(i)),
});

describe("fleet pages", () => {
  it("cuts a snapshot into pages and puts it back together in any order", () => {
    const pages = fleetPages(snapshot(5, 450), 200);
    assert.deepEqual(
      pages.map((p) => [p.page, p.pages, p.workers.length]),
      [
        [0, 3, 200],
        [1, 3, 200],
        [2, 3, 50],
      ],
    );
    const assembler = new FleetPageAssembler();
    assert.equal(assembler.add(pages[2]!), null);
    assert.equal(assembler.add(pages[0]!), null);
    assert.deepEqual(assembler.add(pages[1]!), snapshot(5, 450));
  });

  it("an empty fleet is one empty page", () => {
    assert.deepEqual(fleetPages(snapshot(1, 0)), [{ epoch: 7, seq: 1, at: 1001, page: 0, pages: 1, workers: [] }]);
  });

  it("a newer snapshot drops an unfinished older one; an older page is ignored", () => {
    const assembler = new FleetPageAssembler();
    const old = fleetPages(snapshot(1, 3), 2);
    const fresh = fleetPages(snapshot(2, 3), 2);
    assert.equal(assembler.add(old[0]!), null);
    assert.equal(assembler.add(fresh[0]!), null);
    assert.equal(assembler.add(old[1]!), null);
    assert.deepEqual(assembler.add(fresh[1]!), snapshot(2, 3));
  });

  it("another registry process's snapshot starts over, whatever its numbers", () => {
    const assembler = new FleetPageAssembler();
    const before = fleetPages(snapshot(90, 3), 2);
    const restarted = fleetPages(snapshot(1, 3, 8), 2);
    assert.equal(assembler.add(before[0]!), null);
    assert.equal(assembler.add(restarted[0]!), null);
    assert.deepEqual(assembler.add(restarted[1]!), snapshot(1, 3, 8));
  });
});
