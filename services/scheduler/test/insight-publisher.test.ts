import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { INSIGHT_KEEPALIVE_MS, type SchedulerInsight } from "#contracts";
import { createLogger } from "#logging";
import type { ContractBus } from "#transport";
import { InsightPublisher } from "../src/insight/insight-publisher.js";
import { config, job, scheduler, worker } from "./scheduler-harness.js";

/** A publisher over the harness's scheduler, recording the insights it sends; the clock is the test's. */
function publishing() {
  const s = scheduler();
  const sent: SchedulerInsight[] = [];
  const bus = { publish: (_contract: unknown, _id: string, insight: SchedulerInsight) => sent.push(insight) };
  const publisher = new InsightPublisher(
    config({ SCHEDULER_INSIGHT_MS: 500 }),
    createLogger("insight-test", "silent"),
    bus as unknown as Pick<ContractBus, "publish">,
    s.table,
    s.metrics,
    s.admission,
    s.fleet,
    s.insight,
  );
  return { s, sent, publisher };
}

describe("the scheduler's insight", () => {
  it("is sent when it changes, and otherwise only every INSIGHT_KEEPALIVE_MS (an idle scheduler stays quiet)", async (t) => {
    t.mock.timers.enable({ apis: ["Date"], now: 1_000_000 });
    const { s, sent, publisher } = publishing();
    publisher.publish();
    assert.equal(sent.length, 1, "the first insight goes out");
    for (let at = 500; at < INSIGHT_KEEPALIVE_MS; at += 500) {
      t.mock.timers.tick(500);
      publisher.publish();
    }
    assert.equal(sent.length, 1, "nothing changed: nothing sent before the keepalive");
    t.mock.timers.tick(500);
    publisher.publish();
    assert.equal(sent.length, 2, "the keepalive");
    assert.equal(sent[1]!.at - sent[0]!.at, INSIGHT_KEEPALIVE_MS);

    // A request waits (no worker is free): the next tick tells it.
    await s.admission.submit(job());
    t.mock.timers.tick(500);
    publisher.publish();
    assert.equal(sent.length, 3, "a change goes out at the next tick");
    assert.equal(sent[2]!.waiting, 1);

    s.setFleet([worker("v1", "verifier"), worker("d1", "drafter")]);
    s.admission.pump();
    await s.settle();
    t.mock.timers.tick(500);
    publisher.publish();
    assert.equal(sent.length, 4);
    assert.deepEqual([sent[3]!.waiting, sent[3]!.running], [0, 1], "placed: running, no longer waiting");
  });
});
