import assert from "node:assert/strict";
import { describe, it } from "node:test";
import pino from "pino";
import { FleetQuarantine, type ModelDescriptor } from "#contracts";
import { createActorRegistry, verifierMetrics, type ActorRegistry } from "#metrics";
import { draftAs, randomDistribution, seededRandom, type Distribution, type DrafterKind } from "#speculation";
import type { ContractBus } from "#transport";
import { AuditMeter } from "../src/audit/audit-meter.js";
import { DrafterAudit, type AuditedSession } from "../src/audit/drafter-audit.js";
import { DrawCheck } from "../src/audit/draw-check.js";
import { Quarantine } from "../src/audit/quarantine.js";
import { RecomputeAudit, type ReplaySource } from "../src/audit/recompute-audit.js";

const MODEL: ModelDescriptor = { name: "drafter-model", vocabFingerprint: "fingerprint-1" };
const SAMPLING = { temperature: 1, topK: 0, topP: 1, seed: 7 };

async function total(actor: ActorRegistry, name: string): Promise<number> {
  const metric = await actor.registry.getSingleMetric(name)!.get();
  return metric.values.reduce((sum, v) => sum + v.value, 0);
}

/** The audit with fakes around it: a bus that records quarantine requests, a replay that knows the true q. */
function harness(options: { fraction?: number; truth?: Map<string, Distribution[]>; busFails?: boolean } = {}) {
  const actor = createActorRegistry("verify-worker", "verifier-1", { processMetrics: false });
  const meter = new AuditMeter(verifierMetrics(actor), 8);
  const log = pino({ level: "silent" });
  const requests: unknown[] = [];
  const bus = {
    request: async (contract: unknown, _id: string, payload: unknown) => {
      assert.equal(contract, FleetQuarantine);
      requests.push(payload);
      if (options.busFails) throw new Error("no responders");
      return { quarantined: true, revoked: true };
    },
  } as unknown as ContractBus;
  const refused: string[] = [];
  const quarantine = new Quarantine(bus, log, meter, (drafterId) => (refused.push(drafterId), 2));
  const source: ReplaySource = {
    forDrafter: async (model) =>
      model.name === MODEL.name
        ? {
            replay: async (context, draft) => ({
              q: options.truth?.get(`${context.length}`) ?? [],
              drawn: [...draft],
            }),
          }
        : null,
  };
  let audit: DrafterAudit | null = null;
  const recompute = new RecomputeAudit(source, options.fraction ?? 0, meter, log, (f) => audit?.forged(f));
  audit = new DrafterAudit(new DrawCheck(seededRandom(99)), recompute, quarantine, meter);
  return { audit, recompute, requests, refused, actor };
}

const session = (drafterId = "drafter-1", drafterModel: ModelDescriptor | null = MODEL): AuditedSession => ({
  id: "s1",
  drafterId,
  drafterModel,
  sampling: SAMPLING,
});

/** A round of 4 tokens from a drafter of `kind`. */
function round(kind: DrafterKind, random: () => number) {
  const sent = Array.from({ length: 4 }, () => draftAs(kind, randomDistribution(random), random()));
  return { draft: sent.map((s) => s.token), q: sent.map((s) => s.q) };
}

describe("the verifier's drafter audit", () => {
  it("admits 20,000 honest rounds and never quarantines", async () => {
    const { audit, requests, actor } = harness();
    const random = seededRandom(5);
    for (let i = 0; i < 20_000; i++) {
      const { draft, q } = round("honest", random);
      assert.equal(audit.admit(session(), draft, q).refusal, null, `round ${i}`);
    }
    assert.equal(requests.length, 0);
    assert.equal(await total(actor, "specfleet:drafter_quarantines_total"), 0);
  });

  it("refuses a forged q's first round, quarantines the drafter once and asks the registry", async () => {
    const { audit, requests, refused, actor } = harness();
    const random = seededRandom(6);
    const first = round("forged-q", random);
    const admitted = audit.admit(session(), first.draft, first.q);
    assert.equal(admitted.refusal?.code, "session_lost");
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(refused, ["drafter-1"]);
    assert.equal(requests.length, 1);
    const request = requests[0] as { workerId: string; reason: string; evidence: Record<string, unknown> };
    assert.equal(request.workerId, "drafter-1");
    assert.match(request.reason, /not draws from the q sent/);
    assert.equal(request.evidence.check, "draw");
    assert.equal(request.evidence.alarm, "low");
    // Its next rounds, honest or not, are refused; nothing is requested twice.
    const next = round("honest", random);
    assert.equal(audit.admit(session(), next.draft, next.q).refusal?.code, "session_lost");
    assert.equal(requests.length, 1);
    assert.equal(await total(actor, "specfleet:draw_check_alarms_total"), 1);
    assert.equal(await total(actor, "specfleet:drafter_quarantines_total"), 1);
    // Another drafter is not affected.
    assert.equal(audit.admit(session("drafter-2"), next.draft, next.q).refusal, null);
  });

  it("refuses a q that does not sum to 1", () => {
    const { audit } = harness();
    const q = [new Map([[3, 0.5]])];
    assert.equal(audit.admit(session(), [3], q).refusal?.code, "session_lost");
  });

  it("never throws when the registry cannot be reached", async () => {
    const { audit, requests } = harness({ busFails: true });
    const forged = round("forged-q", seededRandom(8));
    assert.equal(audit.admit(session(), forged.draft, forged.q).refusal?.code, "session_lost");
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(requests.length, 1);
  });

  it("leaves greedy rounds (no q) alone", () => {
    const { audit } = harness();
    assert.deepEqual(audit.admit(session(), [1, 2, 3], []), { refusal: null, recompute: false });
  });

  it("recomputes drawn rounds and quarantines a q that is not the model's", async () => {
    const random = seededRandom(9);
    const honest = round("honest", random);
    // The drafter's model says otherwise at the third token: mass moved between tokens.
    const truth = honest.q.map((q, i) => (i === 2 ? new Map([...q].map(([t], j) => [t, j === 0 ? 1 : 0])) : q));
    const context = [1, 2, 3];
    const { audit, recompute, requests, actor } = harness({
      fraction: 1,
      truth: new Map([[`${context.length}`, truth]]),
    });
    const admitted = audit.admit(session(), honest.draft, honest.q);
    assert.deepEqual(admitted, { refusal: null, recompute: true });
    audit.applied(session(), 3, context, honest.draft, honest.q);
    await recompute.idle();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(await total(actor, "specfleet:audit_rounds_total"), 1);
    assert.equal(await total(actor, "specfleet:audit_failures_total"), 1);
    const request = requests[0] as { evidence: Record<string, unknown> };
    assert.equal(request.evidence.check, "recompute");
    assert.equal(request.evidence.position, 5);
  });

  it("passes a recompute that matches, and skips drafters without an audit model", async () => {
    const random = seededRandom(10);
    const honest = round("honest", random);
    const { audit, recompute, requests, actor } = harness({ fraction: 1, truth: new Map([["2", honest.q]]) });
    audit.applied(session(), 2, [1, 2], honest.draft, honest.q);
    audit.applied(
      session("drafter-3", { name: "unknown", vocabFingerprint: "x".repeat(8) }),
      2,
      [1, 2],
      honest.draft,
      honest.q,
    );
    await recompute.idle();
    assert.equal(requests.length, 0);
    assert.equal(await total(actor, "specfleet:audit_rounds_total"), 1);
    assert.equal(await total(actor, "specfleet:audit_skipped_total"), 1);
  });
});
