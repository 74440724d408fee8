import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { connect, headers as natsHeaders, type NatsConnection } from "nats";
import { pino } from "pino";
import {
  FleetChanged,
  FleetDrain,
  FleetLeave,
  FleetRegister,
  FleetSnapshotRequest,
  FleetTelemetry,
  GREEDY_SAMPLING,
  SchedulerCancel,
  SchedulerDrafterLeft,
  SchedulerSessionEnded,
  SchedulerStatusRequest,
  SchedulerSubmit,
  type AnyContract,
} from "#contracts";
import { startNats, startRedis, startService, type ManagedProcess, type ServerHandle } from "#infra";
import { CONTRACT_VERSION_HEADER, ContractBus, ERROR_CODE_HEADER, ERROR_HEADER } from "#transport";

/**
 * Garbage on the subjects the scheduler and the registry serve through their Nest controllers:
 * each request gets a bad_request reply with the reason, each message a warn line naming the
 * subject and the reason, and both actors go on serving.
 */
describe("garbage on control-plane subjects", () => {
  let nats: ServerHandle;
  let redis: ServerHandle;
  let registry: ManagedProcess;
  let scheduler: ManagedProcess;
  let nc: NatsConnection;

  before(async () => {
    nats = await startNats();
    redis = await startRedis();
    const env = { NATS_URL: nats.url, REDIS_URL: redis.url, LOG_LEVEL: "info" };
    const logs = ".cache/test-logs/control-plane-garbage";
    registry = await startService("registry", { env, output: { logFile: `${logs}/registry.log` } });
    scheduler = await startService("scheduler", { env, output: { logFile: `${logs}/scheduler.log` } });
    await Promise.all([registry.waitForReady(30_000), scheduler.waitForReady(30_000)]);
    nc = await connect({ servers: nats.url, name: "garbage-sender" });
  });

  after(async () => {
    await nc?.close();
    await scheduler?.stop();
    await registry?.stop();
    await redis?.stop();
    await nats?.stop();
  });

  const served: Array<{ contract: AnyContract; actor: () => ManagedProcess; wrongShape?: string }> = [
    { contract: SchedulerSubmit, actor: () => scheduler },
    // Any object asks for the status: only a non-object is the wrong shape.
    { contract: SchedulerStatusRequest, actor: () => scheduler, wrongShape: "[]" },
    { contract: SchedulerCancel, actor: () => scheduler },
    { contract: SchedulerSessionEnded, actor: () => scheduler },
    { contract: SchedulerDrafterLeft, actor: () => scheduler },
    { contract: FleetChanged, actor: () => scheduler },
    { contract: FleetRegister, actor: () => registry },
    { contract: FleetTelemetry, actor: () => registry },
    { contract: FleetLeave, actor: () => registry },
    { contract: FleetDrain, actor: () => registry },
    { contract: FleetSnapshotRequest, actor: () => registry },
  ];
  // Wrong for every contract above but the status request: ids that are numbers, a negative page, a string for a flag.
  const WRONG_SHAPE = '{"page":-1,"workerId":5,"sessionId":5,"draining":"yes"}';
  const garbage = [
    { name: "not JSON", payload: () => "\u0000not json{", version: null, reason: /not valid JSON/ },
    {
      name: "the wrong shape",
      payload: (wrongShape = WRONG_SHAPE) => wrongShape,
      version: null,
      reason: /expected/,
    },
    { name: "another contract version", payload: () => "{}", version: 99, reason: /contract version mismatch/ },
  ];

  for (const { contract, actor, wrongShape } of served) {
    for (const g of garbage) {
      it(`${contract.subject}: ${g.name}`, async () => {
        const headers = natsHeaders();
        if (g.version !== null) headers.set(CONTRACT_VERSION_HEADER, String(g.version));
        const data = new TextEncoder().encode(g.payload(wrongShape));
        const kind = contract.kind === "request" ? "request" : "event";
        if (contract.kind === "request") {
          const reply = await nc.request(contract.subject, data, { timeout: 3000, headers });
          assert.equal(reply.headers?.get(ERROR_CODE_HEADER), "bad_request");
          assert.match(reply.headers?.get(ERROR_HEADER) ?? "", g.reason);
        } else {
          nc.publish(contract.subject, data, { headers });
          await nc.flush();
        }
        // Earlier cases logged lines for this subject too: wait for the one with this reason.
        const line = await actor().waitForLine(
          (l) =>
            l.includes(`"msg":"rejected malformed ${kind}"`) &&
            l.includes(`"subject":"${contract.subject}"`) &&
            g.reason.test(l),
          5000,
        );
        const logged = JSON.parse(line) as { level: number; reason: string };
        assert.equal(logged.level, 40, "a warning");
        assert.match(logged.reason, g.reason);
      });
    }
  }

  it("leaves both actors running and answering", async () => {
    const bus = new ContractBus(nc, pino({ level: "silent" }));
    const page = await bus.request(FleetSnapshotRequest, "", { page: 0 }, 3000);
    assert.equal(page.page, 0);
    // Until the scheduler holds the registry's fleet it queues every request rather than refuse a
    // model it cannot see yet: wait for it to know the (empty) fleet, then an unknown model is refused.
    for (let tries = 0; tries < 100; tries++) {
      if ((await bus.request(SchedulerStatusRequest, "", {}, 3000)).fleetKnown) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const submitted = await bus.request(
      SchedulerSubmit,
      "",
      {
        sessionId: "garbage-survivor",
        model: "no-such-model",
        prompt: "x",
        maxTokens: 1,
        window: null,
        sampling: GREEDY_SAMPLING,
        priority: 0,
        submittedAt: Date.now(),
      },
      3000,
    );
    assert.equal(submitted.ok, false);
    assert.ok(registry.running && scheduler.running);
  });
});
