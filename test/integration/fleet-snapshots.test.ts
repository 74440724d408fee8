import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { FleetChanged, type FleetPage } from "#contracts";
import type { LocalFleet } from "#infra";
import { ContractBus } from "#transport";
import { fleetBus } from "../support/fleet-nats.js";
import { complete } from "../support/openai-client.js";
import { MODEL, startTestFleet } from "../support/fleet.js";

/**
 * The scheduler orders fleet snapshots by the registry's own epoch and sequence numbers: a
 * forged page, dated in the future or numbered ahead, cannot make it ignore the real fleet (it
 * once did until restarted: every request a 404 while /readyz said 200).
 */
describe("fleet snapshots out of order", () => {
  let fleet: LocalFleet;
  let bus: ContractBus;
  /** The registry's latest page (not those this test forges). */
  let latest: FleetPage | null = null;
  const forged = new Set<number>();

  before(async () => {
    fleet = await startTestFleet("fleet-snapshots", { verifiers: 1, drafters: 1, maxSessions: 4 });
    bus = await fleetBus(fleet);
    bus.subscribe(FleetChanged, "", (page) => {
      if (!forged.has(page.seq)) latest = page;
    });
    const deadline = Date.now() + 5000;
    while (!latest && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(latest, "the registry publishes the fleet");
  });

  after(async () => {
    await bus?.drain();
    await fleet?.stop();
  });

  /** A forged page of an empty fleet, dated a year ahead. */
  function forge(epoch: number, seq: number): FleetPage {
    forged.add(seq);
    return { epoch, seq, at: Date.now() + 365 * 24 * 3600 * 1000, page: 0, pages: 1, workers: [] };
  }

  async function ready(): Promise<number> {
    return (await fetch(`${fleet.gatewayUrl}/readyz`)).status;
  }

  it("a page from another registry process, far in the future, changes nothing", async () => {
    const real = latest!;
    bus.publish(FleetChanged, "", forge(real.epoch + 1e9, 1e9));
    await bus.nc.flush();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const result = await complete(fleet.gatewayUrl, { model: MODEL, prompt: "Once upon a time", max_tokens: 8 });
    assert.equal(result.status, 200, JSON.stringify(result.body));
    assert.equal(await ready(), 200);
  });

  it("a page numbered ahead of the registry is given up within seconds, from the registry's own answer", async () => {
    const real = latest!;
    bus.publish(FleetChanged, "", forge(real.epoch, real.seq + 500));
    await bus.nc.flush();
    // The scheduler may believe the empty fleet for a moment, never past the staleness bound.
    const deadline = Date.now() + 8000;
    let status = 0;
    while (Date.now() < deadline) {
      status = (await complete(fleet.gatewayUrl, { model: MODEL, prompt: "Once upon a time", max_tokens: 8 })).status;
      if (status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.equal(status, 200, "requests are served again");
    assert.equal(await ready(), 200);
  });

  it("/readyz follows what the scheduler can place: not ready without a drafter", async () => {
    await fleet.processes.get("drafter-1")!.stop();
    const deadline = Date.now() + 8000;
    let status = 0;
    while (Date.now() < deadline && (status = await ready()) !== 503) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.equal(status, 503);
  });
});
