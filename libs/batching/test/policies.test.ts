import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { batchingPolicy, fifo, lengthAware, type PendingRound } from "#batching";

const round = (sessionId: string, arrivedAt: number, tokens: number): PendingRound => ({
  sessionId,
  arrivedAt,
  tokens,
});
const ids = (rounds: PendingRound[]) => rounds.map((r) => r.sessionId);
const A = round("A", 0, 40);
const B = round("B", 1, 5);
const C = round("C", 2, 5);

describe("batching policies", () => {
  const cases: Array<{
    name: string;
    policy: ReturnType<typeof batchingPolicy>;
    pending: PendingRound[];
    limit: number;
    expected: string[];
  }> = [
    { name: "fifo: by arrival", policy: fifo, pending: [C, A, B], limit: 2, expected: ["A", "B"] },
    { name: "fifo: all when under the limit", policy: fifo, pending: [B, A], limit: 8, expected: ["A", "B"] },
    {
      name: "length-aware: README example",
      policy: lengthAware(() => 10),
      pending: [A, B, C],
      limit: 2,
      expected: ["B", "C"],
    },
    {
      name: "length-aware: ties by arrival",
      policy: lengthAware(() => 10),
      pending: [C, B],
      limit: 1,
      expected: ["B"],
    },
    {
      name: "length-aware: an overdue round goes first",
      policy: lengthAware(() => 250),
      pending: [A, round("D", 240, 5)],
      limit: 1,
      expected: ["A"],
    },
    { name: "empty", policy: fifo, pending: [], limit: 4, expected: [] },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(ids(c.policy(c.pending, c.limit)), c.expected));

  it("does not reorder the caller's array", () => {
    const pending = [C, A, B];
    fifo(pending, 3);
    assert.deepEqual(ids(pending), ["C", "A", "B"]);
  });

  it("is chosen by name", () => {
    assert.equal(batchingPolicy("fifo"), fifo);
    assert.deepEqual(ids(batchingPolicy("length-aware", () => 10)([A, B], 1)), ["B"]);
  });
});
