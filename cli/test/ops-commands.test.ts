import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import pino from "pino";
import { startHealthServer, type HealthServer } from "#lifecycle";
import { checkHealth } from "../ops/health.js";
import { probeBaseUrl, probeEnvOf } from "../ops/probe-target.js";
import { drainWorker } from "../ops/worker-drain.js";

const silent = pino({ level: "silent" });

void describe("specfleet health and worker drain", () => {
  void it("probe the port of the actor in the container", () => {
    const cases: Array<[Record<string, string>, string | null]> = [
      [{ HEALTH_PORT: "8090" }, "http://127.0.0.1:8090"],
      [{ HEALTH_PORT: "8090", HEALTH_HOST: "0.0.0.0", GATEWAY_PORT: "8080" }, "http://127.0.0.1:8090"],
      [{ GATEWAY_PORT: "8080", GATEWAY_HOST: "0.0.0.0" }, "http://127.0.0.1:8080"],
      [{ DASHBOARD_PORT: "8081", DASHBOARD_HOST: "10.0.0.5" }, "http://10.0.0.5:8081"],
      [{ HEALTH_PORT: "9000", HEALTH_HOST: "::1" }, "http://[::1]:9000"],
      [{}, null],
    ];
    for (const [env, want] of cases) assert.equal(probeBaseUrl(probeEnvOf(env)), want, JSON.stringify(env));
    assert.throws(() => probeEnvOf({ HEALTH_PORT: "http" }), /HEALTH_PORT/);
  });

  void describe("against a worker's health listener", () => {
    let server: HealthServer;
    let ready = false;
    let sessions = 3;
    let draining = false;

    before(async () => {
      server = await startHealthServer({
        host: "127.0.0.1",
        port: 0,
        log: silent,
        ready: () => ready,
        drain: {
          start: () => void (draining = true),
          status: () => {
            // Each look moves one session away, as the scheduler would.
            if (draining && sessions > 0) sessions--;
            return { draining, done: draining && sessions === 0, sessions };
          },
        },
      });
    });
    after(() => server.close());

    void it("health exits 0 when alive; --ready follows readiness", async () => {
      const env = probeEnvOf({ HEALTH_PORT: String(server.port) });
      const errors: string[] = [];
      assert.equal(await checkHealth(env, false, (l) => errors.push(l)), 0);
      assert.equal(await checkHealth(env, true, (l) => errors.push(l)), 1);
      assert.match(errors.join("\n"), /readyz: HTTP 503/);
      ready = true;
      assert.equal(await checkHealth(env, true, () => undefined), 0);
    });

    void it("health exits 1 when nothing answers or no port is set", async () => {
      const errors: string[] = [];
      assert.equal(await checkHealth(probeEnvOf({}), false, (l) => errors.push(l)), 1);
      assert.match(errors[0]!, /set HEALTH_PORT/);
      // Port 1: nobody listens there (connection refused).
      assert.equal(await checkHealth(probeEnvOf({ HEALTH_PORT: "1" }), false, (l) => errors.push(l)), 1);
      assert.match(errors[1]!, /127\.0\.0\.1:1\/healthz/);
    });

    void it("worker drain asks the drain and waits until it is done", async () => {
      const lines: string[] = [];
      const env = probeEnvOf({ HEALTH_PORT: String(server.port) });
      assert.equal(
        await drainWorker(
          env,
          10,
          (l) => lines.push(l),
          (l) => lines.push(l),
        ),
        0,
      );
      assert.ok(draining);
      assert.match(lines.at(-1)!, /drained: 0 session\(s\) left/);
    });
  });
});
