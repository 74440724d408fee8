import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { connect } from "nats";
import pino from "pino";
import {
  ANY_ID,
  FleetChanged,
  FleetDrain,
  FleetRegister,
  SchedulerSubmit,
  SessionReplay,
  SessionStream,
  VerifyRound,
  WorkerClose,
  subjectFor,
  type FleetWorker,
  type SessionEvent,
} from "#contracts";
import type { LocalFleet } from "#infra";
import { NatsAuthority } from "#security";
import { connectNats, ContractBus, fetchFleetSnapshot, NatsCredentialError } from "#transport";
import { DeviceConnection, DeviceFolder, deviceEndpoint } from "../support/device-credentials.js";
import { fleetBus } from "../support/fleet-nats.js";
import { MODEL, MODEL_PATH, startTestFleet } from "../support/fleet.js";
import { complete } from "../support/openai-client.js";
import { referenceCompletions, type ReferenceCompletions } from "../support/reference.js";

const silent = pino({ level: "silent" });
const PROMPT = "Once upon a time";
const MAX_TOKENS = 24;

/** A payload no fleet actor sends: what an `admin` observer hears of it shows a refused publish reached no one. */
const FORGED = Buffer.from(JSON.stringify({ forged: "security-refusals" }));

/** The subjects on which an `admin` observer heard FORGED. */
function overhear(admin: ContractBus, subject: string): string[] {
  const heard: string[] = [];
  admin.nc.subscribe(subject, {
    callback: (_error, msg) => {
      if (Buffer.from(msg.data).equals(FORGED)) heard.push(msg.subject);
    },
  });
  return heard;
}

/**
 * What a process may do on a secured fleet's NATS (nats-server in operator mode, the fleet's own
 * permissions): every operation issue 14 found open to anyone is refused to whoever may not do it,
 * by the server (permissions) or by the receiver (the sender a subject names). The fleet's
 * session-level refusals (forged events, revocation) are in security-sessions.test.ts.
 */
