import { Controller, Get, Inject } from "@nestjs/common";
import type { ClientProxy } from "@nestjs/microservices";
import { FleetSnapshotRequest } from "#contracts";
import { sendContract } from "#transport";
import { HttpApiError } from "./openai-error.js";
import { CONTROL_PLANE } from "./tokens.js";

@Controller()
export class ModelsController {
  constructor(@Inject(CONTROL_PLANE) private readonly controlPlane: ClientProxy) {}

  /** The target models served by at least one ready verifier. */
  @Get("v1/models")
  async models() {
    const snapshot = await sendContract(this.controlPlane, FleetSnapshotRequest, {}, 3000).catch(() => {
      throw new HttpApiError(503, "the registry is not answering; try again shortly", "service_unavailable");
    });
    const served = new Map<string, number>();
    for (const worker of snapshot.workers) {
      if (worker.role !== "verifier" || worker.state !== "ready") continue;
      served.set(worker.model.name, Math.min(served.get(worker.model.name) ?? Infinity, Math.floor(worker.startedAt / 1000)));
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
}
