import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  ANY_ID,
  FleetRegister,
  FleetTelemetry,
  MetricsReport,
  RoundReports,
  eachRound,
  SessionStream,
  subjectFor,
  VerifyRound,
  type RoundReport,
  type SessionEvent,
} from "#contracts";
import { startNats, type LocalFleet, type ManagedProcess, type ServerHandle } from "#infra";
import { edgeLeafConfig } from "#security";
import { fetchFleetSnapshot, type ContractBus } from "#transport";
import { DeviceConnection } from "../support/device-credentials.js";
import { devicesCli, drafterGone, drafterPlaceable, SERVING, startJoin } from "../support/edge-join.js";
import { fleetBus } from "../support/fleet-nats.js";
import { MODEL, MODEL_PATH, startTestFleet } from "../support/fleet.js";
import { complete, streamCompletion } from "../support/openai-client.js";
import { referenceCompletions, type ReferenceCompletions } from "../support/reference.js";

const LOGS = "edge-join";
const PROMPTS = ["Once upon a time", "The little dog", "Lily and Ben went to the park. They"];
const MAX_TOKENS = 160;
type Opened = Extract<SessionEvent, { kind: "opened" }>;

/**
 * Issue 15 item 5: an edge device joins a secured TLS fleet with `specfleet join`, over the
 * fleet's WebSocket listener (wss://) or through a leaf node of its own; it registers, drafts,
 * can do nothing but draft, and revoking its credential cuts it off without a lost token.
 */
