import assert from "node:assert/strict";
import { describe, it } from "node:test";
import pino from "pino";
import type { FleetWorker, WorkerRegistration, WorkerTelemetry } from "#contracts";
import type { RegistryConfig } from "#config";
import { createActorRegistry, registryMetrics } from "#metrics";
import type { ContractBus } from "#transport";
import { FleetRegistryService } from "../src/fleet-registry.service.js";
import type { WorkerRepository } from "../src/worker-repository.js";

const registration: WorkerRegistration = {
  workerId: "d1",
  role: "drafter",
  model: { name: "m", vocabFingerprint: "vocab-12345678" },
  deviceClass: "cpu",
  threads: 1,
  maxSessions: 4,
  contextSize: 512,
  startedAt: 1,
  profile: {},
};
const telemetry = (power: WorkerTelemetry["power"]): WorkerTelemetry => ({
  workerId: "d1",
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
  power,
  links: [],
  brokerRttMs: null,
});

/** Waits past the registry's write-behind (workers changed within 100 ms are written together). */
const writtenBehind = () => new Promise((resolve) => setTimeout(resolve, 250));

describe("FleetRegistryService writes to Redis", () => {
  it("a registration and a heartbeat that changes a state, not a heartbeat that only refreshes telemetry", async () => {
    const saved: FleetWorker[] = [];
    const repository: WorkerRepository = {
      save: async (...workers) => void saved.push(...workers),
      load: async () => [],
    };
    const bus = { publish: () => undefined } as unknown as ContractBus;
    const config = { REGISTRY_LOST_AFTER_MS: 3000, REGISTRY_DEGRADED_AFTER_MS: 1500, METRICS_REPORT_MS: 0 };
    const registry = new FleetRegistryService(
      config as RegistryConfig,
      pino({ level: "silent" }),
      repository,
      bus,
      registryMetrics(createActorRegistry("registry", "registry@test", { processMetrics: false })),
    );
    try {
      registry.register(registration);
      await writtenBehind();
      assert.equal(saved.length, 1, "the registration is written");
      registry.heartbeat(telemetry({ source: "plugged", level: null }));
      registry.heartbeat(telemetry({ source: "plugged", level: null }));
      await writtenBehind();
      assert.equal(saved.length, 1, "heartbeats that change nothing are not");
      registry.heartbeat(telemetry({ source: "battery", level: 0.1 }));
      await writtenBehind();
      assert.equal(saved.length, 2, "one that changes the power state is");
      assert.deepEqual(saved[1]!.telemetry?.power, { source: "battery", level: 0.1 });
    } finally {
      await registry.onModuleDestroy();
    }
  });
});
