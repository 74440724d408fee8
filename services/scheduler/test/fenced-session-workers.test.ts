import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FencedSessionWorkers } from "../src/leadership/fenced-session-workers.js";
import { FencedOutError } from "../src/leadership/leader-lease.js";
import { FakeWorkers, job } from "./scheduler-harness.js";

describe("FencedSessionWorkers", () => {
  it("asks workers only while the lease holds; a deposed leader sends nothing", async () => {
    const inner = new FakeWorkers();
    let leads = true;
    const workers = new FencedSessionWorkers(inner, {
      ensure: async () => {
        if (!leads) throw new FencedOutError();
      },
    });
    const first = job();
    assert.equal((await workers.open(first, "v1", null, false)).kind, "opened");
    leads = false;
    const cases: Array<() => Promise<unknown>> = [
      () => workers.open(job(), "v1", null, false),
      () => workers.attachDrafter(first, "v1", "d1"),
      () => workers.detach("v1", first.sessionId, "d1", "test"),
      () => workers.release("v1", first.sessionId, "test"),
      () => workers.close("v1", first.sessionId, "test"),
    ];
    const before = JSON.stringify(inner.calls);
    for (const call of cases) await assert.rejects(call(), FencedOutError);
    assert.equal(JSON.stringify(inner.calls), before, "nothing reached a worker");
  });
});
