import { Controller, HttpCode, Inject, Param, Post } from "@nestjs/common";
import { FleetDrain, workerIdSchema } from "#contracts";
import type { ContractBus } from "#transport";
import { Allow } from "../auth/access.guard.js";
import { DASHBOARD_BUS } from "../tokens.js";
import { HttpApiError } from "#http";

/** Draining a device (it takes no new sessions; the scheduler moves its sessions off) and undraining it: admins only. */
@Controller("dashboard/api/devices")
@Allow("admin")
export class DevicesController {
  constructor(@Inject(DASHBOARD_BUS) private readonly bus: ContractBus) {}

  @Post(":id/drain")
  @HttpCode(200)
  drain(@Param("id") id: string) {
    return this.setDraining(id, true);
  }

  @Post(":id/undrain")
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
    if (!reply.ok) throw new HttpApiError(404, reply.error.message, "invalid_request_error", "device_not_found", "id");
    return { id: reply.workerId, state: reply.state, draining: reply.draining };
  }
}
