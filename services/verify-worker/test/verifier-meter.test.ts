import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createActorRegistry, OTHER_LABEL, verifierMetrics, type ActorRegistry } from "#metrics";
import { ALONE_LABEL, VerifierMeter } from "../src/verifier-meter.js";

/** The value of `name`'s series with exactly these labels (the actor's default labels aside); 0 when absent. */
async function valueOf(actor: ActorRegistry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = await actor.registry.getSingleMetric(name)!.get();
  const found = metric.values.find(
    (v) =>
      (v as { metricName?: string }).metricName === undefined &&
      Object.entries(labels).every(([k, value]) => String(v.labels[k]) === value) &&
      Object.keys(v.labels).length === Object.keys(labels).length,
  );
  return found?.value ?? 0;
}

/** A histogram's count. */
async function countOf(actor: ActorRegistry, name: string): Promise<number> {
  const metric = await actor.registry.getSingleMetric(name)!.get();
  return metric.values.find((v) => (v as { metricName?: string }).metricName === `${name}_count`)?.value ?? 0;
}

function meter(maxPairs = 8) {
  const actor = createActorRegistry("verify-worker", "verifier-1", { processMetrics: false });
  return { actor, meter: new VerifierMeter(verifierMetrics(actor), maxPairs) };
}

const paired = (drafterId: string) => ({ alone: false, drafterId });
const alone = { alone: true, drafterId: null };

describe("VerifierMeter", () => {
  it("counts drafts, drafted, accepted and committed tokens per drafter (vLLM's spec-decode semantics)", async () => {
    const { actor, meter: m } = meter();
    m.round(paired("d1"), 4, 3, 4);
    m.round(paired("d1"), 4, 0, 1);
    m.round(paired("d1"), 0, 0, 1); // γ = 0: no draft
    m.round(paired("d2"), 2, 2, 3);
    assert.equal(await valueOf(actor, "specfleet:spec_decode_num_drafts_total", { drafter: "d1" }), 2);
    assert.equal(await valueOf(actor, "specfleet:spec_decode_num_draft_tokens_total", { drafter: "d1" }), 8);
    assert.equal(await valueOf(actor, "specfleet:spec_decode_num_accepted_tokens_total", { drafter: "d1" }), 3);
    assert.equal(await valueOf(actor, "specfleet:committed_tokens_total", { drafter: "d1" }), 6);
    assert.equal(await valueOf(actor, "specfleet:spec_decode_num_drafts_total", { drafter: "d2" }), 1);
    assert.equal(await valueOf(actor, "specfleet:spec_decode_num_accepted_tokens_total", { drafter: "d2" }), 2);
  });

  it("counts accepted tokens by their position in the window", async () => {
    const { actor, meter: m } = meter();
    m.round(paired("d1"), 4, 3, 4);
    m.round(paired("d1"), 4, 1, 2);
    const perPos = "specfleet:spec_decode_num_accepted_tokens_per_pos_total";
    assert.equal(await valueOf(actor, perPos, { position: "0" }), 2);
    assert.equal(await valueOf(actor, perPos, { position: "1" }), 1);
    assert.equal(await valueOf(actor, perPos, { position: "2" }), 1);
    assert.equal(await valueOf(actor, perPos, { position: "3" }), 0);
  });

  it("counts rounds decoded alone as committed under 'none', with no draft series", async () => {
    const { actor, meter: m } = meter();
    m.round(alone, 0, 0, 1);
    m.round({ alone: true, drafterId: "d1" }, 0, 0, 1); // its drafter left: alone now
    assert.equal(await valueOf(actor, "specfleet:committed_tokens_total", { drafter: ALONE_LABEL }), 2);
    assert.equal(await valueOf(actor, "specfleet:committed_tokens_total", { drafter: "d1" }), 0);
    const drafts = await actor.registry.getSingleMetric("specfleet:spec_decode_num_drafts_total")!.get();
    assert.deepEqual(drafts.values, []);
  });

  it("counts a drafted round under its drafter even when the drafter was detached while it ran", async () => {
    const { actor, meter: m } = meter();
    m.round({ alone: true, drafterId: "d1" }, 3, 2, 3);
    assert.equal(await valueOf(actor, "specfleet:spec_decode_num_draft_tokens_total", { drafter: "d1" }), 3);
    assert.equal(await valueOf(actor, "specfleet:committed_tokens_total", { drafter: "d1" }), 3);
    assert.equal(await valueOf(actor, "specfleet:spec_decode_num_draft_tokens_total", { drafter: ALONE_LABEL }), 0);
  });

  it("names at most METRICS_MAX_PAIRS drafters; later ones share 'other'", async () => {
    const { actor, meter: m } = meter(2);
    for (const id of ["d1", "d2", "d3", "d4"]) m.round(paired(id), 2, 1, 2);
    m.round(paired("d1"), 2, 2, 3);
    const drafted = "specfleet:spec_decode_num_draft_tokens_total";
    assert.equal(await valueOf(actor, drafted, { drafter: "d1" }), 4);
    assert.equal(await valueOf(actor, drafted, { drafter: "d2" }), 2);
    assert.equal(await valueOf(actor, drafted, { drafter: OTHER_LABEL }), 4);
    const series = await actor.registry.getSingleMetric(drafted)!.get();
    assert.equal(series.values.length, 3);
  });

  it("observes batches, passes, journal writes and prefills with the numbers given", async () => {
    const { actor, meter: m } = meter();
    m.batch(3, 12);
    m.batch(1, 5);
    m.verified(4);
    m.journalWrite(0.5);
    m.prefill("open", 7);
    m.prefill("resume", 20);
    m.prefill("open", 3);
    assert.equal(await countOf(actor, "specfleet:verify_batch_size"), 2);
    const batch = await actor.registry.getSingleMetric("specfleet:verify_batch_size")!.get();
    const sum = (metric: typeof batch, name: string) =>
      metric.values.find((v) => (v as { metricName?: string }).metricName === name)?.value;
    assert.equal(sum(batch, "specfleet:verify_batch_size_sum"), 4);
    const tokens = await actor.registry.getSingleMetric("specfleet:iteration_tokens_total")!.get();
    assert.equal(sum(tokens, "specfleet:iteration_tokens_total_sum"), 17);
    const verify = await actor.registry.getSingleMetric("specfleet:verify_duration_seconds")!.get();
    assert.equal(sum(verify, "specfleet:verify_duration_seconds_sum"), 0.004, "milliseconds become seconds");
    assert.equal(await countOf(actor, "specfleet:journal_write_duration_seconds"), 1);
    assert.equal(await valueOf(actor, "specfleet:prefill_tokens_total", { reason: "open" }), 10);
    assert.equal(await valueOf(actor, "specfleet:prefill_tokens_total", { reason: "resume" }), 20);
  });

  it("sets the sessions gauge by mode, both modes always present", async () => {
    const { actor, meter: m } = meter();
    m.sessions([paired("d1"), paired("d2"), alone]);
    assert.equal(await valueOf(actor, "specfleet:verifier_sessions", { mode: "paired" }), 2);
    assert.equal(await valueOf(actor, "specfleet:verifier_sessions", { mode: "alone" }), 1);
    m.sessions([]);
    assert.equal(await valueOf(actor, "specfleet:verifier_sessions", { mode: "paired" }), 0);
    assert.equal(await valueOf(actor, "specfleet:verifier_sessions", { mode: "alone" }), 0);
  });
});
