import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { MetricsReport, SchedulerSessionEnded, type SessionEnded } from "#contracts";
import type { LocalFleet } from "#infra";
import { createActorRegistry, FleetMetricsGatherer } from "#metrics";
import { ContractBus } from "#transport";
import { fleetBus } from "../support/fleet-nats.js";
import { complete } from "../support/openai-client.js";
import { MODEL, PROMPTS, startTestFleet } from "../support/fleet.js";

const VERIFIERS = ["verifier-1", "verifier-2"];
const DRAFTERS = ["drafter-1", "drafter-2"];
const REPORT_MS = 250;

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus' text format as samples (the gatherer's `/metrics` output, read back). */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(match, `a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[key!] = value!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The sum of the samples named `name` whose labels include `labels`. */
function total(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

/**
 * The workers' and the registry's metrics, as the fleet reports them on NATS (MetricsReport)
 * and one gatherer merges them: after greedy requests, what each verifier counted per drafter
 * is what its sessions said when they ended, and the drafters and the registry agree.
 */
describe("worker and registry metrics", () => {
  let fleet: LocalFleet;
  let bus: ContractBus;
  const gatherer = new FleetMetricsGatherer(createActorRegistry("dashboard", "test", { processMetrics: false }));
  const ended: SessionEnded[] = [];
  let samples: Sample[] = [];

  before(async () => {
    fleet = await startTestFleet("worker-metrics", {
      verifiers: VERIFIERS.length,
      drafters: DRAFTERS.length,
      maxSessions: 4,
      window: 4,
      // Drafters that sample disagree with the (greedy) target now and then: accepted < drafted.
      draftTemperature: 1,
      env: { METRICS_REPORT_MS: String(REPORT_MS) },
      // γ = 4 in every round, and a session keeps the drafter it was opened with (a fixed window never hands back).
      serviceEnv: { "draft-worker": { WINDOW_POLICY: "fixed" } },
    });
    bus = await fleetBus(fleet);
    bus.subscribe(MetricsReport, "", (report) => gatherer.add(report));
    bus.subscribe(SchedulerSessionEnded, "", (event) => ended.push(event));
    await bus.nc.flush();

    const requests = PROMPTS.flatMap((prompt) => [prompt, prompt]).map((prompt, i) =>
      complete(fleet.gatewayUrl, { model: MODEL, prompt, max_tokens: 24 + 8 * (i % 3) }),
    );
    const results = await Promise.all(requests);
    for (const result of results) assert.equal(result.status, 200, JSON.stringify(result.body));
    const generated = results.reduce((sum, r) => sum + r.tokenIds.length, 0);
    // Every session's end, then a report from every process sent after the last of them.
    const deadline = Date.now() + 20_000;
    while (ended.reduce((sum, e) => sum + e.generatedTokens, 0) < generated && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(ended.length, requests.length, "one SchedulerSessionEnded per request");
    // After the verifiers' next sessions gauge update too (once a second).
    const since = Date.now() + 1000;
    const processes = [...VERIFIERS, ...DRAFTERS];
    const fresh = () =>
      processes.every((p) => gatherer.reports().some((r) => r.instance === p && r.at > since + REPORT_MS)) &&
      gatherer.reports().some((r) => r.actor === "registry" && r.at > since);
    while (!fresh() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(fresh(), "every worker and the registry reported after the last session ended");
    samples = parseExposition(await gatherer.render());
  });

  after(async () => {
    await bus?.drain();
    await fleet?.stop();
  });

  /** Sessions' totals per pair, as their verifiers said when they ended. */
  function pairs(): Map<
    string,
    { verifierId: string; drafter: string; drafted: number; accepted: number; generated: number }
  > {
    const out = new Map<
      string,
      { verifierId: string; drafter: string; drafted: number; accepted: number; generated: number }
    >();
    for (const e of ended) {
      const drafter = e.drafterId ?? "none";
      const key = `${e.verifierId}/${drafter}`;
      const pair = out.get(key) ?? { verifierId: e.verifierId, drafter, drafted: 0, accepted: 0, generated: 0 };
      pair.drafted += e.draftedTokens;
      pair.accepted += e.acceptedTokens;
      pair.generated += e.generatedTokens;
      out.set(key, pair);
    }
    return out;
  }

  it("counts drafted and accepted tokens per pair exactly as the sessions ended with them", () => {
    const seen = pairs();
    assert.ok(
      [...seen.values()].some((p) => p.drafted > 0),
      `some session was speculated: ${JSON.stringify([...seen.values()])}`,
    );
    assert.ok(
      [...seen.values()].some((p) => p.accepted < p.drafted),
      "some draft was rejected, so accepted and drafted counts differ",
    );
    for (const pair of seen.values()) {
      const labels = { actor: "verify-worker", process: pair.verifierId, drafter: pair.drafter };
      const where = `${pair.verifierId} with ${pair.drafter}`;
      assert.equal(total(samples, "specfleet:spec_decode_num_draft_tokens_total", labels), pair.drafted, where);
      assert.equal(total(samples, "specfleet:spec_decode_num_accepted_tokens_total", labels), pair.accepted, where);
      assert.ok(
        total(samples, "specfleet:committed_tokens_total", labels) >= pair.generated,
        `${where}: committed at least what its clients were sent`,
      );
    }
    // No pair counted that no session had.
    const counted = samples.filter((s) => s.name === "specfleet:spec_decode_num_draft_tokens_total" && s.value > 0);
    for (const s of counted) assert.ok(seen.has(`${s.labels["process"]}/${s.labels["drafter"]}`), JSON.stringify(s));
  });

  it("derives vLLM's acceptance: accepted per position adds up to accepted tokens, drafts to rounds with a draft", () => {
    for (const verifier of VERIFIERS) {
      const labels = { actor: "verify-worker", process: verifier };
      const accepted = total(samples, "specfleet:spec_decode_num_accepted_tokens_total", labels);
      assert.equal(total(samples, "specfleet:spec_decode_num_accepted_tokens_per_pos_total", labels), accepted);
      const drafts = total(samples, "specfleet:spec_decode_num_drafts_total", labels);
      const drafted = total(samples, "specfleet:spec_decode_num_draft_tokens_total", labels);
      assert.ok(
        drafts <= drafted && drafted <= 4 * drafts,
        `${verifier}: ${drafts} drafts of ${drafted} tokens (γ = 4)`,
      );
    }
  });

  it("observes every verifier's batches, passes, journal writes and prefills", () => {
    const served = new Set(ended.map((e) => e.verifierId));
    for (const verifier of served) {
      const labels = { actor: "verify-worker", process: verifier };
      for (const histogram of [
        "specfleet:verify_batch_size",
        "specfleet:iteration_tokens_total",
        "specfleet:verify_duration_seconds",
        "specfleet:journal_write_duration_seconds",
      ])
        assert.ok(total(samples, `${histogram}_count`, labels) > 0, `${verifier}: ${histogram}`);
      // One pass per batch: as many durations as batches.
      assert.equal(
        total(samples, "specfleet:verify_duration_seconds_count", labels),
        total(samples, "specfleet:verify_batch_size_count", labels),
      );
      assert.ok(total(samples, "specfleet:prefill_tokens_total", { ...labels, reason: "open" }) > 0);
      assert.equal(total(samples, "specfleet:verifier_sessions", labels), 0, `${verifier}: no session left`);
      assert.ok(total(samples, "process_resident_memory_bytes", labels) > 0, "verifiers report process metrics");
    }
  });

  it("counts each drafter's rounds once by window and once by outcome, and times its round trips per verifier", () => {
    for (const drafter of DRAFTERS) {
      const labels = { actor: "draft-worker", process: drafter };
      const rounds = total(samples, "specfleet:draft_rounds_total", labels);
      assert.equal(total(samples, "specfleet:draft_window_count", labels), rounds, drafter);
      assert.equal(total(samples, "process_resident_memory_bytes", labels), 0, "drafters leave out process metrics");
      for (const verifier of VERIFIERS) {
        const trips = total(samples, "specfleet:verify_round_trip_seconds_count", { ...labels, verifier });
        const drafts = total(samples, "specfleet:spec_decode_num_drafts_total", {
          actor: "verify-worker",
          process: verifier,
          drafter,
        });
        assert.ok(trips >= drafts, `${drafter} → ${verifier}: ${trips} answered rounds, ${drafts} drafts verified`);
      }
    }
    const paired = new Set(ended.flatMap((e) => (e.drafterId ? [e.drafterId] : [])));
    for (const drafter of paired)
      assert.ok(total(samples, "specfleet:draft_rounds_total", { process: drafter, outcome: "applied" }) > 0, drafter);
  });

  it("shows every worker ready in the registry's gauges", () => {
    const registry = { actor: "registry" };
    for (const worker of [...VERIFIERS, ...DRAFTERS]) {
      assert.equal(total(samples, "specfleet:worker_state", { ...registry, worker, state: "ready" }), 1, worker);
      assert.equal(total(samples, "specfleet:worker_state", { ...registry, worker }), 1, `${worker}: one state`);
      assert.equal(total(samples, "specfleet:worker_max_sessions", { ...registry, worker }), 4, worker);
    }
    assert.equal(total(samples, "specfleet:workers", { ...registry, role: "verifier", state: "ready" }), 2);
    assert.equal(total(samples, "specfleet:workers", { ...registry, role: "drafter", state: "ready" }), 2);
    assert.equal(total(samples, "specfleet:workers", { ...registry, state: "lost" }), 0);
  });
});
