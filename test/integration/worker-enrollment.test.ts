import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createUser } from "@nats-io/jwt";
import { CredentialEnroll, CredentialList, CredentialRevoke } from "#contracts";
import { startService, type FleetSecrets, type LocalFleet, type ManagedProcess } from "#infra";
import type { ContractBus } from "#transport";
import { fleetBus } from "../support/fleet-nats.js";
import { MODEL, MODEL_PATH, startTestFleet } from "../support/fleet.js";
import { complete } from "../support/openai-client.js";
import { referenceCompletions, type ReferenceCompletions } from "../support/reference.js";

const PROMPT = "Once upon a time";
const MAX_TOKENS = 60;

/**
 * Enrollment (issue 15): a worker pod starts with only NATS_ENROLL_CREDS (the `enroll-verifier`
 * or `enroll-drafter` identity of its pool's Secret) and gets a credential of its own from the
 * registry for its WORKER_ID, in the role its enroller is bound to; the operator lists and revokes
 * it like a device's. A secured fleet (per-role NATS permissions) throughout.
 */
void describe("workers enroll with NATS_ENROLL_CREDS", () => {
  let fleet: LocalFleet;
  let secrets: FleetSecrets;
  let admin: ContractBus;
  let reference: ReferenceCompletions;
  const started: ManagedProcess[] = [];

  /** A worker process with only an enrollment credential for NATS (and, a verifier, the fleet's Redis user). */
  const startEnrolling = async (actor: "verify-worker" | "draft-worker", workerId: string, enroller: string) => {
    const { NATS_CREDS: _unused, ...credentials } = secrets.serviceEnv(workerId, actor);
    const child = await startService(actor, {
      name: workerId,
      env: {
        ...credentials,
        NATS_URL: fleet.natsUrl,
        NATS_ENROLL_CREDS: secrets.credsFile(enroller),
        ...(actor === "verify-worker" ? { REDIS_URL: fleet.redisUrl } : {}),
        LOG_LEVEL: "info",
        WORKER_ID: workerId,
        MODEL_PATH,
        MODEL_NAME: MODEL,
        THREADS: "1",
        MAX_SESSIONS: "2",
        PROFILE_AT_START: "false",
      },
    });
    started.push(child);
    return child;
  };
  const startEnrollingVerifier = (workerId: string, enroller: string) =>
    startEnrolling("verify-worker", workerId, enroller);

  before(async () => {
    reference = await referenceCompletions(MODEL_PATH, [PROMPT], MAX_TOKENS);
    // Its only workers enroll: a verifier and a drafter pod.
    fleet = await startTestFleet("worker-enrollment", { verifiers: 0, drafters: 0, maxSessions: 2 });
    assert.ok(fleet.secrets, "a secured fleet");
    secrets = fleet.secrets;
    admin = await fleetBus(fleet);
  });

  after(async () => {
    for (const child of started) await child.stop();
    await admin?.nc.close();
    await fleet?.stop();
  });

  void it("workers started with only NATS_ENROLL_CREDS enroll, register and serve, identical to the target", async () => {
    const [verifier, drafter] = await Promise.all([
      startEnrollingVerifier("pod-verifier-0", "enroll-verifier"),
      startEnrolling("draft-worker", "pod-drafter-0", "enroll-drafter"),
    ]);
    await Promise.all([verifier.waitForReady(90_000), drafter.waitForReady(90_000)]);
    assert.ok(verifier.recentLines().some((l) => /"msg":"enrolled"/.test(l) && /"role":"verifier"/.test(l)));
    assert.ok(drafter.recentLines().some((l) => /"msg":"enrolled"/.test(l) && /"role":"drafter"/.test(l)));
    await placeable(fleet.gatewayUrl);
    const result = await complete(fleet.gatewayUrl, { model: MODEL, prompt: PROMPT, max_tokens: MAX_TOKENS });
    assert.deepEqual(
      result.tokenIds,
      (await reference.for(PROMPT, result.tokenIds)).tokens,
      "served, exactly what the target alone decodes",
    );

    const listed = await admin.request(CredentialList, "", {}, 5000);
    for (const [id, role] of [
      ["pod-verifier-0", "verifier"],
      ["pod-drafter-0", "drafter"],
    ] as const) {
      const credential = listed.credentials.find((c) => c.deviceId === id);
      assert.equal(credential?.role, role);
      assert.equal(credential?.enrolledBy, `enroll-${role}`, "listed as enrolled, like any device's credential");
      assert.equal(credential?.revokedAt, null);
    }
  });

  void it("an enrollment identity gets its own role only, for no reserved id and no one else's credential", async () => {
    const asDrafters = await fleetBus(fleet, "enroll-drafter");
    const asVerifiers = await fleetBus(fleet, "enroll-verifier");
    const ask = (bus: ContractBus, workerId: string) =>
      bus.request(CredentialEnroll, "", { workerId, publicKey: createUser().getPublicKey() }, 5000);
    try {
      const drafter = await ask(asDrafters, "pod-drafter-9");
      assert.ok(drafter.ok && drafter.credential.role === "drafter", "enroll-drafter enrolls drafters");
      for (const [bus, workerId, says] of [
        [asDrafters, "pod-verifier-0", /holds a verifier's credential/],
        [asVerifiers, "pod-drafter-0", /holds a drafter's credential/],
        [asVerifiers, "scheduler", /reserved/],
        [asVerifiers, "enroll-drafter", /reserved/],
      ] as const) {
        const reply = await ask(bus, workerId);
        assert.ok(!reply.ok, `${workerId} refused`);
        assert.equal(reply.error.code, "forbidden");
        assert.match(reply.error.message, says);
      }
      // An enrollment identity may do nothing else (NATS drops what it may not send).
      await assert.rejects(
        asVerifiers.request(CredentialList, "", {}, 2000),
        "it may not list credentials (its request is dropped by NATS)",
      );
    } finally {
      await asDrafters.nc.close();
      await asVerifiers.nc.close();
    }
  });

  void it("a verifier given the enroll-drafter credential stops and says why", async () => {
    const child = await startEnrollingVerifier("pod-verifier-1", "enroll-drafter");
    const exit = await child.exited;
    assert.notEqual(exit.code, 0);
    assert.ok(
      child.recentLines().some((l) => /NATS_ENROLL_CREDS \(enroll-drafter\) enrolls drafters/.test(l)),
      child.recentLines(5).join("\n"),
    );
    const listed = await admin.request(CredentialList, "", {}, 5000);
    const registeredAs = listed.credentials.find((c) => c.deviceId === "pod-verifier-1")?.role;
    assert.notEqual(registeredAs, "verifier", "no verifier credential came of it");
  });

  void it("a worker whose WORKER_ID is reserved is refused enrollment", async () => {
    const child = await startEnrollingVerifier("registry", "enroll-verifier");
    const exit = await child.exited;
    assert.notEqual(exit.code, 0);
    assert.ok(
      child.recentLines().some((l) => /could not enroll 'registry'.*reserved/.test(l)),
      child.recentLines(5).join("\n"),
    );
  });

  void it("revoking an enrolled credential disconnects the worker", async () => {
    const verifier = started.find((c) => c.name === "pod-verifier-0")!;
    assert.ok(verifier.running);
    const reply = await admin.request(CredentialRevoke, "", { deviceId: "pod-verifier-0", reason: "test" }, 10_000);
    assert.ok(reply.ok, JSON.stringify(reply));
    const exit = await verifier.exited;
    assert.notEqual(exit.code, 0, "cut off by NATS, it stops");
    assert.ok(
      verifier.recentLines().some((l) => /refused/.test(l)),
      verifier.recentLines(5).join("\n"),
    );
    // Started again under its name (a StatefulSet's pod), it stays out: the revocation holds.
    const again = await startEnrollingVerifier("pod-verifier-0", "enroll-verifier");
    assert.notEqual((await again.exited).code, 0);
    assert.ok(
      again.recentLines().some((l) => /could not enroll 'pod-verifier-0'.*revoked \(test\)/.test(l)),
      again.recentLines(5).join("\n"),
    );
  });
});

/** Until the scheduler can place a request with a verifier and a drafter. */
async function placeable(gatewayUrl: string): Promise<void> {
  for (;;) {
    const body = (await (await fetch(`${gatewayUrl}/readyz`)).json()) as {
      scheduler_models?: Array<{ verifiers: number; drafters: number }>;
    };
    if ((body.scheduler_models ?? []).some((m) => m.verifiers > 0 && m.drafters > 0)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
