import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { planFleet, type FleetEndpoints } from "#infra";

const endpoints: FleetEndpoints = {
  natsUrl: "nats://127.0.0.1:1",
  redisUrl: "redis://127.0.0.1:2",
  logLevel: "debug",
  gatewayHost: "127.0.0.1",
  gatewayPort: 8081,
};
const common = { NATS_URL: "nats://127.0.0.1:1", REDIS_URL: "redis://127.0.0.1:2", LOG_LEVEL: "debug" };

void describe("planFleet", () => {
  void it("starts control services first, then verifiers, then drafters", () => {
    const plan = planFleet({ modelPath: "/m/stories260K.gguf", verifiers: 2, drafters: 3 }, endpoints);
    assert.deepEqual(
      plan.map((stage) => stage.map((service) => service.name)),
      [["registry"], ["scheduler"], ["gateway"], ["verifier-1", "verifier-2"], ["drafter-1", "drafter-2", "drafter-3"]],
    );
  });

  void it("starts scheduler replicas together, each as the scheduler to NATS and Redis", () => {
    const credentials = (name: string) => ({ NATS_CREDS: `/secrets/${name}.creds` });
    const plan = planFleet({ modelPath: "/m/a.gguf", schedulers: 3 }, { ...endpoints, credentials });
    assert.deepEqual(
      plan[1].map((s) => [s.name, s.actor, s.env.NATS_CREDS]),
      [
        ["scheduler", "scheduler", "/secrets/scheduler.creds"],
        ["scheduler-2", "scheduler", "/secrets/scheduler.creds"],
        ["scheduler-3", "scheduler", "/secrets/scheduler.creds"],
      ],
    );
    assert.throws(() => planFleet({ modelPath: "/m/a.gguf", schedulers: 0 }, endpoints), /schedulers must be/);
  });

  void it("gives the gateway its host and port", () => {
    const gateway = planFleet({ modelPath: "/m/a.gguf" }, endpoints)[2][0];
    assert.deepEqual(gateway.env, { ...common, GATEWAY_HOST: "127.0.0.1", GATEWAY_PORT: "8081" });
  });

  void it("gives workers their identity, model and defaults", () => {
    const plan = planFleet(
      { modelPath: "/m/stories260K.gguf", window: 6, draftTemperature: 0.5, draftSeed: 9, contextSize: 256 },
      endpoints,
    );
    const worker = {
      MODEL_PATH: "/m/stories260K.gguf",
      MODEL_NAME: "stories260K",
      THREADS: "1",
      CONTEXT_SIZE: "256",
      UV_THREADPOOL_SIZE: "1",
    };
    assert.deepEqual(plan[3][0].env, { ...common, ...worker, WORKER_ID: "verifier-1" });
    assert.deepEqual(plan[4][0].env, {
      ...common,
      ...worker,
      WORKER_ID: "drafter-1",
      WINDOW: "6",
      DRAFT_TEMPERATURE: "0.5",
      DRAFT_SEED: "9",
    });
  });

  void it("applies fleet, actor and worker overrides in that order", () => {
    const plan = planFleet(
      {
        modelPath: "/m/target.gguf",
        modelName: "target",
        env: { HEARTBEAT_MS: "100", EXTRA: "fleet" },
        serviceEnv: { "draft-worker": { EXTRA: "actor" } },
        verifiers: [{ id: "big", env: { MAX_SESSIONS: "2" } }],
        drafters: [{ id: "edge-a", modelPath: "/m/small.gguf", env: { EXTRA: "worker" } }, {}],
      },
      endpoints,
    );
    const [verifier] = plan[3];
    const [edgeA, second] = plan[4];
    assert.equal(verifier.name, "big");
    assert.equal(verifier.env.WORKER_ID, "big");
    assert.equal(verifier.env.MODEL_NAME, "target");
    assert.equal(verifier.env.MAX_SESSIONS, "2");
    assert.equal(verifier.env.HEARTBEAT_MS, "100");
    assert.equal(edgeA.env.MODEL_PATH, "/m/small.gguf");
    assert.equal(edgeA.env.MODEL_NAME, "small", "a worker's own model is named after its file");
    assert.equal(edgeA.env.EXTRA, "worker");
    assert.equal(second.name, "drafter-2");
    assert.equal(second.env.EXTRA, "actor");
  });

  void it("refuses two workers with one id", () => {
    assert.throws(
      () => planFleet({ modelPath: "/m/a.gguf", drafters: [{ id: "x" }, { id: "x" }] }, endpoints),
      /two services are named 'x'/,
    );
    assert.throws(() => planFleet({ modelPath: "/m/a.gguf", verifiers: [{ id: "gateway" }] }, endpoints), /'gateway'/);
  });

  void it("allows a fleet without drafters", () => {
    const plan = planFleet({ modelPath: "/m/a.gguf", drafters: 0 }, endpoints);
    assert.deepEqual(
      plan.at(-1)?.map((service) => service.name),
      ["verifier-1"],
    );
  });

  void it("starts the dashboard after the gateway when it has a port, on loopback without a token", () => {
    const plan = planFleet({ modelPath: "/m/a.gguf" }, { ...endpoints, gatewayHost: "0.0.0.0", dashboardPort: 9000 });
    assert.deepEqual(
      plan.map((stage) => stage.map((service) => service.name)),
      [["registry"], ["scheduler"], ["gateway"], ["dashboard"], ["verifier-1"], ["drafter-1"]],
    );
    assert.deepEqual(plan[3][0].env, { ...common, DASHBOARD_HOST: "127.0.0.1", DASHBOARD_PORT: "9000" });
  });

  void it("gives the dashboard the gateway's admin token, and then the gateway's host", () => {
    const withToken = { ...endpoints, gatewayHost: "0.0.0.0", dashboardPort: 9000 };
    const fromServiceEnv = planFleet(
      { modelPath: "/m/a.gguf", serviceEnv: { gateway: { GATEWAY_ADMIN_TOKEN: "admin-secret" } } },
      withToken,
    )[3][0];
    assert.equal(fromServiceEnv.env.DASHBOARD_ADMIN_TOKEN, "admin-secret");
    assert.equal(fromServiceEnv.env.DASHBOARD_HOST, "0.0.0.0");
    const inherited = planFleet({ modelPath: "/m/a.gguf" }, withToken, { GATEWAY_ADMIN_TOKEN: "from-env-1" })[3][0];
    assert.equal(inherited.env.DASHBOARD_ADMIN_TOKEN, "from-env-1");
    const own = planFleet({ modelPath: "/m/a.gguf" }, withToken, {
      GATEWAY_ADMIN_TOKEN: "from-env-1",
      DASHBOARD_ADMIN_TOKEN: "dashboard-own",
    })[3][0];
    assert.equal(own.env.DASHBOARD_ADMIN_TOKEN, "dashboard-own", "a dashboard token of its own wins");
  });
});
