import type { CompletionJob, FleetWorker, SchedulerMove, SessionEvent } from "#contracts";
import type { SchedulerConfig } from "#config";
import { createLogger } from "#logging";
import { createActorRegistry, schedulerMetrics } from "#metrics";
import { createPairingPolicy, PAIRING_TUNING_DEFAULTS, type PairingPolicy, type PairingPolicyName } from "#pairing";
import type { ContractBus } from "#transport";
import type { AdmissionRepository } from "../src/admission/admission-repository.js";
import { AdmissionService } from "../src/admission/admission.service.js";
import type { Waiting } from "../src/admission/waiting.js";
import { FleetViewService } from "../src/fleet/fleet-view.service.js";
import { MoveLog } from "../src/insight/move-log.js";
import { PlacementInsight } from "../src/insight/placement-insight.js";
import { RebalancerService } from "../src/rebalancing/rebalancer.service.js";
import { RecoveryService } from "../src/recovery/recovery.service.js";
import { SessionSteps } from "../src/sessions/session-steps.js";
import { SessionTable, type PlacedSession, type SessionRepository } from "../src/sessions/session-table.js";
import type { OpenOutcome, Release, SessionWorkers } from "../src/sessions/session-workers.js";

export class FakeAdmissionRepository implements AdmissionRepository {
  readonly stored = new Map<string, Waiting>();
  async add(waiting: Waiting): Promise<void> {
    this.stored.set(waiting.job.sessionId, waiting);
  }
  async remove(sessionId: string): Promise<void> {
    this.stored.delete(sessionId);
  }
  async load(): Promise<Waiting[]> {
    return [...this.stored.values()];
  }
}

export class FakeSessionRepository implements SessionRepository {
  readonly stored = new Map<string, PlacedSession>();
  async save(session: PlacedSession): Promise<void> {
    this.stored.set(session.job.sessionId, structuredClone(session));
  }
  async delete(sessionId: string): Promise<void> {
    this.stored.delete(sessionId);
  }
  async load(): Promise<PlacedSession[]> {
    return [...this.stored.values()].map((s) => structuredClone(s));
  }
}

/** Workers that answer at once (or when `hold` says), recording what the scheduler asked. */
export class FakeWorkers implements SessionWorkers {
  readonly calls: string[] = [];
  /** How the next opens go, first in first out; then `opened`. */
  readonly outcomes: OpenOutcome[] = [];
  /** Sessions each verifier holds (reconcile). */
  readonly holds = new Map<string, string[]>();
  /** While set, opens wait for it. */
  hold: Promise<void> | null = null;

  async open(job: CompletionJob, verifierId: string, drafterId: string | null, resume: boolean): Promise<OpenOutcome> {
    this.calls.push(`${resume ? "resume" : "open"} ${job.sessionId} ${verifierId}${drafterId ? "+" + drafterId : ""}`);
    if (this.hold) await this.hold;
    return (
      this.outcomes.shift() ?? {
        kind: "opened",
        promptTokens: 5,
        generatedTokens: 0,
        drafterFollows: drafterId !== null,
      }
    );
  }
  async attachDrafter(job: CompletionJob, verifierId: string, drafterId: string): Promise<boolean> {
    this.calls.push(`attach ${job.sessionId} ${verifierId}+${drafterId}`);
    return true;
  }
  async detach(verifierId: string, sessionId: string, drafterId: string): Promise<void> {
    this.calls.push(`detach ${sessionId} ${verifierId}-${drafterId}`);
  }
  /** How the next releases go, first in first out; then `released`. */
  readonly releases: Release[] = [];
  async release(verifierId: string, sessionId: string): Promise<Release> {
    this.calls.push(`release ${sessionId} ${verifierId}`);
    return this.releases.shift() ?? "released";
  }
  async close(workerId: string, sessionId: string): Promise<void> {
    this.calls.push(`close ${sessionId} ${workerId}`);
  }
  async held(verifierId: string): Promise<string[] | null> {
    return this.holds.get(verifierId) ?? null;
  }
}

