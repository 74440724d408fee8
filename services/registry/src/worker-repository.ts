import { Inject, Injectable, type OnApplicationShutdown } from "@nestjs/common";
import type { Redis } from "ioredis";
import { fleetWorkerSchema, type FleetWorker } from "#contracts";
import { redisEndpointOf, type RedisAuthConfig } from "#config";
import type { Logger } from "#logging";
import { closeRedis, connectRedis } from "#redis";
import { REGISTRY_CONFIG, REGISTRY_LOGGER } from "./tokens.js";

/** Where the registry keeps each worker's state durably, so a restarted registry recovers the fleet. */
export interface WorkerRepository {
  /** Writes these workers' states (one round trip for many: heartbeats are saved in batches). */
  save(...workers: FleetWorker[]): Promise<void>;
  /** Every stored worker; an unreadable one is logged and left out. */
  load(): Promise<FleetWorker[]>;
}

const WORKERS_KEY = "specfleet:registry:workers";

/** The workers in a Redis hash (worker id → state). */
@Injectable()
export class RedisWorkerRepository implements WorkerRepository, OnApplicationShutdown {
  private readonly redis: Redis;

  constructor(
    @Inject(REGISTRY_CONFIG) config: RedisAuthConfig,
    @Inject(REGISTRY_LOGGER) private readonly log: Logger,
  ) {
    this.redis = connectRedis(redisEndpointOf(config), "registry", log);
  }

  async save(...workers: FleetWorker[]): Promise<void> {
    if (workers.length === 0) return;
    await this.redis.hset(WORKERS_KEY, ...workers.flatMap((w) => [w.workerId, JSON.stringify(w)]));
  }

  async load(): Promise<FleetWorker[]> {
    const stored = await this.redis.hgetall(WORKERS_KEY);
    return Object.entries(stored).flatMap(([workerId, json]) => {
      const parsed = fleetWorkerSchema.safeParse(parseJson(json));
      if (!parsed.success) this.log.warn({ workerId }, "ignoring an unreadable stored worker");
      return parsed.success ? [parsed.data] : [];
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await closeRedis(this.redis);
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
