import { Controller, Get, Inject, Res } from "@nestjs/common";
import type { Response } from "express";
import { fetchFleetSnapshot, type ContractBus } from "#transport";
import { HttpApiError } from "./openai-error.js";
import { WORKER_BUS } from "./tokens.js";

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

  /** Ready when a verifier and a drafter with its vocabulary are live; lists the live fleet. */
  @Get("readyz")
  async ready(@Res({ passthrough: true }) res: Response) {
    const snapshot = await fetchFleetSnapshot(this.bus, 3000).catch(() => null);
    const live = snapshot?.workers.filter((w) => w.state === "ready" || w.state === "degraded") ?? [];
    const verifiers = live.filter((w) => w.role === "verifier");
    const drafters = live.filter((w) => w.role === "drafter");
    const paired = verifiers.some((v) => drafters.some((d) => d.model.vocabFingerprint === v.model.vocabFingerprint));
    res.status(paired ? 200 : 503);
    return {
      status: paired ? "ready" : "not_ready",
      registry: snapshot ? "up" : "down",
      verifiers: verifiers.map((w) => ({ id: w.workerId, model: w.model.name })),
      drafters: drafters.map((w) => ({ id: w.workerId, model: w.model.name })),
    };
  }
}
