import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLocalFleet, type LocalFleet, type ServiceActor } from "#infra";
import { isAlive } from "./alive.js";

// Stand-in services under a fake project root: each logs the variables it was given and
// "ready", the gateway also serves /healthz, and each notes its name in order.log when stopped
// (SIGINT: a whole fleet stops its services at once, without the drain SIGTERM starts).
const fakeService = (actor: ServiceActor) => `
import { appendFileSync } from "node:fs";
import { createServer } from "node:http";
const name = process.env.WORKER_ID ?? ${JSON.stringify(actor)};
const log = (msg, fields = {}) => console.log(JSON.stringify({ level: 30, time: Date.now(), msg, ...fields }));
log("env", { env: Object.fromEntries(Object.entries(process.env).filter(([k]) => /^[A-Z_]+$/.test(k) && !/^(PATH|HOME|PWD|SHLVL|_)$/.test(k))) });
if ((process.env.MODEL_PATH ?? "").includes("missing")) { console.error("no such model"); process.exit(2); }
const stopped = () => { appendFileSync(process.env.ORDER_FILE, name + "\\n"); process.exit(0); };
process.on("SIGTERM", stopped);
process.on("SIGINT", stopped);
if (${JSON.stringify(actor)} === "gateway") {
  const live = (process.env.STAND_IN_WORKERS ?? "").split(",").map((id) => ({ id }));
  createServer((req, res) => {
    if (req.url === "/readyz") { res.setHeader("Content-Type", "application/json"); res.end(JSON.stringify({ verifiers: live, drafters: [], scheduler_models: [{ model: "m", verifiers: 1, drafters: 2 }] })); return; }
    res.statusCode = req.url === "/healthz" ? 200 : 404; res.end();
  })
    .listen(Number(process.env.GATEWAY_PORT), process.env.GATEWAY_HOST, () => log("ready"));
} else {
  setTimeout(() => log("ready"), 50);
  setInterval(() => {}, 1000);
}
`;

const actors: ServiceActor[] = ["registry", "scheduler", "gateway", "dashboard", "verify-worker", "draft-worker"];
let root = "";
let orderFile = "";

before(() => {
  root = mkdtempSync(join(tmpdir(), "infra-test-fleet-"));
  orderFile = join(root, "order.log");
  for (const actor of actors) {
    const dir = join(root, "dist", "services", actor, "src");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "main.js"), fakeService(actor));
  }
  writeFileSync(join(root, "package.json"), JSON.stringify({ type: "module" }));
});

after(() => rmSync(root, { recursive: true, force: true }));

function linesOf(fleet: LocalFleet, name: string): string[] {
  const child = fleet.processes.get(name);
  assert.ok(child !== undefined, `${name} started`);
  return child.recentLines();
}

function envOf(lines: string[]): Record<string, string> {
  for (const line of lines) {
    const entry = JSON.parse(line) as { msg: string; env?: Record<string, string> };
    if (entry.msg === "env" && entry.env !== undefined) return entry.env;
  }
  throw new Error("no env line");
}

