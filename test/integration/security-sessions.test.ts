import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import pino from "pino";
import {
  ANY_ID,
  CredentialList,
  CredentialRevoke,
  SessionStream,
  type PayloadOf,
  type ReplyOf,
  type SessionEvent,
} from "#contracts";
import { startService, type LocalFleet, type ManagedProcess } from "#infra";
import { NatsAuthority } from "#security";
import { connectNats, ContractBus, NatsCredentialError } from "#transport";
import { DeviceConnection, DeviceFolder, type IssuedDevice } from "../support/device-credentials.js";
import { fleetBus } from "../support/fleet-nats.js";
import { MODEL, MODEL_PATH, startTestFleet } from "../support/fleet.js";
import { streamCompletion } from "../support/openai-client.js";
import { referenceCompletions, type ReferenceCompletions } from "../support/reference.js";

const silent = pino({ level: "silent" });
const PROMPTS = ["Once upon a time", "The little dog"];
const MAX_TOKENS = 200;
type Opened = Extract<SessionEvent, { kind: "opened" }>;

/** A session's forged events: tokens from the start, an early end, and a claim to own it. */
function forgeries(sessionId: string, claimant: string): Array<PayloadOf<typeof SessionStream>> {
  return [
    { kind: "tokens", sessionId, index: 0, tokens: [1, 2, 3], text: " do do do" },
    { kind: "tokens", sessionId, index: 3, tokens: [4, 5], text: " dog" },
    { kind: "owner", sessionId, verifierId: claimant },
    { kind: "end", sessionId, finishReason: "stop", generatedTokens: 5, text: "" },
  ];
}

/**
 * What reaches a client on a secured fleet: a session's events only from the verifier the
 * scheduler named its owner, whoever else publishes on its subject; a revoked drafter is cut off
 * and its sessions finish without a lost token; a worker with a bad credential stops and says
 * what to fix. The server's refusals of each role are in security-refusals.test.ts.
 */
