import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createActorRegistry, drafterMetrics, OTHER_LABEL } from "#metrics";
import { DrafterMeter } from "../src/drafter-meter.js";

function meter(maxPairs = 8) {
  const actor = createActorRegistry("draft-worker", "drafter-1", { processMetrics: false });
  return { actor, meter: new DrafterMeter(drafterMetrics(actor), maxPairs) };
}

/** Every value of a metric, as `metricName{labels}` → value (le, actor and process labels left out). */
async function seriesOf(actor: ReturnType<typeof meter>["actor"], name: string): Promise<Map<string, number>> {
  const metric = await actor.registry.getSingleMetric(name)!.get();
  const out = new Map<string, number>();
  for (const v of metric.values) {
    if ("le" in v.labels) continue;
    const labels = Object.entries(v.labels)
      .map(([k, value]) => `${k}=${value}`)
      .join(",");
    out.set(`${(v as { metricName?: string }).metricName ?? name}{${labels}}`, v.value);
  }
  return out;
}

describe("DrafterMeter", () => {
  it("counts each round sent once by its window and once by its outcome", async () => {
    const { actor, meter: m } = meter();
    const outcomes = ["applied", "applied", "stale", "rejected", "failed"] as const;
    outcomes.forEach((outcome, i) => {
      m.sent(i);
      m.answered("verifier-1", outcome, 10);
    });
    const windows = await seriesOf(actor, "specfleet:draft_window");
    assert.equal(windows.get("specfleet:draft_window_count{}"), outcomes.length);
    assert.equal(windows.get("specfleet:draft_window_sum{}"), 0 + 1 + 2 + 3 + 4);
    const rounds = await seriesOf(actor, "specfleet:draft_rounds_total");
    assert.deepEqual(
      Object.fromEntries(rounds),
      Object.fromEntries([
        ["specfleet:draft_rounds_total{outcome=applied}", 2],
        ["specfleet:draft_rounds_total{outcome=stale}", 1],
        ["specfleet:draft_rounds_total{outcome=rejected}", 1],
        ["specfleet:draft_rounds_total{outcome=failed}", 1],
      ]),
    );
  });

  it("times the round trip per verifier, in seconds, only for rounds answered; past the limit as 'other'", async () => {
    const { actor, meter: m } = meter(1);
    m.answered("verifier-1", "applied", 20);
    m.answered("verifier-1", "failed", 5000);
    m.answered("verifier-2", "stale", 30);
    const trips = await seriesOf(actor, "specfleet:verify_round_trip_seconds");
    assert.equal(trips.get("specfleet:verify_round_trip_seconds_count{verifier=verifier-1}"), 1);
    assert.equal(trips.get("specfleet:verify_round_trip_seconds_sum{verifier=verifier-1}"), 0.02);
    assert.equal(trips.get(`specfleet:verify_round_trip_seconds_count{verifier=${OTHER_LABEL}}`), 1);
  });

  it("times drafted windows only (an empty window drafts nothing), and sets the sessions gauge", async () => {
    const { actor, meter: m } = meter();
    m.drafted(4, 8);
    m.drafted(0, 0.01);
    m.sessions(3);
    const drafting = await seriesOf(actor, "specfleet:draft_duration_seconds");
    assert.equal(drafting.get("specfleet:draft_duration_seconds_count{}"), 1);
    assert.equal(drafting.get("specfleet:draft_duration_seconds_sum{}"), 0.008);
    const sessions = await seriesOf(actor, "specfleet:drafter_sessions");
    assert.equal(sessions.get("specfleet:drafter_sessions{}"), 3);
  });
});
