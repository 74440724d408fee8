import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { SequenceLedger, acceptGreedy, admitRound } from "#speculation";

const PROMPT = [1, 2, 3]; // n = 3
const DRAFT = [10, 11, 12, 13]; // γ = 4

describe("SequenceLedger: verifier round (evaluate tail + draft, commit accepted + correction)", () => {
  // Erase range is [n+a, n+γ) (half-open); nothing to erase when the whole draft is accepted.
  const cases = [
    {
      name: "none accepted",
      draft: DRAFT,
      predictions: [20, 0, 0, 0, 0],
      tokens: [20],
      erase: { start: 3, end: 7 },
      cached: 3,
    },
    {
      name: "partial (a=2)",
      draft: DRAFT,
      predictions: [10, 11, 21, 0, 0],
      tokens: [10, 11, 21],
      erase: { start: 5, end: 7 },
      cached: 5,
    },
    {
      name: "all accepted + bonus",
      draft: DRAFT,
      predictions: [10, 11, 12, 13, 22],
      tokens: [10, 11, 12, 13, 22],
      erase: null,
      cached: 7,
    },
    { name: "empty draft (γ=0)", draft: [], predictions: [23], tokens: [23], erase: null, cached: 3 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const ledger = new SequenceLedger(PROMPT);
      assert.deepEqual(ledger.uncachedTail(), [1, 2, 3]);
      ledger.evaluated([...ledger.uncachedTail(), ...c.draft]);
      assert.equal(ledger.cachedLength, 3 + c.draft.length);

      const verdict = acceptGreedy(c.draft, c.predictions);
      assert.deepEqual(verdict.tokens, c.tokens);
      assert.deepEqual(ledger.commit(3, verdict.tokens), c.erase);

      assert.equal(ledger.position, 3 + c.tokens.length);
      assert.equal(ledger.cachedLength, c.cached);
      assert.deepEqual(ledger.committedTokens(), [...PROMPT, ...c.tokens]);
      // The last committed token (correction or bonus) is never cached: it is the next tail.
      assert.deepEqual(ledger.uncachedTail(), [c.tokens.at(-1)]);
    });
  }

  it("second round starts from the correction token", () => {
    const ledger = new SequenceLedger(PROMPT);
    ledger.evaluated([...PROMPT, ...DRAFT]);
    ledger.commit(3, [10, 11, 21]); // position 6, cache [1,2,3,10,11]
    ledger.evaluated([...ledger.uncachedTail(), 30, 31]); // [21, 30, 31]
    assert.equal(ledger.cachedLength, 8);
    assert.deepEqual(ledger.commit(6, [30, 40]), { start: 7, end: 8 });
    assert.deepEqual(ledger.committedTokens(4), [11, 21, 30, 40]);
    assert.deepEqual(ledger.uncachedTail(), [40]);
  });
});

describe("SequenceLedger: drafter round (evaluate tail + first γ-1 drafts, commit the verdict)", () => {
  const cases = [
    { name: "none accepted", draft: DRAFT, verdict: [20], erase: { start: 3, end: 6 }, cached: 3, tail: [20] },
    { name: "partial (a=2)", draft: DRAFT, verdict: [10, 11, 21], erase: { start: 5, end: 6 }, cached: 5, tail: [21] },
    { name: "a=γ-1: cache already exact", draft: DRAFT, verdict: [10, 11, 12, 21], erase: null, cached: 6, tail: [21] },
    {
      name: "all accepted: last draft + bonus uncached",
      draft: DRAFT,
      verdict: [10, 11, 12, 13, 22],
      erase: null,
      cached: 6,
      tail: [13, 22],
    },
    { name: "γ=1, accepted", draft: [10], verdict: [10, 22], erase: null, cached: 3, tail: [10, 22] },
    { name: "γ=1, rejected", draft: [10], verdict: [20], erase: null, cached: 3, tail: [20] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const ledger = new SequenceLedger(PROMPT);
      ledger.evaluated([...ledger.uncachedTail(), ...c.draft.slice(0, -1)]);
      assert.equal(ledger.cachedLength, 3 + c.draft.length - 1);
      assert.deepEqual(ledger.commit(3, c.verdict), c.erase);
      assert.equal(ledger.position, 3 + c.verdict.length);
      assert.equal(ledger.cachedLength, c.cached);
      assert.deepEqual(ledger.uncachedTail(), c.tail);
    });
  }
});

