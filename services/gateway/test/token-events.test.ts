import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { tokenEventsFor } from "../src/completions/completion.service.js";

describe("how a request's tokens events are sent", () => {
  it("batched only for a client that waits for the whole answer and has no stop sequence", () => {
    assert.equal(tokenEventsFor({ streamed: false, stop: [] }), "batched");
    assert.equal(tokenEventsFor({ streamed: true, stop: [] }), "each-round");
    // A stop sequence is looked for in the text as it comes, and ends the session early.
    assert.equal(tokenEventsFor({ streamed: false, stop: ["\n"] }), "each-round");
    assert.equal(tokenEventsFor({ streamed: true, stop: ["\n"] }), "each-round");
  });
});
