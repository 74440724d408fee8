import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import type { Argv } from "yargs";
import { z } from "zod";
import { parseConfig } from "#config";
import { isModelUri } from "#llama";
import { defaultModelPath, describeExit, projectRoot, startLocalFleet, type LocalFleet } from "#infra";
import { fleetThreads } from "./fleet-threads.js";
import { fleetAdminToken, tokenPrefix, type FleetAdminToken } from "./fleet-admin-token.js";
import { fleetModels, type FleetModels } from "./fleet-models.js";
import { fleetSecurity, openFleetWarning, securityLines, type FleetSecurity } from "./fleet-security.js";
import { v1AccessLine } from "./keys/v1-access.js";
import { progressLog, startupProgress } from "./progress.js";

/** The only variables the CLI itself reads; each service parses its own. */
const cliEnvSchema = z.object({
  NATS_URL: z.string().min(1).optional(),
  REDIS_URL: z.string().min(1).optional(),
  /**
   * The gateway's admin token (the dashboard's login too: the fleet passes it on). Unset with a
   * --host beyond loopback: one is made into .cache/fleet-secrets/admin-token.
   */
  GATEWAY_ADMIN_TOKEN: z.string().optional(),
  DASHBOARD_ADMIN_TOKEN: z.string().optional(),
});

const logLevels = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;

