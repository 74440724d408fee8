import { mock } from "node:test";
import type { FleetWorker, LinkStats } from "#contracts";
import { createLogger } from "#logging";
import { type PairingDecision, type PairingPolicy, type WorkerView } from "#pairing";
import type { AloneSession, Attachment, PassOutcome, WaitingRequest } from "#placement";
import { SimPlacement } from "#sim";
import type { ContractBus } from "#transport";
import { FleetViewService } from "../src/fleet/fleet-view.service.js";
import { job, scheduler, worker } from "./scheduler-harness.js";

/**
 * The placement equivalence test's two sides (placement-equivalence.test.ts): the scheduler's
 * admission and recovery over the harness's fakes, and DSD-Sim's `SimPlacement`, each fed a
 * sequence of steps and recording every question put to the pairing policy (with the loads it
 * saw) and every decision.
 */

export const TIMEOUT_MS = 6000;
export const LOOKAHEAD = 4;

export type Step = { at: number } & (
  | { arrive: string; maxTokens: number }
  | { end: string }
  | { tick: true }
  /** The session's drafter hands it back (the verifier alone is faster): its slot frees. */
  | { drafterLeaves: string }
  /** A fleet snapshot: workers' states change, drafters report their links. */
  | { fleet: Record<string, Partial<FleetWorker>>; links?: Record<string, LinkStats[]> }
);

const verifyMsByWindow = [
  { window: 0, ms: 30 },
  { window: 1, ms: 33 },
  { window: 2, ms: 36 },
  { window: 4, ms: 42 },
  { window: 8, ms: 54 },
];
const adaptive = { windowPolicy: "adaptive" as const, window: 4, maxWindow: 12, pipelined: false };

/** A worker's telemetry at rest: nothing running, plugged in, `brokerRttMs` to the broker. */
export function telemetry(
  workerId: string,
  brokerRttMs: number | null,
  links: LinkStats[] = [],
): NonNullable<FleetWorker["telemetry"]> {
  return {
    workerId,
    at: 0,
    activeSessions: 0,
    targetOnlySessions: 0,
    tokensPerSecond: 0,
    rounds: 0,
    acceptedTokens: 0,
    draftedTokens: 0,
    rollbacks: 0,
    meanBatchSize: 0,
    memoryRssBytes: 0,
    power: { source: "plugged", level: null },
    brokerRttMs,
    links,
  };
}

export const verifier = (id: string, maxSessions: number) =>
  worker(id, "verifier", { maxSessions, profile: { verifyMsByWindow }, telemetry: telemetry(id, 2) });
export const drafter = (id: string, model: string, draftMsPerToken: number, brokerRttMs: number, extra = {}) =>
  worker(id, "drafter", {
    model: { name: model, vocabFingerprint: "vocab-12345678" },
    maxSessions: 1,
    profile: { draftMsPerToken },
    drafting: adaptive,
    telemetry: telemetry(id, brokerRttMs),
    ...extra,
  });

/** Per step: what the policy was asked (with the loads it saw) and what was done. */
export class Trace {
  readonly questions: string[] = [];
  readonly decisions: string[] = [];
  private done: string[] = [];

  step(step: Step): void {
    const label = `@${step.at} ${JSON.stringify({ ...step, at: undefined })}`;
    this.questions.push(label);
    this.decisions.push(label);
  }

  /** The policy, recording each question and answer. */
  recording(policy: PairingPolicy): PairingPolicy {
    return (fleet, request, context) => {
      const decision = policy(fleet, request, context);
      const loads = [...fleet]
        .sort((a, b) => (a.id < b.id ? -1 : 1))
        .map((w) => `${w.id}:${w.activeSessions}${w.ready ? "" : "!"}`)
        .join(" ");
      const asked =
        request.maxTokens === undefined
          ? "a drafter?"
          : `${request.maxTokens} tokens, ${request.ahead} ahead, waited ${request.waitedMs}`;
      this.questions.push(`  ${asked} [${loads}] → ${decided(decision)}`);
      return decision;
    };
  }

  did(what: string): void {
    this.done.push(what);
  }

