import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fifo, lengthAware } from "#batching";
import { VerifyBatcher } from "../src/verify-batcher.js";

/** A forward pass that records when it started and finishes when told. */
function pass(log: string[], name: string, gate: Promise<void>) {
  return async () => {
    log.push(`start ${name}`);
    await gate;
    return name;
  };
}

describe("VerifyBatcher", () => {
  it("starts the rounds submitted in one tick together, as one batch", async () => {
    const sizes: number[] = [];
    const log: string[] = [];
    const batcher = new VerifyBatcher(fifo, 8, 0, (n) => sizes.push(n));
    const results = await Promise.all(
      ["a", "b", "c"].map((n) => batcher.submit(n, 5, pass(log, n, Promise.resolve()))),
    );
    assert.deepEqual(results, ["a", "b", "c"]);
    assert.deepEqual(sizes, [3]);
  });

  it("waits for a round being drafted here (expect), then starts it with those already waiting", async () => {
    const sizes: number[] = [];
    const log: string[] = [];
    const batcher = new VerifyBatcher(fifo, 8, 0, (n) => sizes.push(n));
    const arrives = batcher.expect();
    const early = batcher.submit("a", 5, pass(log, "a", Promise.resolve()));
    for (let turn = 0; turn < 5; turn++) await new Promise((r) => setTimeout(r, 1));
    assert.deepEqual(log, [], "the batch waits for the expected round");
    arrives();
    arrives(); // a second call changes nothing
    const late = batcher.submit("b", 5, pass(log, "b", Promise.resolve()));
    assert.deepEqual(await Promise.all([early, late]), ["a", "b"]);
    assert.deepEqual(sizes, [2], "one batch for both");
    const alone = batcher.expect();
    alone(); // drafting failed: nothing comes, and nothing waits for it
    assert.equal(await batcher.submit("c", 5, pass(log, "c", Promise.resolve())), "c");
  });

  it("holds rounds beyond the limit, and those arriving mid-batch, for the next batch", async () => {
    const sizes: number[] = [];
    const log: string[] = [];
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const batcher = new VerifyBatcher(fifo, 2, 0, (n) => sizes.push(n));
    const first = ["a", "b", "c"].map((n) => batcher.submit(n, 5, pass(log, n, gate)));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(log, ["start a", "start b"], "the limit is 2");
    const late = batcher.submit("d", 5, pass(log, "d", Promise.resolve()));
    open();
    await Promise.all([...first, late]);
    assert.deepEqual(sizes, [2, 2]);
    assert.deepEqual(log, ["start a", "start b", "start c", "start d"]);
  });

  it("lets the policy choose: length-aware takes the short rounds first", async () => {
    const log: string[] = [];
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const batcher = new VerifyBatcher(
      lengthAware(() => Date.now()),
      2,
      0,
    );
    const all = [
      batcher.submit("prefill", 40, pass(log, "prefill", gate)),
      batcher.submit("x", 5, pass(log, "x", gate)),
      batcher.submit("y", 5, pass(log, "y", gate)),
    ];
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(log, ["start x", "start y"]);
    open();
    await Promise.all(all);
  });

  it("tells each batch's rounds and tokens when it starts, and once when all its passes have settled", async () => {
    const started: [number, number][] = [];
    const done: number[] = [];
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const log: string[] = [];
    const batcher = new VerifyBatcher(
      fifo,
      2,
      0,
      (rounds, tokens) => started.push([rounds, tokens]),
      undefined,
      (ms) => done.push(ms),
    );
    const all = [
      batcher.submit("a", 3, pass(log, "a", gate)),
      batcher.submit("b", 4, pass(log, "b", gate)),
      batcher.submit("c", 6, () => Promise.reject(new Error("decode failed"))),
    ];
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(started, [[2, 7]]);
    assert.deepEqual(done, [], "the first batch is still running");
    open();
    await Promise.allSettled(all);
    assert.deepEqual(started, [
      [2, 7],
      [1, 6],
    ]);
    assert.equal(done.length, 2, "a failed pass settles its batch too");
    assert.ok(done.every((ms) => ms >= 0));
  });

  it("passes a failed pass's error to its round only", async () => {
    const batcher = new VerifyBatcher(fifo, 8, 0);
    const bad = batcher.submit("bad", 1, () => Promise.reject(new Error("decode failed")));
    const good = batcher.submit("good", 1, () => Promise.resolve("ok"));
    await assert.rejects(bad, /decode failed/);
    assert.equal(await good, "ok");
  });
});

describe("VerifyBatcher without waiting", () => {
  it("starts at once when every live session is already waiting", async () => {
    const log: string[] = [];
    const batcher = new VerifyBatcher(fifo, 8, 0, undefined, () => 1);
    const result = batcher.submit("only", 5, pass(log, "only", Promise.resolve()));
    assert.deepEqual(log, ["start only"], "started synchronously, no turn of the event loop");
    assert.equal(await result, "only");
  });

  it("waits a turn while other live sessions may still send their rounds", async () => {
    const log: string[] = [];
    const batcher = new VerifyBatcher(fifo, 8, 0, undefined, () => 3);
    const a = batcher.submit("a", 5, pass(log, "a", Promise.resolve()));
    assert.deepEqual(log, []);
    const b = batcher.submit("b", 5, pass(log, "b", Promise.resolve()));
    await Promise.all([a, b]);
    assert.deepEqual(log, ["start a", "start b"]);
  });
});
