import { Inject, Injectable, type OnApplicationShutdown } from "@nestjs/common";
import type { Redis } from "ioredis";
import { redisEndpointOf, type GatewayConfig } from "#config";
import type { Logger } from "#logging";
import { closeRedis, connectRedis } from "#redis";
import { GATEWAY_CONFIG, GATEWAY_LOGGER } from "./tokens.js";

/**
 * The gateway's one Redis connection (jobs, files, API keys and their usage keep their state
 * there); each capability builds its repository on `redis`. BullMQ queues and workers make their
 * own connections from the same URL (they need blocking commands).
 */
@Injectable()
export class GatewayStore implements OnApplicationShutdown {
  readonly redis: Redis;

  constructor(
    @Inject(GATEWAY_CONFIG) readonly config: GatewayConfig,
    @Inject(GATEWAY_LOGGER) log: Logger,
  ) {
    this.redis = connectRedis(redisEndpointOf(config), "gateway", log);
  }

  /** After every module let go (their last writes may still be in flight). */
  async onApplicationShutdown(): Promise<void> {
    await closeRedis(this.redis);
  }
}
