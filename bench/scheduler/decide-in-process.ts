import { createHash } from "node:crypto";
import { fleetSnapshotSchema, type FleetWorker } from "#contracts";
import { createPairingPolicy, type PairingPolicyName, type WorkerView } from "#pairing";
import { indexViews, PairStats, queuePass } from "#placement";
import type { ContractBus } from "#transport";
import { SIMULATED_TARGET, SimulatedFleet } from "../support/simulated-fleet.js";

/** bench:scheduler's simulated workers as the registry lists them, idle and ready. */
function snapshotWorkers(workers: number): FleetWorker[] {
  const sim = new SimulatedFleet(null as unknown as ContractBus, { workers, holdMs: 0 });
  return sim.ids.map((id, i) => ({
    ...sim.registration(id, i),
    state: "ready" as const,
    draining: false,
    lastSeenAt: 0,
    telemetry: {
      workerId: id,
      at: 0,
      activeSessions: 0,
      targetOnlySessions: 0,
      tokensPerSecond: 0,
      rounds: 0,
      acceptedTokens: 0,
      draftedTokens: 0,
      rollbacks: 0,
      meanBatchSize: 1,
      memoryRssBytes: 0,
      power: { source: "plugged" as const, level: null },
      links: [],
      brokerRttMs: 1,
    },
  }));
}

/**
 * The scheduler's decision alone, in this process: one views array of the simulated fleet (one
 * snapshot, decoded as the scheduler decodes it, its sessions set from the loads at each
 * decision as the scheduler sets them), and `decisions` requests each given to a queue pass with
 * the policy, the placement taking its slots and sessions ending at random (seeded),
 * as they do in the scheduler (random draws aside, the same decisions every run). Returns CPU ms
 * per decision (process CPU time, which other processes do not inflate as they do wall time)
 * and a digest of the decisions (two builds that decide alike give the same).
 */
export function decideInProcess(
  workers: number,
  policyName: PairingPolicyName,
  decisions: number,
): { cpuMs: number; digest: string } {
  const hash = createHash("sha256");
  const snapshot = fleetSnapshotSchema.parse(
    JSON.parse(JSON.stringify({ epoch: 1, seq: 1, at: 0, workers: snapshotWorkers(workers) })),
  );
  // One views array for the snapshot, as the scheduler keeps (services/scheduler fleet-views.ts).
  const views: WorkerView[] = snapshot.workers.map((w) => ({
    id: w.workerId,
    role: w.role,
    modelName: w.model.name,
    vocabFingerprint: w.model.vocabFingerprint,
    protocol: w.protocol,
    ready: true,
    degraded: false,
    activeSessions: 0,
    maxSessions: w.maxSessions,
    profile: w.profile,
    power: w.telemetry?.power,
    brokerRttMs: w.telemetry?.brokerRttMs ?? undefined,
    drafting: w.drafting,
  }));
  const index = indexViews(views);
  const stats = new PairStats();
  const policy = createPairingPolicy(policyName);
  const loads = new Map<string, number>();
  const running: Array<Array<string | null>> = [];
  let seed = 1;
  const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const take = (ids: Array<string | null>, by: number) => {
    for (const id of ids) if (id !== null) loads.set(id, (loads.get(id) ?? 0) + by);
  };
  const started = process.cpuUsage();
  for (let n = 0; n < decisions; n++) {
    for (const view of views) view.activeSessions = 0;
    for (const [id, sessions] of loads) index.byId.get(id)!.activeSessions = sessions;
    const context = stats.context(Math.random);
    const request = { model: SIMULATED_TARGET, maxTokens: 8, priority: 0, resume: false, arrivedAt: n, since: n };
    const [outcome] = queuePass([request], views, policy, context, {
      now: n,
      queueTimeoutMs: 1e9,
      lookahead: 4,
      index,
    });
    hash.update(outcome?.kind === "place" ? JSON.stringify(outcome.decision) : "waits");
    if (outcome?.kind === "place") {
      const { decision } = outcome;
      const placed = [decision.verifierId, decision.kind === "pair" ? decision.drafterId : null];
      take(placed, 1);
      running.push(placed);
    }
    // About 40 sessions running, as in the simulated run (100 ms each at a few hundred decisions/s).
    while (running.length > 40 || (running.length > 0 && random() < 0.4)) {
      take(running.splice(Math.floor(random() * running.length), 1)[0]!, -1);
    }
  }
  const cpu = process.cpuUsage(started);
  return { cpuMs: (cpu.user + cpu.system) / 1000 / decisions, digest: hash.digest("hex").slice(0, 12) };
}
