import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MAX_ROUND_REPORTS, type RoundReport, type RoundReportBatch } from "#contracts";
import { RoundReportBuffer } from "../src/round-report-buffer.js";

const report = (position: number): RoundReport => ({
  sessionId: "s",
  drafterId: "drafter-1",
  verifierId: "verifier-1",
  position,
  window: 4,
  accepted: 4,
  draftMs: 1,
  verifyMs: 2,
  networkMs: 0.5,
  at: 0,
});

describe("RoundReportBuffer", () => {
  it("sends a session's first round at once, the next ones together after the interval", async () => {
    const sent: RoundReportBatch[] = [];
    const buffer = new RoundReportBuffer("drafter-1", (batch) => sent.push(batch), 20);
    buffer.add(report(0), true);
    assert.deepEqual(sent, [{ drafterId: "drafter-1", reports: [report(0)] }]);
    buffer.add(report(5));
    buffer.add(report(10));
    assert.equal(sent.length, 1, "nothing more before the interval");
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.deepEqual(sent[1], { drafterId: "drafter-1", reports: [report(5), report(10)] });
    assert.equal(sent.length, 2);
  });

  it("sends at once when MAX_ROUND_REPORTS are waiting, and on flush; an empty flush sends nothing", () => {
    const sent: RoundReportBatch[] = [];
    const buffer = new RoundReportBuffer("drafter-1", (batch) => sent.push(batch), 60_000);
    for (let i = 0; i < MAX_ROUND_REPORTS + 1; i++) buffer.add(report(i));
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.reports.length, MAX_ROUND_REPORTS);
    buffer.flush();
    assert.equal(sent.length, 2);
    assert.deepEqual(sent[1]!.reports, [report(MAX_ROUND_REPORTS)]);
    buffer.flush();
    assert.equal(sent.length, 2);
  });
});
