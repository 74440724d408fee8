import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { request } from "node:http";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { ANY_ID, SessionStream, type SessionEvent } from "#contracts";
import { freePort, projectRoot, startService, type LocalFleet, type ManagedProcess } from "#infra";
import type { ContractBus } from "#transport";
import { DeviceFolder } from "../support/device-credentials.js";
import { fleetBus } from "../support/fleet-nats.js";
import { MODEL, MODEL_PATH, startTestFleet } from "../support/fleet.js";
import { streamCompletion } from "../support/openai-client.js";
import { referenceCompletions, type ReferenceCompletions } from "../support/reference.js";

const run = promisify(execFile);
const CLI = join(projectRoot(), "dist", "cli", "specfleet.js");
const PROMPTS = ["Once upon a time", "The little dog", "Lily and Ben went to the park. They"];
const MAX_TOKENS = 200;
/** Tokens a stream has before the worker holding it is stopped: mid-stream, well before its end. */
const STRIKE_AT = 20;
type Opened = Extract<SessionEvent, { kind: "opened" }>;

/**
 * Graceful scale-down (issue 15): a worker being stopped (SIGTERM, or its pod's preStop through
 * `specfleet worker drain`) drains first: the registry marks it draining, the scheduler moves its
 * sessions (a verifier's resume on the other verifier from the journal; a drafter's go on alone),
 * and it exits 0 once it holds none. A stream it was serving completes identical to the target
 * alone: no token lost or repeated.
 */
void describe("a worker drains before it stops", () => {
  let fleet: LocalFleet;
  let admin: ContractBus;
  let devices: DeviceFolder;
  let reference: ReferenceCompletions;
  const opened = new Map<string, Opened>();
  const started: ManagedProcess[] = [];

  /** Streams `prompt`; once it has STRIKE_AT tokens, `strike` gets the session's opening event (once). */
  const streamAndStrike = async (prompt: string, strike: (session: Opened) => void) => {
    const known = new Set(opened.keys());
    let struck: Opened | null = null;
    const result = await streamCompletion(
      fleet.gatewayUrl,
      { model: MODEL, prompt, max_tokens: MAX_TOKENS },
      (soFar) => {
        if (struck !== null || soFar.tokenIds.length < STRIKE_AT) return;
        const session = [...opened.values()].find((e) => !known.has(e.sessionId));
        if (!session) return;
        struck = session;
        strike(session);
      },
    );
    assert.ok(struck, "the worker was stopped while the stream ran");
    assert.ok(result.done);
    assert.deepEqual(
      result.tokenIds,
      (await reference.for(prompt, result.tokenIds)).tokens,
      "identical to the target alone: no token lost or repeated",
    );
    return struck as Opened;
  };

  before(async () => {
    reference = await referenceCompletions(MODEL_PATH, PROMPTS, MAX_TOKENS);
    fleet = await startTestFleet("worker-drain", {
      verifiers: 2,
      drafters: 1,
      maxSessions: 2,
      serviceEnv: {
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

  void it("a verifier sent SIGTERM mid-stream lets its session resume on the other, then exits 0", async () => {
    await pairable(fleet.gatewayUrl);
    let verifier: ManagedProcess | undefined;
    const session = await streamAndStrike(PROMPTS[0]!, (s) => {
      verifier = fleet.processes.get(s.verifierId);
      verifier?.kill("SIGTERM");
    });
    assert.ok(verifier, `the session's verifier ${session.verifierId} is one of the fleet's processes`);
    const exit = await verifier.exited;
    assert.equal(exit.code, 0, `exited ${JSON.stringify(exit)}: ${verifier.recentLines(5).join("\n")}`);
    const lines = verifier.recentLines();
    assert.ok(
      lines.some((l) => /"msg":"draining"/.test(l) && /"sessions":1\b/.test(l)),
      "it logged the drain, with the session it held",
    );
    assert.ok(
      lines.some((l) => /"msg":"drained: no session left"/.test(l)),
      `its session moved before it stopped:\n${lines.slice(-8).join("\n")}`,
    );
  });

  void it("a drafter sent SIGTERM mid-stream lets its session go on without it, then exits 0", async () => {
    await pairable(fleet.gatewayUrl);
    let drafter: ManagedProcess | undefined;
    const session = await streamAndStrike(PROMPTS[1]!, (s) => {
      assert.ok(s.drafterId, "the stream is drafted");
      drafter = fleet.processes.get(s.drafterId);
      drafter?.kill("SIGTERM");
    });
    assert.ok(drafter, `the session's drafter ${session.drafterId} is one of the fleet's processes`);
    const exit = await drafter.exited;
    assert.equal(exit.code, 0, `exited ${JSON.stringify(exit)}`);
    assert.ok(
      drafter.recentLines().some((l) => /"msg":"drained: no session left"/.test(l)),
      "its session moved first",
    );
  });

  void it("a drafter's preStop (specfleet worker drain) drains it through its health port; probes tell", async () => {
    const device = await devices.issue(fleet, admin, "edge-drain", "drafter");
    const healthPort = await freePort();
    const probeEnv = { ...process.env, HEALTH_PORT: String(healthPort) };
    const drafter = await startService("draft-worker", {
      name: device.deviceId,
      env: {
        NATS_URL: fleet.natsUrl,
        NATS_CREDS: device.credsFile,
        LOG_LEVEL: "info",
        WORKER_ID: device.deviceId,
        MODEL_PATH,
        MODEL_NAME: MODEL,
        THREADS: "1",
        MAX_SESSIONS: "2",
        WINDOW: "2",
        HEALTH_PORT: String(healthPort),
        HEALTH_HOST: "127.0.0.1",
        DRAIN_TIMEOUT_MS: "20000",
      },
    });
    started.push(drafter);
    await drafter.waitForReady(60_000);
    await pairable(fleet.gatewayUrl);
    await run(process.execPath, [CLI, "health", "--ready"], { env: probeEnv });

    let preStop: Promise<{ stdout: string }> | undefined;
    await streamAndStrike(PROMPTS[2]!, (s) => {
      assert.equal(s.drafterId, device.deviceId, "drafted by the only drafter left");
      preStop = run(process.execPath, [CLI, "worker", "drain", "--timeout-s", "30"], { env: probeEnv });
    });
    const { stdout } = await preStop!;
    assert.match(stdout, /drained: 0 session\(s\) left/);
    // Draining: alive, no longer ready (it takes no session).
    await run(process.execPath, [CLI, "health"], { env: probeEnv });
    await assert.rejects(
      run(process.execPath, [CLI, "health", "--ready"], { env: probeEnv }),
      /exit code 1|Command failed/,
    );
    // Anyone but the pod itself is refused the drain (here: a Host that is not loopback).
    assert.equal(await postWithHost(healthPort, "/drain", "evil.example"), 403);

    drafter.kill("SIGTERM");
    const exit = await drafter.exited;
    assert.equal(exit.code, 0, `exited ${JSON.stringify(exit)}`);
  });
});

/** The status of a POST with this `Host` header (fetch may not set one). */
function postWithHost(port: number, path: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method: "POST", headers: { Host: host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end();
  });
}

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
