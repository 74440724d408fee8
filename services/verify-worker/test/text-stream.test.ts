import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TextStream } from "../src/text-stream.js";

/**
 * A toy detokenizer: tokens 9 and 10 are the two halves of "é"; token 9 without 10 after it
 * detokenizes to U+FFFD, as llama.cpp does mid-character. Without a prompt before them, the
 * first word loses its leading space (SentencePiece).
 */
const pieces: Record<number, string> = { 1: " Once", 2: " upon", 3: " a", 4: " time", 10: "é" };
function detokenize(tokens: readonly number[], context: readonly number[]): string {
  let text = "";
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token === 9) text += tokens[i + 1] === 10 ? "" : "\uFFFD";
    else text += pieces[token] ?? "?";
  }
  return context.length > 0 ? text : text.trimStart();
}

describe("TextStream", () => {
  const cases: Array<{
    name: string;
    sent?: number;
    rounds: Array<{ generated: number[]; final: boolean; delta: string }>;
  }> = [
    {
      name: "sends each round's new text once",
      rounds: [
        { generated: [1], final: false, delta: " Once" },
        { generated: [1, 2, 3], final: false, delta: " upon a" },
        { generated: [1, 2, 3, 4], final: true, delta: " time" },
      ],
    },
    {
      name: "holds back a character split across rounds until its last byte",
      rounds: [
        { generated: [1, 9], final: false, delta: " Once" },
        { generated: [1, 9, 10], final: false, delta: "é" },
      ],
    },
    {
      name: "sends a held-back replacement character at the end",
      rounds: [
        { generated: [1, 9], final: false, delta: " Once" },
        { generated: [1, 9], final: true, delta: "\uFFFD" },
      ],
    },
    {
      name: "a round that adds only a partial character sends nothing yet",
      rounds: [
        { generated: [1], final: false, delta: " Once" },
        { generated: [1, 9], final: false, delta: "" },
        { generated: [1, 9, 10, 2], final: false, delta: "é upon" },
      ],
    },
    {
      name: "a resumed session goes on after the characters already sent",
      sent: " Once upon".length,
      rounds: [{ generated: [1, 2, 3], final: false, delta: " a" }],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const stream = new TextStream(detokenize, [7, 8], c.sent);
      for (const [i, round] of c.rounds.entries()) {
        assert.equal(stream.delta(round.generated, round.final), round.delta, `round ${i}`);
      }
    });
  }

  it("detokenizes after the prompt, so the first word keeps its leading space", () => {
    assert.equal(new TextStream(detokenize, [7]).delta([1], true), " Once");
    assert.equal(new TextStream(detokenize, []).delta([1], true), "Once");
  });
});
