import assert from "node:assert/strict";
import { describe, it } from "node:test";
import pino from "pino";
import { WorkerDrain } from "#worker";

const silent = pino({ level: "silent" });

void describe("WorkerDrain", () => {
  void it("is done once the registry knows and no session is left", async () => {
    let sessions = 2;
    let told = 0;
    const drain = new WorkerDrain(60_000, silent);
    drain.bind({ sessions: () => sessions, tellRegistry: async () => void told++ });
    assert.deepEqual(drain.status(), { draining: false, done: false, sessions: 2 });
    const done = drain.untilDone();
    drain.start(); // a second ask changes nothing
    assert.equal(told, 1);
    assert.equal(drain.status().done, false);
    setTimeout(() => (sessions = 0), 150);
    await done;
    assert.deepEqual(drain.status(), { draining: true, done: true, sessions: 0 });
  });

  void it("asked before the worker runs, tells the registry once it does", async () => {
    let told = 0;
    const drain = new WorkerDrain(60_000, silent);
    drain.start();
    assert.equal(told, 0);
    drain.bind({ sessions: () => 0, tellRegistry: async () => void told++ });
    assert.equal(told, 1);
    await drain.untilDone();
  });

  void it("gives up waiting after its timeout, with sessions left", async () => {
    const drain = new WorkerDrain(300, silent);
    drain.bind({ sessions: () => 1, tellRegistry: () => Promise.reject(new Error("registry silent")) });
    const startedAt = Date.now();
    await drain.untilDone();
    assert.ok(Date.now() - startedAt >= 300);
    assert.deepEqual(drain.status(), { draining: true, done: true, sessions: 1 });
  });
});