void describe("refused operations on a secured fleet", () => {
  let fleet: LocalFleet;
  let admin: ContractBus;
  let devices: DeviceFolder;
  const open: DeviceConnection[] = [];
  let reference: ReferenceCompletions;

  const connectAs = async (deviceId: string, role: "drafter" | "verifier") => {
    const connection = await DeviceConnection.open(await devices.issue(fleet, admin, deviceId, role));
    open.push(connection);
    return connection;
  };
  const worker = async (workerId: string): Promise<FleetWorker | undefined> =>
    (await fetchFleetSnapshot(admin, 5000)).workers.find((w) => w.workerId === workerId);

  before(async () => {
    reference = await referenceCompletions(MODEL_PATH, [PROMPT], MAX_TOKENS);
    fleet = await startTestFleet("security-refusals", { verifiers: 1, drafters: 1, maxSessions: 2 });
    admin = await fleetBus(fleet);
    devices = new DeviceFolder();
  });

  after(async () => {
    for (const connection of open) await connection.close();
    await admin?.nc.close();
    await fleet?.stop();
    devices?.remove();
  });

  void it("refuses a connection without a credential, and one from another authority or unreadable", async () => {
    assert.ok(fleet.secrets, "test fleets are secured by default");
    await assert.rejects(
      connect({ servers: fleet.natsUrl, maxReconnectAttempts: 0 }),
      (error: { code?: string }) => error.code === "AUTHORIZATION_VIOLATION",
    );
    // Through libs/transport: the refusal says what to set.
    await assert.rejects(
      connectNats({ url: fleet.natsUrl }, "anyone", silent, () => undefined),
      (error) => error instanceof NatsCredentialError && /AUTHORIZATION_VIOLATION.*set NATS_CREDS/.test(error.message),
    );
    const stranger = await NatsAuthority.generate().issue("drafter-1", "drafter");
    const foreign = devices.write("foreign.creds", stranger.creds);
    await assert.rejects(
      connectNats(deviceEndpoint(fleet, foreign), "drafter-1", silent, () => undefined),
      (error) => error instanceof NatsCredentialError && /NATS_CREDS=.*foreign\.creds was refused/.test(error.message),
    );
    const garbage = devices.write("garbage.creds", "not a creds file\n");
    await assert.rejects(connectNats(deviceEndpoint(fleet, garbage), "drafter-1", silent, () => undefined));
    await assert.rejects(
      connectNats(deviceEndpoint(fleet, `${devices.dir}/missing.creds`), "drafter-1", silent, () => undefined),
      (error) =>
        error instanceof NatsCredentialError && /NATS_CREDS=.*missing\.creds: cannot read it/.test(error.message),
    );
  });

  void it("a drafter's credential reads no prompts, no completions and no other worker's subjects", async () => {
    const drafter = await connectAs("edge-reader", "drafter");
    for (const subject of [
      SchedulerSubmit.subject,
      "specfleet.verifier.*.open",
      "specfleet.verifier.verifier-1.open",
      "specfleet.session.*.events.*",
      "specfleet.drafter.drafter-1.open",
      "_INBOX.gateway.>",
      ">",
    ]) {
      const errors: string[] = [];
      const subscription = drafter.nc.subscribe(subject, {
        callback: (error) => errors.push(error?.code ?? "message"),
      });
      await drafter.refused("subscription", subject);
      assert.deepEqual(errors, ["PERMISSIONS_VIOLATION"], `${subject}: the subscription is closed with the error`);
      assert.ok(subscription.isClosed(), subject);
    }
    assert.equal(drafter.nc.isClosed(), false, "refusals do not cut the connection");
  });

  void it("a drafter's credential publishes no one else's messages, and its own drafting subjects", async () => {
    const drafter = await connectAs("edge-writer", "drafter");
    const session = "sess-refusals-1";
    const refusedSubjects = [
      subjectFor(FleetRegister, "", "drafter-1"),
      subjectFor(SessionStream, session, "verifier-1"),
      subjectFor(SessionStream, session, "scheduler"),
      FleetDrain.subject,
      subjectFor(SessionReplay, "verifier-1"),
      FleetChanged.subject,
      SchedulerSubmit.subject,
      subjectFor(WorkerClose, "verifier-1", "edge-writer"),
      subjectFor(WorkerClose, "verifier-1", "scheduler"),
      "$JS.API.STREAM.CREATE.stolen",
    ];
    const heard = refusedSubjects.map((subject) => overhear(admin, subject));
    await admin.flush();
    for (const subject of refusedSubjects) {
      drafter.nc.publish(subject, FORGED);
      await drafter.refused("publish", subject);
    }
    await admin.flush();
    assert.deepEqual(heard.flat(), [], "no refused message reached a subscriber");

    // Its own subjects pass: the registry and a verifier hear them (and judge them on their own).
    const own = subjectFor(VerifyRound, "verifier-1", "edge-writer");
    const ownHeard = overhear(admin, own);
    await admin.flush();
    drafter.nc.publish(own, FORGED);
    const reply = await drafter.bus.request(
      VerifyRound,
      "verifier-1",
      { sessionId: session, position: 0, draft: [] },
      5000,
    );
    assert.equal(reply.status, "rejected", "a verifier takes rounds only for a session the drafter is attached to");
    assert.deepEqual(ownHeard, [own], "its own subject reached the verifier's subscribers");
    assert.equal(await drafter.wasRefused("publish", own), false);
  });

  void it("no one can make JetStream streams: JetStream is off", async () => {
    // Even admin, who may publish anywhere, finds no JetStream API behind the subject: nothing answers.
    await assert.rejects(
      admin.nc.request(
        "$JS.API.STREAM.CREATE.stolen",
        Buffer.from(JSON.stringify({ name: "stolen", subjects: [">"] })),
        {
          timeout: 1000,
        },
      ),
      (error: { code?: string }) => error.code === "503" || error.code === "TIMEOUT",
    );
    await assert.rejects(admin.nc.jetstreamManager({ timeout: 1000 }));
  });

  void it("a verifier's credential may not drain, submit, speak for another verifier, nor read prompts", async () => {
    const verifier = await connectAs("rogue-verifier", "verifier");
    const session = "sess-refusals-2";
    for (const subject of [
      FleetDrain.subject,
      SchedulerSubmit.subject,
      subjectFor(SessionStream, session, "verifier-1"),
      subjectFor(SessionStream, session, "scheduler"),
      subjectFor(SessionReplay, "verifier-1"),
    ]) {
      verifier.nc.publish(subject, Buffer.from("{}"));
      await verifier.refused("publish", subject);
    }
    for (const subject of [
      SchedulerSubmit.subject,
      "specfleet.verifier.verifier-1.open",
      "specfleet.session.*.events.*",
    ]) {
      verifier.nc.subscribe(subject, { callback: () => undefined });
      await verifier.refused("subscription", subject);
    }
    // Its own session events pass the server; the gateway takes them only from the owner (security-sessions.test.ts).
    const own = subjectFor(SessionStream, session, "rogue-verifier");
    verifier.nc.publish(own, Buffer.from("{}"));
    assert.equal(await verifier.wasRefused("publish", own), false);
  });

  void it("no one registers as drafter-1 but drafter-1, and the scheduler keeps pairing the real one", async () => {
    const real = await worker("drafter-1");
    assert.ok(real, "drafter-1 is registered");
    const evil = await connectAs("evil", "drafter");
    const forged = { ...real, workerId: "drafter-1", deviceClass: "evil-box", maxSessions: 64, startedAt: Date.now() };
    // Under drafter-1's subject: the server refuses.
    evil.nc.publish(subjectFor(FleetRegister, "", "drafter-1"), Buffer.from(JSON.stringify(forged)));
    await evil.refused("publish", subjectFor(FleetRegister, "", "drafter-1"));
    // Under its own subject, speaking for drafter-1: the registry refuses (senderField).
    evil.bus.publish(FleetRegister, "", forged);
    // Even admin's bus speaking as one identity cannot register another.
    const impostor = new ContractBus(admin.nc, silent, "impostor");
    impostor.publish(FleetRegister, "", forged);
    await admin.flush();
    // A registration of evil's own, sent after on the same connection, shows the registry read the forgery first.
    const marker = {
      ...forged,
      workerId: "evil",
      model: { ...real.model, name: "evil-model", vocabFingerprint: "f".repeat(16) },
    };
    evil.bus.publish(FleetRegister, "", marker);
    await evil.nc.flush();
    for (let seen = await worker("evil"); seen === undefined; seen = await worker("evil"))
      await new Promise((resolve) => setTimeout(resolve, 50));
    const after = await worker("drafter-1");
    assert.deepEqual(
      after && [after.deviceClass, after.maxSessions, after.startedAt, after.model],
      [real.deviceClass, real.maxSessions, real.startedAt, real.model],
      "drafter-1's registration is unchanged",
    );
    assert.equal(await evil.wasRefused("publish", subjectFor(FleetRegister, "", "evil")), false);

    // A request is still paired with the real drafter-1 and answered as the target alone would.
    const opened: SessionEvent[] = [];
    admin.subscribe(SessionStream, ANY_ID, (event) => {
      if (event.kind === "opened") opened.push(event);
    });
    await admin.flush();
    const result = await complete(fleet.gatewayUrl, { model: MODEL, prompt: PROMPT, max_tokens: MAX_TOKENS });
    assert.equal(result.status, 200);
    assert.deepEqual(result.tokenIds, (await reference.for(PROMPT, result.tokenIds)).tokens);
    const drafters = opened.flatMap((e) => (e.kind === "opened" && e.drafterId ? [e.drafterId] : []));
    assert.ok(!drafters.includes("evil"), `paired with ${drafters.join(", ")}`);
  });

  void it("a credential registers only in its own role: a drafter's is no verifier", async () => {
    const target = await worker("verifier-1");
    assert.ok(target, "verifier-1 is registered");
    const posing = await connectAs("posing-verifier", "drafter");
    // As a verifier with the target's model, it would be handed prompts to open (and could fail them).
    posing.bus.publish(FleetRegister, "", { ...target, workerId: "posing-verifier", startedAt: Date.now() });
    await posing.nc.flush();
    // The registry reads a registration within milliseconds: a second of snapshots would show the pose.
    const roles = new Set<string>();
    for (const until = Date.now() + 1000; Date.now() < until;) {
      const seen = await worker("posing-verifier");
      if (seen) roles.add(seen.role);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.deepEqual([...roles], [], "never registered as a verifier");
    // Its honest registration, in the role it was issued, is taken.
    const drafter = await worker("drafter-1");
    posing.bus.publish(FleetRegister, "", {
      ...drafter!,
      workerId: "posing-verifier",
      model: { ...drafter!.model, name: "posing-model", vocabFingerprint: "e".repeat(16) },
    });
    await posing.nc.flush();
    let seen = await worker("posing-verifier");
    while (seen === undefined) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      seen = await worker("posing-verifier");
    }
    assert.equal(seen.role, "drafter", "registered only as what its credential was issued for");
  });

  void it("a drafter's credential may not drain, replay nor close another worker's sessions", async () => {
    const drafter = await connectAs("edge-drainer", "drafter");
    await assert.rejects(drafter.bus.request(FleetDrain, "", { workerId: "drafter-1", draining: true }, 1000));
    await drafter.refused("publish", FleetDrain.subject);
    await assert.rejects(drafter.bus.request(FleetDrain, "", { workerId: "verifier-1", draining: true }, 1000));
    await assert.rejects(drafter.bus.request(SessionReplay, "verifier-1", { sessionId: "any", fromIndex: 0 }, 1000));
    await drafter.refused("publish", subjectFor(SessionReplay, "verifier-1"));
    await assert.rejects(drafter.bus.request(WorkerClose, "verifier-1", { sessionId: "any", reason: "x" }, 1000));
    await drafter.refused("publish", subjectFor(WorkerClose, "verifier-1", "edge-drainer"));
    for (const id of ["drafter-1", "verifier-1"]) {
      const seen = await worker(id);
      assert.equal(seen?.draining, false, `${id} is not draining`);
      assert.notEqual(seen?.state, "draining", id);
    }
    const result = await complete(fleet.gatewayUrl, { model: MODEL, prompt: PROMPT, max_tokens: MAX_TOKENS });
    assert.deepEqual(
      result.tokenIds,
      (await reference.for(PROMPT, result.tokenIds)).tokens,
      "the fleet still serves as the target alone",
    );
  });

  void it("the fleet's Redis refuses a process without its password", async () => {
    const raw = new Redis(fleet.redisUrl, { maxRetriesPerRequest: 0, enableReadyCheck: false, protocol: 2 });
    raw.on("error", () => undefined);
    for (const command of [() => raw.keys("specfleet:*"), () => raw.get("specfleet:journal:any:header")])
      await assert.rejects(command(), /NOAUTH/);
    await assert.rejects(raw.auth("default", ""), /WRONGPASS|disabled/);
    await assert.rejects(raw.auth("drafter", "guess"), /WRONGPASS/);
    raw.disconnect();
  });
});
