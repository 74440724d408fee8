import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  ANY_ID,
  DrafterOpen,
  FleetChanged,
  FleetDrain,
  FleetRegister,
  FleetTelemetry,
  SchedulerStatusRequest,
  SessionStream,
  WORKER_PROTOCOL,
  WorkerDraining,
  type FleetWorker,
  type WorkerRegistration,
  type WorkerTelemetry,
} from "#contracts";
import type { LocalFleet, ManagedProcess } from "#infra";
import { PeerError, fetchFleetSnapshot, type ContractBus } from "#transport";
import { DeviceConnection, DeviceFolder } from "../support/device-credentials.js";
import { fleetBus } from "../support/fleet-nats.js";
import { MODEL, MODEL_PATH, startTestFleet } from "../support/fleet.js";
import { complete } from "../support/openai-client.js";
import { referenceCompletions, type ReferenceCompletions } from "../support/reference.js";

const PROMPT = "Once upon a time";
const MAX_TOKENS = 24;
/** A drafter of another release: a real drafter credential, registered through the bus by the test. */
const OTHER = "other-release-drafter";
/** What the other release's workers speak to their partners (this build's is WORKER_PROTOCOL). */
const OTHER_PROTOCOL = "0123456789ab";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A fleet in the middle of an upgrade (docs/deploy.md "Upgrades"): workers of two releases at once.
 * A drafter whose hot-path contracts differ from the verifier's is never its partner (the rounds
 * would all be refused); the fleet answers with the real drafter or target-only, exactly as the
 * target alone. And a worker sending the registry another version of a contract is refused, and
 * the registry says so once, naming the sender and what to upgrade.
 */
/** The other release's drafter's telemetry: idle, plugged in. */
function idleTelemetry(brokerRttMs: number | null): WorkerTelemetry {
  return {
    workerId: OTHER,
    at: Date.now(),
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
    links: [],
  };
}