export const config = (extra: Partial<SchedulerConfig> = {}): SchedulerConfig =>
  ({
    PAIRING_POLICY: "least-loaded",
    SCHEDULER_QUEUE_LIMIT: 8,
    SCHEDULER_QUEUE_TIMEOUT_MS: 60_000,
    SCHEDULER_QUEUE_LOOKAHEAD: 4,
    SCHEDULER_RETRY_AFTER_S: 2,
    SCHEDULER_REBALANCE_MS: 0,
    SCHEDULER_OPEN_TIMEOUT_MS: 1000,
    ...extra,
  }) as SchedulerConfig;

export function worker(workerId: string, role: "verifier" | "drafter", extra: Partial<FleetWorker> = {}): FleetWorker {
  return {
    workerId,
    role,
    model: { name: role === "verifier" ? "big" : "small", vocabFingerprint: "vocab-12345678" },
    deviceClass: "cpu",
    threads: 1,
    maxSessions: 4,
    contextSize: 512,
    startedAt: 1,
    profile: {},
    state: "ready",
    draining: false,
    lastSeenAt: 0,
    telemetry: null,
    ...extra,
  };
}

let nextSession = 0;
export function job(extra: Partial<CompletionJob> = {}): CompletionJob {
  return {
    sessionId: `s${++nextSession}`,
    model: "big",
    prompt: "Once upon a time",
    maxTokens: 64,
    window: null,
    sampling: { temperature: 0, topK: 0, topP: 1, seed: 0, seeded: false },
    priority: 0,
    submittedAt: Date.now(),
    ...extra,
  };
}

/**
 * The scheduler's admission, recovery and rebalancing over fakes of their repositories, workers and
 * bus. `pairing`: a policy instance of the test's own (one that records what it is asked), instead
 * of the one `policy` names.
 */
export function scheduler(
  options: { policy?: PairingPolicyName; pairing?: PairingPolicy; config?: Partial<SchedulerConfig> } = {},
) {
  const log = createLogger("scheduler-test", "silent");
  const cfg = config({ PAIRING_POLICY: options.policy ?? "least-loaded", ...options.config });
  const published: SessionEvent[] = [];
  const bus = { publish: (_c: unknown, _id: string, event: SessionEvent) => published.push(event) };
  const fleet = new FleetViewService(bus as unknown as ContractBus, log);
  let at = 0;
  const setFleet = (workers: FleetWorker[]) => fleet.update({ epoch: 1, seq: ++at, at, workers });
  const sessionRepository = new FakeSessionRepository();
  const admissionRepository = new FakeAdmissionRepository();
  const table = new SessionTable(sessionRepository);
  const workers = new FakeWorkers();
  const steps = new SessionSteps(log);
  const policy = options.pairing ?? createPairingPolicy(cfg.PAIRING_POLICY);
  // Each harness its own registry: the metrics' counts are the test's to read.
  const metrics = schedulerMetrics(createActorRegistry("scheduler", "scheduler-test", { processMetrics: false }));
  const insight = new PlacementInsight(cfg, PAIRING_TUNING_DEFAULTS, metrics);
  const moves: SchedulerMove[] = [];
  const moveLog = new MoveLog((move) => moves.push(move), metrics);
  const admission = new AdmissionService(
    cfg,
    log,
    bus as unknown as ContractBus,
    policy,
    admissionRepository,
    table,
    workers,
    steps,
    fleet,
    insight,
    moveLog,
  );
  const recovery = new RecoveryService(log, policy, table, workers, steps, admission, fleet, insight, moveLog);
  const rebalancer = new RebalancerService(
    log,
    PAIRING_TUNING_DEFAULTS,
    table,
    workers,
    steps,
    admission,
    fleet,
    insight,
    moveLog,
  );
  /** Lets every step and queue pass in flight finish. */
  const settle = async () => {
    for (let i = 0; i < 5; i++) {
      await admission.idle();
      await steps.settled();
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  return {
    admission,
    recovery,
    rebalancer,
    table,
    workers,
    steps,
    fleet,
    setFleet,
    published,
    moves,
    insight,
    metrics,
    sessionRepository,
    admissionRepository,
    settle,
  };
}
