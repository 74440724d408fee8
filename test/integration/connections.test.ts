import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  acceptsConnections,
  ensureBinary,
  freePort,
  ManagedProcess,
  silentLog,
  waitUntil,
  type LocalFleet,
} from "#infra";
import { startTestFleet } from "../support/fleet.js";

/** Every actor talks over one NATS connection: the scheduler used to open three, the others two. */
describe("NATS connections per actor", () => {
  let nats: ManagedProcess;
  let monitorPort: number;
  let fleet: LocalFleet;

  before(async () => {
    // A nats-server with its monitoring endpoint, which lists connections by name.
    const [port, monitor] = [await freePort(), await freePort()];
    monitorPort = monitor;
    nats = await ManagedProcess.start({
      name: "nats-server",
      command: await ensureBinary("nats-server", silentLog),
      args: ["-a", "127.0.0.1", "-p", String(port), "-m", String(monitor)],
    });
    await waitUntil("nats-server accepts connections", () => acceptsConnections("127.0.0.1", port), {
      timeoutMs: 15_000,
    });
    fleet = await startTestFleet("connections", { verifiers: 1, drafters: 1, natsUrl: `nats://127.0.0.1:${port}` });
  });

  after(async () => {
    await fleet?.stop();
    await nats?.stop();
  });

  it("is one for each of registry, scheduler, gateway, verifier and drafter", async () => {
    const response = await fetch(`http://127.0.0.1:${monitorPort}/connz?limit=1000`);
    const { connections } = (await response.json()) as { connections: Array<{ name?: string }> };
    const perActor = new Map<string, number>();
    for (const { name = "(unnamed)" } of connections) perActor.set(name, (perActor.get(name) ?? 0) + 1);
    assert.deepEqual(Object.fromEntries([...perActor].sort(([a], [b]) => a.localeCompare(b))), {
      "drafter-1": 1,
      gateway: 1,
      registry: 1,
      scheduler: 1,
      "verifier-1": 1,
    });
  });
});
