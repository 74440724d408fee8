import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAX_PROMPT_TOKENS } from "#contracts";
import { promptFieldSchema } from "../src/completions/prompt-field.js";

const MAX_CHARS = 1000;

describe("the completions API's prompt field", () => {
  const accepted: Array<{ name: string; prompt: unknown; parsed: unknown }> = [
    { name: "a string", prompt: "Once upon a time", parsed: "Once upon a time" },
    { name: "an empty string", prompt: "", parsed: "" },
    { name: "a list of one string", prompt: ["The little dog"], parsed: "The little dog" },
    { name: "a list of token ids", prompt: [1, 403, 407], parsed: { tokens: [1, 403, 407] } },
    { name: "a list of one list of token ids", prompt: [[1, 403]], parsed: { tokens: [1, 403] } },
    { name: "id 0", prompt: [0], parsed: { tokens: [0] } },
  ];
  for (const c of accepted) {
    it(`takes ${c.name}`, () => {
      const result = promptFieldSchema(MAX_CHARS).safeParse(c.prompt);
      assert.ok(result.success, result.error?.issues[0]?.message);
      assert.deepEqual(result.data, c.parsed);
    });
  }

  const refused: Array<{ name: string; prompt: unknown; message: RegExp }> = [
    { name: "no prompt", prompt: undefined, message: /`prompt` is required/ },
    { name: "a number", prompt: 42, message: /must be a string/ },
    { name: "an object", prompt: { tokens: [1] }, message: /must be a string/ },
    { name: "an empty list", prompt: [], message: /must not be an empty list/ },
    { name: "a list of one empty list", prompt: [[]], message: /empty list of token ids/ },
    { name: "two strings", prompt: ["a", "b"], message: /only one prompt per request/ },
    { name: "two lists of ids", prompt: [[1], [2]], message: /only one prompt per request/ },
    { name: "strings and ids mixed", prompt: [1, "a"], message: /without strings/ },
    { name: "a negative id", prompt: [1, -1], message: /item 1 is -1/ },
    { name: "a fractional id", prompt: [2.5], message: /item 0 is 2.5/ },
    { name: "an id over 32 bits", prompt: [2 ** 31], message: /integers from 0 to 2147483647/ },
    { name: "a string among nested ids", prompt: [["a"]], message: /item 0 is "a"/ },
    { name: "a string over the gateway's limit", prompt: "a".repeat(MAX_CHARS + 1), message: /longer than 1000/ },
    {
      name: "more ids than a prompt may hold",
      prompt: new Array<number>(MAX_PROMPT_TOKENS + 1).fill(1),
      message: new RegExp(`more than the ${MAX_PROMPT_TOKENS} allowed`),
    },
    {
      name: "ids whose JSON is too large for the fleet's messages",
      prompt: new Array<number>(100_000).fill(123_456_789),
      message: /bytes once encoded as JSON/,
    },
  ];
  for (const c of refused) {
    it(`refuses ${c.name}`, () => {
      const result = promptFieldSchema(MAX_CHARS).safeParse(c.prompt);
      assert.equal(result.success, false);
      assert.match(result.error!.issues[0]!.message, c.message);
    });
  }
});
