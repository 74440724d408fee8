import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { cutCompletion } from "#speculation";

const EOG = 2;
const isEog = (token: number) => token === EOG;

describe("cutCompletion", () => {
  const cases = [
    {
      name: "room left, no EOG: emits all, not finished",
      round: [10, 11],
      soFar: 0,
      max: 10,
      emitted: [10, 11],
      finish: null,
    },
    { name: "EOG first: nothing emitted, stop", round: [EOG, 10], soFar: 3, max: 10, emitted: [], finish: "stop" },
    {
      name: "EOG mid-round: tokens before it, stop",
      round: [10, EOG, 11],
      soFar: 0,
      max: 10,
      emitted: [10],
      finish: "stop",
    },
    {
      name: "round fills exactly the room: length",
      round: [10, 11],
      soFar: 8,
      max: 10,
      emitted: [10, 11],
      finish: "length",
    },
    {
      name: "round overshoots: cut at max, length",
      round: [10, 11, 12],
      soFar: 8,
      max: 10,
      emitted: [10, 11],
      finish: "length",
    },
    {
      name: "EOG exactly after max: max wins, length",
      round: [10, 11, EOG],
      soFar: 8,
      max: 10,
      emitted: [10, 11],
      finish: "length",
    },
    { name: "EOG as the max-th token: stop", round: [10, EOG], soFar: 8, max: 10, emitted: [10], finish: "stop" },
    { name: "room 0: nothing emitted, length", round: [10], soFar: 10, max: 10, emitted: [], finish: "length" },
    {
      name: "room 0 with EOG first: length (max checked first)",
      round: [EOG],
      soFar: 10,
      max: 10,
      emitted: [],
      finish: "length",
    },
    { name: "already past max: room clamps to 0", round: [10], soFar: 12, max: 10, emitted: [], finish: "length" },
    { name: "empty round below max: not finished", round: [], soFar: 4, max: 10, emitted: [], finish: null },
  ] as const;
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(cutCompletion(c.round, c.soFar, c.max, isEog), {
        emitted: [...c.emitted],
        finishReason: c.finish,
      });
    });
  }
});
