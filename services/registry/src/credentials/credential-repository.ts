import { Inject, Injectable, type OnApplicationShutdown } from "@nestjs/common";
import type { Redis } from "ioredis";
import { deviceCredentialSchema, type DeviceCredential } from "#contracts";
import { redisEndpointOf, type RedisAuthConfig } from "#config";
import type { Logger } from "#logging";
import { closeRedis, connectRedis } from "#redis";
import { REGISTRY_CONFIG, REGISTRY_LOGGER } from "../tokens.js";

/** The credentials the authority issued (never their secrets) and the drafters it quarantined, durably. */
export interface CredentialRepository {
  save(credential: DeviceCredential): Promise<void>;
  /** Every stored credential; an unreadable one is logged and left out. */
  load(): Promise<DeviceCredential[]>;
  quarantine(deviceId: string, reason: string): Promise<void>;
  release(deviceId: string): Promise<void>;
  quarantined(): Promise<Map<string, string>>;
}

const CREDENTIALS_KEY = "specfleet:registry:credentials";
const QUARANTINE_KEY = "specfleet:registry:quarantined";

@Injectable()
export class RedisCredentialRepository implements CredentialRepository, OnApplicationShutdown {
  private readonly redis: Redis;

  constructor(
    @Inject(REGISTRY_CONFIG) config: RedisAuthConfig,
    @Inject(REGISTRY_LOGGER) private readonly log: Logger,
  ) {
    this.redis = connectRedis(redisEndpointOf(config), "registry-credentials", log);
  }

  async save(credential: DeviceCredential): Promise<void> {
    await this.redis.hset(CREDENTIALS_KEY, credential.publicKey, JSON.stringify(credential));
  }

  async load(): Promise<DeviceCredential[]> {
    const stored = await this.redis.hgetall(CREDENTIALS_KEY);
    return Object.entries(stored).flatMap(([publicKey, json]) => {
      let parsed;
      try {
        parsed = deviceCredentialSchema.safeParse(JSON.parse(json));
      } catch {
        parsed = null;
      }
      if (!parsed?.success) this.log.warn({ publicKey }, "ignoring an unreadable stored credential");
      return parsed?.success ? [parsed.data] : [];
    });
  }

  async quarantine(deviceId: string, reason: string): Promise<void> {
    await this.redis.hset(QUARANTINE_KEY, deviceId, reason);
  }

  async release(deviceId: string): Promise<void> {
    await this.redis.hdel(QUARANTINE_KEY, deviceId);
  }

  async quarantined(): Promise<Map<string, string>> {
    return new Map(Object.entries(await this.redis.hgetall(QUARANTINE_KEY)));
  }

  async onApplicationShutdown(): Promise<void> {
    await closeRedis(this.redis);
  }
}