  /** The step's effects, by kind (opens, attaches, failures: each in its order), and who waits. */
  waiting(ids: Iterable<string>): void {
    const kinds = ["open ", "attach ", "queue_timeout ", "model_not_found "];
    for (const kind of kinds) for (const what of this.done) if (what.startsWith(kind)) this.decisions.push(`  ${what}`);
    this.decisions.push(`  waiting: ${[...ids].sort().join(" ")}`);
    this.done = [];
  }
}

function decided(decision: PairingDecision): string {
  switch (decision.kind) {
    case "pair":
      return `${decision.verifierId}+${decision.drafterId}`;
    case "alone":
      return `${decision.verifierId} alone`;
    default:
      return decision.kind;
  }
}

/** The scheduler: its admission and recovery services, entered as SchedulerService enters them. */
export async function onScheduler(fleet: FleetWorker[], steps: Step[], policy: PairingPolicy): Promise<Trace> {
  const trace = new Trace();
  mock.timers.setTime(0);
  const s = scheduler({
    pairing: trace.recording(policy),
    config: {
      SCHEDULER_QUEUE_TIMEOUT_MS: TIMEOUT_MS,
      SCHEDULER_QUEUE_LOOKAHEAD: LOOKAHEAD,
      SCHEDULER_QUEUE_LIMIT: 100,
    },
  });
  const workers = structuredClone(fleet);
  s.setFleet(workers);
  for (const step of steps) {
    mock.timers.setTime(step.at);
    trace.step(step);
    const calls = s.workers.calls.length;
    const published = s.published.length;
    if ("arrive" in step) {
      await s.admission.submit(job({ sessionId: step.arrive, maxTokens: step.maxTokens, submittedAt: step.at }));
    } else if ("end" in step) {
      // SchedulerService.sessionEnded: the table frees the slots, a pump, an attach pass.
      await s.table.remove(step.end);
      s.admission.pump();
      s.recovery.attachDrafters();
    } else if ("tick" in step) {
      s.admission.pump();
    } else if ("drafterLeaves" in step) {
      const session = s.table.get(step.drafterLeaves)!;
      s.recovery.drafterLeft({
        sessionId: step.drafterLeaves,
        verifierId: session.verifierId,
        drafterId: session.drafterId!,
        fasterAlone: true,
        reason: "faster alone",
      });
    } else {
      for (const w of workers) {
        Object.assign(w, step.fleet[w.workerId] ?? {});
        const links = step.links?.[w.workerId];
        if (links) w.telemetry = { ...w.telemetry!, links };
      }
      // SchedulerService.fleetChanged: recovery (an attach pass), then a pump.
      s.setFleet(structuredClone(workers));
      s.recovery.fleetChanged();
      s.admission.pump();
    }
    await s.settle();
    for (const call of s.workers.calls.slice(calls)) trace.did(call);
    for (const event of s.published.slice(published))
      if (event.kind === "error") trace.did(`${event.error.code} ${event.sessionId}`);
    trace.waiting(s.admissionRepository.stored.keys());
  }
  return trace;
}

interface SimWaiting extends WaitingRequest {
  id: string;
}
interface SimAlone extends AloneSession {
  drafterId: string | null;
}

/** Ways to make the simulator's side wrong, to show that the comparison notices. */
export interface Mutation {
  lookahead?: number;
  /** Alone sessions offered drafters newest first. */
  newestFirst?: boolean;
}

