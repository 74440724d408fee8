import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { failedRequestLine, invalidLineLine, outputLine } from "../src/batches/batch-output.js";
import { batchStatusOf, batchView, type FailedBatch } from "../src/batches/batch-view.js";
import type { JobState, JobStatus, RequestResult } from "../src/jobs/job.js";

const BATCH = "batch_0123abcd";
const T0 = 1_700_000_000_000;

function job(status: JobStatus, extra: Partial<JobState> = {}): JobState {
  return {
    record: {
      id: BATCH,
      tenant: "t",
      source: "batch",
      model: "m",
      total: 3,
      priority: 0,
      metadata: { run: "nightly" },
      webhookUrl: null,
      createdAt: T0,
      batch: { inputFileId: "file-in", endpoint: "/v1/completions", completionWindow: "24h", invalidLines: 2 },
    },
    status,
    counts: { done: 3, succeeded: 2, failed: 1, promptTokens: 30, completionTokens: 12 },
    startedAt: T0 + 1000,
    finishedAt: status === "queued" || status === "running" ? null : T0 + 9000,
    cancelRequestedAt: null,
    expiresAt: null,
    ...extra,
  };
}

const succeeded: RequestResult = {
  index: 4,
  customId: "req-5",
  status: "succeeded",
  response: { object: "text_completion", choices: [{ text: " once" }] },
  error: null,
  usage: { promptTokens: 3, completionTokens: 1 },
  finishedAt: T0,
};
const failed: RequestResult = {
  ...succeeded,
  status: "failed",
  response: null,
  error: { status: 400, code: "context_length_exceeded", message: "too long" },
};

/** A job's life as OpenAI's batch statuses. */
describe("batch status from the job's", () => {
  for (const [status, cancelRequested, expected] of [
    ["queued", false, "in_progress"],
    ["running", false, "in_progress"],
    ["queued", true, "cancelling"],
    ["running", true, "cancelling"],
    ["succeeded", false, "completed"],
    // Every request failed: the batch still completed; the failures are in its error file.
    ["failed", false, "completed"],
    ["cancelled", true, "cancelled"],
  ] as const) {
    it(`${status}${cancelRequested ? " (cancel asked)" : ""} is ${expected}`, () => {
      assert.equal(batchStatusOf(job(status, { cancelRequestedAt: cancelRequested ? T0 + 5000 : null })), expected);
    });
  }
});

describe("the batch object", () => {
  it("of a finished job: counts with its invalid lines, times in seconds, files, errors by line", () => {
    const view = batchView({
      kind: "job",
      job: job("succeeded"),
      invalid: [{ line: 2, customId: null, code: "invalid_json", message: "nope", param: null }],
      files: { output: "file-out", errors: "file-err" },
    });
    assert.equal(view.object, "batch");
    assert.equal(view.status, "completed");
    assert.deepEqual(view.request_counts, { total: 5, completed: 2, failed: 3 });
    assert.equal(view.created_at, T0 / 1000);
    assert.equal(view.completed_at, (T0 + 9000) / 1000);
    assert.equal(view.expires_at, T0 / 1000 + 86_400);
    assert.equal(view.cancelled_at, null);
    assert.equal(view.output_file_id, "file-out");
    assert.equal(view.error_file_id, "file-err");
    assert.equal(view.input_file_id, "file-in");
    assert.equal(view.endpoint, "/v1/completions");
    assert.deepEqual(view.errors, {
      object: "list",
      data: [{ code: "invalid_json", message: "line 2: nope", param: null, line: 2 }],
    });
    assert.deepEqual(view.metadata, { run: "nightly" });
    assert.equal(view.usage.total_tokens, 42);
  });

  it("of a cancelled job: when it was asked and when it stopped", () => {
    const view = batchView({
      kind: "job",
      job: job("cancelled", { cancelRequestedAt: T0 + 5000 }),
      invalid: [],
      files: { output: null, errors: null },
    });
    assert.equal(view.status, "cancelled");
    assert.equal(view.cancelling_at, (T0 + 5000) / 1000);
    assert.equal(view.cancelled_at, (T0 + 9000) / 1000);
    assert.equal(view.completed_at, null);
    assert.equal(view.errors, null);
  });

  it("of a batch whose file had nothing to run: failed, with its errors", () => {
    const batch: FailedBatch = {
      id: BATCH,
      tenant: "t",
      inputFileId: "file-in",
      endpoint: "/v1/chat/completions",
      completionWindow: "24h",
      metadata: null,
      createdAt: T0,
      total: 2,
      errors: [{ code: "invalid_json", message: "line 1: bad", param: null, line: 1 }],
    };
    const view = batchView({ kind: "failed", batch });
    assert.equal(view.status, "failed");
    assert.equal(view.failed_at, T0 / 1000);
    assert.deepEqual(view.request_counts, { total: 2, completed: 0, failed: 2 });
    assert.equal(view.errors.data[0]!.line, 1);
    assert.equal(view.output_file_id, null);
  });
});

/** Output and error file lines in OpenAI's format. */
describe("batch file lines", () => {
  it("a success: id, custom_id, response with status 200 and the endpoint's body, no error", () => {
    const text = outputLine(BATCH, succeeded);
    assert.ok(text.endsWith("\n") && !text.slice(0, -1).includes("\n"));
    assert.deepEqual(JSON.parse(text), {
      id: "batch_req_0123abcd_4",
      custom_id: "req-5",
      response: { status_code: 200, request_id: "req_0123abcd_4", body: succeeded.response },
      error: null,
    });
  });

  it("a failed request: the status and error it would have had alone", () => {
    const parsed = JSON.parse(failedRequestLine(BATCH, failed)) as Record<string, any>;
    assert.equal(parsed["id"], "batch_req_0123abcd_4");
    assert.equal(parsed["custom_id"], "req-5");
    assert.equal(parsed["response"].status_code, 400);
    assert.deepEqual(parsed["response"].body.error, {
      message: "too long",
      type: "invalid_request_error",
      param: null,
      code: "context_length_exceeded",
    });
    assert.deepEqual(parsed["error"], { code: "context_length_exceeded", message: "too long" });
  });

  it("an invalid line: no response, the error names the line", () => {
    const parsed = JSON.parse(
      invalidLineLine(BATCH, {
        line: 7,
        customId: "x",
        code: "missing_model",
        message: "no model",
        param: "body.model",
      }),
    ) as Record<string, any>;
    assert.equal(parsed["custom_id"], "x");
    assert.equal(parsed["response"], null);
    assert.equal(parsed["error"].code, "missing_model");
    assert.equal(parsed["error"].message, "line 7: no model");
    assert.equal(parsed["error"].line, 7);
  });
});
