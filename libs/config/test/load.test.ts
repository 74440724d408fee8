import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ConfigError, draftWorkerConfigSchema, gatewayConfigSchema, parseConfig } from "#config";

const GATEWAY_DEFAULTS = {
  NATS_URL: "nats://127.0.0.1:4222",
  NATS_INSECURE: false,
  LOG_LEVEL: "info",
  METRICS_REPORT_MS: 1000,
  METRICS_MAX_PAIRS: 64,
  TRACING_SAMPLE_RATIO: 1,
  GATEWAY_HOST: "127.0.0.1",
  GATEWAY_PORT: 8080,
  GATEWAY_MAX_TOKENS: 4096,
  GATEWAY_CHAT_MAX_TOKENS: 256,
  GATEWAY_MAX_PROMPT_CHARS: 200_000,
  GATEWAY_BODY_LIMIT: "1mb",
  GATEWAY_HEADERS_TIMEOUT_MS: 10_000,
  GATEWAY_REQUEST_TIMEOUT_MS: 30_000,
  GATEWAY_KEEP_ALIVE_TIMEOUT_MS: 65_000,
  GATEWAY_MAX_CONNECTIONS: 1024,
  GATEWAY_MAX_HEADER_BYTES: 16_384,
  GATEWAY_IDLE_TIMEOUT_MS: 60_000,
  GATEWAY_REPLAY_AFTER_MS: 2000,
  GATEWAY_ADMIN_API: "on",
  GATEWAY_ALLOWED_HOSTS: [],
  GATEWAY_ANON_PRIORITY_MIN: 0,
  GATEWAY_KEY_CACHE_MS: 1000,
  GATEWAY_KEY_LOOKUP_TIMEOUT_MS: 2000,
  JOBS_FLEET_SHARE: 0.75,
  JOBS_PRIORITY_OFFSET: 100,
  JOBS_RETENTION_HOURS: 168,
  JOBS_IDEMPOTENCY_HOURS: 24,
  JOBS_MAX_REQUESTS: 50_000,
  JOBS_BODY_LIMIT: "32mb",
  JOBS_INLINE_RESULTS: 16,
  JOBS_CONCURRENT: 64,
  JOBS_REQUEST_ATTEMPTS: 5,
  JOBS_POLL_AFTER_S: 2,
  FILES_MAX_BYTES: 104_857_600,
  FILES_RETENTION_HOURS: 720,
  REDIS_URL: "redis://127.0.0.1:6379",
  REDIS_INSECURE: false,
};
const WORKER_REQUIRED = { WORKER_ID: "draft-1", MODEL_PATH: "/models/small.gguf" };

describe("parseConfig", () => {
  it("fills every default and drops unrelated variables", () => {
    assert.deepEqual(parseConfig(gatewayConfigSchema, { PATH: "/usr/bin", HOME: "/root" }), GATEWAY_DEFAULTS);
  });

  const coercions: [string, NodeJS.ProcessEnv, Partial<typeof GATEWAY_DEFAULTS>][] = [
    ["integer from a string", { GATEWAY_PORT: "9090" }, { GATEWAY_PORT: 9090 }],
    ["surrounding spaces", { GATEWAY_MAX_TOKENS: " 12 " }, { GATEWAY_MAX_TOKENS: 12 }],
    ["lower bound included", { GATEWAY_PORT: "0" }, { GATEWAY_PORT: 0 }],
    ["upper bound included", { GATEWAY_PORT: "65535" }, { GATEWAY_PORT: 65535 }],
    [
      "enum and string",
      { LOG_LEVEL: "debug", GATEWAY_HOST: "0.0.0.0", GATEWAY_ADMIN_API: "off" },
      { LOG_LEVEL: "debug", GATEWAY_HOST: "0.0.0.0", GATEWAY_ADMIN_API: "off" },
    ],
  ];
  for (const [name, env, override] of coercions) {
    it(`coerces: ${name}`, () => {
      assert.deepEqual(parseConfig(gatewayConfigSchema, env), { ...GATEWAY_DEFAULTS, ...override });
    });
  }

  it("coerces worker numbers, including a fractional temperature", () => {
    const config = parseConfig(draftWorkerConfigSchema, {
      ...WORKER_REQUIRED,
      WINDOW: "8",
      DRAFT_TEMPERATURE: "0.7",
      THREADS: "4",
    });
    assert.deepEqual(
      [
        config.WORKER_ID,
        config.WINDOW,
        config.DRAFT_TEMPERATURE,
        config.THREADS,
        config.MAX_SESSIONS,
        config.MODEL_NAME,
      ],
      ["draft-1", 8, 0.7, 4, 8, undefined],
    );
  });

  const bad: [string, NodeJS.ProcessEnv, string[]][] = [
    ["not a number", { GATEWAY_PORT: "abc" }, ['GATEWAY_PORT="abc"']],
    ["above max", { GATEWAY_PORT: "70000" }, ['GATEWAY_PORT="70000"']],
    ["not an integer", { GATEWAY_MAX_TOKENS: "1.5" }, ['GATEWAY_MAX_TOKENS="1.5"']],
    ["below min", { GATEWAY_IDLE_TIMEOUT_MS: "99" }, ['GATEWAY_IDLE_TIMEOUT_MS="99"']],
    ["enum is case-sensitive", { LOG_LEVEL: "INFO" }, ['LOG_LEVEL="INFO"']],
    ["every offending variable", { LOG_LEVEL: "loud", GATEWAY_PORT: "-1" }, ['LOG_LEVEL="loud"', 'GATEWAY_PORT="-1"']],
    [
      "a trace endpoint without a scheme",
      { OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318" },
      ['OTEL_EXPORTER_OTLP_ENDPOINT="collector:4318"'],
    ],
    ["a sample ratio above 1", { TRACING_SAMPLE_RATIO: "1.5" }, ['TRACING_SAMPLE_RATIO="1.5"']],
  ];
  for (const [name, env, mentions] of bad) {
    it(`rejects ${name}, naming the variable`, () => {
      assert.throws(
        () => parseConfig(gatewayConfigSchema, env),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError);
          assert.equal(error.name, "ConfigError");
          assert.match(error.message, /^invalid configuration:\n/);
          const lines = error.message.split("\n").slice(1);
          assert.equal(lines.length, mentions.length);
          mentions.forEach((mention, i) => assert.ok(lines[i]!.startsWith(`  ${mention}: `), lines[i]));
          return true;
        },
      );
    });
  }

  it("WORKER_ID: a bad value is quoted, a missing one is null", () => {
    assert.throws(() => parseConfig(draftWorkerConfigSchema, { MODEL_PATH: "/m.gguf", WORKER_ID: "bad id" }), {
      name: "ConfigError",
      message: /^invalid configuration:\n {2}WORKER_ID="bad id": letters, digits, '-' or '_'$/,
    });
    assert.throws(() => parseConfig(draftWorkerConfigSchema, { MODEL_PATH: "/m.gguf" }), {
      name: "ConfigError",
      message: /^invalid configuration:\n {2}WORKER_ID=null: /,
    });
  });

  // z.coerce.number() would read "" as 0, so `WINDOW=` would silently disable speculation.
  it("an empty numeric variable is neither read as 0 nor accepted silently", () => {
    let window: number;
    try {
      window = parseConfig(draftWorkerConfigSchema, { ...WORKER_REQUIRED, WINDOW: "" }).WINDOW;
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      return;
    }
    assert.equal(window, 4);
  });
});