/** DSD-Sim: its placement over live views, entered as the simulator enters it. */
export function onSimulator(
  fleet: FleetWorker[],
  steps: Step[],
  policy: PairingPolicy,
  mutation: Mutation = {},
): Trace {
  const trace = new Trace();
  const workers = structuredClone(fleet);
  const views = viewsOf(workers);
  const placement = new SimPlacement<SimWaiting, SimAlone>(views, trace.recording(policy), {
    lookahead: mutation.lookahead ?? LOOKAHEAD,
    queueTimeoutMs: TIMEOUT_MS,
    random: Math.random,
  });
  const byId = new Map(views.map((w) => [w.id, w]));
  const sessions = new Map<string, SimAlone>();
  const alone: SimAlone[] = [];
  const waiting = new Set<string>();
  const report = (drafterId: string, links: LinkStats[]) => {
    for (const link of links) placement.report(drafterId, link);
  };
  for (const w of workers) report(w.workerId, w.telemetry?.links ?? []);
  const wantsDrafter = (session: SimAlone) => {
    if (!mutation.newestFirst) return placement.wantsDrafter(session);
    alone.unshift(session);
    for (const s of alone) placement.forget(s);
    for (const s of alone) placement.wantsDrafter(s);
  };
  const placed = (outcomes: PassOutcome<SimWaiting>[]) => {
    for (const outcome of outcomes) {
      waiting.delete(outcome.waiting.id);
      if (outcome.kind !== "place") {
        trace.did(`${outcome.kind === "expire" ? "queue_timeout" : "model_not_found"} ${outcome.waiting.id}`);
        continue;
      }
      const { decision } = outcome;
      const drafterId = decision.kind === "pair" ? decision.drafterId : null;
      trace.did(`open ${outcome.waiting.id} ${decision.verifierId}${drafterId ? "+" + drafterId : ""}`);
      const session = { sessionId: outcome.waiting.id, model: "big", verifierId: decision.verifierId, drafterId };
      sessions.set(session.sessionId, session);
      if (!drafterId) wantsDrafter(session);
    }
  };
  const attached = (attachments: Attachment<SimAlone>[]) => {
    for (const { session, drafterId } of attachments) {
      session.drafterId = drafterId;
      if (alone.includes(session)) alone.splice(alone.indexOf(session), 1);
      trace.did(`attach ${session.sessionId} ${session.verifierId}+${drafterId}`);
    }
  };
  for (const step of steps) {
    trace.step(step);
    if ("arrive" in step) {
      const request = { id: step.arrive, model: "big", maxTokens: step.maxTokens, priority: 0, resume: false };
      const outcomes = placement.submit({ ...request, arrivedAt: step.at, since: step.at }, step.at);
      if (outcomes.length === 0) waiting.add(step.arrive);
      placed(outcomes);
    } else if ("end" in step) {
      // The simulator's finish: the session's slots free, then the placement's end.
      const session = sessions.get(step.end)!;
      byId.get(session.verifierId)!.activeSessions--;
      if (session.drafterId) byId.get(session.drafterId)!.activeSessions--;
      placement.forget(session);
      if (alone.includes(session)) alone.splice(alone.indexOf(session), 1);
      const ended = placement.sessionEnded(step.at);
      placed(ended.placed);
      attached(ended.attached);
    } else if ("tick" in step) {
      placed(placement.pass(step.at));
    } else if ("drafterLeaves" in step) {
      // The simulator's hand-back: the drafter's slot frees; the session stays alone for good.
      const session = sessions.get(step.drafterLeaves)!;
      byId.get(session.drafterId!)!.activeSessions--;
      session.drafterId = null;
      attached(placement.attach());
    } else {
      for (const w of workers) Object.assign(w, step.fleet[w.workerId] ?? {});
      for (const view of viewsOf(workers)) {
        const live = byId.get(view.id)!;
        Object.assign(live, view, { activeSessions: live.activeSessions });
      }
      for (const [drafterId, links] of Object.entries(step.links ?? {})) report(drafterId, links);
      // A simulation has no fleet events; the scheduler's order: an attach pass, then a pass over the queue.
      attached(placement.attach());
      placed(placement.pass(step.at));
    }
    trace.waiting(waiting);
  }
  return trace;
}

/** The fleet as the scheduler's policies see it, without loads. */
function viewsOf(workers: FleetWorker[]): WorkerView[] {
  const fleet = new FleetViewService({} as ContractBus, createLogger("equivalence", "silent"));
  fleet.update({ epoch: 1, seq: 1, at: 0, workers });
  return fleet.pairingInputs(new Map()).views;
}

export const link = (verifierId: string, roundTripMs: number, acceptance: number, rounds: number): LinkStats => ({
  verifierId,
  roundTripMs,
  acceptance,
  rounds,
});

export const arrivals = (from: number, at: number, count: number, every = 10): Step[] =>
  Array.from({ length: count }, (_, i) => ({ at: at + i * every, arrive: `r${from + i}`, maxTokens: 60 + from + i }));