describe("SequenceLedger: guards", () => {
  it("a session needs at least one token", () => {
    assert.throws(() => new SequenceLedger([]), { message: "a session starts with at least one token" });
  });

  it("a duplicate round is stale, answered with what was committed since, and never applied twice", () => {
    const ledger = new SequenceLedger(PROMPT);
    ledger.evaluated([...PROMPT, ...DRAFT]);
    const round = { position: 3, draft: DRAFT };
    assert.deepEqual(admitRound(ledger, round), { kind: "apply", skip: 0 });
    ledger.commit(3, [10, 11, 21]);

    const retry = admitRound(ledger, round);
    assert.deepEqual(retry, { kind: "stale", committedSince: 3 });
    assert.deepEqual(ledger.committedTokens(3), [10, 11, 21]);
    assert.throws(() => ledger.commit(3, [10, 11, 21]), { message: "commit at 3 but the session is at 6" });
    assert.equal(ledger.position, 6);
    assert.deepEqual(ledger.committedTokens(), [1, 2, 3, 10, 11, 21]);
  });

  it("the last committed token is evicted even when the cache already holds it", () => {
    const ledger = new SequenceLedger(PROMPT);
    ledger.evaluated([...PROMPT, 10, 11, 12]); // a drafter's speculative cache
    assert.deepEqual(ledger.commit(3, [10, 11]), { start: 4, end: 6 }); // catch-up from a stale reply
    assert.equal(ledger.cachedLength, 4);
    assert.deepEqual(ledger.uncachedTail(), [11]);
  });

  it("a commit ahead of the session throws", () => {
    const ledger = new SequenceLedger(PROMPT);
    assert.throws(() => ledger.commit(4, [9]), { message: "commit at 4 but the session is at 3" });
    assert.equal(ledger.position, 3);
  });
});

describe("admitRound", () => {
  // Committed: [1, 2, 3] then a round at 3 committed [10, 11, 12]: the session is at 6.
  const ledger = new SequenceLedger([1, 2, 3, 10, 11, 12]);
  const cases = [
    { round: { position: 6, draft: [13, 14] }, expected: { kind: "apply", skip: 0 }, why: "at the session's position" },
    {
      round: { position: 5, draft: [12, 13, 14] },
      expected: { kind: "apply", skip: 1 },
      why: "sent early, its guessed first token committed: the rest applies",
    },
    {
      round: { position: 3, draft: [10, 11, 12, 13] },
      expected: { kind: "apply", skip: 3 },
      why: "repeats all committed since, and goes on",
    },
    {
      round: { position: 5, draft: [99, 13, 14] },
      expected: { kind: "stale", committedSince: 5 },
      why: "sent early on a guess that did not hold",
    },
    {
      round: { position: 3, draft: [10, 11, 20] },
      expected: { kind: "stale", committedSince: 3 },
      why: "a retry of the applied round (its third token was corrected)",
    },
    {
      round: { position: 3, draft: [10, 11, 12] },
      expected: { kind: "stale", committedSince: 3 },
      why: "repeats what was committed and adds nothing",
    },
    { round: { position: 0, draft: [] }, expected: { kind: "stale", committedSince: 0 }, why: "far behind" },
    {
      round: { position: 8, draft: [13] },
      expected: { kind: "ahead" },
      why: "ahead (an early window whose guess failed)",
    },
  ];
  for (const c of cases) {
    it(`session at 6, round at ${c.round.position} [${c.round.draft.join(", ")}] → ${c.expected.kind}: ${c.why}`, () => {
      assert.deepEqual(admitRound(ledger, c.round), c.expected);
    });
  }
});

describe("SequenceLedger with a pipelined draft", () => {
  it("keeps the next window drafted ahead when the round commits exactly what it assumed", () => {
    const ledger = new SequenceLedger([1, 2, 3]);
    ledger.evaluated([1, 2, 3, 10, 11, 12, 13]); // tail, the window 10 11 12 13, its guessed bonus 20…
    ledger.evaluated([20, 21]); // …and the next window's first tokens
    assert.equal(ledger.commit(3, [10, 11, 12, 13, 20], { keepSpeculation: true }), null);
    assert.equal(ledger.cachedLength, 9);
    assert.deepEqual(ledger.uncachedTail(), []);
  });

  it("rolls back as usual when the guess was wrong", () => {
    const ledger = new SequenceLedger([1, 2, 3]);
    ledger.evaluated([1, 2, 3, 10, 11, 12, 13, 20, 21]);
    assert.deepEqual(ledger.commit(3, [10, 11, 12, 13, 99], { keepSpeculation: true }), { start: 7, end: 9 });
    assert.deepEqual(ledger.uncachedTail(), [99]);
  });

  it("drops a pipelined draft that will not be sent", () => {
    const ledger = new SequenceLedger([1, 2, 3]);
    ledger.evaluated([1, 2, 3, 10, 11]);
    ledger.commit(3, [10], { keepSpeculation: true }); // cache 1 2 3 10 11: all committed, plus 11
    assert.deepEqual(ledger.rollbackToCommitted(), { start: 3, end: 5 });
    assert.deepEqual(ledger.uncachedTail(), [10]);
  });
});
