import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { WorkerRegistration, WorkerTelemetry } from "#contracts";
import { FleetState } from "../src/fleet-state.js";

const registration = (workerId: string, startedAt = 1): WorkerRegistration => ({
  workerId,
  role: "drafter",
  model: { name: "m", vocabFingerprint: "vocab-12345678" },
  deviceClass: "cpu",
  threads: 1,
  maxSessions: 4,
  contextSize: 512,
  startedAt,
  profile: {},
});
const telemetry = (
  workerId: string,
  power: WorkerTelemetry["power"] = { source: "plugged", level: null },
): WorkerTelemetry => ({
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
  power,
  links: [],
  brokerRttMs: null,
});
const stateOf = (fleet: FleetState, id: string) => fleet.get(id)?.state;

describe("FleetState", () => {
  it("moves a silent worker to degraded, then lost, and back to ready when heard", () => {
    const fleet = new FleetState(3000, 1500);
    fleet.register(registration("d1"), 0);
    assert.equal(stateOf(fleet, "d1"), "ready");
    assert.deepEqual(fleet.sweep(1000), { lost: [], degraded: [] });
    assert.deepEqual(fleet.sweep(1600), { lost: [], degraded: ["d1"] });
    assert.equal(stateOf(fleet, "d1"), "degraded");
    assert.deepEqual(fleet.sweep(3100), { lost: ["d1"], degraded: [] });
    assert.deepEqual(fleet.heartbeat(telemetry("d1"), 3200), { known: true, changed: true });
    assert.equal(stateOf(fleet, "d1"), "ready");
  });

  it("keeps a drained worker draining through heartbeats and re-registration, until undrained", () => {
    const fleet = new FleetState(3000, 1500);
    fleet.register(registration("d1"), 0);
    assert.equal(fleet.setDraining("d1", true)?.state, "draining");
    fleet.heartbeat(telemetry("d1"), 100);
    assert.equal(stateOf(fleet, "d1"), "draining");
    fleet.register(registration("d1", 2), 200); // the worker restarted
    assert.equal(stateOf(fleet, "d1"), "draining");
    assert.equal(fleet.setDraining("d1", false)?.state, "ready");
    assert.equal(fleet.setDraining("nobody", true), undefined);
  });

  it("a lost worker stays lost when drained, and a worker that leaves is lost at once", () => {
    const fleet = new FleetState(3000, 1500);
    fleet.register(registration("d1"), 0);
    assert.equal(fleet.leave("d1"), true);
    assert.equal(fleet.leave("d1"), false);
    assert.equal(fleet.setDraining("d1", true)?.state, "lost");
  });

  it("reports a drafter going on low battery as a change, and ordinary telemetry not", () => {
    const fleet = new FleetState(3000, 1500);
    fleet.register(registration("d1"), 0);
    assert.deepEqual(fleet.heartbeat(telemetry("d1"), 10), { known: true, changed: false });
    assert.deepEqual(fleet.heartbeat(telemetry("d1", { source: "battery", level: 0.5 }), 20), {
      known: true,
      changed: true,
    });
    assert.deepEqual(fleet.heartbeat(telemetry("d1", { source: "battery", level: 0.45 }), 30), {
      known: true,
      changed: false,
    });
    assert.deepEqual(fleet.heartbeat(telemetry("d1", { source: "battery", level: 0.15 }), 40), {
      known: true,
      changed: true,
    });
  });

  it("ignores telemetry from a worker that never registered", () => {
    assert.deepEqual(new FleetState(3000, 1500).heartbeat(telemetry("ghost"), 0), { known: false, changed: false });
  });
});
