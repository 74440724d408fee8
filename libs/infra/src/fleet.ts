import { join } from "node:path";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import type { NatsEdgeListeners } from "#security";
import type { NatsEndpoint } from "#transport";
import { lockDataDir, type DataDirLock } from "./data-dir-lock.js";
import { FleetSecrets } from "./fleet-secrets.js";
import { planFleet, type FleetEndpoints, type FleetPlanOptions, type PlannedService } from "./fleet-plan.js";
import { silentLog, type InfraLog } from "./log.js";
import { defaultModelPath, projectRoot } from "./paths.js";
import { freePort, waitUntil } from "./ports.js";
import { describeExit, type ManagedProcess, type ProcessOutput } from "./processes.js";
import { startNats, startRedis, type ServerHandle } from "./servers.js";
import { startService } from "./service-process.js";

export interface LocalFleetOptions extends Partial<FleetPlanOptions> {
  /** Use this NATS instead of starting a nats-server. */
  natsUrl?: string;
  /** Use this Redis instead of starting a redis-server. */
  redisUrl?: string;
  /**
   * Keep the redis-server's data (append-only file: jobs, the queue, the journal, API keys) in
   * this folder, so a fleet started again finds it. Unset: a fresh temporary folder, removed on
   * stop (tests). A folder another running fleet holds is not shared: this fleet then runs on a
   * temporary one, with a warning.
   */
  redisDataDir?: string;
  /**
   * Authenticated NATS (a credential and permissions per identity) and Redis (a user per role),
   * with secrets made in `secretsDir` (docs/security.md). Default: on when this fleet starts its
   * own nats-server and redis-server.
   */
  secure?: boolean;
  /** TLS to NATS too (certificates of a private CA made in `secretsDir`). Default false: loopback only. */
  tls?: boolean;
  /** Where the fleet's secrets are kept (and found again). Default: a temporary folder removed on stop. */
  secretsDir?: string;
  /**
   * Listeners of the fleet's nats-server for edge drafters (`specfleet join`), on free loopback
   * ports, with the fleet's TLS when it has it. A secured fleet only (they authenticate by JWT).
   */
  edge?: { websocket?: boolean; leafnodes?: boolean };
  /**
   * Secrets the caller prepared and started the servers of `natsUrl` and `redisUrl` with (a
   * harness that restarts them, or puts a proxy in front): the fleet's services use them.
   */
  secrets?: FleetSecrets;
  /** Default 127.0.0.1. */
  gatewayHost?: string;
  /** 0 (default): a free port. */
  gatewayPort?: number;
  /** Start the dashboard (services/dashboard) after the gateway. Default true. */
  dashboard?: boolean;
  /** The dashboard's port; 0 (default): a free one. */
  dashboardPort?: number;
  /** Default "info". */
  logLevel?: string;
  /** Write each process's output to `<logDir>/<name>.log`. */
  logDir?: string;
  /** Echo each process's output to the console, prefixed with its name. */
  console?: boolean;
  /** Per stage: servers, each service, the gateway's /healthz. Default 120 s (model loading). */
  readyTimeoutMs?: number;
  log?: InfraLog;
  onProgress?: (progress: FleetProgress) => void;
  /** Aborting stops what has started and rejects. */
  signal?: AbortSignal;
  /** Project folder holding dist/. Default projectRoot(). */
  root?: string;
}

export interface FleetProgress {
  done: number;
  total: number;
  /** What was just finished: "nats-server ready", "verifier-1 ready", ... */
  step: string;
}

