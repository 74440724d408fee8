import { z } from "zod";
import { BATCHING_POLICY_NAMES } from "#batching";
import { PAIRING_POLICY_NAMES } from "#pairing";
import { DRAFTER_WINDOW_POLICY_NAMES } from "#window";
import { intVar, numberVar } from "./load.js";
import { pairingTuningVars } from "./pairing-tuning.js";
import { checkRedisAuth, redisVars } from "./redis.js";

export const common = {
  NATS_URL: z.string().default("nats://127.0.0.1:4222"),
  /** This process's NATS credential: a `.creds` file (user JWT + nkey seed) naming its identity (docs/security.md). */
  NATS_CREDS: z.string().min(1).optional(),
  /** TLS to NATS: the CA file that signed the server's certificate (a `tls://` URL without it uses the system's CAs). */
  NATS_TLS_CA: z.string().min(1).optional(),
  /** Mutual TLS: this process's client certificate and key files, when the server asks for one. */
  NATS_TLS_CERT: z.string().min(1).optional(),
  NATS_TLS_KEY: z.string().min(1).optional(),
  /** Connect to a NATS beyond loopback without NATS_CREDS (one that authenticates some other way). Default false. */
  NATS_INSECURE: z
    .enum(["true", "false"])
    .default("false")
    .transform((v) => v === "true"),
  LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
  /** How often the process sends its metrics to the fleet's `/metrics` (the dashboard); 0: never (docs/metrics.md). */
  METRICS_REPORT_MS: intVar(1000, 0, 3_600_000),
  /** Most peers a worker's pair metrics name; later ones share the label `other` (bounded cardinality). */
  METRICS_MAX_PAIRS: intVar(64, 1, 10_000),
  /**
   * Where OpenTelemetry traces go: an OTLP/HTTP collector's base URL (`http://collector:4318`; spans
   * are POSTed to `<url>/v1/traces`). Unset: tracing is off, no SDK is started (docs/tracing.md).
   */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/, error: "an http(s) URL" }).optional(),
  /** The `service.name` of this process's spans; default: the actor (gateway, scheduler, verify-worker...). */
  OTEL_SERVICE_NAME: z.string().min(1).max(200).optional(),
  /** The fraction of new traces recorded (0-1); a message's trace follows its sender's decision. */
  TRACING_SAMPLE_RATIO: z.coerce.number().min(0).max(1).default(1),
};

/**
 * The health listener of an actor without an HTTP port of its own (registry, scheduler, workers):
 * GET /healthz, GET /readyz for the kubelet's probes; workers also take POST /drain from loopback
 * (libs/lifecycle `startHealthServer`). Gateway and dashboard answer probes on their own ports.
 */
const health = {
  /** The health listener's port; 0 (default): no listener. */
  HEALTH_PORT: intVar(0, 0, 65535),
  /** Where the health listener binds: 0.0.0.0 by default (the kubelet probes the pod's address); it tells only ok or not. */
  HEALTH_HOST: z.string().min(1).default("0.0.0.0"),
};

const registryVariables = z.object({
  ...common,
  ...health,
  /** Where the fleet's workers are mirrored, in Redis (libs/config/src/redis.ts). */
  ...redisVars,
  /** A worker silent this long is marked lost. */
  REGISTRY_LOST_AFTER_MS: intVar(3000, 500),
  /** A worker silent this long is degraded: paired only when nothing healthy is free. */
  REGISTRY_DEGRADED_AFTER_MS: intVar(1500, 100),
  REGISTRY_SWEEP_MS: intVar(500, 50),
  /**
   * The fleet's NATS authority (a JSON file of the operator's and accounts' seeds; a secret):
   * with it the registry issues, lists and revokes device credentials (docs/security.md).
   */
  NATS_AUTHORITY_FILE: z.string().min(1).optional(),
});
export const registryConfigSchema = registryVariables.superRefine(checkRedisAuth);
export type RegistryConfig = z.infer<typeof registryConfigSchema>;

const schedulerVariables = z.object({
  ...common,
  ...health,
  /** How requests are paired with a verifier and a drafter (libs/pairing/README.md). */
  PAIRING_POLICY: z.enum(PAIRING_POLICY_NAMES).default("load-aware"),
  /** How long to wait for a worker to open a session. */
  SCHEDULER_OPEN_TIMEOUT_MS: intVar(15000, 100),
  /** Waiting requests (BullMQ) and running sessions are kept in Redis (libs/config/src/redis.ts). */
  ...redisVars,
  /** Requests that may wait for a pair; beyond, the gateway answers 429 with Retry-After. */
  SCHEDULER_QUEUE_LIMIT: intVar(256, 0, 1_000_000),
  /** A request waiting longer than this for a pair gets a clear timeout error. */
  SCHEDULER_QUEUE_TIMEOUT_MS: intVar(120_000, 100),
  /**
   * Per model, how many waiting requests that chose to wait for a faster pair a queue pass looks
   * past before it stops (libs/placement `queuePass`): bounds a pass's cost when thousands wait.
   */
  SCHEDULER_QUEUE_LOOKAHEAD: intVar(4, 0, 1_000_000),
  /** The Retry-After the gateway sends with 429 and queue timeouts. */
  SCHEDULER_RETRY_AFTER_S: intVar(2, 0, 3600),
  /** How often running sessions are re-evaluated for a better pair (0: never). */
  SCHEDULER_REBALANCE_MS: intVar(5000, 0),
  /** How often the scheduler publishes its insight for operators (`specfleet.scheduler.insight`: sessions, queue, decisions). */
  SCHEDULER_INSIGHT_MS: intVar(500, 50),
  /**
   * Scheduler replicas: the leader's lease in Redis lasts this long unless renewed (every third
   * of it); a standby takes over at most this long after the leader died (docs/deploy.md,
   * "Scheduler replicas"). One replica holds it too.
   */
  SCHEDULER_LEASE_TTL_MS: intVar(2000, 300, 60_000),
  /** The load-aware policy's and the rebalancer's tuning values (`pairingTuningOf` makes them the policies' tuning). */
  ...pairingTuningVars,
});
export const schedulerConfigSchema = schedulerVariables.superRefine(checkRedisAuth);
export type SchedulerConfig = z.infer<typeof schedulerConfigSchema>;

