import { basename, extname } from "node:path";
import type { ServiceActor } from "./service-process.js";

/** One worker of a local fleet; everything left out comes from the fleet-wide options. */
export interface FleetWorker {
  /** WORKER_ID and process name. Default verifier-N / drafter-N. */
  id?: string;
  modelPath?: string;
  /** The name clients ask for. Default: the model file name without extension. */
  modelName?: string;
  /** THREADS of this worker (libs/infra core-plan.ts plans them). Default: the fleet-wide `threads`. */
  threads?: number;
  /** Variables for this worker only, applied last. */
  env?: Record<string, string>;
}

/** What shapes the services' environment; see libs/config/src/services.ts for each variable. */
export interface FleetPlanOptions {
  /** A count of default workers, or one entry per worker. Default 1. */
  verifiers?: number | FleetWorker[];
  /** A count of default workers, or one entry per worker. Default 1. */
  drafters?: number | FleetWorker[];
  modelPath: string;
  modelName?: string;
  /** THREADS per worker. Default 1. */
  threads?: number;
  maxSessions?: number;
  contextSize?: number;
  /** γ: WINDOW for drafters. */
  window?: number;
  draftTemperature?: number;
  draftSeed?: number;
  /**
   * Scheduler replicas, `scheduler`, `scheduler-2`...: one leads (holds the lease in Redis), the
   * others stand by to take over (docs/deploy.md, "Scheduler replicas"). Default 1.
   */
  schedulers?: number;
  /** Variables for every service, applied before per-actor and per-worker ones. */
  env?: Record<string, string>;
  /** Variables per actor, applied before per-worker ones. */
  serviceEnv?: Partial<Record<ServiceActor, Record<string, string>>>;
}

export interface PlannedService {
  /** Process name: the actor, or the worker id. */
  name: string;
  actor: ServiceActor;
  env: Record<string, string>;
}

/** Connection and gateway settings every plan needs. */
export interface FleetEndpoints {
  natsUrl: string;
  redisUrl: string;
  logLevel: string;
  gatewayHost: string;
  gatewayPort: number;
  /** The dashboard's port; unset: the fleet has no dashboard. */
  dashboardPort?: number;
  /** Each service's credentials (libs/infra FleetSecrets `serviceEnv`); none: an open fleet. */
  credentials?: (name: string, actor: ServiceActor) => Record<string, string>;
}

/**
 * The services of a local fleet in start order (registry, scheduler, gateway, the dashboard when
 * it has a port, verifiers, drafters) with each one's environment. Pure, so the env mapping is
 * tested without processes; `inherited` is the environment the processes inherit (for the
 * gateway's admin token).
 */
export function planFleet(
  options: FleetPlanOptions,
  endpoints: FleetEndpoints,
  inherited: Record<string, string | undefined> = {},
): PlannedService[][] {
  const common = {
    NATS_URL: endpoints.natsUrl,
    REDIS_URL: endpoints.redisUrl,
    LOG_LEVEL: endpoints.logLevel,
    ...options.env,
  };
  const envFor = (
    actor: ServiceActor,
    own: Record<string, string>,
    overrides: Record<string, string> = {},
    name: string = actor,
  ) => ({
    ...common,
    ...endpoints.credentials?.(name, actor),
    ...own,
    ...options.serviceEnv?.[actor],
    ...overrides,
  });
  const control: PlannedService[][] = [
    [{ name: "registry", actor: "registry", env: envFor("registry", {}) }],
    schedulerNames(options.schedulers).map((name) => ({
      name,
      actor: "scheduler" as const,
      // Every replica is the scheduler to NATS and Redis (one identity, one set of permissions).
      env: envFor("scheduler", {}, {}, "scheduler"),
    })),
    [
      {
        name: "gateway",
        actor: "gateway",
        env: envFor("gateway", { GATEWAY_HOST: endpoints.gatewayHost, GATEWAY_PORT: String(endpoints.gatewayPort) }),
      },
    ],
  ];
  if (endpoints.dashboardPort !== undefined) {
    const gatewayEnv = control[2]![0]!.env;
    const token =
      options.serviceEnv?.dashboard?.DASHBOARD_ADMIN_TOKEN ??
      inherited.DASHBOARD_ADMIN_TOKEN ??
      gatewayEnv.GATEWAY_ADMIN_TOKEN ??
      inherited.GATEWAY_ADMIN_TOKEN;
    const env = envFor("dashboard", dashboardEnv(endpoints, token));
    control.push([{ name: "dashboard", actor: "dashboard", env }]);
  }
  const verifiers = workers(options.verifiers, "verifier").map((worker) => ({
    name: worker.id,
    actor: "verify-worker" as const,
    env: envFor("verify-worker", workerEnv(worker, options), worker.env, worker.id),
  }));
  const drafters = workers(options.drafters, "drafter").map((worker) => ({
    name: worker.id,
    actor: "draft-worker" as const,
    env: envFor("draft-worker", { ...workerEnv(worker, options), ...drafterEnv(options) }, worker.env, worker.id),
  }));
  const plan = [...control, verifiers, drafters].filter((stage) => stage.length > 0);
  assertUniqueNames(plan.flat());
  return plan;
}