void describe("sessions on a secured fleet", () => {
  let fleet: LocalFleet;
  let admin: ContractBus;
  let devices: DeviceFolder;
  let reference: ReferenceCompletions;
  const opened = new Map<string, Opened>();
  const started: ManagedProcess[] = [];

  /** The session a streaming request of `prompt` opened once its first tokens came (the newest one). */
  const sessionOf = (known: Set<string>) => [...opened.values()].find((e) => !known.has(e.sessionId));

  /** A draft worker process on this machine with a device's credential, as an edge device runs one. */
  const startDrafter = (device: IssuedDevice) =>
    startService("draft-worker", {
      name: device.deviceId,
      env: {
        NATS_URL: fleet.natsUrl,
        NATS_CREDS: device.credsFile,
        ...(fleet.secrets?.tls ? { NATS_TLS_CA: fleet.secrets.tls.caFile } : {}),
        LOG_LEVEL: "info",
        WORKER_ID: device.deviceId,
        MODEL_PATH,
        MODEL_NAME: MODEL,
        THREADS: "1",
        MAX_SESSIONS: "2",
        WINDOW: "2",
      },
    }).then((child) => {
      started.push(child);
      return child;
    });

  before(async () => {
    reference = await referenceCompletions(MODEL_PATH, PROMPTS, MAX_TOKENS);
    fleet = await startTestFleet("security-sessions", {
      verifiers: 1,
      drafters: 0,
      maxSessions: 2,
      serviceEnv: {
        scheduler: { PAIRING_POLICY: "least-loaded" },
        // Rounds wait for company: a stream lasts long enough to be struck in its middle.
        "verify-worker": { VERIFY_BATCH_WAIT_MS: "20" },
      },
    });
    admin = await fleetBus(fleet);
    admin.subscribe(SessionStream, ANY_ID, (event) => {
      if (event.kind === "opened" && !opened.has(event.sessionId)) opened.set(event.sessionId, event);
    });
    await admin.flush();
    devices = new DeviceFolder();
  });

  after(async () => {
    for (const child of started) await child.stop();
    await admin?.nc.close();
    await fleet?.stop();
    devices?.remove();
  });

  void it("a client's stream takes a session's events only from its owner, whoever else sends them", async () => {
    const rogue = await DeviceConnection.open(await devices.issue(fleet, admin, "rogue-verifier", "verifier"));
    // Admin's bus speaking as a verifier that does not own the session (a second verifier would be the same).
    const other = new ContractBus(admin.nc, silent, "verifier-2");
    const known = new Set(opened.keys());
    let forged = 0;
    const prompt = PROMPTS[0]!;
    const result = await streamCompletion(fleet.gatewayUrl, { model: MODEL, prompt, max_tokens: MAX_TOKENS }, () => {
      const session = sessionOf(known);
      if (!session || forged >= 3) return;
      forged++;
      for (const event of forgeries(session.sessionId, "rogue-verifier"))
        rogue.bus.publish(SessionStream, session.sessionId, event);
      for (const event of forgeries(session.sessionId, "verifier-2"))
        other.publish(SessionStream, session.sessionId, event);
    });
    assert.equal(forged, 3, "forged events were sent while the stream ran");
    assert.equal(
      await rogue.wasRefused("publish", `specfleet.session.${sessionOf(known)!.sessionId}.events.rogue-verifier`),
      false,
    );
    assert.deepEqual(
      result.tokenIds,
      (await reference.for(prompt, result.tokenIds)).tokens,
      "the client got exactly what the target alone decodes",
    );
    assert.ok(result.done);
    await rogue.close();
  });

  void it("a revoked drafter is cut off at once and its session finishes without a lost token", async (t) => {
    const device = await devices.issue(fleet, admin, "edge-1", "drafter");
    const drafter = await startDrafter(device);
    await drafter.waitForReady(60_000);
    await pairable(fleet.gatewayUrl);
    const exitedAt = drafter.exited.then(() => Date.now());
    let revokedAt = 0;

    const known = new Set(opened.keys());
    const prompt = PROMPTS[1]!;
    const revocation: { reply?: Promise<ReplyOf<typeof CredentialRevoke>> } = {};
    const result = await streamCompletion(
      fleet.gatewayUrl,
      { model: MODEL, prompt, max_tokens: MAX_TOKENS },
      (soFar) => {
        if (revocation.reply || soFar.tokenIds.length < 20) return;
        const session = sessionOf(known);
        assert.equal(session?.drafterId, "edge-1", "the stream is drafted by the device about to be revoked");
        revokedAt = Date.now();
        revocation.reply = admin.request(CredentialRevoke, "", { deviceId: "edge-1", reason: "stolen laptop" }, 10_000);
      },
    );
    assert.ok(revocation.reply, "revoked mid-stream");
    const streamEndedAt = Date.now();
    const reply = await revocation.reply;
    assert.ok(reply.ok, JSON.stringify(reply));
    assert.ok(result.tokenIds.length > 20);
    assert.deepEqual(
      result.tokenIds,
      (await reference.for(prompt, result.tokenIds)).tokens,
      "no token lost, none changed",
    );
    assert.ok(result.done);

    // The device's process was cut off and stopped, saying what to fix.
    const exit = await drafter.exited;
    const stoppedAt = await exitedAt;
    t.diagnostic(
      `the drafter stopped ${stoppedAt - revokedAt} ms after the revocation was asked; the stream ended ${streamEndedAt - stoppedAt} ms after that`,
    );
    assert.notEqual(exit.code, 0, `exited ${JSON.stringify(exit)}`);
    assert.ok(
      drafter.recentLines().some((line) => /NATS_CREDS=.*edge-1\.creds was refused/.test(line)),
      drafter.recentLines(5).join("\n"),
    );
    const listed = await admin.request(CredentialList, "", {}, 5000);
    const credential = listed.credentials.find((c) => c.deviceId === "edge-1");
    assert.ok(credential?.revokedAt, "listed as revoked");
    assert.equal(credential?.revokedReason, "stolen laptop");
    await assert.rejects(
      connectNats(device.endpoint, "edge-1", silent, () => undefined),
      (error) => error instanceof NatsCredentialError && /AUTHORIZATION_VIOLATION/.test(error.message),
    );
  });

  void it("a worker started with a bad credential exits non-zero and names NATS_CREDS", async () => {
    const foreign = devices.write(
      "foreign.creds",
      (await NatsAuthority.generate().issue("edge-foreign", "drafter")).creds,
    );
    const cases = [
      { file: foreign, says: /NATS_CREDS=.*foreign\.creds was refused/ },
      { file: `${devices.dir}/missing.creds`, says: /NATS_CREDS=.*missing\.creds: cannot read it/ },
    ];
    for (const { file, says } of cases) {
      const child = await startDrafter({
        deviceId: "edge-foreign",
        role: "drafter",
        credsFile: file,
        endpoint: { url: fleet.natsUrl, credsFile: file },
      });
      const exit = await child.exited;
      assert.notEqual(exit.code, 0, `${file}: exited ${JSON.stringify(exit)}`);
      assert.ok(
        child.recentLines().some((line) => says.test(line)),
        child.recentLines(5).join("\n"),
      );
    }
  });
});

/** Until the scheduler places with a drafter (its snapshot trails the registry's by a beat). */
async function pairable(gatewayUrl: string): Promise<void> {
  for (;;) {
    const body = (await (await fetch(`${gatewayUrl}/readyz`)).json()) as {
      scheduler_models?: Array<{ drafters: number }>;
    };
    if ((body.scheduler_models ?? []).some((m) => m.drafters > 0)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
