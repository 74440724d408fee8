import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { after, describe, it } from "node:test";
import {
  gatewayConfigSchema,
  parseConfig,
  redisEndpointOf,
  registryConfigSchema,
  schedulerConfigSchema,
  verifyWorkerConfigSchema,
} from "#config";

const dir = mkdtempSync(join(tmpdir(), "config-redis-test-"));
const file = (name: string, content: string) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
const passwordFile = file("password", "  s3cret-redis-password\n");
const WORKER = { WORKER_ID: "verifier-1", MODEL_PATH: "/models/m.gguf" };

// Every actor that keeps state in Redis takes the same variables and checks.
const schemas = [
  ["gateway", (env: NodeJS.ProcessEnv) => parseConfig(gatewayConfigSchema, env)],
  ["registry", (env: NodeJS.ProcessEnv) => parseConfig(registryConfigSchema, env)],
  ["scheduler", (env: NodeJS.ProcessEnv) => parseConfig(schedulerConfigSchema, env)],
  ["verify-worker", (env: NodeJS.ProcessEnv) => parseConfig(verifyWorkerConfigSchema, { ...WORKER, ...env })],
] as const;

after(() => rmSync(dir, { recursive: true, force: true }));

for (const [actor, parse] of schemas) {
  void describe(`${actor}: Redis credentials`, () => {
    void it("defaults to the local Redis without credentials", () => {
      const config = parse({});
      assert.deepEqual(redisEndpointOf(config), {
        url: "redis://127.0.0.1:6379",
        username: undefined,
        password: undefined,
        tlsCa: undefined,
      });
    });

    void it("reads the password from its file once, trimmed, and never shows it when logged", () => {
      const config = parse({ REDIS_USERNAME: "gateway", REDIS_PASSWORD_FILE: passwordFile });
      assert.equal(redisEndpointOf(config).password, "s3cret-redis-password");
      assert.equal(redisEndpointOf(config).username, "gateway");
      const shown = [JSON.stringify(config), inspect(config), String(config.REDIS_PASSWORD_FILE)].join("\n");
      assert.doesNotMatch(shown, /s3cret/);
      assert.match(shown, new RegExp(`\\[secret from ${passwordFile}\\]`));
    });

    void it("stops at boot naming the variable when the password file is missing or empty", () => {
      assert.throws(
        () => parse({ REDIS_PASSWORD_FILE: join(dir, "absent") }),
        /REDIS_PASSWORD_FILE=".*absent": cannot read the Redis password from it \(ENOENT\)/,
      );
      assert.throws(
        () => parse({ REDIS_PASSWORD_FILE: file("empty", " \n") }),
        /REDIS_PASSWORD_FILE=".*empty": the file holding the Redis password is empty/,
      );
    });

    void it("refuses a Redis beyond loopback without a password unless REDIS_INSECURE=true, saying what to set", () => {
      assert.throws(
        () => parse({ REDIS_URL: "redis://10.0.0.7:6379" }),
        /REDIS_PASSWORD_FILE=null: REDIS_URL points beyond loopback \(10\.0\.0\.7\).*set REDIS_USERNAME and REDIS_PASSWORD_FILE/,
      );
      assert.equal(parse({ REDIS_URL: "redis://10.0.0.7:6379", REDIS_INSECURE: "true" }).REDIS_INSECURE, true);
      const withPassword = parse({ REDIS_URL: "redis://redis.internal:6379", REDIS_PASSWORD_FILE: passwordFile });
      assert.equal(redisEndpointOf(withPassword).url, "redis://redis.internal:6379");
      for (const loopback of ["redis://localhost:6379", "redis://127.0.0.2:6379", "redis://[::1]:6379"])
        assert.equal(parse({ REDIS_URL: loopback }).REDIS_URL, loopback);
    });

    void it("refuses a password in the URL, a URL that is not redis(s)://, and a CA without TLS", () => {
      assert.throws(() => parse({ REDIS_URL: "redis://:pw@127.0.0.1:6379" }), /REDIS_URL=.*no password in the URL/);
      assert.throws(() => parse({ REDIS_URL: "http://127.0.0.1:6379" }), /REDIS_URL=.*a redis:\/\/ or rediss:\/\/ URL/);
      const ca = file("ca.pem", "-----BEGIN CERTIFICATE-----\n");
      assert.throws(() => parse({ REDIS_TLS_CA: ca }), /REDIS_TLS_CA=.*use rediss:\/\/ for TLS/);
      const tls = parse({ REDIS_URL: "rediss://127.0.0.1:6380", REDIS_TLS_CA: ca });
      assert.equal(redisEndpointOf(tls).tlsCa, "-----BEGIN CERTIFICATE-----\n");
    });
  });
}