export function fleetUpOptions(yargs: Argv) {
  const env = parseConfig(cliEnvSchema, process.env);
  return yargs
    .option("port", { type: "number", default: 8080, describe: "Gateway HTTP port (0 picks a free one)" })
    .option("host", {
      type: "string",
      default: "127.0.0.1",
      describe:
        "Gateway bind address; beyond loopback its admin API needs a token: GATEWAY_ADMIN_TOKEN, or one made into .cache/fleet-secrets/admin-token",
    })
    .option("dashboard-port", {
      type: "number",
      default: 8081,
      describe:
        "The dashboard's HTTP port (0 picks a free one); it listens beside the gateway when GATEWAY_ADMIN_TOKEN is set (its admin token), else on 127.0.0.1",
    })
    .option("dashboard", { type: "boolean", default: true, describe: "Start the dashboard (--no-dashboard: not)" })
    .option("verifiers", {
      type: "number",
      default: 1,
      describe: "Verify-workers to start (each holds the target model)",
    })
    .option("drafters", { type: "number", default: 2, describe: "Draft-workers to start" })
    .option("tiny", {
      type: "boolean",
      default: false,
      describe:
        "Every worker on the model as it is (quick start); otherwise a widened target and derived drafters are built and cached",
    })
    .option("model", {
      type: "string",
      default: defaultModelPath(),
      describe: "GGUF model for every worker: a path or an hf:owner/repo/file.gguf URI",
    })
    .option("model-name", { type: "string", describe: "Name clients ask for [default: the model file name]" })
    .option("threads", {
      type: "number",
      default: availableParallelism(),
      describe:
        "CPU threads the fleet's workers may use in all (a budget, default this machine's cores): each drafter gets 1, the verifiers share the rest (a fused verifier gets it all); each worker gets at least 1",
    })
    .option("verifier-threads", {
      type: "number",
      describe: "Threads of every verifier, in place of its planned share",
    })
    .option("drafter-threads", { type: "number", describe: "Threads of every drafter, in place of 1" })
    .option("self-draft", {
      type: "string",
      describe:
        "The verifiers also draft for themselves with this draft model (fused execution, SELF_DRAFT_MODEL): a GGUF path, an hf: URI, or 'source' for the model the fleet's models come from. The scheduler picks, per request, a remote drafter or the verifier alone by their predicted rates",
    })
    .option("window", { type: "number", describe: "γ: tokens drafted per round [default: the drafters' own, 4]" })
    .option("window-policy", {
      choices: ["adaptive", "fixed"] as const,
      default: "adaptive" as const,
      describe: "How drafters choose γ each round (adaptive: 98–113% of the best fixed window in bench:engine)",
    })
    .option("pipeline", {
      type: "boolean",
      default: true,
      describe: "Drafters draft the next window while a verify is in flight (--no-pipeline: off)",
    })
    .option("draft-temperature", { type: "number", describe: "Drafters sample above 0 [default: 0, greedy]" })
    .option("max-sessions", { type: "number", describe: "Concurrent sessions per worker [default: the workers' own]" })
    .option("context-size", { type: "number", describe: "Context tokens per session [default: the workers' own]" })
    .option("log-level", { choices: logLevels, default: "info" as const, describe: "LOG_LEVEL for every service" })
    .option("logs", {
      type: "string",
      default: join(projectRoot(), ".cache", "logs"),
      describe: "Folder for one log file per service",
    })
    .option("console", {
      type: "boolean",
      default: false,
      describe: "Also print service logs here, prefixed with the service name",
    })
    .option("nats-url", {
      type: "string",
      default: env.NATS_URL,
      describe: "Use this NATS instead of starting nats-server [env NATS_URL]",
    })
    .option("redis-url", {
      type: "string",
      default: env.REDIS_URL,
      describe: "Use this Redis instead of starting redis-server [env REDIS_URL]",
    })
    .option("redis-data", {
      type: "string",
      default: join(projectRoot(), ".cache", "redis"),
      describe: "Folder where the fleet's redis-server keeps jobs, the queue and the journal across restarts",
    })
    .option("ephemeral", {
      type: "boolean",
      default: false,
      describe: "Start with an empty Redis in a temporary folder, removed when the fleet stops",
    })
    .option("insecure", {
      type: "boolean",
      default: false,
      describe:
        "An OPEN fleet: no credentials on NATS or Redis (for comparisons only; anyone reaching them can change answers)",
    })
    .option("tls", {
      type: "boolean",
      default: false,
      describe: "TLS to NATS too, with the fleet's own CA (in .cache/fleet-secrets/tls)",
    })
    .option("ready-timeout", { type: "number", default: 120, describe: "Seconds each startup stage may take" })
    .check((argv) => {
      for (const name of ["verifiers", "drafters", "threads"] as const) {
        if (!Number.isInteger(argv[name]) || argv[name] < 0) throw new Error(`--${name} must be a whole number ≥ 0`);
      }
      for (const name of ["threads", "verifier-threads", "drafter-threads"] as const) {
        const value = argv[name];
        if (value !== undefined && (!Number.isInteger(value) || value < 1))
          throw new Error(`--${name} must be a whole number ≥ 1`);
      }
      if (argv.verifiers < 1) throw new Error("--verifiers must be at least 1");
      if (!Number.isInteger(argv.port) || argv.port < 0 || argv.port > 65535)
        throw new Error("--port must be 0..65535");
      const dashboardPort = argv["dashboard-port"];
      if (!Number.isInteger(dashboardPort) || dashboardPort < 0 || dashboardPort > 65535)
        throw new Error("--dashboard-port must be 0..65535");
      if (!isModelUri(argv.model) && !existsSync(argv.model))
        throw new Error(`--model: no file at ${argv.model} (a path, or an hf: URI)`);
      const selfDraft = argv["self-draft"];
      if (selfDraft !== undefined && selfDraft !== "source" && !isModelUri(selfDraft) && !existsSync(selfDraft))
        throw new Error(`--self-draft: no file at ${selfDraft} (a path, an hf: URI, or 'source')`);
      return true;
    })
    .example("$0 fleet up", "1 verifier and 2 drafters on the shared stories260K, gateway on :8080")
    .example("$0 fleet up --port 0 --drafters 4 --window 6", "a free port, 4 drafters drafting 6 tokens per round")
    .example("NATS_URL=nats://10.0.0.5:4222 $0 fleet up", "join an existing NATS instead of starting one")
    .example(
      "$0 fleet up --drafters 0 --self-draft source",
      "one verifier drafting for itself (fused): the fastest on one machine",
    )
    .example("$0 fleet up --tls", "NATS over TLS as well as with credentials (the fleet's own CA)")
    .example("$0 fleet up --ephemeral", "an empty Redis, thrown away at the end (.cache/redis is left alone)");
}

export type FleetUpArgs = Awaited<ReturnType<typeof fleetUpOptions>["argv"]>;