export interface LocalFleet {
  gatewayUrl: string;
  /** The dashboard's base URL (the page is at `${dashboardUrl}/dashboard`); null when the fleet has none. */
  dashboardUrl: string | null;
  natsUrl: string;
  redisUrl: string;
  /** The fleet's secrets; null for an open fleet. */
  secrets: FleetSecrets | null;
  /** Where edge drafters connect (`wss://` or `ws://`, `tls://` or `nats://`); null: no such listener. */
  edge: { websocketUrl: string | null; leafnodeUrl: string | null };
  /** How a tool or test reaches this fleet's NATS as `identity` (default `admin`, which may do anything). */
  natsEndpoint(identity?: string): NatsEndpoint;
  /** Where the redis-server this fleet started keeps its data across restarts; null: a temporary folder. */
  redisDataDir: string | null;
  /** Every process started, by name: nats-server, redis-server, registry, ..., verifier-1, drafter-1. */
  processes: Map<string, ManagedProcess>;
  /**
   * Starts a service of the fleet again (after a chaos test killed it, or stopped to change a
   * setting) with its environment, plus `env`; resolves when it is ready.
   */
  restart(name: string, env?: Record<string, string>): Promise<ManagedProcess>;
  /** Stops everything in reverse start order. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * A whole fleet on this machine, each actor its own OS process: nats-server and redis-server
 * (unless URLs are given), registry, scheduler, gateway, the dashboard, verifiers, drafters; each stage waits
 * for the previous one to log ready. Resolves once the gateway's /healthz answers 200 and its
 * /readyz lists every worker as registered.
 */
export async function startLocalFleet(options: LocalFleetOptions = {}): Promise<LocalFleet> {
  const log = options.log ?? silentLog;
  const timeoutMs = options.readyTimeoutMs ?? 120_000;
  const processes = new Map<string, ManagedProcess>();
  const stages: Array<Array<() => Promise<unknown>>> = [];
  const stopAll = once(async () => {
    for (const stage of stages.reverse()) await Promise.all(stage.map((stop) => stop()));
  });
  const output = (name: string): ProcessOutput => ({
    logFile: options.logDir === undefined ? undefined : join(options.logDir, `${name}.log`),
    console: options.console,
  });
  const abortReason = () => (options.signal?.aborted === true ? "aborted" : undefined);
  const gatewayHost = options.gatewayHost ?? "127.0.0.1";

  try {
    const gatewayPort =
      options.gatewayPort === undefined || options.gatewayPort === 0 ? await freePort() : options.gatewayPort;
    const dashboardPort =
      options.dashboard === false
        ? undefined
        : options.dashboardPort === undefined || options.dashboardPort === 0
          ? await freePort()
          : options.dashboardPort;
    const serverNames = [
      options.natsUrl === undefined ? "nats-server" : [],
      options.redisUrl === undefined ? "redis-server" : [],
    ].flat();
    // The plan needs the URLs, which need the servers: plan with placeholders to count steps first.
    const draft = plan(options, { natsUrl: "", redisUrl: "", gatewayHost, gatewayPort, dashboardPort });
    const progress = counter(serverNames.length + draft.flat().length + 2, options.onProgress);

    const secrets = await fleetSecrets(options, stages);
    const edge = await edgeListeners(options, secrets);
    const redisData = options.redisUrl === undefined ? takeRedisDataDir(options.redisDataDir, log) : null;
    if (redisData !== null) stages.push([async () => redisData.release()]);
    const settled = await Promise.allSettled([
      options.natsUrl === undefined
        ? startNats({
            log,
            output: output("nats-server"),
            timeoutMs,
            config: secrets ? (dir) => secrets.natsConfig(dir, edge.listeners) : undefined,
          })
        : undefined,
      options.redisUrl === undefined
        ? startRedis({
            log,
            output: output("redis-server"),
            timeoutMs,
            appendOnly: true,
            dir: redisData?.dir,
            acl: secrets?.redisAcl(),
          })
        : undefined,
    ]);
    // Register whichever came up before reporting a failure, so none is left behind.
    const servers = settled.map((result) => (result.status === "fulfilled" ? result.value : undefined));
    stages.push(servers.filter((s): s is ServerHandle => s !== undefined).map((server) => () => server.stop()));
    for (const result of settled) if (result.status === "rejected") throw result.reason;
    for (const server of servers) {
      if (server === undefined) continue;
      processes.set(server.process.name, server.process);
      progress(`${server.process.name} ready on ${server.url}`);
    }
    const natsUrl = options.natsUrl ?? (servers[0] as ServerHandle).url;
    const redisUrl = options.redisUrl ?? (servers[1] as ServerHandle).url;

    const credentials = secrets?.serviceEnv.bind(secrets);
    const planned = plan(options, { natsUrl, redisUrl, gatewayHost, gatewayPort, dashboardPort, credentials });
    for (const stage of planned) {
      options.signal?.throwIfAborted();
      await secrets?.issueWorkers(natsUrl, workersOf(stage));
      const started = await startStage(stage, options, output, processes, stages);
      await Promise.all(
        started.map(async (child) => {
          await child.waitForReady(timeoutMs, options.signal);
          log.info({ service: child.name, servicePid: child.pid }, "service ready");
          progress(`${child.name} ready`);
        }),
      );
    }

    const gatewayUrl = `http://${urlHost(gatewayHost)}:${gatewayPort}`;
    const gateway = processes.get("gateway") as ManagedProcess;
    await waitUntil(`gateway ${gatewayUrl}/healthz`, () => healthy(`${gatewayUrl}/healthz`), {
      timeoutMs,
      intervalMs: 100,
      giveUp: () =>
        abortReason() ?? (gateway.running ? undefined : `gateway exited (${describeExit(gateway.exitStatus)})`),
    });
    progress(`gateway answers ${gatewayUrl}/healthz`);
    const workers = planned
      .flat()
      .filter((s) => s.actor === "verify-worker" || s.actor === "draft-worker")
      .map((s) => ({ name: s.name, actor: s.actor }));
    await waitUntil(
      `every worker registered and known to the scheduler (${gatewayUrl}/readyz)`,
      () => allRegistered(`${gatewayUrl}/readyz`, workers),
      {
        timeoutMs,
        intervalMs: 100,
        giveUp: () => abortReason(),
      },
    );
    progress("every worker registered and known to the scheduler");
    const restart = async (name: string, env: Record<string, string> = {}): Promise<ManagedProcess> => {
      const service = planned.flat().find((p) => p.name === name);
      if (!service) throw new Error(`no service '${name}' in this fleet`);
      if (processes.get(name)?.running) throw new Error(`${name} is still running`);
      const [child] = await startStage(
        [{ ...service, env: { ...service.env, ...env } }],
        options,
        output,
        processes,
        stages,
      );
      await child!.waitForReady(timeoutMs, options.signal);
      return child!;
    };
    const dashboard = planned.flat().find((s) => s.actor === "dashboard");
    const dashboardUrl = dashboard
      ? `http://${urlHost(dashboard.env.DASHBOARD_HOST ?? "127.0.0.1")}:${dashboard.env.DASHBOARD_PORT}`
      : null;
    return {
      gatewayUrl,
      dashboardUrl,
      natsUrl,
      redisUrl,
      secrets,
      edge: edge.urls,
      natsEndpoint: (identity = "admin") => secrets?.natsEndpoint(natsUrl, identity) ?? { url: natsUrl },
      redisDataDir: redisData?.dir ?? null,
      processes,
      restart,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** The fleet's secrets, when it is secured (a temporary folder is removed on stop). */
async function fleetSecrets(
  options: LocalFleetOptions,
  stages: Array<Array<() => Promise<unknown>>>,
): Promise<FleetSecrets | null> {
  if (options.secrets !== undefined) return options.secrets;
  if (!(options.secure ?? (options.natsUrl === undefined && options.redisUrl === undefined))) return null;
  if (options.natsUrl !== undefined || options.redisUrl !== undefined)
    throw new Error("a secured fleet starts its own nats-server and redis-server: give no natsUrl or redisUrl");
  const dir = options.secretsDir ?? mkdtempSync(join(tmpdir(), "specfleet-secrets-"));
  if (options.secretsDir === undefined) stages.push([async () => rmSync(dir, { recursive: true, force: true })]);
  return FleetSecrets.prepare(dir, { tls: options.tls });
}

/** The edge listeners asked for, on free loopback ports, and their URLs. */
async function edgeListeners(options: LocalFleetOptions, secrets: FleetSecrets | null) {
  const urls = { websocketUrl: null as string | null, leafnodeUrl: null as string | null };
  const listeners: NatsEdgeListeners = {};
  if (!options.edge?.websocket && !options.edge?.leafnodes) return { listeners, urls };
  if (secrets === null || options.natsUrl !== undefined)
    throw new Error("edge listeners are for a secured fleet that starts its own nats-server");
  const tls = secrets.tls !== null;
  if (options.edge.websocket) {
    listeners.websocket = { port: await freePort(), host: "127.0.0.1" };
    urls.websocketUrl = `${tls ? "wss" : "ws"}://127.0.0.1:${listeners.websocket.port}`;
  }
  if (options.edge.leafnodes) {
    listeners.leafnodes = { port: await freePort(), host: "127.0.0.1" };
    urls.leafnodeUrl = `${tls ? "tls" : "nats"}://127.0.0.1:${listeners.leafnodes.port}`;
  }
  return { listeners, urls };
}

/** The workers of a stage, as the credential authority issues them. */
function workersOf(stage: PlannedService[]): Array<{ name: string; role: "verifier" | "drafter" }> {
  const roles = { "verify-worker": "verifier", "draft-worker": "drafter" } as const;
  return stage.flatMap((s) =>
    s.actor === "verify-worker" || s.actor === "draft-worker" ? [{ name: s.name, role: roles[s.actor] }] : [],
  );
}

/** The persistent folder if one was asked for and no other running fleet holds it. */
function takeRedisDataDir(dir: string | undefined, log: InfraLog): DataDirLock | null {
  if (dir === undefined) return null;
  const lock = lockDataDir(dir);
  if ("release" in lock) return lock;
  log.warn(
    { dir, heldBy: lock.heldBy },
    "another running fleet keeps its Redis data in this folder: this fleet's Redis data is temporary",
  );
  return null;
}

function plan(options: LocalFleetOptions, endpoints: Omit<FleetEndpoints, "logLevel">) {
  return planFleet(
    { ...options, modelPath: options.modelPath ?? defaultModelPath() },
    { ...endpoints, logLevel: options.logLevel ?? "info" },
    process.env,
  );
}

async function startStage(
  stage: PlannedService[],
  options: LocalFleetOptions,
  output: (name: string) => ProcessOutput,
  processes: Map<string, ManagedProcess>,
  stages: Array<Array<() => Promise<unknown>>>,
): Promise<ManagedProcess[]> {
  const stops: Array<() => Promise<unknown>> = [];
  stages.push(stops);
  const started: ManagedProcess[] = [];
  for (const service of stage) {
    const child = await startService(service.actor, {
      name: service.name,
      env: service.env,
      root: options.root ?? projectRoot(),
      output: output(service.name),
    });
    processes.set(service.name, child);
    // The whole fleet stops (Ctrl-C, a test's end): nowhere for a draining worker's sessions to go.
    stops.push(() => child.stop(5000, "SIGINT"));
    started.push(child);
  }
  return started;
}

/**
 * The gateway's /readyz lists the live workers; all of `workers` must be there, and the scheduler
 * must place from every verifier (and, with drafters, pair one): its snapshot trails the
 * registry's by a beat, and a request sent before would be refused for an unknown model.
 */
async function allRegistered(url: string, workers: ReadonlyArray<{ name: string; actor: string }>): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
    const body = (await response.json()) as {
      verifiers?: Array<{ id: string }>;
      drafters?: Array<{ id: string }>;
      scheduler_models?: Array<{ verifiers: number; drafters: number }>;
    };
    const live = new Set([...(body.verifiers ?? []), ...(body.drafters ?? [])].map((w) => w.id));
    const placing = body.scheduler_models ?? [];
    const verifiers = workers.filter((w) => w.actor === "verify-worker").length;
    const drafters = workers.filter((w) => w.actor === "draft-worker").length;
    return (
      workers.every((w) => live.has(w.name)) &&
      placing.reduce((sum, m) => sum + m.verifiers, 0) >= verifiers &&
      (drafters === 0 || placing.some((m) => m.drafters > 0))
    );
  } catch {
    return false;
  }
}

async function healthy(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await response.body?.cancel();
    return response.status === 200;
  } catch {
    return false;
  }
}

/** A wildcard bind address is reached through loopback. */
function urlHost(host: string): string {
  if (host === "0.0.0.0" || host === "") return "127.0.0.1";
  if (host === "::") return "[::1]";
  return host.includes(":") ? `[${host}]` : host;
}

function counter(total: number, onProgress: ((progress: FleetProgress) => void) | undefined) {
  let done = 0;
  return (step: string) => onProgress?.({ done: ++done, total, step });
}

function once(run: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => (running ??= run());
}
