import { Controller, HttpCode, Inject, Param, Post } from "@nestjs/common";
import type { ContractBus } from "#transport";
import { Allow } from "../auth/access.guard.js";
import { DASHBOARD_BUS } from "../tokens.js";
import { setWorkerDraining } from "#http";

/** Draining a device (it takes no new sessions; the scheduler moves its sessions off) and undraining it: admins only. */
@Controller("dashboard/api/devices")
@Allow("admin")
export class DevicesController {
  constructor(@Inject(DASHBOARD_BUS) private readonly bus: ContractBus) {}

  @Post(":id/drain")
  @HttpCode(200)
  drain(@Param("id") id: string) {
    return setWorkerDraining(this.bus, id, true);
  }

  @Post(":id/undrain")
  @HttpCode(200)
  undrain(@Param("id") id: string) {
    return setWorkerDraining(this.bus, id, false);
  }
}
