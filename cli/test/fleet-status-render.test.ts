import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { dashboardStateSchema, type DashboardDevice, type DashboardState } from "#contracts";
import { renderFleetStatus } from "../fleet-status/render.js";

const now = 1_800_000_000_000;

function device(id: string, role: "drafter" | "verifier", extra: Partial<DashboardDevice> = {}): DashboardDevice {
  return {
    id,
    role,
    model: role === "verifier" ? "target" : "draft",
    deviceClass: role === "verifier" ? "cloud" : "laptop",
    state: "ready",
    draining: false,
    power: { source: "plugged", level: null },
    activeSessions: 1,
    maxSessions: 4,
    threads: 1,
    tokensPerSecond: 42.5,
    acceptance: 0.8,
    meanBatchSize: 1,
    memoryRssBytes: 1e8,
    profile: role === "verifier" ? { verifyMsByWindow: [{ window: 4, ms: 12 }] } : { draftMsPerToken: 0.75 },
    brokerRttMs: 0.4,
    startedAt: now - 60_000,
    lastSeenAt: now - 500,
    ...extra,
  };
}

const state: DashboardState = dashboardStateSchema.parse({
  at: now - 200,
  role: "viewer",
  devices: [
    device("verifier-1", "verifier"),
    device("drafter-1", "drafter", { power: { source: "battery", level: 0.31 } }),
    device("drafter-2", "drafter", { state: "lost", lastSeenAt: now - 9000 }),
  ],
  pairs: [
    {
      verifierId: "verifier-1",
      drafterId: "drafter-1",
      sessions: 1,
      acceptance: 0.75,
      meanWindow: 5.5,
      windows: { "5": 3, "6": 3 },
      roundTripMs: 1.25,
      tokensPerSecond: 96,
      rounds: 120,
      predictedTokensPerSecond: 90,
      achievedTokensPerSecond: 96,
      lastRoundAt: now - 100,
    },
  ],
  sessions: [
    {
      sessionId: "cmpl-abc",
      model: "target",
      verifierId: "verifier-1",
      drafterId: "drafter-1",
      priority: 0,
      submittedAt: now - 3000,
      placedAt: now - 2900,
      promptTokens: 5,
      generatedTokens: 40,
      maxTokens: 128,
      origin: { keyId: "key_1", jobId: "job_9" },
      predictedTokensPerSecond: 90,
      achievedTokensPerSecond: 96,
      window: 6,
      tokensPerSecond: 96,
    },
  ],
  queue: [{ sessionId: "cmpl-wait", model: "target", priority: 5, submittedAt: now - 1500, origin: null }],
  jobs: [],
  moves: [
    {
      at: now - 1000,
      kind: "rebalance",
      sessionId: "cmpl-abc",
      from: { verifierId: "verifier-1", drafterId: "drafter-2" },
      to: { verifierId: "verifier-1", drafterId: "drafter-1" },
      predictedGain: { fromTokensPerSecond: 50, toTokensPerSecond: 90, savedMs: 400 },
      reason: "drafter-1 predicted 90 tokens/s against 50",
    },
  ],
  scheduler: {
    connected: true,
    lastInsightAt: now - 300,
    policy: "load-aware",
    decisions: { total: 10, perSecond: 2, p50Ms: 0.2, p95Ms: 0.5, p99Ms: 0.9 },
    running: 1,
    waiting: 1,
  },
  series: [
    {
      at: now - 1000,
      throughput: 96,
      ttftP50Ms: 15,
      ttftP95Ms: 30,
      tpotP50Ms: 10,
      tpotP95Ms: 12,
      acceptance: 0.75,
      queueDepth: 1,
      sessions: 1,
    },
  ],
});

describe("specfleet fleet status", () => {
  it("shows every device with its state, power, sessions, speed and heartbeat age", () => {
    const text = renderFleetStatus(state, { view: "fleet", limit: 20, now });
    assert.match(text, /devices: 3 \(2 ready, 1 lost\)/);
    assert.match(text, /scheduler load-aware: 1 running, 1 waiting, 2\.0 decisions\/s \(p99 0\.9 ms\)/);
    assert.match(text, /drafter-1 .*battery 31%.*1\/4.*42\.5.*0\.75 ms\/token.*0\.4 ms.*0\.5 s ago/);
    assert.match(text, /drafter-2 .*lost.*9\.0 s ago/);
    assert.match(text, /verifier-1 .*γ4 12 ms/);
    assert.doesNotMatch(text, /Pairs/);
  });

  it("shows pairs with acceptance, window, round trip and predicted against achieved", () => {
    const text = renderFleetStatus(state, { view: "pairs", limit: 20, now });
    assert.match(text, /drafter-1 → verifier-1 .*75%.*5\.5.*1\.3 ms.*96\.0.*90\.0.*96\.0.*120/);
  });

  it("shows sessions with their key and job, the queue and the newest moves", () => {
    const text = renderFleetStatus(state, { view: "sessions", limit: 20, now });
    assert.match(text, /cmpl-abc .*drafter-1 → verifier-1.*40\/128.*96\.0.*6.*key_1 \/ job_9/);
    assert.match(text, /cmpl-wait .*target.*5.*1\.5 s/);
    assert.match(text, /rebalance .*cmpl-abc .*drafter-2→verifier-1 ⇒ drafter-1→verifier-1/);
  });

  it("cuts long tables at --limit and says how many more there are", () => {
    const many = { ...state, devices: Array.from({ length: 2000 }, (_, i) => device(`drafter-${i}`, "drafter")) };
    const text = renderFleetStatus(many, { view: "fleet", limit: 5, now });
    assert.match(text, /… 1,995 more \(--limit\)/);
    assert.equal(text.split("\n").filter((line) => /drafter-\d+ /.test(line)).length, 5);
  });
});