/**
 * The dashboard beside the gateway: the gateway's admin token is its admin token (one secret for
 * the operator), and it listens where the gateway does only when it has one (a dashboard without
 * a token stays on loopback; its config refuses otherwise).
 */
function dashboardEnv(endpoints: FleetEndpoints, adminToken: string | undefined): Record<string, string> {
  return defined({
    DASHBOARD_HOST: adminToken === undefined ? "127.0.0.1" : endpoints.gatewayHost,
    DASHBOARD_PORT: endpoints.dashboardPort,
    DASHBOARD_ADMIN_TOKEN: adminToken,
  });
}

/** "scheduler", then "scheduler-2", "scheduler-3"... */
function schedulerNames(replicas = 1): string[] {
  if (!Number.isInteger(replicas) || replicas < 1)
    throw new Error(`schedulers must be a whole number ≥ 1, not ${replicas}`);
  return Array.from({ length: replicas }, (_, i) => (i === 0 ? "scheduler" : `scheduler-${i + 1}`));
}

type NamedWorker = FleetWorker & { id: string };

function workers(spec: number | FleetWorker[] | undefined, prefix: string): NamedWorker[] {
  const list =
    typeof spec === "number" || spec === undefined ? Array.from({ length: spec ?? 1 }, (): FleetWorker => ({})) : spec;
  return list.map((worker, index) => ({ ...worker, id: worker.id ?? `${prefix}-${index + 1}` }));
}

function workerEnv(worker: NamedWorker, options: FleetPlanOptions): Record<string, string> {
  const modelPath = worker.modelPath ?? options.modelPath;
  return defined({
    WORKER_ID: worker.id,
    MODEL_PATH: modelPath,
    MODEL_NAME:
      worker.modelName ?? (worker.modelPath === undefined ? options.modelName : undefined) ?? modelNameOf(modelPath),
    THREADS: worker.threads ?? options.threads ?? 1,
    MAX_SESSIONS: options.maxSessions,
    CONTEXT_SIZE: options.contextSize,
    // One libuv thread: every decode runs on the same thread, so ggml keeps one OpenMP team
    // instead of one per libuv thread spinning against the others (docs/benchmarks.md, bench:peer).
    UV_THREADPOOL_SIZE: 1,
  });
}

function drafterEnv(options: FleetPlanOptions): Record<string, string> {
  return defined({
    WINDOW: options.window,
    DRAFT_TEMPERATURE: options.draftTemperature,
    DRAFT_SEED: options.draftSeed,
  });
}

/** "…/stories260K.gguf" → "stories260K". */
export function modelNameOf(modelPath: string): string {
  return basename(modelPath, extname(modelPath));
}

function defined(values: Record<string, string | number | undefined>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) if (value !== undefined) env[key] = String(value);
  return env;
}

function assertUniqueNames(services: PlannedService[]): void {
  const seen = new Set<string>(["nats-server", "redis-server"]);
  for (const service of services) {
    if (seen.has(service.name)) throw new Error(`two services are named '${service.name}': give workers distinct ids`);
    seen.add(service.name);
  }
}
