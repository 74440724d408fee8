import assert from "node:assert/strict";
import { createServer, connect, type Server } from "node:net";
import { after, before, describe, it } from "node:test";
import { startLatencyProxy, type LatencyProxy } from "#infra";

/** An echo server behind the proxy: round trips must grow by twice the one-way delay. */
describe("latency proxy", () => {
  let echo: Server;
  let echoPort: number;
  let proxy: LatencyProxy;

  before(async () => {
    echo = createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, "127.0.0.1", () => r()));
    echoPort = (echo.address() as { port: number }).port;
    proxy = await startLatencyProxy("127.0.0.1", echoPort, { delayMs: 25 });
  });

  after(async () => {
    await proxy.close();
    await new Promise<void>((r) => echo.close(() => r()));
  });

  async function roundTrips(count: number): Promise<{ times: number[]; received: string }> {
    const socket = connect(proxy.port, "127.0.0.1");
    await new Promise((r) => socket.once("connect", r));
    const times: number[] = [];
    let received = "";
    for (let i = 0; i < count; i++) {
      const started = performance.now();
      socket.write(`${i};`);
      await new Promise<void>((r) => socket.once("data", (d) => ((received += d.toString()), r())));
      times.push(performance.now() - started);
    }
    socket.destroy();
    return { times, received };
  }

  it("adds the delay in both directions and keeps the bytes", async () => {
    const { times, received } = await roundTrips(5);
    assert.equal(received, "0;1;2;3;4;");
    // A timer never fires early, so the lower bound holds on any machine; an upper bound would
    // only measure how busy the machine is (it failed under load).
    for (const t of times) assert.ok(t >= 49, `round trip ${t.toFixed(1)} ms with 2 × 25 ms of delay`);
  });

  it("keeps the order of chunks under jitter", async () => {
    proxy.setProfile({ delayMs: 5, jitterMs: 20 });
    const socket = connect(proxy.port, "127.0.0.1");
    await new Promise((r) => socket.once("connect", r));
    let received = "";
    socket.on("data", (d) => (received += d.toString()));
    const sent = Array.from({ length: 50 }, (_, i) => `${i},`).join("");
    for (let i = 0; i < 50; i++) socket.write(`${i},`);
    for (let waited = 0; received.length < sent.length && waited < 3000; waited += 20)
      await new Promise((r) => setTimeout(r, 20));
    socket.destroy();
    assert.equal(received, sent);
  });

  it("takes a new profile at run time", async () => {
    // Longer than anything else could make a round trip here: only the new delay explains it.
    proxy.setProfile({ delayMs: 150 });
    const { times } = await roundTrips(2);
    for (const t of times) assert.ok(t >= 299, `round trip ${t.toFixed(1)} ms with 2 × 150 ms of delay`);
    proxy.setProfile({ delayMs: 0 });
  });
});
