import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { Counter, Registry } from "prom-client";
import { prometheusConfig, PromQueryError, queryPrometheus, startPrometheus, type PromSample } from "#infra";
import { isAlive } from "./alive.js";

const TOKEN = "test-token-42";

/** A /metrics endpoint behind a Bearer token, serving one counter. */
async function metricsServer(): Promise<{ server: Server; url: string }> {
  const registry = new Registry();
  new Counter({ name: "infra_test_hits_total", help: "A counter.", registers: [registry] }).inc(7);
  const server = createServer((request, response) => {
    if (request.headers.authorization !== `Bearer ${TOKEN}`) {
      response.writeHead(401).end();
      return;
    }
    void registry.metrics().then((text) => response.writeHead(200, { "Content-Type": registry.contentType }).end(text));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address() as { port: number };
  return { server, url: `http://127.0.0.1:${address.port}/metrics` };
}

/** Polls an instant query until it has a series (Prometheus scrapes every second here). */
async function firstSamples(url: string, expr: string, timeoutMs = 20_000): Promise<PromSample[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const samples = await queryPrometheus(url, expr);
    if (samples.length > 0 || Date.now() > deadline) return samples;
    await sleep(250);
  }
}

void describe("prometheusConfig", () => {
  void it("writes one job per target, the token as a file, never inline", () => {
    const text = prometheusConfig(
      [
        { job: "fleet", url: "http://127.0.0.1:8080/metrics", bearerToken: "secret" },
        { job: "open", url: "https://example.test:9443/x/metrics" },
      ],
      2,
      (i) => `/tmp/t${i}`,
    );
    assert.equal(text.includes("secret"), false);
    const config = JSON.parse(text) as {
      global: Record<string, string>;
      scrape_configs: Array<Record<string, unknown>>;
    };
    assert.equal(config.global["scrape_interval"], "2s");
    assert.deepEqual(config.scrape_configs[0], {
      job_name: "fleet",
      scheme: "http",
      metrics_path: "/metrics",
      authorization: { type: "Bearer", credentials_file: "/tmp/t0" },
      static_configs: [{ targets: ["127.0.0.1:8080"] }],
    });
    assert.deepEqual(config.scrape_configs[1], {
      job_name: "open",
      scheme: "https",
      metrics_path: "/x/metrics",
      static_configs: [{ targets: ["example.test:9443"] }],
    });
  });
});

void describe("startPrometheus", () => {
  void it("scrapes a target with its token, reports a refused one down, and leaves nothing after stop", async () => {
    const { server, url } = await metricsServer();
    const prometheus = await startPrometheus({
      targets: [
        { job: "with-token", url, bearerToken: TOKEN },
        { job: "wrong-token", url, bearerToken: "nope" },
      ],
    });
    try {
      const hits = await firstSamples(prometheus.url, 'infra_test_hits_total{job="with-token"}');
      assert.equal(hits.length, 1);
      assert.equal(hits[0]!.value, 7);
      const down = await firstSamples(prometheus.url, 'up{job="wrong-token"}');
      assert.equal(down[0]?.value, 0, "a 401 is a failed scrape");
      await assert.rejects(queryPrometheus(prometheus.url, "rate(infra_test_hits_total[1m]"), PromQueryError);
    } finally {
      await prometheus.stop();
      server.close();
    }
    assert.equal(isAlive(prometheus.pid), false);
    assert.equal(existsSync(prometheus.dir), false, "temporary folder removed");
  });
});
