/*
 * The chart's wiring, run without a cluster: `helm template` the chart, then run every container
 * of its Deployments and StatefulSets as a local process with the command, arguments and
 * environment the render gives it, volumes as folders, Services as loopback proxies.
 *
 * What the harness rewrites, and nothing else:
 *  - absolute paths under a container's volumeMounts (in its variables, arguments and ConfigMap
 *    files) -> `<run>/pods/<pod>/fs/<container><mountPath>`, where its volumes are materialised:
 *    Secrets from `specfleet secrets init` (as an operator makes them) and from the render,
 *    ConfigMaps from the render, emptyDir and claims as folders, a hostPath as the host's path;
 *  - `/app/dist/cli/specfleet.js` (the image's entrypoint) -> this repo's dist/cli/specfleet.js,
 *    and the image's WORKDIR /app -> this repo (the image holds its dist/ and node_modules/);
 *  - the programs `node`, `nats-server`, `redis-server`, `redis-cli` -> this machine's binaries;
 *  - Service DNS names `<svc>`, `<svc>.<ns>`, `<svc>.<ns>.svc[.cluster.local]` with a port (and a
 *    StatefulSet pod's `<pod>.<svc>...`) -> `127.0.0.1:<loopback port>`: each Service port is a TCP
 *    proxy on a free loopback port, forwarding to the serving pods it selects (round robin);
 *  - the ports a pod listens on (containerPorts, probe ports, numeric `*_PORT` variables, a config
 *    file's `port:`/`listen:` and `--port`-like flags) -> free loopback ports, one set per pod.
 * With TLS, `specfleet secrets init --tls` is also given `--tls-host 127.0.0.1` (the address the
 * Services' names become here) as one more name of the NATS certificate.
 * Variables from secretKeyRef / configMapKeyRef / fieldRef are resolved as the kubelet does
 * (metadata.name: a pod name per replica, as the controller would make it); like the runtime, the
 * harness adds only PATH (this machine's), HOME (a folder of the pod's) and HOSTNAME (the pod name).
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { projectRoot } from "#infra";
import { parseManifests, renderChart, type RenderOptions } from "../support/helm.js";
import { LocalPod } from "./local-pod.js";
import { allocatePorts, LoopbackNetwork, type PodIdentity } from "./loopback-network.js";
import { keyFilesOf, readRelease, selects, type KeyFiles, type RenderedRelease, type Workload } from "./manifests.js";
import { runToExit } from "./probes.js";

/**
 * The waves pods start in, each ready before the next starts (no pod is restarted here, as a
 * crash-looping one would be in a cluster): the StatefulSets (NATS, Redis), then the registry
 * (enrollment, the fleet view) and the scheduler, then the rest together: the gateway's /readyz
 * waits for a verifier and a drafter, so it is awaited with the workers.
 */
const WAVES: ReadonlyArray<readonly string[]> = [
  ["registry", "scheduler"],
  ["gateway", "dashboard", "verify-worker", "draft-worker"],
];

export interface RenderedFleetOptions extends RenderOptions {
  /** Logs go to `.cache/test-logs/<name>/`. */
  name: string;
  /** How long one wave's pods may take to be ready. Default 180 s. */
  readyTimeoutMs?: number;
}

/** The rendered chart's pods running on this machine. */
export class RenderedFleet {
  private constructor(
    readonly release: RenderedRelease,
    readonly network: LoopbackNetwork,
    readonly pods: LocalPod[],
    private readonly runDir: string,
    private readonly secrets: Map<string, KeyFiles>,
    private readonly context: ConstructorParameters<typeof LocalPod>[1],
    private readonly identities: PodIdentity[],
  ) {}

  static async start(options: RenderedFleetOptions): Promise<RenderedFleet> {
    const namespace = options.namespace ?? "specfleet";
    const objects = renderChart({ ...options, namespace });
    const release = readRelease(objects, namespace);
    const runDir = mkdtempSync(join(tmpdir(), "specfleet-chart-e2e-"));
    const secrets = new Map(objects.filter((o) => o.kind === "Secret").map((o) => [o.metadata.name, keyFilesOf(o)]));
    try {
      for (const [name, files] of await operatorSecrets(release, namespace, runDir)) secrets.set(name, files);
    } catch (error) {
      rmSync(runDir, { recursive: true, force: true });
      throw error;
    }
    const identities: PodIdentity[] = [];
    const running = release.workloads.filter((w) => !w.helmTest).sort((a, b) => waveOf(a) - waveOf(b));
    for (const workload of running)
      for (let ordinal = 0; ordinal < workload.replicas; ordinal++)
        identities.push(await identityOf(workload, ordinal));
    const network = await LoopbackNetwork.open(namespace, release.services, identities);
    const logDir = join(projectRoot(), ".cache", "test-logs", options.name);
    const context = { namespace, runDir, logDir, network, store: { secrets, configMaps: release.configMaps } };
    const fleet = new RenderedFleet(release, network, [], runDir, secrets, context, identities);
    try {
      for (const wave of new Set(running.map(waveOf))) {
        const pods = identities
          .filter((identity) => waveOf(identity.workload) === wave)
          .map((i) => new LocalPod(i, context));
        fleet.pods.push(...pods);
        await Promise.all(pods.map((pod) => pod.start()));
        await Promise.all(pods.map((pod) => pod.ready(options.readyTimeoutMs ?? 180_000)));
      }
    } catch (error) {
      await fleet.stop();
      throw error;
    }
    return fleet;
  }

  /** The pods of the workloads whose container runs `serve <actor>`. */
  podsServing(actor: string): LocalPod[] {
    return this.pods.filter((pod) => servedActor(pod.identity.workload) === actor);
  }

