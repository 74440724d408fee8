import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { StopMatcher, tokensThrough } from "../src/completions/stop-matcher.js";

interface Case {
  name: string;
  stops: string[];
  pieces: string[];
  /** What the client sees after each piece (the flush's text last, when no stop). */
  seen: string[];
  /** [piece index, offset in it] where the stop completed; null: no stop. */
  stoppedAt: [number, number] | null;
}

const cases: Case[] = [
  {
    name: "no stops: pieces pass as they come",
    stops: [],
    pieces: ["ab", "cd"],
    seen: ["ab", "cd", ""],
    stoppedAt: null,
  },
  {
    name: "stop inside one piece: the text before it",
    stops: ["\n"],
    pieces: ["one two\nthree", "four"],
    seen: ["one two"],
    stoppedAt: [0, 8],
  },
  {
    name: "stop split across pieces: the head is held back, never shown",
    stops: ["The end"],
    pieces: ["and so. The", " e", "nd. More"],
    seen: ["and so. ", "", ""],
    stoppedAt: [2, 2],
  },
  {
    name: "a held tail that turns out not to be a stop is released",
    stops: ["The end"],
    pieces: ["and The", " egg"],
    seen: ["and ", "The egg", ""],
    stoppedAt: null,
  },
  {
    name: "the held tail is released at the end of the text",
    stops: ["STOP"],
    pieces: ["go ST"],
    seen: ["go ", "ST"],
    stoppedAt: null,
  },
  {
    name: "stop at the very start: nothing",
    stops: ["Once"],
    pieces: ["Once upon"],
    seen: [""],
    stoppedAt: [0, 4],
  },
  {
    name: "overlapping stops: the one completing first wins, read character by character",
    stops: ["abcd", "bc"],
    pieces: ["xabcd"],
    seen: ["xa"],
    stoppedAt: [0, 4],
  },
  {
    name: "overlapping stops completing at one character: the one starting first",
    stops: ["cd", "abcd"],
    pieces: ["xab", "cdy"],
    seen: ["x", ""],
    stoppedAt: [1, 2],
  },
  {
    name: "a stop that is a prefix of another: the shorter completes first",
    stops: ["ab", "abc"],
    pieces: ["za", "bc"],
    seen: ["z", ""],
    stoppedAt: [1, 1],
  },
  {
    name: "self-overlapping stop: the earliest occurrence",
    stops: ["aa"],
    pieces: ["ba", "aaa"],
    seen: ["b", ""],
    stoppedAt: [1, 1],
  },
  {
    name: "multi-byte and astral characters (one piece per character)",
    stops: ["é🙂"],
    pieces: ["caf", "é", "🙂", "!"],
    seen: ["caf", "", ""],
    stoppedAt: [2, 2],
  },
  {
    name: "non-Latin text held back only where it could begin a stop",
    stops: ["。終"],
    pieces: ["昔々。", "あ。", "終わり"],
    seen: ["昔々", "。あ", ""],
    stoppedAt: [2, 1],
  },
  {
    name: "the same text cut differently gives the same answer (1)",
    stops: ["\n\n", "Tom"],
    pieces: ["Lily saw T", "o", "m.\n\nEnd"],
    seen: ["Lily saw ", "", ""],
    stoppedAt: [2, 1],
  },
  {
    name: "the same text cut differently gives the same answer (2)",
    stops: ["\n\n", "Tom"],
    pieces: ["Lily saw Tom.\n\nEnd"],
    seen: ["Lily saw "],
    stoppedAt: [0, 12],
  },
];

describe("StopMatcher", () => {
  for (const c of cases) {
    it(c.name, () => {
      const matcher = new StopMatcher(c.stops);
      const seen: string[] = [];
      let stoppedAt: [number, number] | null = null;
      c.pieces.forEach((piece, i) => {
        if (stoppedAt) return;
        const step = matcher.push(piece);
        seen.push(step.text);
        if (step.stoppedAt !== null) stoppedAt = [i, step.stoppedAt];
      });
      if (!stoppedAt) seen.push(matcher.flush());
      assert.deepEqual(seen, c.seen);
      assert.deepEqual(stoppedAt, c.stoppedAt);
    });
  }

  it("lets nothing through after a stop", () => {
    const matcher = new StopMatcher(["x"]);
    assert.deepEqual(matcher.push("axb"), { text: "a", stoppedAt: 2 });
    assert.deepEqual(matcher.push("more"), { text: "", stoppedAt: null });
    assert.equal(matcher.flush(), "");
  });

  it("refuses an empty stop string", () => {
    assert.throws(() => new StopMatcher(["a", ""]), /empty/);
  });
});

describe("tokensThrough", () => {
  const cases: Array<[string, number[] | undefined, number, number, number]> = [
    ["the stop ends inside the second token's text", [2, 5, 9], 4, 3, 2],
    ["the stop ends exactly where a token's text ends", [2, 5, 9], 5, 3, 2],
    ["the first token completes it", [2, 5, 9], 1, 3, 1],
    // A character split across tokens: the first adds no text, the second completes it.
    ["a token without text of its own", [0, 2, 3], 1, 3, 2],
    ["no per-token ends from the verifier: the whole piece", undefined, 1, 3, 3],
    ["ends that do not match the tokens: the whole piece", [1, 2], 1, 3, 3],
  ];
  for (const [name, ends, stoppedAt, tokens, expected] of cases)
    it(name, () => assert.equal(tokensThrough(ends, stoppedAt, tokens), expected));
});
