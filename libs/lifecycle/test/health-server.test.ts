import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, describe, it } from "node:test";
import pino from "pino";
import { startHealthServer, type DrainStatus, type HealthServer } from "#lifecycle";

/** A raw request (fetch may not set Host): status and parsed body. */
function ask(port: number, method: string, path: string, host = `127.0.0.1:${port}`) {
  return new Promise<{ status: number; body: unknown }>((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method, path, headers: { Host: host } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text === "" ? null : JSON.parse(text) }));
    });
    req.on("error", reject);
    req.end();
  });
}

void describe("health listener", () => {
  let server: HealthServer;
  let ready = false;
  let drainStarts = 0;
  const drain: DrainStatus = { draining: false, done: false, sessions: 2 };

  before(async () => {
    server = await startHealthServer({
      host: "127.0.0.1",
      port: 0,
      log: pino({ level: "silent" }),
      ready: () => ready,
      drain: {
        start: () => {
          drainStarts++;
          drain.draining = true;
        },
        status: () => ({ ...drain }),
      },
    });
  });

  after(() => server.close());

  void it("answers /healthz always and /readyz as the actor says, with no detail", async () => {
    assert.deepEqual(await ask(server.port, "GET", "/healthz"), { status: 200, body: { status: "ok" } });
    assert.deepEqual(await ask(server.port, "GET", "/readyz"), { status: 503, body: { status: "not ready" } });
    ready = true;
    assert.deepEqual(await ask(server.port, "GET", "/readyz?verbose=1"), { status: 200, body: { status: "ok" } });
  });

  void it("refuses other methods and paths", async () => {
    assert.equal((await ask(server.port, "POST", "/healthz")).status, 405);
    assert.equal((await ask(server.port, "GET", "/metrics")).status, 404);
    assert.equal((await ask(server.port, "DELETE", "/drain")).status, 405);
  });

  void it("drains for a loopback caller naming a loopback host, and tells where the drain is", async () => {
    assert.deepEqual((await ask(server.port, "GET", "/drain")).body, { draining: false, done: false, sessions: 2 });
    const started = await ask(server.port, "POST", "/drain", "localhost");
    assert.equal(started.status, 202);
    assert.deepEqual(started.body, { draining: true, done: false, sessions: 2 });
    assert.equal(drainStarts, 1);
  });

  void it("refuses the drain to a request naming another host (a page rebinding its name to this pod)", async () => {
    const refused = await ask(server.port, "POST", "/drain", "evil.example:80");
    assert.equal(refused.status, 403);
    assert.equal(drainStarts, 1, "nothing started");
  });

  void it("has no /drain where the actor has no drain (control plane)", async () => {
    const plain = await startHealthServer({
      host: "127.0.0.1",
      port: 0,
      log: pino({ level: "silent" }),
      ready: () => true,
    });
    try {
      assert.equal((await ask(plain.port, "POST", "/drain")).status, 404);
    } finally {
      await plain.close();
    }
  });
});
