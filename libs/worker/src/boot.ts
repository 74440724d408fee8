import "reflect-metadata";
import type { Provider, Type } from "@nestjs/common";
import { NestFactory } from "@nestjs/core";
import type { WorkerConfig } from "#config";
import {
  WorkerDraining,
  WorkerPower,
  WORKER_PROTOCOL,
  type DraftingSettings,
  type LinkStats,
  type WorkerProfile,
  type WorkerRole,
} from "#contracts";
import {
  createLlama,
  createSessionContext,
  loadModel,
  measureDraftSpeed,
  measureVerifyCost,
  modelNameFromLocation,
  openGreedyTarget,
  resolveModelLocation,
  tokenizePrompt,
  type LoadedModel,
  type NativeModel,
} from "#llama";
import { createLogger, logReady, NestPinoLogger, type Logger } from "#logging";
import { installProcessGuards, natsReadiness, startConfiguredHealthServer } from "#lifecycle";
import { createActorRegistry, type ActorRegistry } from "#metrics";
import { ContractBus, natsEndpointOf, reportMetrics } from "#transport";
import { startTracing, stopTracing, tracingOptionsOf } from "#tracing";
import { WorkerDrain } from "./drain.js";
import { loadNativeOrWarn } from "./native-runner.js";
import { loadSelfDraft, selfDraftProfile, type SelfDraftSettings } from "./self-draft.js";
import { enroll } from "./enrollment.js";
import { Heartbeat } from "./heartbeat.js";
import { PowerSource } from "./power.js";
import type { WorkerStats } from "./stats.js";
import { WORKER_METRICS, WorkerModule } from "./worker-module.js";

/** What the boot sequence needs of a worker's session service. */
export interface SessionService {
  readonly stats: WorkerStats;
  readonly activeSessions: number;
  readonly targetOnlySessions: number;
  /** Drafters: what they measured of each verifier lately. */
  links?(): LinkStats[];
}

export interface WorkerBoot<S extends SessionService> {
  actor: "verify-worker" | "draft-worker";
  role: WorkerRole;
  config: WorkerConfig;
  service: Type<S>;
  /** What the service needs besides the shared tokens (the verifier's journal). */
  providers?: Provider[];
  readyFields?: Record<string, unknown>;
  /** Drafters: how they choose their window (in the registration, for the pairing policy). */
  drafting?: DraftingSettings;
  /** The worker's metrics (libs/metrics `verifierMetrics` or `drafterMetrics`), injected as WORKER_METRICS. */
  metrics: (registry: ActorRegistry) => unknown;
  /**
   * Greedy sessions on the native runner when it is built: verified (TARGET_NATIVE, one KV
   * cache for all sequences) or drafted (DRAFT_NATIVE, a KV stream per sequence); absent: not.
   */
  native?: "verify" | "draft";
  /** Verifiers: a co-located draft model to load beside the target (SELF_DRAFT_MODEL, self-draft.ts). */
  selfDraft?: SelfDraftSettings;
}

/** Beyond DRAIN_TIMEOUT_MS, what the rest of a shutdown may take before the process exits anyway. */
const SHUTDOWN_MARGIN_MS = 10_000;

/**
 * The life of a worker process: open its health listener (HEALTH_PORT), load the model with an
 * explicit thread count, connect to NATS (enrolling first with NATS_ENROLL_CREDS), start the Nest
 * module, register and beat, log ready; on SIGTERM drain first (the scheduler moves its sessions,
 * up to DRAIN_TIMEOUT_MS); on SIGINT/SIGTERM (or when the parent is gone) leave the registry,
 * close sessions, drain NATS, free the model.
 */
export async function bootWorker<S extends SessionService>(boot: WorkerBoot<S>): Promise<void> {
  const log = createLogger(boot.actor, boot.config.LOG_LEVEL, { workerId: boot.config.WORKER_ID });
  try {
    await start(boot, log);
  } catch (error) {
    log.fatal({ err: error instanceof Error ? error.message : String(error) }, "could not start");
    process.exit(1);
  }
}

