import type { GatewayConfig } from "#config";
import { keysControllers } from "../keys/index.js";
import { AdminController } from "./admin.controller.js";
import { CredentialsController } from "./credentials/credentials.controller.js";

/**
 * The operator's controllers (devices, their credentials, API keys), each behind `AdminAccessGuard`; none with
 * GATEWAY_ADMIN_API=off, so every `/admin` path is then a 404.
 */
export function adminControllers(config: Pick<GatewayConfig, "GATEWAY_ADMIN_API">) {
  return config.GATEWAY_ADMIN_API === "off" ? [] : [AdminController, CredentialsController, ...keysControllers];
}