/** Starts the fleet, says where it is, and stops it all on Ctrl-C or SIGTERM. */
export async function fleetUp(args: FleetUpArgs): Promise<void> {
  const logDir = resolve(args.logs);
  const progress = startupProgress(process.stderr.isTTY && !args.console);
  const aborter = new AbortController();
  let fleet: LocalFleet | undefined;
  let stopping = false;

  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      process.stderr.write(`\n${signal} again: killing everything now\n`);
      for (const child of fleet?.processes.values() ?? []) child.kill("SIGKILL");
      process.exit(1);
    }
    stopping = true;
    aborter.abort();
    if (fleet === undefined) return; // startup sees the abort and stops what it started
    process.stderr.write(`\n${signal}: stopping the fleet (again to force)...\n`);
    fleet.stop().then(
      () => {
        process.stderr.write("fleet stopped\n");
        process.exit(0);
      },
      (error: unknown) => {
        process.stderr.write(`stopping failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  process.stderr.write(
    `Starting SpecFleet: ${args.verifiers} verifier(s), ${args.drafters} drafter(s) from ${args.model}${args.tiny ? " (tiny)" : ""}\n`,
  );
  let models: FleetModels;
  try {
    models = await fleetModels(
      args.model,
      { verifiers: args.verifiers, drafters: args.drafters },
      args.tiny,
      args.modelName,
    );
  } catch (error) {
    process.stderr.write(
      `\nThe fleet's models could not be prepared: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  }
  for (const line of models.description) process.stderr.write(`  ${line}\n`);
  const selfDraft = args.selfDraft === "source" ? models.source : args.selfDraft;
  const threads = fleetThreads(models, { ...args, fused: selfDraft !== undefined });
  if (selfDraft !== undefined) process.stderr.write(`  the verifiers draft for themselves with ${selfDraft}\n`);
  for (const line of threads.lines) process.stderr.write(`${line}\n`);
  const modelName = models.modelName;
  process.stderr.write(`Service logs: ${logDir}\n`);
  const secretsDir = join(projectRoot(), ".cache", "fleet-secrets");
  let admin: FleetAdminToken | null;
  let security: FleetSecurity;
  try {
    security = fleetSecurity(args, secretsDir);
  } catch (error) {
    process.stderr.write(`\n${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
  try {
    admin = fleetAdminToken(args.host, parseConfig(cliEnvSchema, process.env).GATEWAY_ADMIN_TOKEN, secretsDir);
  } catch (error) {
    process.stderr.write(`\nThe gateway's admin token: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
  for (const line of openFleetWarning(security)) process.stderr.write(`${line}\n`);
  // A token from the environment reaches the gateway by inheritance; one from the file is passed.
  const gatewayEnv = admin !== null && admin.source !== "env" ? { gateway: { GATEWAY_ADMIN_TOKEN: admin.token } } : {};
  try {
    fleet = await startLocalFleet({
      natsUrl: args.natsUrl,
      redisUrl: args.redisUrl,
      redisDataDir: args.ephemeral ? undefined : resolve(args.redisData),
      secure: security.secure,
      tls: security.tls,
      secretsDir: security.secretsDir,
      gatewayHost: args.host,
      gatewayPort: args.port,
      dashboard: args.dashboard,
      dashboardPort: args.dashboardPort,
      verifiers: threads.verifiers,
      drafters: threads.drafters,
      modelPath: args.model,
      modelName,
      window: args.window,
      draftTemperature: args.draftTemperature,
      serviceEnv: {
        "draft-worker": { WINDOW_POLICY: args.windowPolicy, DRAFT_PIPELINE: String(args.pipeline) },
        ...(selfDraft === undefined ? {} : { "verify-worker": { SELF_DRAFT_MODEL: selfDraft } }),
        ...gatewayEnv,
      },
      maxSessions: args.maxSessions,
      contextSize: args.contextSize,
      logLevel: args.logLevel,
      logDir,
      console: args.console,
      readyTimeoutMs: args.readyTimeout * 1000,
      log: progressLog(progress),
      onProgress: (step) => progress.step(step),
      signal: aborter.signal,
    });
  } catch (error) {
    progress.stop();
    if (stopping) {
      process.stderr.write("startup interrupted; everything started was stopped\n");
      process.exit(130);
    }
    process.stderr.write(`\nThe fleet did not start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.stderr.write(`Everything started was stopped. Service logs: ${logDir}\n`);
    process.exit(1);
  }
  progress.stop();
  if (stopping) return; // a signal arrived just as startup finished; onSignal cannot see fleet yet
  printSummary(fleet, modelName, logDir, await v1AccessLine(fleet.gatewayUrl), admin, security);
  watchForCrashes(fleet, logDir, () => stopping);
}

function printSummary(
  fleet: LocalFleet,
  modelName: string,
  logDir: string,
  access: string,
  admin: FleetAdminToken | null,
  security: FleetSecurity,
): void {
  const workers = [...fleet.processes.keys()].filter((name) => !isControl(name));
  const body = JSON.stringify({ model: modelName, prompt: "Once upon a time", max_tokens: 64, temperature: 0 });
  const jobBody = JSON.stringify({ model: modelName, requests: [{ prompt: "The little dog", max_tokens: 64 }] });
  process.stdout.write(
    [
      "",
      `SpecFleet is up: ${fleet.processes.size} processes`,
      `  gateway  ${fleet.gatewayUrl}   (API docs: ${fleet.gatewayUrl}/docs)`,
      ...(fleet.dashboardUrl === null
        ? []
        : [`  dashboard ${fleet.dashboardUrl}/dashboard${dashboardLoginNote(admin)}`]),
      `  nats     ${fleet.natsUrl}`,
      `  redis    ${fleet.redisUrl}${redisDataNote(fleet)}`,
      `  workers  ${workers.join(", ")}`,
      `  logs     ${logDir}   (tail -f ${join(logDir, "gateway.log")})`,
      access,
      adminLine(admin),
      ...securityLines(fleet, security),
      "",
      "Try:",
      `  curl ${fleet.gatewayUrl}/v1/completions -H 'Content-Type: application/json' -d '${body}'`,
      `  curl ${fleet.gatewayUrl}/v1/jobs -H 'Content-Type: application/json' -d '${jobBody}'`,
      "",
      "Press Ctrl-C to stop everything.",
      "",
    ].join("\n"),
  );
}

/** The dashboard asks for a login when the gateway has an admin token: the same token. */
function dashboardLoginNote(admin: FleetAdminToken | null): string {
  const tokens = parseConfig(cliEnvSchema, process.env);
  if (tokens.DASHBOARD_ADMIN_TOKEN !== undefined) return "   (log in with DASHBOARD_ADMIN_TOKEN)";
  if (admin === null) return "";
  return admin.source === "env" ? "   (log in with GATEWAY_ADMIN_TOKEN)" : "   (log in with the admin token)";
}

/** Where the admin API's token is: only its first characters are printed, never the whole secret. */
function adminLine(admin: FleetAdminToken | null): string {
  if (admin === null) return "  admin    /admin answers this machine only (loopback), without a token";
  if (admin.source === "env") return "  admin    /admin needs 'Authorization: Bearer $GATEWAY_ADMIN_TOKEN'";
  const made = admin.source === "new" ? "made now, " : "";
  return `  admin    /admin needs 'Authorization: Bearer <token>': ${tokenPrefix(admin.token)} (${made}in ${admin.file})`;
}

function redisDataNote(fleet: LocalFleet): string {
  if (fleet.processes.has("redis-server") === false) return "";
  return fleet.redisDataDir === null ? "   (temporary data)" : `   (data kept in ${fleet.redisDataDir})`;
}

const controlNames = new Set(["nats-server", "redis-server", "registry", "scheduler", "gateway", "dashboard"]);
function isControl(name: string): boolean {
  return controlNames.has(name);
}

/** A service that dies while the fleet runs is reported, not hidden; the rest keeps running. */
function watchForCrashes(fleet: LocalFleet, logDir: string, stopping: () => boolean): void {
  for (const [name, child] of fleet.processes) {
    void child.exited.then((exit) => {
      if (stopping()) return;
      process.stderr.write(
        `warning: ${name} exited unexpectedly (${describeExit(exit)}); see ${join(logDir, `${name}.log`)}\n`,
      );
    });
  }
}
