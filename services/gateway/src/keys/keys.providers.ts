import type { Provider } from "@nestjs/common";
import { APP_GUARD } from "@nestjs/core";
import type { GatewayConfig } from "#config";
import { GatewayStore } from "../store.js";
import { GATEWAY_CONFIG } from "../tokens.js";
import { AccessBanner } from "./access-banner.js";
import { ApiKeyGuard } from "./api-key.guard.js";
import { KeyDirectory } from "./key-directory.js";
import { ApiKeyRepository } from "./key-repository.js";
import { KeysController } from "./keys.controller.js";
import { RateLimiter } from "./rate-limiter.js";
import { RequestAdmission } from "./request-admission.js";
import { UsageLedger } from "./usage-ledger.js";

/** The gateway module registers these: the admin API for keys. */
export const keysControllers = [KeysController];

/** Repositories on the gateway's Redis connection, the /v1 guard, admission and the start banner. */
export const keysProviders: Provider[] = [
  { provide: ApiKeyRepository, useFactory: (s: GatewayStore) => new ApiKeyRepository(s.redis), inject: [GatewayStore] },
  { provide: RateLimiter, useFactory: (s: GatewayStore) => new RateLimiter(s.redis), inject: [GatewayStore] },
  { provide: UsageLedger, useFactory: (s: GatewayStore) => new UsageLedger(s.redis), inject: [GatewayStore] },
  {
    provide: KeyDirectory,
    useFactory: (keys: ApiKeyRepository, config: GatewayConfig) =>
      new KeyDirectory(keys, config.GATEWAY_KEY_CACHE_MS, config.GATEWAY_KEY_LOOKUP_TIMEOUT_MS),
    inject: [ApiKeyRepository, GATEWAY_CONFIG],
  },
  { provide: APP_GUARD, useClass: ApiKeyGuard },
  RequestAdmission,
  AccessBanner,
];