void describe("startLocalFleet", () => {
  void it("starts every actor in order with its environment and stops them in reverse", async () => {
    writeFileSync(orderFile, "");
    const steps: string[] = [];
    const fleet = await startLocalFleet({
      root,
      modelPath: "/models/stories260K.gguf",
      // Stand-in services: no registry to issue the workers' credentials (the secured fleet is tested with real ones).
      secure: false,
      verifiers: 1,
      drafters: [{ id: "edge-1" }, { id: "edge-2", env: { DRAFT_SEED: "5" } }],
      window: 6,
      logLevel: "warn",
      logDir: join(root, "logs"),
      env: { ORDER_FILE: orderFile, STAND_IN_WORKERS: "verifier-1,edge-1,edge-2" },
      onProgress: (progress) => steps.push(`${progress.done}/${progress.total} ${progress.step}`),
    });
    const pids = [...fleet.processes.values()].map((child) => child.pid);
    try {
      assert.match(fleet.gatewayUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.deepEqual(
        [...fleet.processes.keys()],
        [
          "nats-server",
          "redis-server",
          "registry",
          "scheduler",
          "gateway",
          "dashboard",
          "verifier-1",
          "edge-1",
          "edge-2",
        ],
      );
      assert.equal(steps.length, 11);
      assert.ok(steps.includes(`10/11 gateway answers ${fleet.gatewayUrl}/healthz`), steps.join("; "));
      assert.equal(steps.at(-1), "11/11 every worker registered and known to the scheduler");
      assert.match(fleet.dashboardUrl ?? "", /^http:\/\/127\.0\.0\.1:\d+$/);
      const dashboard = envOf(linesOf(fleet, "dashboard"));
      assert.equal(dashboard.DASHBOARD_PORT, new URL(fleet.dashboardUrl!).port);
      assert.equal(dashboard.NATS_URL, fleet.natsUrl);

      const gateway = envOf(linesOf(fleet, "gateway"));
      assert.equal(gateway.GATEWAY_PORT, new URL(fleet.gatewayUrl).port);
      assert.equal(gateway.NATS_URL, fleet.natsUrl);
      assert.equal(gateway.LOG_LEVEL, "warn");
      const edge2 = envOf(linesOf(fleet, "edge-2"));
      assert.deepEqual(
        [edge2.WORKER_ID, edge2.MODEL_NAME, edge2.THREADS, edge2.WINDOW, edge2.DRAFT_SEED, edge2.REDIS_URL],
        ["edge-2", "stories260K", "1", "6", "5", fleet.redisUrl],
      );
      assert.match(readFileSync(join(root, "logs", "verifier-1.log"), "utf8"), /"msg":"ready"/);
    } finally {
      await fleet.stop();
    }
    const order = readFileSync(orderFile, "utf8").trim().split("\n");
    assert.deepEqual(order.slice(0, 2).sort(), ["edge-1", "edge-2"]);
    assert.deepEqual(order.slice(2), ["verifier-1", "dashboard", "gateway", "scheduler", "registry"]);
    assert.deepEqual(pids.filter(isAlive), [], "nothing left running");
  });

  void it("stops what it started when a service dies before ready, and says which", async () => {
    const seen: number[] = [];
    const starting = startLocalFleet({
      root,
      modelPath: "/models/stories260K.gguf",
      // Stand-in services: no registry to issue the workers' credentials (the secured fleet is tested with real ones).
      secure: false,
      verifiers: [{ id: "verifier-1", modelPath: "/models/missing.gguf" }],
      env: { ORDER_FILE: orderFile },
      onProgress: () => undefined,
      log: {
        info: (fields) => typeof fields.serverPid === "number" && seen.push(fields.serverPid),
        warn: () => undefined,
      },
    });
    await assert.rejects(starting, /verifier-1 \(pid \d+\) exited \(code 2\); last lines:[\s\S]*no such model/);
    assert.equal(seen.length, 2, "nats-server and redis-server had started");
    assert.deepEqual(seen.filter(isAlive), [], "and were stopped");
  });

  void it("stops what it started when aborted", async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    const starting = startLocalFleet({
      root,
      modelPath: "/models/stories260K.gguf",
      // Stand-in services: no registry to issue the workers' credentials (the secured fleet is tested with real ones).
      secure: false,
      env: { ORDER_FILE: orderFile },
      signal: controller.signal,
      log: {
        info: (fields) => {
          if (typeof fields.servicePid === "number") seen.push(fields.servicePid);
          if (fields.service === "registry") controller.abort();
        },
        warn: () => undefined,
      },
    });
    await assert.rejects(starting);
    assert.ok(seen.length >= 1);
    assert.deepEqual(seen.filter(isAlive), []);
  });
});
