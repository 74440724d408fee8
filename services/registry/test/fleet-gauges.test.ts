import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { FleetWorker, WorkerState, WorkerTelemetry } from "#contracts";
import { createActorRegistry, registryMetrics } from "#metrics";
import { recordFleet } from "../src/fleet-gauges.js";

function worker(
  workerId: string,
  role: "drafter" | "verifier",
  state: WorkerState,
  telemetry: Partial<WorkerTelemetry> | null = {},
): FleetWorker {
  return {
    workerId,
    role,
    model: { name: role === "verifier" ? "target" : "draft", vocabFingerprint: "abcdefgh" },
    deviceClass: "cpu",
    threads: 1,
    maxSessions: 4,
    contextSize: 512,
    startedAt: 0,
    profile: {},
    state,
    draining: state === "draining",
    lastSeenAt: 0,
    telemetry:
      telemetry === null
        ? null
        : {
            workerId,
            at: 0,
            activeSessions: 2,
            targetOnlySessions: 0,
            tokensPerSecond: 150,
            rounds: 0,
            acceptedTokens: 0,
            draftedTokens: 0,
            rollbacks: 0,
            meanBatchSize: 0,
            memoryRssBytes: 0,
            power: { source: "plugged", level: null },
            brokerRttMs: 2,
            links: [],
            ...telemetry,
          },
  };
}

/** Every series of the registry's metrics as `name{labels} value` lines, sorted (actor and process left out). */
async function exported(metrics: ReturnType<typeof registryMetrics>): Promise<string[]> {
  const lines: string[] = [];
  for (const gauge of Object.values(metrics)) {
    const { name, values } = await gauge.get();
    for (const { labels, value } of values) {
      const text = Object.entries(labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(",");
      lines.push(`${name}{${text}} ${value}`);
    }
  }
  return lines.sort();
}

function setup() {
  return registryMetrics(createActorRegistry("registry", "registry@test", { processMetrics: false }));
}

describe("recordFleet", () => {
  it("counts workers by role, model and state, and gives each its state and what it reports", async () => {
    const metrics = setup();
    recordFleet(metrics, [
      worker("v1", "verifier", "ready"),
      worker("d1", "drafter", "ready", { power: { source: "battery", level: 0.4 }, brokerRttMs: null }),
      worker("d2", "drafter", "ready", { power: { source: "charging", level: 0.9 } }),
    ]);
    const lines = await exported(metrics);
    assert.ok(lines.includes("specfleet:workers{role=verifier,model=target,state=ready} 1"), lines.join("\n"));
    assert.ok(lines.includes("specfleet:workers{role=drafter,model=draft,state=ready} 2"));
    assert.ok(lines.includes("specfleet:worker_state{worker=d1,role=drafter,state=ready} 1"));
    assert.ok(lines.includes("specfleet:worker_active_sessions{worker=v1,role=verifier} 2"));
    assert.ok(lines.includes("specfleet:worker_max_sessions{worker=v1,role=verifier} 4"));
    assert.ok(lines.includes("specfleet:worker_tokens_per_second{worker=v1,role=verifier} 150"));
    assert.ok(lines.includes("specfleet:worker_broker_rtt_seconds{worker=v1,role=verifier} 0.002"), "ms → s");
    assert.ok(!lines.some((l) => l.startsWith("specfleet:worker_broker_rtt_seconds{worker=d1")), "not measured yet");
    assert.ok(lines.includes("specfleet:worker_battery_level{worker=d1,source=battery} 0.4"));
    assert.ok(lines.includes("specfleet:worker_battery_level{worker=d2,source=charging} 0.9"));
    assert.ok(!lines.some((l) => l.startsWith("specfleet:worker_battery_level{worker=v1")), "plugged in: no battery");
  });

  it("drops a worker's old state, and all its series once the registry no longer lists it", async () => {
    const metrics = setup();
    recordFleet(metrics, [worker("v1", "verifier", "ready"), worker("d1", "drafter", "ready")]);
    recordFleet(metrics, [worker("v1", "verifier", "draining"), worker("d1", "drafter", "lost")]);
    let lines = await exported(metrics);
    assert.ok(lines.includes("specfleet:worker_state{worker=v1,role=verifier,state=draining} 1"));
    assert.ok(!lines.some((l) => l.includes("state=ready")), lines.join("\n"));
    assert.ok(lines.includes("specfleet:worker_state{worker=d1,role=drafter,state=lost} 1"));
    assert.ok(
      !lines.some((l) => l.includes("worker=d1") && !l.startsWith("specfleet:worker_state")),
      "a lost worker keeps only its state: its last telemetry is stale",
    );
    assert.ok(lines.includes("specfleet:workers{role=drafter,model=draft,state=lost} 1"));
    recordFleet(metrics, [worker("v1", "verifier", "draining")]);
    lines = await exported(metrics);
    assert.ok(!lines.some((l) => l.includes("d1") || l.includes("role=drafter")), lines.join("\n"));
  });

  it("a worker that has not reported yet shows its state and capacity only", async () => {
    const metrics = setup();
    recordFleet(metrics, [worker("v1", "verifier", "ready", null)]);
    assert.deepEqual(await exported(metrics), [
      "specfleet:worker_max_sessions{worker=v1,role=verifier} 4",
      "specfleet:worker_state{worker=v1,role=verifier,state=ready} 1",
      "specfleet:workers{role=verifier,model=target,state=ready} 1",
    ]);
  });
});
