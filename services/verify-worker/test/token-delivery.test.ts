import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { JournalEntry } from "#journal";
import { TokenDelivery } from "../src/token-delivery.js";

/** A round's committed tokens at `index`, each token's text one letter. */
function round(index: number, tokens: number[]): JournalEntry {
  const text = tokens.map((t) => String.fromCharCode(97 + (t % 26))).join("");
  return { index, tokens, text, textEnds: tokens.map((_, i) => i + 1) };
}

describe("TokenDelivery", () => {
  it("each-round: every round's tokens are due at once", () => {
    const delivery = new TokenDelivery("each-round", 250);
    for (const [at, index] of [
      [0, 0],
      [5, 3],
      [10, 6],
    ] as const) {
      delivery.add(round(index, [index, index + 1, index + 2]));
      assert.deepEqual(delivery.due(at, false), round(index, [index, index + 1, index + 2]));
      assert.equal(delivery.take(), null, "nothing held");
    }
  });

  it("batched: the first tokens at once, then one entry per interval, the rest with the last round", () => {
    const delivery = new TokenDelivery("batched", 250);
    const due: Array<JournalEntry | null> = [];
    const rounds = [
      { at: 0, tokens: [1, 2] },
      { at: 100, tokens: [3] },
      { at: 200, tokens: [4, 5, 6] },
      { at: 260, tokens: [7] }, // 260 ms after the first: due
      { at: 300, tokens: [8, 9] },
      { at: 400, tokens: [10] }, // the last round: due whatever the time
    ];
    let index = 0;
    rounds.forEach(({ at, tokens }, i) => {
      delivery.add(round(index, tokens));
      index += tokens.length;
      due.push(delivery.due(at, i === rounds.length - 1));
    });
    assert.deepEqual(
      due.map((d) => d && { index: d.index, tokens: d.tokens }),
      [
        { index: 0, tokens: [1, 2] },
        null,
        null,
        { index: 2, tokens: [3, 4, 5, 6, 7] },
        null,
        { index: 7, tokens: [8, 9, 10] },
      ],
    );
    // The entries cover every token once, in order, with no gap.
    const delivered = due.filter((d): d is JournalEntry => d !== null);
    assert.deepEqual(
      delivered.flatMap((d) => d.tokens),
      rounds.flatMap((r) => r.tokens),
    );
    assert.equal(delivery.take(), null, "nothing held");
  });

  it("batched: a merged entry's text and textEnds are those of its rounds, one after the other", () => {
    const delivery = new TokenDelivery("batched", 250);
    delivery.add(round(0, [0]));
    assert.ok(delivery.due(0, false));
    delivery.add({ index: 1, tokens: [7, 8], text: "ab", textEnds: [1, 2] });
    delivery.add({ index: 3, tokens: [9], text: "", textEnds: [0] }); // a character still incomplete
    delivery.add({ index: 4, tokens: [10], text: "çd", textEnds: [2] });
    assert.equal(delivery.due(10, false), null);
    assert.deepEqual(delivery.take(), { index: 1, tokens: [7, 8, 9, 10], text: "abçd", textEnds: [1, 2, 2, 4] });
    assert.equal(delivery.take(), null);
  });

  it("batched: an entry without textEnds makes the merged one go without them", () => {
    const delivery = new TokenDelivery("batched", 250);
    delivery.add(round(0, [0]));
    delivery.due(0, false);
    delivery.add({ index: 1, tokens: [7], text: "a", textEnds: [1] });
    delivery.add({ index: 2, tokens: [8], text: "b" });
    assert.deepEqual(delivery.take(), { index: 1, tokens: [7, 8], text: "ab" });
  });

  it("does not share the arrays it was given", () => {
    const delivery = new TokenDelivery("batched", 250);
    const first = round(0, [1]);
    delivery.add(first);
    delivery.add(round(1, [2]));
    assert.deepEqual(first.tokens, [1]);
    assert.deepEqual(first.textEnds, [1]);
  });

  it("nothing held: nothing due", () => {
    const delivery = new TokenDelivery("batched", 250);
    assert.equal(delivery.due(0, true), null);
    assert.equal(delivery.take(), null);
  });
});
