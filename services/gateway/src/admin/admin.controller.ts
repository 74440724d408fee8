import { Controller, Get, Headers, HttpCode, Inject, Param, Post } from "@nestjs/common";
import { FleetDrain, workerIdSchema } from "#contracts";
import type { GatewayConfig } from "#config";
import { fetchFleetSnapshot, type ContractBus } from "#transport";
import { HttpApiError } from "../http/openai-error.js";
import { GATEWAY_CONFIG, WORKER_BUS } from "../tokens.js";

/**
 * The operator's API: the fleet's devices, and draining one (it takes no new sessions and the
 * scheduler moves its sessions elsewhere) or undraining it. When GATEWAY_ADMIN_TOKEN is set,
 * every call needs `Authorization: Bearer <token>`.
 */
@Controller("admin")
export class AdminController {
  constructor(
    @Inject(WORKER_BUS) private readonly bus: ContractBus,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  @Get("devices")
  async devices(@Headers("authorization") authorization?: string) {
    this.authorize(authorization);
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
  drain(@Param("id") id: string, @Headers("authorization") authorization?: string) {
    return this.setDraining(id, true, authorization);
  }

  @Post("devices/:id/undrain")
  @HttpCode(200)
  undrain(@Param("id") id: string, @Headers("authorization") authorization?: string) {
    return this.setDraining(id, false, authorization);
  }

  private async setDraining(id: string, draining: boolean, authorization?: string) {
    this.authorize(authorization);
    if (!workerIdSchema.safeParse(id).success)
      throw HttpApiError.invalid(`'${id}' is not a worker id (letters, digits, '-' or '_')`, "id");
    const reply = await this.bus.request(FleetDrain, "", { workerId: id, draining }, 3000).catch(() => {
      throw new HttpApiError(503, "the registry is not answering; try again shortly", "service_unavailable");
    });
    if (!reply.ok) throw new HttpApiError(404, reply.error.message, "invalid_request_error", "device_not_found");
    return { id: reply.workerId, state: reply.state, draining: reply.draining };
  }

  private authorize(authorization: string | undefined): void {
    const token = this.config.GATEWAY_ADMIN_TOKEN;
    if (token && authorization !== `Bearer ${token}`) {
      throw new HttpApiError(
        401,
        "the admin API needs 'Authorization: Bearer <GATEWAY_ADMIN_TOKEN>'",
        "authentication_error",
        "invalid_admin_token",
      );
    }
  }
}
