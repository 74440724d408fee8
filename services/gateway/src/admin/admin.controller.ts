import { Controller, Get, HttpCode, Inject, Param, Post, UseGuards } from "@nestjs/common";
import { fetchFleetSnapshot, type ContractBus } from "#transport";
import { HttpApiError, setWorkerDraining } from "#http";
import { WORKER_BUS } from "../tokens.js";
import { AdminAccessGuard } from "./admin-access.guard.js";

/**
 * The operator's API: the fleet's devices, and draining one (it takes no new sessions and the
 * scheduler moves its sessions elsewhere) or undraining it. `AdminAccessGuard` checks every call
 * (Host, Origin, JSON, GATEWAY_ADMIN_TOKEN); with GATEWAY_ADMIN_API=off it is not mounted.
 */
@Controller("admin")
@UseGuards(AdminAccessGuard)
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
    return setWorkerDraining(this.bus, id, true);
  }

  @Post("devices/:id/undrain")
  @HttpCode(200)
  undrain(@Param("id") id: string) {
    return setWorkerDraining(this.bus, id, false);
  }
}
