import { pino } from "pino";
import { MetricsReport, type FleetSnapshot, type PayloadOf, type WorkerRole } from "#contracts";
import type { LocalFleet } from "#infra";
import { ContractBus, fetchFleetSnapshot } from "#transport";
import { connectToFleet } from "./fleet-nats.js";

/** The registry's view of the fleet, asked for over NATS like any actor would. */
export async function fleetSnapshot(fleet: LocalFleet): Promise<FleetSnapshot> {
  const nc = await connectToFleet(fleet);
  try {
    return await fetchFleetSnapshot(new ContractBus(nc, pino({ level: "silent" })), 5000);
  } finally {
    await nc.close();
  }
}

export interface Totals {
  rounds: number;
  draftedTokens: number;
  acceptedTokens: number;
  rollbacks: number;
}

/** Sums the telemetry of every live worker of a role, once each has reported after the call. */
export async function fleetTotals(fleet: LocalFleet, role: WorkerRole, timeoutMs = 10_000): Promise<Totals> {
  const since = Date.now();
  const deadline = since + timeoutMs;
  for (;;) {
    const workers = (await fleetSnapshot(fleet)).workers.filter((w) => w.role === role && w.state !== "lost");
    if (workers.length > 0 && workers.every((w) => (w.telemetry?.at ?? 0) > since)) {
      return workers.reduce<Totals>(
        (sum, w) => ({
          rounds: sum.rounds + w.telemetry!.rounds,
          draftedTokens: sum.draftedTokens + w.telemetry!.draftedTokens,
          acceptedTokens: sum.acceptedTokens + w.telemetry!.acceptedTokens,
          rollbacks: sum.rollbacks + w.telemetry!.rollbacks,
        }),
        { rounds: 0, draftedTokens: 0, acceptedTokens: 0, rollbacks: 0 },
      );
    }
    if (Date.now() > deadline) throw new Error(`no fresh telemetry from the ${role}s within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * The latest MetricsReport of each process of the fleet, as observers see them on NATS: a
 * counter's total over the processes of one actor, read once each has reported after the call.
 */
export class FleetMetricsWatch {
  private readonly latest = new Map<string, PayloadOf<typeof MetricsReport>>();

  constructor(bus: ContractBus) {
    bus.subscribe(MetricsReport, "", (report) => this.latest.set(`${report.instance}/${report.part}`, report));
  }

  async total(actor: string, name: string, labels: Record<string, string> = {}, timeoutMs = 10_000): Promise<number> {
    const since = Date.now();
    const deadline = since + timeoutMs;
    for (;;) {
      const reports = [...this.latest.values()].filter((r) => r.actor === actor);
      if (reports.length > 0 && reports.every((r) => r.at > since)) {
        let sum = 0;
        for (const metric of reports.flatMap((r) => r.metrics.filter((m) => m.name === name)))
          for (const { labels: own, value } of metric.values)
            if (Object.entries(labels).every(([key, v]) => String(own[key]) === v)) sum += value;
        return sum;
      }
      if (Date.now() > deadline) throw new Error(`no fresh metrics from every ${actor} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