async function start<S extends SessionService>(boot: WorkerBoot<S>, log: Logger): Promise<void> {
  const { config } = boot;
  startTracing(tracingOptionsOf(boot.actor, config, config.WORKER_ID, log));
  // Up while the model loads (a liveness probe must not kill a pod downloading its model); ready once registered.
  const drain = new WorkerDrain(config.DRAIN_TIMEOUT_MS, log);
  let running: { connected: () => boolean } | null = null;
  const health = await startConfiguredHealthServer(config, {
    log,
    ready: () => running !== null && running.connected() && !drain.draining,
    drain,
  });
  if (config.UV_THREADPOOL_SIZE > 1 && config.LLAMA_GPU === "off")
    log.warn(
      { UV_THREADPOOL_SIZE: config.UV_THREADPOOL_SIZE },
      "decodes will move between libuv's threads, each with its own ggml threads spinning against the others (passes 1.4-1.5x slower): start the worker with UV_THREADPOOL_SIZE=1",
    );
  const llama = await createLlama(config.THREADS, config.LLAMA_GPU);
  let reported = -1;
  const modelPath = await resolveModelLocation(config.MODEL_PATH, config.MODEL_CACHE_DIR, {
    timeoutMs: config.MODEL_FETCH_TIMEOUT_MS,
    onProgress: ({ downloadedBytes, totalBytes }) => {
      const percent = totalBytes ? Math.floor((100 * downloadedBytes) / totalBytes) : 0;
      if (percent < reported + 10 && !(percent === 100 && reported < 100)) return;
      reported = percent;
      log.info({ model: config.MODEL_PATH, percent, downloadedBytes, totalBytes }, "downloading model");
    },
  });
  const loaded = await loadModel(llama, modelPath, config.MODEL_NAME ?? modelNameFromLocation(config.MODEL_PATH));
  const sessions = { sequences: config.MAX_SESSIONS, contextSize: config.CONTEXT_SIZE, threads: config.THREADS };
  const context = await createSessionContext(loaded.model, sessions);
  const native = boot.native ? loadNative(boot.native, modelPath, sessions, config.LLAMA_GPU, log) : null;
  if (native)
    log.info(
      { model: loaded.name, threads: config.THREADS },
      `greedy sessions ${boot.native === "verify" ? "verified" : "drafted"} on the native runner`,
    );
  const selfDraft = boot.selfDraft && (await loadSelfDraft(llama, boot.selfDraft, loaded, config, log));
  const profile: WorkerProfile = config.PROFILE_AT_START
    ? await measureProfile(boot.role, loaded, context, native)
    : {};
  if (selfDraft) profile.selfDraft = await selfDraftProfile(selfDraft, boot.selfDraft!, config.PROFILE_AT_START);
  log.info({ profile }, "measured own speeds");
  const power = new PowerSource(config.DEVICE_POWER);
  const endpoint =
    config.NATS_CREDS === undefined && config.NATS_ENROLL_CREDS !== undefined
      ? await enroll(natsEndpointOf(config), config.NATS_ENROLL_CREDS, config.WORKER_ID, boot.role, log)
      : natsEndpointOf(config);
  const bus = await ContractBus.connect(endpoint, config.WORKER_ID, log);
  const powerSubscription = bus.serve(WorkerPower, config.WORKER_ID, async (state) => {
    power.set(state);
    log.info({ power: state }, "power state set");
    return { ok: true as const };
  });
  // Drafters leave out the process metrics: thousands of edge devices would multiply them.
  const actorRegistry = createActorRegistry(boot.actor, config.WORKER_ID, { processMetrics: boot.role === "verifier" });
  const metrics = { provide: WORKER_METRICS, useValue: boot.metrics(actorRegistry) };
  const providers = [metrics, ...(boot.providers ?? [])];
  const module = WorkerModule.forRoot(
    config,
    log,
    bus,
    { loaded, context, native, selfDraft, profile },
    boot.service,
    providers,
  );
  const app = await NestFactory.createApplicationContext(module, { logger: new NestPinoLogger(log) });
  const service = app.get(boot.service);
  const heartbeat = new Heartbeat(
    bus,
    {
      workerId: config.WORKER_ID,
      role: boot.role,
      model: { name: loaded.name, vocabFingerprint: loaded.vocabFingerprint },
      deviceClass: config.DEVICE_CLASS,
      threads: config.THREADS,
      maxSessions: config.MAX_SESSIONS,
      contextSize: context.contextSize,
      startedAt: Date.now(),
      profile,
      drafting: boot.drafting,
      protocol: WORKER_PROTOCOL,
    },
    service.stats,
    () => ({ active: service.activeSessions, targetOnly: service.targetOnlySessions }),
    () => ({ power: power.current(), links: service.links?.() ?? [] }),
    config.HEARTBEAT_MS,
    log,
  );
  const reporter = reportMetrics(bus, actorRegistry, config.METRICS_REPORT_MS, log);
  installProcessGuards(
    log,
    async (reason) => {
      if (reason === "SIGTERM") await drain.untilDone();
      await health?.close();
      heartbeat.stop();
      powerSubscription.unsubscribe();
      await app.close();
      native?.close();
      selfDraft?.native?.close();
      reporter.stop();
      // The sessions closed above counted their last rounds: send the final counts.
      if (config.METRICS_REPORT_MS > 0) await reporter.reportNow();
      await bus.drain();
      await llama.dispose();
      await stopTracing();
    },
    { graceMs: config.DRAIN_TIMEOUT_MS + SHUTDOWN_MARGIN_MS },
  );
  await app.init();
  heartbeat.start();
  drain.bind({
    sessions: () => service.activeSessions,
    tellRegistry: () => tellDraining(bus, config.WORKER_ID),
  });
  running = { connected: natsReadiness(bus.nc) };
  logReady(log, {
    model: loaded.name,
    vocab: loaded.vocabFingerprint,
    contextSize: context.contextSize,
    ...boot.readyFields,
  });
}

/** Marks this worker draining at the registry, asking again if it does not answer at once. */
async function tellDraining(bus: ContractBus, workerId: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const reply = await bus.request(WorkerDraining, "", { workerId }, 2000);
      if (!reply.ok) throw new Error(reply.error.message);
      return;
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }
}

/** Times the worker's own part of a round: drafting for a drafter, verify passes for a verifier. */
async function measureProfile(
  role: WorkerRole,
  loaded: LoadedModel,
  context: Parameters<typeof measureDraftSpeed>[0],
  native: NativeModel | null,
): Promise<WorkerProfile> {
  const start = tokenizePrompt(loaded.model, "Once upon a time");
  // Timed on the path greedy sessions take.
  return role === "drafter"
    ? { draftMsPerToken: await (native ? native.measureDraftSpeed(start) : measureDraftSpeed(context, start)) }
    : { verifyMsByWindow: await measureVerifyCost((committed) => openGreedyTarget(native, context, committed), start) };
}

/** The runner for a verifier's greedy passes or a drafter's greedy windows (NativeModelOptions `use`). */
function loadNative(
  use: "verify" | "draft",
  modelPath: string,
  sessions: { sequences: number; contextSize: number; threads: number },
  gpu: WorkerConfig["LLAMA_GPU"],
  log: Logger,
): NativeModel | null {
  const doing = use === "verify" ? "verifying greedy sessions" : "drafting greedy sessions";
  return loadNativeOrWarn(modelPath, { ...sessions, use }, doing, gpu, log);
}