const worker = {
  ...common,
  ...health,
  WORKER_ID: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "letters, digits, '-' or '_'"),
  /**
   * An enrollment credential (`.creds` of `enroll-verifier` or `enroll-drafter`): when NATS_CREDS
   * is unset, the worker asks the registry with it for a credential of its own for WORKER_ID,
   * kept in memory only (docs/security.md). A pod's way to get its credential at start.
   */
  NATS_ENROLL_CREDS: z.string().min(1).optional(),
  /**
   * On SIGTERM (or POST /drain on the health port) a worker drains: it tells the registry, the
   * scheduler moves its sessions, and it waits until it has none or this long before it stops.
   */
  DRAIN_TIMEOUT_MS: intVar(30_000, 0, 3_600_000),
  /**
   * Where the model computes: `off` (the CPU), `cuda`, `vulkan` or `metal` (that backend, or the
   * worker fails to start saying why), `auto` (a GPU when llama.cpp finds one, else the CPU). A GPU
   * backend needs its prebuilt binaries (the image built with LLAMA_GPU=cuda|vulkan) and the device.
   */
  LLAMA_GPU: z.enum(["off", "auto", "cuda", "vulkan", "metal"]).default("off"),
  /** A GGUF file's path, or an `hf:owner/repo/file.gguf` URI downloaded into MODEL_CACHE_DIR. */
  MODEL_PATH: z.string().min(1, "path to a GGUF file or an hf: URI"),
  MODEL_CACHE_DIR: z.string().default(".cache/models"),
  /** How long to wait for an hf: URI to download before giving up. */
  MODEL_FETCH_TIMEOUT_MS: intVar(60_000, 1000),
  /** The name clients ask for; defaults to the file name without extension. */
  MODEL_NAME: z.string().optional(),
  DEVICE_CLASS: z.string().default("cpu"),
  THREADS: intVar(1, 1, 256),
  /**
   * libuv's thread pool, read by Node at start (set it in the environment; the fleet launcher and
   * the chart set 1). With more than one, decodes hop between pool threads and ggml keeps a team
   * of threads for each, spinning against one another: 1.4-1.5× slower passes (docs/benchmarks.md).
   */
  UV_THREADPOOL_SIZE: intVar(4, 1, 1024),
  MAX_SESSIONS: intVar(8, 1, 256),
  CONTEXT_SIZE: intVar(512, 32),
  HEARTBEAT_MS: intVar(1000, 50),
  /** `plugged`, `battery:<0-1>`, `charging:<0-1>`, or `auto` (read the kernel's battery). */
  DEVICE_POWER: z
    .string()
    .regex(
      /^(plugged|auto|(battery|charging)(:(0(\.\d+)?|1(\.0+)?))?)$/,
      "plugged, auto, battery:<level 0-1> or charging:<level 0-1>",
    )
    .default("plugged"),
  /** Time the worker's speeds at start-up (what load-aware pairing predicts from). */
  PROFILE_AT_START: z
    .enum(["true", "false"])
    .default("true")
    .transform((v) => v === "true"),
};

/** What every worker takes; each kind adds its own. */
export const workerConfigSchema = z.object(worker);
export type WorkerConfig = z.infer<typeof workerConfigSchema>;

