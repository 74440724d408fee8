import { Controller, Get, HttpCode, Inject, Param, Post, UseGuards } from "@nestjs/common";
import { FleetDrain, workerIdSchema } from "#contracts";
import { fetchFleetSnapshot, type ContractBus } from "#transport";
import { HttpApiError } from "#http";
import { WORKER_BUS } from "../tokens.js";
import { AdminTokenGuard } from "./admin-token.guard.js";

/**
 * The operator's API: the fleet's devices, and draining one (it takes no new sessions and the
 * scheduler moves its sessions elsewhere) or undraining it. When GATEWAY_ADMIN_TOKEN is set,
 * every call needs `Authorization: Bearer <token>`.
 */
@Controller("admin")
@UseGuards(AdminTokenGuard)
export class AdminController {
  constructor(@Inject(WORKER_BUS) private readonly bus: ContractBus) {}

  @Get("devices")
  async devices() {
    const snapshot = await fetchFleetSnapshot(this.bus, 3000).catch(() => {
      throw new HttpApiError(503, "the registry is not answering; try again shortly", "service_unavailable");
    });
    return {
      object: "list",
      data: snapshot.workers.map((w) => ({
        id: w.workerId,
        role: w.role,
        model: w.model.name,
        device_class: w.deviceClass,
        state: w.state,
        draining: w.draining,
        active_sessions: w.telemetry?.activeSessions ?? 0,
        max_sessions: w.maxSessions,
        power: w.telemetry?.power ?? null,
        profile: w.profile,
        last_seen_at: w.lastSeenAt,
      })),
    };
  }

  @Post("devices/:id/drain")
  @HttpCode(200)
  drain(@Param("id") id: string) {
    return this.setDraining(id, true);
  }

  @Post("devices/:id/undrain")
  @HttpCode(200)
  undrain(@Param("id") id: string) {
    return this.setDraining(id, false);
  }

  private async setDraining(id: string, draining: boolean) {
    if (!workerIdSchema.safeParse(id).success)
      throw HttpApiError.invalid(`'${id}' is not a worker id (letters, digits, '-' or '_')`, "id");
    const reply = await this.bus.request(FleetDrain, "", { workerId: id, draining }, 3000).catch(() => {
      throw new HttpApiError(503, "the registry is not answering; try again shortly", "service_unavailable");
    });
    if (!reply.ok) throw new HttpApiError(404, reply.error.message, "invalid_request_error", "device_not_found");
    return { id: reply.workerId, state: reply.state, draining: reply.draining };
  }
}
