import { Inject, Injectable, type OnApplicationShutdown } from "@nestjs/common";
import type { Redis } from "ioredis";
import { redisEndpointOf, type SchedulerConfig } from "#config";
import type { Logger } from "#logging";
import { closeRedis, connectRedis } from "#redis";
import { BullAdmissionRepository } from "./admission/admission-repository.js";
import type { Leadership } from "./leadership/leadership.js";
import { RedisSessionRepository } from "./sessions/session-repository.js";
import { LEADERSHIP, SCHEDULER_CONFIG, SCHEDULER_LOGGER } from "./tokens.js";

/**
 * The scheduler's durable state: one Redis connection, the admission queue and the session table
 * on it, the table's writes fenced by the leader's lease.
 */
@Injectable()
export class SchedulerStore implements OnApplicationShutdown {
  private readonly redis: Redis;
  readonly admission: BullAdmissionRepository;
  readonly sessions: RedisSessionRepository;

  constructor(
    @Inject(SCHEDULER_CONFIG) config: SchedulerConfig,
    @Inject(SCHEDULER_LOGGER) log: Logger,
    @Inject(LEADERSHIP) leadership: Leadership,
  ) {
    this.redis = connectRedis(redisEndpointOf(config), "scheduler", log);
    this.admission = new BullAdmissionRepository(this.redis, log);
    this.sessions = new RedisSessionRepository(this.redis, log, () => leadership.fence());
  }

  /** After every module let go (their last steps may still write). */
  async onApplicationShutdown(): Promise<void> {
    await this.admission.close();
    await closeRedis(this.redis);
  }
}
