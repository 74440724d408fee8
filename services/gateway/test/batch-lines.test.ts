import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { gatewayConfigSchema, parseConfig } from "#config";
import { checkBatchLines } from "../src/batches/batch-lines.js";
import { JobRequestValidator } from "../src/jobs/job-request.js";

const validator = new JobRequestValidator(parseConfig(gatewayConfigSchema, {}));
const check = validator.check.bind(validator);

const line = (customId: unknown, body: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ custom_id: customId, method: "POST", url: "/v1/completions", body, ...extra });
const completion = (prompt: string, model = "m") => ({ model, prompt, max_tokens: 8, temperature: 0 });

/** A batch's JSONL input, line by line: what runs, and each bad line by its number and reason. */
describe("checkBatchLines", () => {
  it("keeps every valid line with its number, custom_id and body, skipping blank lines", () => {
    const text = [line("a", completion("one")), "", "  ", line("b", completion("two")), ""].join("\n");
    const checked = checkBatchLines(text, "/v1/completions", check);
    assert.deepEqual(checked.invalid, []);
    assert.equal(checked.model, "m");
    assert.deepEqual(
      checked.valid.map((l) => [l.line, l.customId, l.body["prompt"]]),
      [
        [1, "a", "one"],
        [4, "b", "two"],
      ],
    );
  });

  it("reads CRLF line ends and a UTF-8 byte order mark", () => {
    const text = `\uFEFF${line("a", completion("one"))}\r\n${line("b", completion("two"))}\r\n`;
    const checked = checkBatchLines(text, "/v1/completions", check);
    assert.deepEqual(checked.invalid, []);
    assert.equal(checked.valid.length, 2);
  });

  // Each bad line is reported by its number with a code and the field at fault; the good ones stay.
  for (const { name, bad, code, param } of [
    { name: "not JSON", bad: "{not json", code: "invalid_json", param: null },
    { name: "a JSON array", bad: "[1, 2]", code: "invalid_request", param: null },
    { name: "no custom_id", bad: line(undefined, completion("x")), code: "missing_custom_id", param: "custom_id" },
    { name: "a numeric custom_id", bad: line(7, completion("x")), code: "missing_custom_id", param: "custom_id" },
    { name: "a repeated custom_id", bad: line("a", completion("x")), code: "duplicate_custom_id", param: "custom_id" },
    { name: "method GET", bad: line("z", completion("x"), { method: "GET" }), code: "invalid_method", param: "method" },
    {
      name: "another endpoint",
      bad: line("z", completion("x"), { url: "/v1/chat/completions" }),
      code: "mismatched_endpoint",
      param: "url",
    },
    { name: "no body", bad: line("z", completion("x"), { body: "text" }), code: "invalid_request", param: "body" },
    { name: "no model", bad: line("z", { prompt: "x" }), code: "missing_model", param: "body.model" },
    { name: "another model", bad: line("z", completion("x", "other")), code: "mismatched_model", param: "body.model" },
    {
      name: "a body the endpoint refuses",
      bad: line("z", { ...completion("x"), max_tokens: -1 }),
      code: "invalid_request",
      param: "body.max_tokens",
    },
    {
      name: "a streamed request",
      bad: line("z", { ...completion("x"), stream: true }),
      code: null,
      param: "body.stream",
    },
  ]) {
    it(`reports ${name} by its line number and runs the rest`, () => {
      const text = [line("a", completion("one")), bad, line("b", completion("two"))].join("\n");
      const checked = checkBatchLines(text, "/v1/completions", check);
      assert.equal(checked.invalid.length, 1, JSON.stringify(checked.invalid));
      const [invalid] = checked.invalid;
      assert.equal(invalid!.line, 2);
      if (code !== null) assert.equal(invalid!.code, code);
      assert.equal(invalid!.param, param);
      assert.ok(invalid!.message.length > 0);
      assert.deepEqual(
        checked.valid.map((l) => l.line),
        [1, 3],
      );
    });
  }

  it("takes the batch's model from its first valid line, and names it when another line differs", () => {
    const text = [
      line("bad", { prompt: "no model" }),
      line("a", completion("one", "first")),
      line("b", completion("two", "second")),
    ].join("\n");
    const checked = checkBatchLines(text, "/v1/completions", check);
    assert.equal(checked.model, "first");
    assert.deepEqual(
      checked.invalid.map((l) => [l.line, l.code]),
      [
        [1, "missing_model"],
        [3, "mismatched_model"],
      ],
    );
    assert.match(checked.invalid[1]!.message, /one model \('first', from line 2\).*'second'/);
  });

  it("checks chat lines as /v1/chat/completions would", () => {
    const chat = (customId: string, messages: unknown) =>
      JSON.stringify({
        custom_id: customId,
        method: "POST",
        url: "/v1/chat/completions",
        body: { model: "m", messages },
      });
    const text = [chat("a", [{ role: "user", content: "hi" }]), chat("b", "not a list")].join("\n");
    const checked = checkBatchLines(text, "/v1/chat/completions", check);
    assert.deepEqual(
      checked.valid.map((l) => l.customId),
      ["a"],
    );
    assert.equal(checked.invalid[0]!.line, 2);
    assert.match(checked.invalid[0]!.param ?? "", /^body\.messages/);
  });

  it("finds nothing to run in a file that is not JSONL", () => {
    const checked = checkBatchLines('{"a": [\n1,\n2]}\n', "/v1/completions", check);
    assert.deepEqual(checked.valid, []);
    assert.equal(checked.model, null);
    assert.deepEqual(
      checked.invalid.map((l) => l.line),
      [1, 2, 3],
    );
  });
});