void describe("edge devices join with one command", () => {
  let fleet: LocalFleet;
  let admin: ContractBus;
  let reference: ReferenceCompletions;
  let dir: string;
  const rounds: RoundReport[] = [];
  const opened = new Map<string, Opened>();
  const started: Array<{ stop(): Promise<unknown> }> = [];

  const caFile = () => fleet.secrets!.tls!.caFile;
  const issue = async (deviceId: string) => {
    await devicesCli(fleet, dir, "issue", deviceId, "--role", "drafter", "--note", "edge-join test");
    return join(dir, `${deviceId}.creds`);
  };
  const joinDevice = async (name: string, args: string[]): Promise<ManagedProcess> => {
    const child = await startJoin(
      name,
      LOGS,
      [...args, "--model", MODEL_PATH, "--threads", "1", "--log-level", "info"],
      {
        WINDOW: "2",
        MAX_SESSIONS: "2",
      },
    );
    started.push(child);
    await child.waitForLine((line) => SERVING.test(line), 120_000);
    await drafterPlaceable(fleet.gatewayUrl, name);
    return child;
  };
  /** Sessions opened since `known`, with the drafter the scheduler paired. */
  const openedSince = (known: Set<string>) => [...opened.values()].filter((e) => !known.has(e.sessionId));

  before(async () => {
    reference = await referenceCompletions(MODEL_PATH, PROMPTS, MAX_TOKENS);
    fleet = await startTestFleet(LOGS, {
      verifiers: 1,
      drafters: 0,
      maxSessions: 2,
      tls: true,
      edge: { websocket: true, leafnodes: true },
      serviceEnv: {
        // Pair a drafter even with a tiny target (load-aware would decode alone); rounds wait a
        // little for company, so a stream lasts long enough to revoke its drafter mid-way.
        scheduler: { PAIRING_POLICY: "least-loaded" },
        "verify-worker": { VERIFY_BATCH_WAIT_MS: "20", DRAFTER_SILENCE_MS: "1000" },
      },
    });
    assert.ok(fleet.secrets?.tls, "the fleet speaks TLS");
    assert.match(fleet.edge.websocketUrl ?? "", /^wss:\/\/127\.0\.0\.1:\d+$/);
    assert.match(fleet.edge.leafnodeUrl ?? "", /^tls:\/\/127\.0\.0\.1:\d+$/);
    admin = await fleetBus(fleet);
    admin.subscribe(
      RoundReports,
      ANY_ID,
      eachRound((report) => rounds.push(report)),
    );
    admin.subscribe(SessionStream, ANY_ID, (event) => {
      if (event.kind === "opened" && !opened.has(event.sessionId)) opened.set(event.sessionId, event);
    });
    await admin.flush();
    dir = mkdtempSync(join(tmpdir(), "specfleet-edge-join-"));
  });

  after(async () => {
    for (const child of started.reverse()) await child.stop();
    await admin?.nc.close();
    await fleet?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  void it("join over wss: the drafter registers under its credential's name and drafts the target's exact text", async () => {
    const creds = await issue("edge-ws");
    await joinDevice("edge-ws", ["--url", fleet.edge.websocketUrl!, "--credentials", creds, "--ca", caFile()]);
    const registered = (await fetchFleetSnapshot(admin, 5000)).workers.find((w) => w.workerId === "edge-ws");
    assert.equal(registered?.role, "drafter");
    assert.ok((registered?.profile.draftMsPerToken ?? 0) > 0, "it timed its own drafting at start");

    const known = new Set(opened.keys());
    const prompt = PROMPTS[0]!;
    const result = await complete(fleet.gatewayUrl, { model: MODEL, prompt, max_tokens: MAX_TOKENS });
    assert.equal(result.status, 200);
    assert.deepEqual(
      result.tokenIds,
      (await reference.for(prompt, result.tokenIds)).tokens,
      "identical to the target alone",
    );
    const [session] = openedSince(known);
    assert.equal(session?.drafterId, "edge-ws", "the scheduler paired the joined drafter");
    const drafted = rounds.filter((r) => r.sessionId === session!.sessionId && r.drafterId === "edge-ws");
    assert.ok(drafted.length > 0, "the joined drafter reported rounds of the session");
    assert.ok(
      drafted.some((r) => r.window > 0),
      "it drafted tokens",
    );
    const { stdout } = await devicesCli(fleet, dir, "list");
    assert.match(stdout, /edge-ws\s+drafter\s+active.*ready/);
  });

  void it("with the same credential over wss, it can do nothing but draft", async () => {
    const device = await DeviceConnection.open({
      deviceId: "edge-ws",
      role: "drafter",
      credsFile: join(dir, "edge-ws.creds"),
      endpoint: { url: fleet.edge.websocketUrl!, credsFile: join(dir, "edge-ws.creds"), tlsCaFile: caFile() },
    });
    try {
      // Read sessions' tokens (a client's text), or another worker's rounds.
      for (const subject of ["specfleet.session.*.events.*", "specfleet.verifier.verifier-1.verify.*"]) {
        device.nc.subscribe(subject);
        await device.refused("subscription", subject);
      }
      // Publish a session's tokens (as the verifier), or speak for another device.
      const refused = [
        subjectFor(SessionStream, "sess-edge-1", "edge-ws"),
        subjectFor(SessionStream, "sess-edge-1", "verifier-1"),
        subjectFor(FleetTelemetry, "", "edge-other"),
        subjectFor(VerifyRound, "verifier-1", "edge-other"),
      ];
      for (const subject of refused) {
        device.nc.publish(subject, Buffer.from("{}"));
        await device.refused("publish", subject);
      }
      // Register as a verifier: its own subject, but the registry binds it to its credential's role.
      const target = (await fetchFleetSnapshot(admin, 5000)).workers.find((w) => w.workerId === "verifier-1")!;
      device.bus.publish(FleetRegister, "", { ...target, workerId: "edge-ws", startedAt: Date.now() });
      await device.nc.flush();
      for (const until = Date.now() + 1000; Date.now() < until;) {
        const seen = (await fetchFleetSnapshot(admin, 5000)).workers.find((w) => w.workerId === "edge-ws");
        assert.equal(seen?.role, "drafter", "never registered as a verifier");
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal(await device.wasRefused("publish", subjectFor(FleetRegister, "", "edge-ws")), false);
    } finally {
      await device.close();
    }
  });

  void it("revoking the joined drafter's credential cuts it off; the stream in flight loses no token", async (t) => {
    const joined = started.find((c) => (c as ManagedProcess).name === "edge-ws") as ManagedProcess;
    const exitedAt = joined.exited.then(() => Date.now());
    const known = new Set(opened.keys());
    const prompt = PROMPTS[1]!;
    let revocation: ReturnType<typeof devicesCli> | undefined;
    let revokedAt = 0;
    let answeredAt = 0;
    const result = await streamCompletion(
      fleet.gatewayUrl,
      { model: MODEL, prompt, max_tokens: MAX_TOKENS },
      (soFar) => {
        if (revocation || soFar.tokenIds.length < 20) return;
        assert.equal(openedSince(known)[0]?.drafterId, "edge-ws", "drafted by the device about to be revoked");
        revokedAt = Date.now();
        revocation = devicesCli(fleet, dir, "revoke", "edge-ws", "--reason", "lost device").then((answer) => {
          answeredAt = Date.now();
          return answer;
        });
      },
    );
    assert.ok(revocation, "revoked mid-stream");
    assert.match((await revocation).stdout, /revoked edge-ws/);
    assert.deepEqual(
      result.tokenIds,
      (await reference.for(prompt, result.tokenIds)).tokens,
      "no token lost, none changed",
    );
    assert.ok(result.done);
    const exit = await joined.exited;
    t.diagnostic(
      `specfleet join stopped ${(await exitedAt) - revokedAt} ms after \`specfleet devices revoke\` started ` +
        `(which answered after ${answeredAt - revokedAt} ms)`,
    );
    assert.notEqual(exit.code, 0, `exited ${JSON.stringify(exit)}`);
    assert.ok(
      joined.recentLines().some((line) => /edge-ws\.creds was refused/.test(line)),
      joined.recentLines(5).join("\n"),
    );
    await drafterGone(fleet.gatewayUrl, "edge-ws");

    // Joining again with it is refused before anything is loaded, saying what to do.
    const again = await startJoin("edge-ws-again", LOGS, [
      ...["--url", fleet.edge.websocketUrl!, "--credentials", join(dir, "edge-ws.creds"), "--ca", caFile()],
      ...["--model", MODEL_PATH],
    ]);
    started.push(again);
    assert.equal((await again.exited).code, 1);
    assert.ok(
      again.recentLines().some((line) => /refused .*edge-ws\.creds \(edge-ws\): revoked, expired/.test(line)),
      again.recentLines(5).join("\n"),
    );
    assert.ok(!again.recentLines().some((line) => /loading/.test(line)), "nothing was loaded");
  });

  void it("through a leaf node of its own (nats-server 2.9): it registers, only a drafter's subjects cross, but no round reaches a verifier", async () => {
    const creds = await issue("edge-leaf");
    const leaf: ServerHandle = await startNats({
      output: { logFile: join(".cache", "test-logs", LOGS, "edge-leaf-nats.log") },
      config: () => edgeLeafConfig({ hubUrl: fleet.edge.leafnodeUrl!, credsFile: creds, caFile: caFile() }),
    });
    started.push(leaf);
    const joined = await joinDevice("edge-leaf", ["--url", leaf.url, "--credentials", creds]);
    const registered = (await fetchFleetSnapshot(admin, 5000)).workers.find((w) => w.workerId === "edge-leaf");
    assert.equal(registered?.role, "drafter", "registered through the leaf connection");

    // Anyone on the edge's local server speaks through the device's credential: what a drafter
    // may not send stays on the edge. The marker after it crosses (one connection keeps order).
    const local = await DeviceConnection.open({
      deviceId: "edge-leaf",
      role: "drafter",
      credsFile: creds,
      endpoint: { url: leaf.url, credsFile: creds },
    });
    const crossed: string[] = [];
    const watch = [subjectFor(SessionStream, "sess-leaf", "*"), subjectFor(MetricsReport, "", "edge-leaf")];
    for (const subject of watch) admin.nc.subscribe(subject, { callback: (_e, msg) => crossed.push(msg.subject) });
    await admin.flush();
    local.nc.publish(subjectFor(SessionStream, "sess-leaf", "verifier-1"), Buffer.from("{}"));
    local.nc.publish(subjectFor(SessionStream, "sess-leaf", "edge-leaf"), Buffer.from("{}"));
    local.nc.publish(watch[1]!, Buffer.from("{}"));
    await local.nc.flush();
    while (!crossed.includes(watch[1]!)) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(crossed, [watch[1]], "only the drafter's own subject reached the fleet");
    await local.close();

    // nats-server 2.9 sends a leaf only the interest its credential could publish to, matched in
    // reverse: the verifier's `specfleet.verifier.verifier-1.verify.*` does not match the allowed
    // `specfleet.verifier.*.verify.edge-leaf` that way, so the edge never learns that anyone serves
    // its rounds (docs/security.md, "Edge devices"). The session goes on target-only: same answer.
    const known = new Set(opened.keys());
    const prompt = PROMPTS[2]!;
    const result = await complete(fleet.gatewayUrl, { model: MODEL, prompt, max_tokens: MAX_TOKENS });
    assert.deepEqual(
      result.tokenIds,
      (await reference.for(prompt, result.tokenIds)).tokens,
      "identical to the target alone",
    );
    const [session] = openedSince(known);
    assert.equal(session?.drafterId, "edge-leaf", "the scheduler paired the drafter behind the leaf node");
    await joined.waitForLine(
      (line) => /nobody answers on specfleet\.verifier\.verifier-1\.verify\.edge-leaf/.test(line),
      10_000,
    );
    assert.ok(
      !rounds.some((r) => r.sessionId === session!.sessionId && r.drafterId === "edge-leaf"),
      "a round drafted through the leaf node reached the verifier: the leaf-node path works now, update docs/security.md",
    );

    // Revoking the credential closes the leaf connection: the device drops out of the fleet.
    await devicesCli(fleet, dir, "revoke", "edge-leaf", "--reason", "test");
    await drafterGone(fleet.gatewayUrl, "edge-leaf");
    assert.ok(joined.running, "the drafter still runs on its edge, cut off from the fleet");
  });
});