void describe("two releases in one fleet", () => {
  let fleet: LocalFleet;
  let admin: ContractBus;
  let devices: DeviceFolder;
  let other: DeviceConnection;
  let registry: ManagedProcess;
  let reference: ReferenceCompletions;
  let heartbeat: NodeJS.Timeout | undefined;
  /** Sessions the other release's drafter was asked to follow. */
  const opensAtOther: string[] = [];
  /** Per session the scheduler opened, the drafter it was given (null: target-only). */
  const drafterOf = new Map<string, string | null>();

  const worker = async (workerId: string): Promise<FleetWorker | undefined> =>
    (await fetchFleetSnapshot(admin, 5000)).workers.find((w) => w.workerId === workerId);
  /**
   * Waits until the registry publishes a fleet where the other release's drafter has `protocol`
   * and drafter-1 is `drafter1`, then until the scheduler (which got that snapshot before our
   * request: the server sent it first) counts `partners` drafters it could pair with the model.
   */
  const fleetIs = async (protocol: string, drafter1: "ready" | "draining", partners: number) => {
    // The registry publishes its fleet on each change and every second: 20 s is twenty chances.
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        subscription.unsubscribe();
        reject(new Error(`no fleet with ${OTHER} (${protocol}) ready and drafter-1 ${drafter1} in 20 s`));
      }, 20_000);
      const subscription = admin.subscribe(FleetChanged, "", ({ workers }) => {
        const byId = new Map(workers.map((w) => [w.workerId, w]));
        const standIn = byId.get(OTHER);
        if (standIn?.state !== "ready" || standIn.protocol !== protocol) return;
        if (byId.get("drafter-1")?.state !== drafter1) return;
        clearTimeout(timer);
        subscription.unsubscribe();
        resolve();
      });
    });
    // Usually at once; a fleet event behind a busy scheduler's queue gets 20 s (a second snapshot follows each second).
    let counted: number | undefined;
    for (let tries = 0; tries < 200; tries++) {
      const status = await admin.request(SchedulerStatusRequest, "", {}, 5000);
      counted = status.models.find((m) => m.model === MODEL)?.drafters;
      if (counted === partners) return;
      await sleep(100);
    }
    assert.equal(counted, partners, "the drafters the scheduler may pair with the target's verifiers");
  };
  /** A greedy completion, checked against the target alone; the drafter its session was opened with. */
  const completion = async (): Promise<string | null> => {
    const before = new Set(drafterOf.keys());
    const result = await complete(fleet.gatewayUrl, { model: MODEL, prompt: PROMPT, max_tokens: MAX_TOKENS });
    assert.equal(result.status, 200);
    assert.deepEqual(
      result.tokenIds,
      (await reference.for(PROMPT, result.tokenIds)).tokens,
      "the answer is the target's alone",
    );
    // The session's `opened` event reaches this test's own connection about when the answer does.
    let sessions: string[] = [];
    while ((sessions = [...drafterOf.keys()].filter((id) => !before.has(id))).length === 0) await sleep(20);
    assert.equal(sessions.length, 1, `one session opened: ${sessions.join(", ")}`);
    return drafterOf.get(sessions[0]!)!;
  };
  /** The other release's drafter registers again, as a restarted one would (a new `startedAt`). */
  const reregister = (protocol: string) => {
    registration = { ...registration, startedAt: Date.now(), protocol };
    other.bus.publish(FleetRegister, "", registration);
  };

  /** The other release's drafter: as fast and idle as a drafter can be, of the fleet's drafter model. */
  let registration: WorkerRegistration;
  const sendTelemetry = () => other.bus.publish(FleetTelemetry, "", idleTelemetry(0.01));

  before(async () => {
    reference = await referenceCompletions(MODEL_PATH, [PROMPT], MAX_TOKENS);
    fleet = await startTestFleet("mixed-versions", { verifiers: 1, drafters: 1, maxSessions: 2 });
    registry = fleet.processes.get("registry")!;
    admin = await fleetBus(fleet);
    devices = new DeviceFolder();
    other = await DeviceConnection.open(await devices.issue(fleet, admin, OTHER, "drafter"));
    // Were it ever chosen, it would be asked to follow the session: it says so, and declines
    // (the verifier then goes on alone, so a wrong pairing shows here, not as a hung request).
    other.bus.serve(DrafterOpen, OTHER, ({ sessionId }) => {
      opensAtOther.push(sessionId);
      return { ok: false as const, error: { code: "worker_busy" as const, message: "a test's stand-in" } };
    });
    admin.subscribe(SessionStream, ANY_ID, (event) => {
      if (event.kind === "opened") drafterOf.set(event.sessionId, event.drafterId);
    });
    await Promise.all([other.nc.flush(), admin.flush()]);
  });

  after(async () => {
    clearInterval(heartbeat);
    await other?.close();
    await admin?.nc.close();
    await fleet?.stop();
    devices?.remove();
  });

  void it("registers this release's workers with its protocol", async () => {
    for (const id of ["verifier-1", "drafter-1"]) assert.equal((await worker(id))?.protocol, WORKER_PROTOCOL, id);
  });

  void it("never gives a session the drafter of another protocol: the real drafter or target-only instead", async () => {
    const real = (await worker("drafter-1"))!;
    registration = {
      workerId: OTHER,
      role: "drafter",
      model: real.model,
      deviceClass: real.deviceClass,
      threads: real.threads,
      maxSessions: 8,
      contextSize: real.contextSize,
      startedAt: Date.now(),
      profile: { draftMsPerToken: 0.01 },
      drafting: real.drafting,
      protocol: OTHER_PROTOCOL,
    };
    other.bus.publish(FleetRegister, "", registration);
    sendTelemetry();
    heartbeat = setInterval(sendTelemetry, 300);
    // The scheduler holds it, ready, and counts only drafter-1 as a partner.
    await fleetIs(OTHER_PROTOCOL, "ready", 1);
    for (let i = 0; i < 3; i++) assert.notEqual(await completion(), OTHER);

    // With drafter-1 drained, the only drafter left speaks another protocol: target-only.
    assert.equal((await admin.request(FleetDrain, "", { workerId: "drafter-1", draining: true }, 5000)).ok, true);
    await fleetIs(OTHER_PROTOCOL, "draining", 0);
    for (let i = 0; i < 2; i++) assert.equal(await completion(), null, "decoded target-only");
    assert.deepEqual(opensAtOther, [], "never asked to follow a session");
  });

  void it("does pair it once it speaks this release's protocol (the check above can fail)", async () => {
    reregister(WORKER_PROTOCOL);
    await fleetIs(WORKER_PROTOCOL, "draining", 1);
    // It declines every session it is given, so each still decodes alone: as many as it takes.
    while (opensAtOther.length === 0) await completion();
    // Back to the other release's protocol, and drafter-1 back in service: drafter-1 again.
    reregister(OTHER_PROTOCOL);
    await fleetIs(OTHER_PROTOCOL, "draining", 0);
    assert.equal((await admin.request(FleetDrain, "", { workerId: "drafter-1", draining: false }, 5000)).ok, true);
    await fleetIs(OTHER_PROTOCOL, "ready", 1);
    const seen = opensAtOther.length;
    assert.notEqual(await completion(), OTHER);
    assert.equal(opensAtOther.length, seen);
  });

  void it("refuses a worker's message of another contract version and logs it once per sender", async () => {
    const lines = () => registry.recentLines().filter((l) => l.includes(`"sender":"${OTHER}"`));
    // An older release's registration (v-1), three times, as its heartbeat would send it.
    const older = { ...FleetRegister, version: FleetRegister.version - 1 };
    for (let i = 0; i < 3; i++) other.bus.publish(older, "", { ...registration, maxSessions: 3 });
    // A newer release's telemetry (v+1), after them: once the registry logged it, it has read all three.
    other.bus.publish({ ...FleetTelemetry, version: FleetTelemetry.version + 1 }, "", idleTelemetry(null));
    await other.nc.flush();
    const telemetryLine = await registry.waitForLine(
      (l) => l.includes(`"sender":"${OTHER}"`) && l.includes("specfleet.fleet.telemetry"),
      10_000,
    );
    assert.match(telemetryLine, /"level":40/);
    assert.match(
      telemetryLine,
      new RegExp(`speaks v${FleetTelemetry.version + 1}, this actor v${FleetTelemetry.version}`),
    );
    assert.match(telemetryLine, /upgrade this actor/);
    const registerLines = lines().filter((l) => l.includes("specfleet.fleet.register"));
    assert.equal(registerLines.length, 1, `one warning for three refused registrations: ${registerLines.join("\n")}`);
    assert.match(registerLines[0]!, /"level":40/);
    assert.match(registerLines[0]!, /"msg":"rejected malformed event"/);
    assert.match(registerLines[0]!, new RegExp(`speaks v${older.version}, this actor v${FleetRegister.version}`));
    assert.match(registerLines[0]!, new RegExp(`upgrade '${OTHER}'`));
    assert.notEqual((await worker(OTHER))?.maxSessions, 3, "no refused registration was applied");

    // A request of another version is answered with the reason, and not applied.
    await assert.rejects(
      other.bus.request({ ...WorkerDraining, version: WorkerDraining.version + 1 }, "", { workerId: OTHER }, 5000),
      (error) => error instanceof PeerError && error.code === "bad_request" && /upgrade this actor/.test(error.message),
    );
    assert.equal((await worker(OTHER))?.draining, false);
    assert.ok(registry.running, "the registry goes on");
  });
});
