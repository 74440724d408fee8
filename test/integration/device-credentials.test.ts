import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import pino from "pino";
import { ANY_ID, RoundReports, eachRound, type RoundReport } from "#contracts";
import { waitUntil, type LocalFleet } from "#infra";
import { connectNats, NatsCredentialError, type ContractBus } from "#transport";
import { DeviceConnection, deviceEndpoint } from "../support/device-credentials.js";
import { fleetBus } from "../support/fleet-nats.js";
import { MODEL, MODEL_PATH, startTestFleet } from "../support/fleet.js";
import { streamCompletion } from "../support/openai-client.js";
import { referenceCompletions, type ReferenceCompletions } from "../support/reference.js";

const run = promisify(execFile);
const CLI = fileURLToPath(new URL("../../cli/specfleet.js", import.meta.url));
const LOG_DIR = ".cache/test-logs/device-credentials";
const PROMPT = "Once upon a time";
const MAX_TOKENS = 300;
/** A guard so that a cut that never comes fails the test instead of hanging it (not a latency bound). */
const CUT_GUARD_MS = 30_000;

interface CredentialJson {
  device_id: string;
  role: string;
  public_key: string;
  status: string;
  revoked_at: number | null;
  revoked_reason: string | null;
  note: string | null;
  device?: { state: string } | null;
  creds?: string;
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>(
      (_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)),
    ),
  ]);
}

/**
 * The operator's side of device credentials on a secured fleet (1 verifier, 1 drafter): issue
 * through the gateway's admin API and `specfleet devices`, list, and revoke; the issued `.creds`
 * reach NATS as that device and no other; a revocation cuts its connection and the fleet's own
 * drafter, while a stream it served completes token-identical to the target alone. (What each
 * role is refused is security-refusals.test.ts.)
 */
