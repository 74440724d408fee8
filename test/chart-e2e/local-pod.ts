import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describeExit, ManagedProcess, projectRoot, type ProcessExit } from "#infra";
import { containerArgv, containerEnv, expand, imageName, localExecutable } from "./container-command.js";
import type { LoopbackNetwork, PodIdentity } from "./loopback-network.js";
import { portNumberOf } from "./loopback-network.js";
import type { Container } from "./manifests.js";
import { probeOnce, runToExit } from "./probes.js";
import { pathRewrite, PodVolumes, type ObjectStore, type TextRewrite } from "./pod-volumes.js";

/** What every pod of a run shares. */
export interface PodContext {
  namespace: string;
  /** The run's temporary folder (pods' volumes and claims). */
  runDir: string;
  logDir: string;
  store: ObjectStore;
  network: LoopbackNetwork;
}

/** A container ready to run here: its argv, environment and folder, every name rewritten. */
interface LocalContainer {
  spec: Container;
  argv: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
}

// A flag naming a port a server listens on or a client dials on the pod's loopback (redis-server
// --port, redis-cli -p in an exec probe, nats-server -p/-m), in an argument or inside a shell line.
const PORT_FLAG = /(^|\s)(--port|-p|-m|--http_port|--tls-port)(\s+|=)(\d{2,5})\b/g;
const PORT_FLAG_ALONE = /^(--port|-p|-m|--http_port|--tls-port)$/;
// A config file's listen port: `port: 4222`, `http_port: 8222`, `listen: 0.0.0.0:7422`, `port 6379`.
const CONFIG_PORT =
  /\b((?:port|http_port|https_port|monitor_port|listen|http|https)\s*[:=]?\s*["']?(?:[\w.-]*:)?)(\d{2,5})\b/gi;

/**
 * A pod of the render as local processes: one per container, with the pod's environment,
 * volumes and loopback ports; probes and the preStop hook run as the kubelet would run them.
 */
export class LocalPod {
  readonly processes = new Map<string, ManagedProcess>();
  private readonly volumes: PodVolumes;
  private readonly dir: string;

  constructor(
    readonly identity: PodIdentity,
    private readonly context: PodContext,
  ) {
    this.dir = join(context.runDir, "pods", identity.name);
    this.volumes = new PodVolumes(this.dir, identity.workload.spec.volumes ?? [], context.store, (claim) =>
      join(context.runDir, "claims", identity.workload.claimTemplates.includes(claim) ? identity.name : "", claim),
    );
    identity.serving = () =>
      this.processes.size > 0 && [...this.processes.values()].every((process) => process.running);
  }

  get name(): string {
    return this.identity.name;
  }

  /** The loopback port a container port (number or name) of this pod became. */
  portOf(port: number | string): number {
    const number = portNumberOf(this.identity.workload.spec.containers, port);
    const local = this.identity.ports.get(number);
    if (local === undefined) throw new Error(`${this.name}: port ${port} was not given a loopback port`);
    return local;
  }

  /** Runs the init containers to completion, then starts every container. */
  async start(): Promise<void> {
    const spec = this.identity.workload.spec;
    for (const init of spec.initContainers ?? []) {
      const local = this.prepare(init);
      const { code, output } = await runToExit(local.argv, local.env, local.cwd, 300_000);
      if (code !== 0) throw new Error(`${this.name}: init container ${init.name} exited ${code}: ${output}`);
    }
    for (const container of spec.containers) {
      const local = this.prepare(container);
      const process = await ManagedProcess.start({
        name: `${this.name}/${container.name}`,
        command: local.argv[0]!,
        args: local.argv.slice(1),
        env: local.env,
        cwd: local.cwd,
        output: { logFile: join(this.context.logDir, `${this.name}.${container.name}.log`) },
      });
      this.processes.set(container.name, process);
    }
  }

  /** Waits until every container's readinessProbe passes (a container without one: once started). */
  async ready(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const container of this.identity.workload.spec.containers) {
      const probe = container.readinessProbe;
      const process = this.processes.get(container.name)!;
      while (probe && !(await probeOnce(probe, (port) => this.portOf(port), this.exec(container)))) {
        if (!process.running)
          throw new Error(
            `${process.name} exited (${describeExit(process.exitStatus)}) before ready:\n${process.recentLines(20).join("\n")}`,
          );
        if (Date.now() > deadline) throw new Error(`${process.name} not ready after ${timeoutMs} ms`);
        await sleep(250);
      }
    }
  }

  /** Runs a command in a container of this pod (`kubectl exec`), with its environment. */
  exec(container: Container): (command: string[], timeoutMs: number) => Promise<number | null> {
    return async (command, timeoutMs) => {
      const local = this.prepare({ ...container, command, args: [] }, false);
      return (await runToExit(local.argv, local.env, local.cwd, timeoutMs)).code;
    };
  }

  /**
   * What the kubelet does to a pod being deleted: each container's preStop hook, then SIGTERM,
   * then SIGKILL once the termination grace period is over. Resolves with each container's exit.
   */
  async terminate(): Promise<Map<string, ProcessExit & { preStop?: { code: number | null; output: string } }>> {
    const graceMs = (this.identity.workload.spec.terminationGracePeriodSeconds ?? 30) * 1000;
    const deadline = Date.now() + graceMs;
    const exits = new Map<string, ProcessExit & { preStop?: { code: number | null; output: string } }>();
    await Promise.all(
      this.identity.workload.spec.containers.map(async (container) => {
        const process = this.processes.get(container.name)!;
        const hook = container.lifecycle?.preStop?.exec?.command;
        let preStop: { code: number | null; output: string } | undefined;
        if (hook && process.running) {
          const local = this.prepare({ ...container, command: hook, args: [] }, false);
          preStop = await runToExit(local.argv, local.env, local.cwd, graceMs);
        }
        process.kill("SIGTERM");
        const timer = setTimeout(() => process.kill("SIGKILL"), Math.max(0, deadline - Date.now()));
        const exit = await process.exited;
        clearTimeout(timer);
        exits.set(container.name, { ...exit, preStop });
      }),
    );
    return exits;
  }

  /** Stops every container (SIGTERM, SIGKILL after 10 s): the harness's clean-up. */
  async stop(): Promise<void> {
    await Promise.all([...this.processes.values()].map((process) => process.stop(10_000)));
  }

  private prepare(container: Container, mount = true): LocalContainer {
    const root = this.volumes.rootOf(container);
    const paths = pathRewrite(root, container, [
      ["/app/dist/cli/specfleet.js", join(projectRoot(), "dist/cli/specfleet.js")],
    ]);
    const rewrite: TextRewrite = (text) =>
      rewriteConfigPorts(this.context.network.rewriteHosts(paths(text)), this.identity.ports);
    if (mount) this.volumes.mount(container, rewrite);
    const pod = { name: this.name, namespace: this.context.namespace };
    const env = containerEnv(container, pod, this.context.store);
    for (const [name, value] of env) {
      const port = this.identity.ports.get(Number(value));
      env.set(
        name,
        name.endsWith("_PORT") && port !== undefined ? String(port) : this.context.network.rewriteHosts(paths(value)),
      );
    }
    const argv = containerArgv(container).map((arg) => this.context.network.rewriteHosts(paths(expand(arg, env))));
    for (let i = 0; i < argv.length; i++) {
      const port = this.identity.ports.get(Number(argv[i]));
      const afterFlag = i > 0 && PORT_FLAG_ALONE.test(argv[i - 1]!);
      argv[i] = afterFlag && port !== undefined ? String(port) : rewriteFlagPorts(argv[i]!, this.identity.ports);
    }
    argv[0] = localExecutable(argv[0]!);
    const home = join(this.dir, "home");
    mkdirSync(home, { recursive: true });
    const workdir = container.workingDir ?? (imageName(container.image) === "specfleet" ? "/app" : "/");
    const cwd = workdir === "/app" ? projectRoot() : paths(workdir) === workdir ? root : paths(workdir);
    mkdirSync(cwd, { recursive: true });
    return {
      spec: container,
      argv,
      env: { ...Object.fromEntries(env), PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, HOSTNAME: this.name },
      cwd,
    };
  }
}

/** `--port 6379`, `-p 6379` (also inside a shell line) -> the pod's loopback port. */
export function rewriteFlagPorts(text: string, ports: Map<number, number>): string {
  return text.replace(PORT_FLAG, (whole, lead: string, flag: string, gap: string, port: string) => {
    const local = ports.get(Number(port));
    return local === undefined ? whole : `${lead}${flag}${gap}${local}`;
  });
}

/** A config file's listen ports (`port: 4222`, `listen: 0.0.0.0:7422`) -> the pod's loopback ports. */
export function rewriteConfigPorts(text: string, ports: Map<number, number>): string {
  return text.replace(CONFIG_PORT, (whole, head: string, port: string) => {
    const local = ports.get(Number(port));
    return local === undefined ? whole : `${head}${local}`;
  });
}
