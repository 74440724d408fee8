import { Controller, Get, Inject, Res } from "@nestjs/common";
import type { Response } from "express";
import { SchedulerStatusRequest } from "#contracts";
import { fetchFleetSnapshot, type ContractBus } from "#transport";
import { HttpApiError } from "#http";
import { WORKER_BUS } from "../tokens.js";

/** The registry publishes the fleet every second: a scheduler whose snapshot is older is not keeping up. */
const SNAPSHOT_FRESH_MS = 5000;

@Controller()
export class ModelsController {
  constructor(@Inject(WORKER_BUS) private readonly bus: ContractBus) {}

  /** The target models served by at least one ready verifier. */
  @Get("v1/models")
  async models() {
    const snapshot = await fetchFleetSnapshot(this.bus, 3000).catch(() => {
      throw new HttpApiError(503, "the registry is not answering; try again shortly", "service_unavailable");
    });
    const served = new Map<string, number>();
    for (const worker of snapshot.workers) {
      if (worker.role !== "verifier" || (worker.state !== "ready" && worker.state !== "degraded")) continue;
      served.set(
        worker.model.name,
        Math.min(served.get(worker.model.name) ?? Infinity, Math.floor(worker.startedAt / 1000)),
      );
    }
    return {
      object: "list",
      data: [...served].map(([id, created]) => ({ id, object: "model", created, owned_by: "specfleet" })),
    };
  }

  @Get("healthz")
  health() {
    return { status: "ok" };
  }

  /**
   * Ready when the scheduler answers, holds a fresh fleet snapshot and can place a request of some
   * model with speculation (a verifier and a drafter of its vocabulary taking sessions), as the
   * scheduler sees it: that is what decides whether a request is served. Lists the live fleet as
   * the registry knows it.
   */
  @Get("readyz")
  async ready(@Res({ passthrough: true }) res: Response) {
    const [scheduler, snapshot] = await Promise.all([
      this.bus.request(SchedulerStatusRequest, "", {}, 3000).catch(() => null),
      fetchFleetSnapshot(this.bus, 3000).catch(() => null),
    ]);
    const live = snapshot?.workers.filter((w) => w.state === "ready" || w.state === "degraded") ?? [];
    const fresh = scheduler?.fleetKnown === true && (scheduler.snapshotAgeMs ?? Infinity) <= SNAPSHOT_FRESH_MS;
    const placeable = fresh ? scheduler.models.filter((m) => m.verifiers > 0 && m.drafters > 0) : [];
    const ready = placeable.length > 0;
    res.status(ready ? 200 : 503);
    return {
      status: ready ? "ready" : "not_ready",
      scheduler: scheduler ? (fresh ? "up" : "stale fleet") : "down",
      registry: snapshot ? "up" : "down",
      models: placeable.map((m) => m.model),
      /** What the scheduler can place from, per model (its snapshot may trail the registry's by a beat). */
      scheduler_models: fresh
        ? scheduler.models.map((m) => ({ model: m.model, verifiers: m.verifiers, drafters: m.drafters }))
        : [],
      verifiers: live.filter((w) => w.role === "verifier").map((w) => ({ id: w.workerId, model: w.model.name })),
      drafters: live.filter((w) => w.role === "drafter").map((w) => ({ id: w.workerId, model: w.model.name })),
    };
  }
}