void describe("device credentials through the admin API and specfleet devices", () => {
  let fleet: LocalFleet;
  let admin: ContractBus;
  let dir: string;
  let reference: ReferenceCompletions;
  const rounds: RoundReport[] = [];
  const open: DeviceConnection[] = [];

  const api = (method: string, path: string, body?: unknown) =>
    fetch(`${fleet.gatewayUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const list = async () => ((await (await api("GET", "/admin/credentials")).json()) as { data: CredentialJson[] }).data;
  const cli = (...args: string[]) =>
    run(process.execPath, [CLI, "devices", ...args, "--gateway", fleet.gatewayUrl], {
      env: { PATH: process.env.PATH },
      cwd: dir,
    });

  before(async () => {
    reference = await referenceCompletions(MODEL_PATH, [PROMPT], MAX_TOKENS);
    dir = mkdtempSync(join(tmpdir(), "specfleet-device-credentials-"));
    fleet = await startTestFleet("device-credentials", {
      verifiers: 1,
      drafters: 1,
      serviceEnv: {
        // Pair the drafter even with a tiny target (load-aware would decode alone), and make each
        // round wait a little so a stream lasts long enough to revoke its drafter mid-way.
        scheduler: { PAIRING_POLICY: "least-loaded" },
        "verify-worker": { VERIFY_BATCH_WAIT_MS: "20", DRAFTER_SILENCE_MS: "1000" },
      },
    });
    assert.ok(fleet.secrets, "test fleets are secured");
    admin = await fleetBus(fleet);
    admin.subscribe(
      RoundReports,
      ANY_ID,
      eachRound((report) => rounds.push(report)),
    );
    await admin.nc.flush();
  });

  after(async () => {
    for (const connection of open) await connection.close();
    await admin?.nc.close();
    await fleet?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  void it("issues through the admin API: the .creds once, not cached, never logged; the list has no secret", async () => {
    const response = await api("POST", "/admin/credentials", {
      device_id: "edge-api-1",
      role: "verifier",
      expires_in_s: 3600,
      note: "rack 4",
    });
    assert.equal(response.status, 201);
    assert.equal(response.headers.get("cache-control"), "no-store");
    const issued = (await response.json()) as CredentialJson;
    assert.match(issued.creds ?? "", /-----BEGIN NATS USER JWT-----[\s\S]*-----BEGIN USER NKEY SEED-----/);
    assert.match(issued.public_key, /^U[A-Z2-7]{55}$/);
    assert.deepEqual(
      [issued.device_id, issued.role, issued.status, issued.note],
      ["edge-api-1", "verifier", "active", "rack 4"],
    );
    const seed = /\n(SU[A-Z2-7]+)\n/.exec(issued.creds!)![1]!;

    const listed = await list();
    const mine = listed.find((c) => c.public_key === issued.public_key);
    assert.equal(mine?.status, "active");
    assert.equal(mine?.device, null, "not registered in the fleet");
    assert.equal(listed.find((c) => c.device_id === "drafter-1" && c.status === "active")?.device?.state, "ready");
    assert.ok(!JSON.stringify(listed).includes(seed), "the list carries no secret");
    assert.ok(listed.every((c) => c.creds === undefined));
    // The gateway's log reaches its file through a pipe, a moment after the reply.
    const gatewayLog = () => readFileSync(join(LOG_DIR, "gateway.log"), "utf8");
    await waitUntil("the gateway logs the issue", async () => gatewayLog().includes("device credential issued"), {
      timeoutMs: 10_000,
    });
    assert.ok(!gatewayLog().includes(seed), "the gateway never logs the seed");
  });

  void it("refuses a control-plane id, a bad body, and revoking a device without a credential", async () => {
    const reserved = await api("POST", "/admin/credentials", { device_id: "scheduler", role: "drafter" });
    assert.equal(reserved.status, 400);
    assert.deepEqual(((await reserved.json()) as { error: object }).error, {
      message: "'scheduler' is a control-plane identity, not a device id: the fleet's own credentials are made with it",
      type: "invalid_request_error",
      param: "device_id",
      code: "reserved_identity",
    });
    const badRole = await api("POST", "/admin/credentials", { device_id: "edge-9", role: "gateway" });
    assert.equal(badRole.status, 400);
    assert.equal(((await badRole.json()) as { error: { param: string } }).error.param, "role");
    const unknown = await api("DELETE", "/admin/credentials/never-issued");
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as { error: { code: string } }).error.code, "device_not_found");
  });

  void it("specfleet devices issue writes a 0600 file that connects as that device and only as it", async () => {
    const { stdout } = await cli("issue", "edge-cli-1", "--role", "drafter", "--note", "desk");
    const file = join(dir, "edge-cli-1.creds");
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const creds = readFileSync(file, "utf8");
    const publicKey = /public key\s+(U[A-Z2-7]{55})/.exec(stdout)?.[1];
    assert.ok(publicKey, stdout);
    assert.match(stdout, new RegExp(`wrote ${file}`));
    assert.ok(
      !creds.split("\n").some((line) => line.length > 20 && stdout.includes(line)),
      "no part of the creds printed",
    );
    await assert.rejects(cli("issue", "edge-cli-1", "--role", "drafter"), /exists: give --force/);

    const { stdout: table } = await cli("list");
    assert.match(table, /^edge-cli-1\s+drafter\s+active\s.*not registered\s.*desk$/m);

    const device = await DeviceConnection.open({
      deviceId: "edge-cli-1",
      role: "drafter",
      credsFile: file,
      endpoint: deviceEndpoint(fleet, file),
    });
    open.push(device);
    const heard: string[] = [];
    admin.nc.subscribe("specfleet.fleet.telemetry.>", { callback: (_e, msg) => heard.push(msg.subject) });
    await admin.nc.flush();
    device.nc.publish("specfleet.fleet.telemetry.edge-cli-1", "{}");
    device.nc.publish("specfleet.fleet.telemetry.drafter-9", "{}");
    await device.refused("publish", "specfleet.fleet.telemetry.drafter-9");
    await admin.nc.flush();
    assert.ok(heard.includes("specfleet.fleet.telemetry.edge-cli-1"), "its own telemetry subject carries");
    assert.ok(!heard.includes("specfleet.fleet.telemetry.drafter-9"), "another's is refused by the server");
    assert.ok(!(await device.wasRefused("publish", "specfleet.fleet.telemetry.edge-cli-1")));
  });

  void it("specfleet devices revoke cuts the device's connection, refuses it again, and the list shows it", async () => {
    const file = join(dir, "edge-cli-1.creds");
    const device = open.at(-1)!;
    assert.equal(device.nc.isClosed(), false);
    const { stdout } = await cli("revoke", "edge-cli-1", "--reason", "lost on a train");
    assert.match(stdout, /^revoked edge-cli-1 \(drafter, U[A-Z2-7]{11}…\).*reason: lost on a train/);
    const closedWith = await within(device.nc.closed(), CUT_GUARD_MS, "the revoked connection cut");
    assert.match(
      String((closedWith as { code?: string } | void)?.code ?? device.cut?.message),
      /AUTHORIZATION_VIOLATION|refused/,
    );
    await assert.rejects(
      connectNats(deviceEndpoint(fleet, file), "edge-cli-1", pino({ level: "silent" }), () => undefined),
      (error) => error instanceof NatsCredentialError && /revoked, expired/.test(error.message),
    );
    const revoked = (await list()).find((c) => c.device_id === "edge-cli-1")!;
    assert.equal(revoked.status, "revoked");
    assert.equal(revoked.revoked_reason, "lost on a train");
    assert.ok(revoked.revoked_at !== null && revoked.revoked_at > 0);
    const { stdout: table } = await cli("list");
    assert.match(table, /^edge-cli-1\s+drafter\s+revoked \d{4}-\d\d-\d\d \d\d:\d\d\s.*lost on a train$/m);
    await assert.rejects(cli("revoke", "edge-cli-1"), /404: device 'edge-cli-1' has no credential in force/);
  });

  void it("revoking the fleet's drafter-1 mid-stream stops it; the stream is identical to the target alone", async () => {
    const drafter = fleet.processes.get("drafter-1")!;
    assert.equal(drafter.running, true);
    const firstRound = rounds.length;
    let exitedAt = Infinity;
    void drafter.exited.then(() => (exitedAt = Date.now()));
    let revocation: Promise<Response> | null = null;
    const result = await streamCompletion(
      fleet.gatewayUrl,
      { model: MODEL, prompt: PROMPT, max_tokens: MAX_TOKENS },
      (soFar) => {
        if (revocation === null && soFar.tokenIds.length >= 20)
          revocation = api("DELETE", "/admin/credentials/drafter-1?reason=decommissioned");
      },
    );
    assert.ok(revocation, "the stream reached 20 tokens");
    const revoked = await (revocation as Promise<Response>);
    assert.equal(revoked.status, 200);
    assert.equal(((await revoked.json()) as CredentialJson).revoked_reason, "decommissioned");
    assert.ok(
      rounds.slice(firstRound).some((r) => r.drafterId === "drafter-1"),
      "drafter-1 drafted for the stream before its revocation",
    );
    const streamEndedAt = Date.now();
    const expected = await reference.for(PROMPT, result.tokenIds);
    assert.deepEqual(result.tokenIds, expected.tokens, "token-identical to the target alone, none lost or doubled");
    assert.equal(result.text, expected.text);
    assert.equal(result.done, true);

    const exit = await within(drafter.exited, CUT_GUARD_MS, "drafter-1 exiting");
    assert.equal(exit.code, 1, "it exits saying NATS refused its credential");
    assert.equal(fleet.processes.get("drafter-1")!.running, false);
    assert.ok(exitedAt < streamEndedAt, "drafter-1 was cut off while the stream went on (the verifier finished alone)");
    assert.ok(existsSync(join(LOG_DIR, "drafter-1.log")));
    assert.match(readFileSync(join(LOG_DIR, "drafter-1.log"), "utf8"), /refused this process/);
  });
});