  /** The pod with this name (a worker's WORKER_ID is its pod's name). */
  pod(name: string): LocalPod {
    const pod = this.pods.find((p) => p.name === name);
    if (!pod) throw new Error(`no pod ${name} (pods: ${this.pods.map((p) => p.name).join(", ")})`);
    return pod;
  }

  /** A Secret's key as an operator's `specfleet secrets init` wrote it. */
  secret(name: string, key: string): string {
    const value = this.secrets.get(name)?.get(key);
    if (value === undefined) throw new Error(`no key ${key} in Secret ${name}`);
    return value;
  }

  /** `http://127.0.0.1:<port>` of the (first port of the) Service in front of the pods serving `actor`. */
  serviceUrlOf(actor: string): string {
    const pods = this.podsServing(actor);
    const service = this.release.services.find((s) => pods.some((pod) => selects(s, pod.identity.workload.labels)));
    if (!service) throw new Error(`no Service selects the ${actor} pods`);
    return this.serviceUrl(service.name, service.ports[0]!.port);
  }

  /** `http://127.0.0.1:<port>` for a Service's port. */
  serviceUrl(service: string, port: number): string {
    return `http://127.0.0.1:${this.network.servicePort(service, port)}`;
  }

  /** Runs each `helm test` pod's containers to completion; resolves with each one's exit code and output. */
  async runHelmTests(timeoutMs = 120_000): Promise<Array<{ pod: string; code: number | null; output: string }>> {
    const results: Array<{ pod: string; code: number | null; output: string }> = [];
    for (const workload of this.release.workloads.filter((w) => w.helmTest)) {
      const identity = await identityOf(workload, 0);
      this.identities.push(identity);
      const pod = new LocalPod(identity, this.context);
      await pod.start();
      this.pods.push(pod);
      const deadline = setTimeout(() => void pod.stop(), timeoutMs);
      for (const process of pod.processes.values()) {
        const exit = await process.exited;
        results.push({ pod: process.name, code: exit.code, output: process.recentLines(40).join("\n") });
      }
      clearTimeout(deadline);
    }
    return results;
  }

  /** Stops every pod (SIGTERM, then SIGKILL), closes the proxies, removes the run's folder. */
  async stop(): Promise<void> {
    // Last started, first stopped: a worker's drain still reaches the registry, NATS and Redis.
    const waves = [...new Set(this.pods.map((pod) => waveOf(pod.identity.workload)))].sort((a, b) => b - a);
    for (const wave of waves)
      await Promise.all(this.pods.filter((pod) => waveOf(pod.identity.workload) === wave).map((pod) => pod.stop()));
    await this.network.close();
    rmSync(this.runDir, { recursive: true, force: true });
  }
}

/** The actor a SpecFleet container serves (`serve <actor>` in its args), or null for other images. */
export function servedActor(workload: Workload): string | null {
  for (const container of workload.spec.containers) {
    const argv = [...(container.command ?? []), ...(container.args ?? [])];
    const at = argv.indexOf("serve");
    if (at >= 0 && argv[at + 1] !== undefined) return argv[at + 1]!;
  }
  return null;
}

function waveOf(workload: Workload): number {
  if (workload.kind === "StatefulSet") return 0;
  const actor = servedActor(workload) ?? "";
  const at = WAVES.findIndex((wave) => wave.includes(actor));
  return at < 0 ? WAVES.length + 1 : at + 1;
}

/** A pod name as its controller makes it: `<sts>-<ordinal>`, `<deployment>-<hash>-<suffix>`, a Pod's own. */
async function identityOf(workload: Workload, ordinal: number): Promise<PodIdentity> {
  const suffix = (length: number) => randomBytes(length).toString("hex").slice(0, length);
  const name =
    workload.kind === "StatefulSet"
      ? `${workload.name}-${ordinal}`
      : workload.kind === "Deployment"
        ? `${workload.name}-${suffix(10)}-${suffix(5)}`
        : workload.name;
  return { name, workload, ports: await allocatePorts(workload), serving: () => false };
}

/**
 * The Secrets an operator makes before installing (`specfleet secrets init --release <p>`), for the
 * prefix the render's `<p>-nats-accounts` (or any `<p>-registry`) reference names.
 */
async function operatorSecrets(release: RenderedRelease, namespace: string, runDir: string) {
  const referenced = JSON.stringify(release.workloads.map((w) => w.spec));
  const prefix = /"(?:secretName|name)":"([^"]+)-(?:nats-accounts|registry)"/.exec(referenced)?.[1];
  if (prefix === undefined) throw new Error("the render names no <prefix>-nats-accounts or <prefix>-registry Secret");
  const out = join(runDir, "operator-secrets");
  const cli = join(projectRoot(), "dist", "cli", "specfleet.js");
  // With TLS the certificate is also for 127.0.0.1: what the Services' names dial here.
  const tls = referenced.includes(`"${prefix}-nats-tls"`) ? ["--tls", "--tls-host", "127.0.0.1"] : [];
  const argv = [
    process.execPath,
    cli,
    "secrets",
    "init",
    "--release",
    prefix,
    "--namespace",
    namespace,
    "--out",
    out,
    ...tls,
  ];
  const { code, output } = await runToExit(argv, process.env, projectRoot(), 120_000);
  if (code !== 0) throw new Error(`specfleet secrets init exited ${code}: ${output}`);
  const objects = parseManifests(readFileSync(join(out, "secrets.yaml"), "utf8"));
  return new Map(objects.filter((o) => o.kind === "Secret").map((o) => [o.metadata.name, keyFilesOf(o)]));
}
