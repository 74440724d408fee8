import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import { keyFromStored, storedFromKey, type ApiKey, type KeyLimits, type PriorityRange } from "./api-key.js";
import { displayOf, hashKeySecret, newKeySecret, newWebhookSecret } from "./key-secret.js";

const PREFIX = "specfleet:apikeys";
const recordKey = (id: string) => `${PREFIX}:key:${id}`;
const hashKey = (hash: string) => `${PREFIX}:hash:${hash}`;
/** Every key id by creation time (revoked ones too: their usage stays visible). */
const ALL = `${PREFIX}:all`;
/** The ids not revoked: while it is empty, /v1 is open. */
const ACTIVE = `${PREFIX}:active`;

export interface NewKey {
  name: string;
  limits: KeyLimits;
  jobPriority: number;
  priorityRange: PriorityRange;
}

/** A key just made, with the two secrets that are never shown again. */
export interface CreatedKey {
  key: ApiKey;
  secret: string;
}

/**
 * API keys in Redis: one hash per key (fields written separately, so that revoking or rotating
 * needs no read-modify-write), an index from the secret's SHA-256 to the id, and the set of keys
 * not revoked. The secret itself is never stored.
 */
export class ApiKeyRepository {
  constructor(private readonly redis: Redis) {}

  async create(fields: NewKey, now = Date.now()): Promise<CreatedKey> {
    const secret = newKeySecret();
    const key: ApiKey = {
      id: `key_${randomBytes(12).toString("hex")}`,
      createdAt: now,
      revokedAt: null,
      hash: hashKeySecret(secret),
      display: displayOf(secret),
      webhookSecret: newWebhookSecret(),
      ...fields,
    };
    await this.redis
      .multi()
      .hset(recordKey(key.id), storedFromKey(key))
      .set(hashKey(key.hash), key.id)
      .zadd(ALL, key.createdAt, key.id)
      .sadd(ACTIVE, key.id)
      .exec();
    return { key, secret };
  }

  async get(id: string): Promise<ApiKey | null> {
    return keyFromStored(await this.redis.hgetall(recordKey(id)));
  }

  /** The key whose secret hashes to `hash` (revoked ones too, so that the caller can be told). */
  async findByHash(hash: string): Promise<ApiKey | null> {
    const id = await this.redis.get(hashKey(hash));
    return id === null ? null : this.get(id);
  }

  /** Every key, oldest first. */
  async list(): Promise<ApiKey[]> {
    const ids = await this.redis.zrange(ALL, "0", "-1");
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(recordKey(id));
    const results = (await pipeline.exec()) ?? [];
    return results.flatMap(([, fields]) => keyFromStored(fields as Record<string, string>) ?? []);
  }

  /** Whether any key is not revoked: then /v1 needs one. */
  async anyActive(): Promise<boolean> {
    return (await this.redis.scard(ACTIVE)) > 0;
  }

  /** Revokes for good (a second revoke keeps the first time); null for an unknown id. */
  async revoke(id: string, now = Date.now()): Promise<ApiKey | null> {
    if (!(await this.redis.exists(recordKey(id)))) return null;
    await this.redis.multi().hsetnx(recordKey(id), "revokedAt", String(now)).srem(ACTIVE, id).exec();
    return this.get(id);
  }

  /** A new webhook signing secret for the key; null for an unknown or revoked key. */
  async rotateWebhookSecret(id: string): Promise<{ key: ApiKey; webhookSecret: string } | null> {
    const key = await this.get(id);
    if (key === null || key.revokedAt !== null) return null;
    const webhookSecret = newWebhookSecret();
    await this.redis.hset(recordKey(id), "webhookSecret", webhookSecret);
    return { key: { ...key, webhookSecret }, webhookSecret };
  }

  /** The secret a key's job signs its completion webhook with. */
  async webhookSecretOf(id: string): Promise<string | null> {
    return this.redis.hget(recordKey(id), "webhookSecret");
  }
}