const verifyWorkerVariables = z.object({
  ...worker,
  /** The session journal (committed tokens, so another verifier can resume a session) is in Redis (libs/config/src/redis.ts). */
  ...redisVars,
  /** A drafter silent this long is dropped and the verifier finishes the session alone. */
  DRAFTER_SILENCE_MS: intVar(5000, 100),
  /** Most verify rounds evaluated in one decode (0: MAX_SESSIONS). */
  VERIFY_BATCH_LIMIT: intVar(0, 0, 1024),
  /** How long to gather rounds before a decode; 0 takes those arriving in the same tick. */
  VERIFY_BATCH_WAIT_MS: intVar(0, 0, 1000),
  /** Which waiting rounds go first when more wait than the limit (libs/batching). */
  VERIFY_BATCHING: z.enum(BATCHING_POLICY_NAMES).default("fifo"),
  /**
   * Share of sampled rounds whose q is recomputed with the drafter's model after the reply
   * (services/verify-worker/src/audit); 0: off (the draw check on every round stays on).
   */
  VERIFY_AUDIT_FRACTION: z.coerce.number().min(0).max(1).default(0.05),
  /**
   * Drafter models this verifier may load to audit with, comma-separated GGUF paths or hf: URIs
   * (loaded on first use); a drafter is audited with the one whose name and vocabulary it registered.
   */
  VERIFY_AUDIT_MODELS: z
    .string()
    .default("")
    .transform((list) =>
      list
        .split(",")
        .map((entry) => entry.trim())
        .filter((entry) => entry !== ""),
    ),
  /**
   * A co-located draft model (GGUF path or hf: URI) with the target's vocabulary: the verifier
   * then drafts for itself ("fused" execution) for every session no remote drafter follows,
   * instead of decoding it one token per pass. It registers the draft's speed, so load-aware
   * pairing weighs drafting here against every remote drafter per request. Unset: off.
   */
  SELF_DRAFT_MODEL: z.string().min(1).optional(),
  /** Threads of the co-located draft model's context (a small model gains nothing from more). */
  SELF_DRAFT_THREADS: intVar(1, 1, 256),
  /** The first window of a self-drafted session; the adaptive policy takes over after a few rounds. */
  SELF_DRAFT_WINDOW: intVar(4, 0, 64),
  /** The largest window the self-drafting adaptive policy may choose. */
  SELF_DRAFT_MAX_WINDOW: intVar(64, 0, 64),
  /**
   * Greedy windows through SpecFleet's native runner (native/llama) when it is built: a window
   * in one call instead of two thread hops per token through node-llama-cpp. false: always
   * node-llama-cpp. Sampled requests always draft through node-llama-cpp (they need q).
   */
  SELF_DRAFT_NATIVE: z
    .enum(["true", "false"])
    .default("true")
    .transform((v) => v === "true"),
  /**
   * Greedy sessions verified on SpecFleet's native runner (native/llama) when it is built: a
   * pass's argmaxes read in place instead of a sampling call per position through
   * node-llama-cpp. It holds a second KV cache (CONTEXT_SIZE × MAX_SESSIONS cells, shared by its
   * sessions); the weights are mapped from the same file. false: every session on
   * node-llama-cpp. Sampled sessions always are (they need the target's probabilities).
   */
  TARGET_NATIVE: z
    .enum(["true", "false"])
    .default("true")
    .transform((v) => v === "true"),
});
export const verifyWorkerConfigSchema = verifyWorkerVariables.superRefine(checkRedisAuth);
export type VerifyWorkerConfig = z.infer<typeof verifyWorkerConfigSchema>;

export const draftWorkerConfigSchema = z.object({
  ...worker,
  /** γ, tokens drafted per round when the request does not say: fixed, or where adaptive starts. */
  WINDOW: intVar(4, 0, 64),
  /** adaptive: choose γ before every round from live estimates (libs/window); fixed: always WINDOW; backoff: +1 after a fully accepted round, halved after a rejection. */
  WINDOW_POLICY: z.enum(DRAFTER_WINDOW_POLICY_NAMES).default("fixed"),
  /** The largest γ the adaptive policy may choose. */
  MAX_WINDOW: intVar(12, 0, 64),
  /** adaptive only: give a session back to its verifier when decoding alone would be faster. */
  DRAFT_HAND_BACK: z
    .enum(["true", "false"])
    .default("true")
    .transform((v) => v === "true"),
  /** Draft the next window while a verify is in flight, as if all of this one will be accepted. */
  DRAFT_PIPELINE: z
    .enum(["true", "false"])
    .default("false")
    .transform((v) => v === "true"),
  /**
   * With DRAFT_PIPELINE: send the window drafted ahead as soon as it is drafted, before the
   * round in flight is answered, so that the verifier can verify it right after that round
   * when the guess holds (it answers it stale when not).
   */
  DRAFT_SEND_AHEAD: z
    .enum(["true", "false"])
    .default("true")
    .transform((v) => v === "true"),
  /**
   * Greedy drafts through SpecFleet's native runner (native/llama) when it is built: a window in
   * one call instead of two thread hops per token through node-llama-cpp, on a KV stream per
   * session beside node-llama-cpp's context. false: always node-llama-cpp. Sampled drafts (a
   * sampled request, or DRAFT_TEMPERATURE above 0) always are (they need q).
   */
  DRAFT_NATIVE: z
    .enum(["true", "false"])
    .default("true")
    .transform((v) => v === "true"),
  /** 0 drafts greedily; above 0 samples drafts (a drafter that often disagrees). */
  DRAFT_TEMPERATURE: numberVar(0),
  DRAFT_SEED: intVar(1),
  VERIFY_TIMEOUT_MS: intVar(10_000, 10),
  VERIFY_RETRIES: intVar(3, 0, 100),
});
export type DraftWorkerConfig = z.infer<typeof draftWorkerConfigSchema>;
