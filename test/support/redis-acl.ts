import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startRedis, type ServerHandle } from "#infra";
import type { RedisEndpoint } from "#redis";
import { newRedisPassword, REDIS_ROLES, redisAclFile, type RedisRole } from "#security";

/** A redis-server with the fleet's ACL (a user per role, `default` off), and each role's credentials. */
export interface AclRedis {
  server: ServerHandle;
  passwords: Record<Exclude<RedisRole, "admin">, string>;
  /** What an actor of the role connects with (libs/redis `connectRedis`). */
  endpoint(role: Exclude<RedisRole, "admin">): RedisEndpoint;
  /** The variables an actor of the role is started with (its password in a file, mode 0600). */
  env(role: Exclude<RedisRole, "admin">): Record<string, string>;
  stop(): Promise<void>;
}

export async function startAclRedis(): Promise<AclRedis> {
  const passwords = Object.fromEntries(REDIS_ROLES.map((role) => [role, newRedisPassword()])) as AclRedis["passwords"];
  const secrets = mkdtempSync(join(tmpdir(), "specfleet-redis-secrets-"));
  const server = await startRedis({
    acl: { file: redisAclFile(passwords), ready: { username: "registry", password: passwords.registry } },
  });
  const passwordFile = (role: keyof AclRedis["passwords"]) => {
    const path = join(secrets, `redis-${role}.password`);
    writeFileSync(path, `${passwords[role]}\n`, { mode: 0o600 });
    return path;
  };
  return {
    server,
    passwords,
    endpoint: (role) => ({ url: server.url, username: role, password: passwords[role] }),
    env: (role) => ({ REDIS_URL: server.url, REDIS_USERNAME: role, REDIS_PASSWORD_FILE: passwordFile(role) }),
    stop: async () => {
      await server.stop();
      rmSync(secrets, { recursive: true, force: true });
    },
  };
}
