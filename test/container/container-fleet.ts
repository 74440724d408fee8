import { chmodSync, chownSync, copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { freePort, planFleet, waitUntil, type FleetSecrets, type PlannedService } from "#infra";
import { podman, run } from "./podman.js";

/** The image's user (Containerfile): what a Kubernetes Secret volume's fsGroup would give it. */
const IMAGE_UID = 10001;
/** Where the chart mounts an actor's Secret, and the key names every actor Secret uses (issue 15). */
const SECRETS_MOUNT = "/etc/specfleet/secrets";
const SECRET_KEYS: Record<string, string> = {
  NATS_CREDS: "nats.creds",
  REDIS_PASSWORD_FILE: "redis-password",
  NATS_AUTHORITY_FILE: "nats-authority.json",
};
const MODELS_MOUNT = "/models";

export interface ContainerFleetOptions {
  image: string;
  /** Prefix of every container's name (unique per run). */
  namePrefix: string;
  /** The fleet's secrets; nats-server and redis-server already run with them. */
  secrets: FleetSecrets;
  natsUrl: string;
  redisUrl: string;
  /** The GGUF file on this machine; its folder is mounted read-only at /models. */
  modelPath: string;
  /** A folder of this test's own: each actor's Secret volume is made there. */
  workDir: string;
  /** Where each container's output is written when the fleet stops. */
  logDir: string;
}

export interface ContainerFleet {
  gatewayUrl: string;
  /** Container name by actor or worker id (registry, scheduler, gateway, verifier-1, drafter-1). */
  containers: Map<string, string>;
  /** Writes each container's output to the log folder, then removes every container. */
  stop(): Promise<void>;
}

/**
 * Registry, scheduler, gateway, one verifier and one drafter, each `serve <actor>` in a container of
 * `image` on the host's network, configured as the local fleet is (libs/infra planFleet), with its
 * credentials mounted read-only as the chart mounts its Secret and a health listener on a port of
 * its own. Resolves when the gateway lists both workers and the scheduler places on them.
 */
export async function startContainerFleet(options: ContainerFleetOptions): Promise<ContainerFleet> {
  const containers = new Map<string, string>();
  const stop = async () => {
    mkdirSync(options.logDir, { recursive: true });
    for (const [name, container] of containers) {
      const logs = await run("podman", ["logs", container]);
      writeFileSync(join(options.logDir, `${name}.log`), logs.stdout + logs.stderr);
      await run("podman", ["rm", "--force", "--time", "10", container]);
    }
    containers.clear();
  };
  try {
    const gatewayPort = await freePort();
    const plan = planFleet(
      { modelPath: join(MODELS_MOUNT, basename(options.modelPath)), verifiers: 1, drafters: 1, threads: 1 },
      { natsUrl: options.natsUrl, redisUrl: options.redisUrl, logLevel: "info", gatewayHost: "127.0.0.1", gatewayPort },
    );
    for (const stage of plan) {
      const workers = stage.filter((s) => s.actor === "verify-worker" || s.actor === "draft-worker");
      await options.secrets.issueWorkers(
        options.natsUrl,
        workers.map((w) => ({ name: w.name, role: w.actor === "verify-worker" ? "verifier" : "drafter" })),
      );
      for (const service of stage) {
        const container = `${options.namePrefix}-${service.name}`;
        const healthPort = service.actor === "gateway" ? null : await freePort();
        const args = runArguments(service, container, healthPort, options);
        await podman(["run", "--detach", ...args, options.image, "serve", service.actor]);
        containers.set(service.name, container);
        // Ready as the kubelet would see it: the health listener's /readyz, the gateway's /healthz.
        const probe = `http://127.0.0.1:${healthPort ?? gatewayPort}/${healthPort === null ? "healthz" : "readyz"}`;
        await waitUntil(
          `${container} answers ${probe}`,
          async () => (await answers(probe)) || (await assertRunning(container)),
          { timeoutMs: 120_000, intervalMs: 250 },
        );
      }
    }
    const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    await waitUntil("both workers registered and placed (gateway /readyz)", () => workersPlaced(gatewayUrl), {
      timeoutMs: 120_000,
      intervalMs: 250,
    });
    return { gatewayUrl, containers, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** `podman run` arguments after `--detach`: `serve <actor>` with its environment, Secret and model. */
function runArguments(
  service: PlannedService,
  container: string,
  healthPort: number | null,
  options: ContainerFleetOptions,
): string[] {
  const env: Record<string, string> = { ...service.env };
  if (healthPort !== null) env.HEALTH_PORT = String(healthPort);
  const secretDir = join(options.workDir, service.name);
  mkdirSync(secretDir, { recursive: true, mode: 0o700 });
  for (const [key, value] of Object.entries(options.secrets.serviceEnv(service.name, service.actor))) {
    const file = SECRET_KEYS[key];
    if (file === undefined) {
      env[key] = value; // REDIS_USERNAME
      continue;
    }
    copyFileSync(value, join(secretDir, file));
    chownSync(join(secretDir, file), IMAGE_UID, IMAGE_UID);
    chmodSync(join(secretDir, file), 0o400);
    env[key] = `${SECRETS_MOUNT}/${file}`;
  }
  chownSync(secretDir, IMAGE_UID, IMAGE_UID);
  chmodSync(secretDir, 0o500);
  const worker = service.actor === "verify-worker" || service.actor === "draft-worker";
  return [
    "--name",
    container,
    "--network",
    "host",
    // As the chart runs it: nothing in the image is written to (podman mounts a tmpfs on /tmp).
    "--read-only",
    "--volume",
    `${secretDir}:${SECRETS_MOUNT}:ro`,
    ...(worker ? ["--volume", `${dirname(options.modelPath)}:${MODELS_MOUNT}:ro`] : []),
    ...Object.entries(env).flatMap(([key, value]) => ["--env", `${key}=${value}`]),
    "--stop-timeout",
    "10",
  ];
}

/** False while `container` runs; throws with its last lines once it has exited. */
async function assertRunning(container: string): Promise<false> {
  const state = await podman(["inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", container]);
  if (!state.startsWith("running")) {
    const logs = await run("podman", ["logs", "--tail", "30", container]);
    throw new Error(`${container} is ${state}:\n${logs.stdout}${logs.stderr}`);
  }
  return false;
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await response.body?.cancel();
    return response.status === 200;
  } catch {
    return false;
  }
}

/** The gateway's /readyz lists verifier-1 and drafter-1 and the scheduler places with both. */
async function workersPlaced(gatewayUrl: string): Promise<boolean> {
  try {
    const response = await fetch(`${gatewayUrl}/readyz`, { signal: AbortSignal.timeout(3000) });
    const body = (await response.json()) as {
      verifiers?: Array<{ id: string }>;
      drafters?: Array<{ id: string }>;
      scheduler_models?: Array<{ verifiers: number; drafters: number }>;
    };
    return (
      (body.verifiers ?? []).some((v) => v.id === "verifier-1") &&
      (body.drafters ?? []).some((d) => d.id === "drafter-1") &&
      (body.scheduler_models ?? []).some((m) => m.verifiers > 0 && m.drafters > 0)
    );
  } catch {
    return false;
  }
}
