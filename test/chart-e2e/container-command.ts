import { findBinary } from "#infra";
import type { Container, EnvVar, KeyFiles } from "./manifests.js";

/**
 * What an image runs when a container gives no command (its ENTRYPOINT and CMD), for the images
 * the chart uses: SpecFleet's own (Containerfile: ENTRYPOINT node /app/dist/cli/specfleet.js) and
 * the official nats and redis images (whose docker-entrypoint.sh puts the server in front of
 * arguments that start with `-`, and for redis of a `.conf` file).
 */
interface ImageDefaults {
  entrypoint: string[];
  cmd: string[];
  /** docker-entrypoint.sh's rule: the arguments the server is put in front of. */
  serverFor?: { server: string; when: (first: string) => boolean };
}

const IMAGES: Record<string, ImageDefaults> = {
  specfleet: { entrypoint: ["node", "/app/dist/cli/specfleet.js"], cmd: [] },
  nats: {
    entrypoint: [],
    cmd: ["nats-server", "--config", "/etc/nats/nats-server.conf"],
    serverFor: { server: "nats-server", when: (first) => first.startsWith("-") },
  },
  redis: {
    entrypoint: [],
    cmd: ["redis-server"],
    serverFor: { server: "redis-server", when: (first) => first.startsWith("-") || first.endsWith(".conf") },
  },
};

/** The image's repository name without registry, owner and tag: `ghcr.io/specfleet/specfleet:0.1.0` -> `specfleet`. */
export function imageName(image: string): string {
  const withoutDigest = image.split("@")[0]!;
  const last = withoutDigest.split("/").pop()!;
  return last.split(":")[0]!;
}

/** The argv the container runs, as the runtime composes it from the image and the manifest. */
export function containerArgv(container: Container): string[] {
  const defaults = IMAGES[imageName(container.image)];
  if (defaults === undefined) throw new Error(`${container.name}: the harness does not know image ${container.image}`);
  const argv = container.command
    ? [...container.command, ...(container.args ?? [])]
    : [...defaults.entrypoint, ...(container.args ?? defaults.cmd)];
  const serverFor = defaults.serverFor;
  if (serverFor && argv.length > 0 && serverFor.when(argv[0]!)) argv.unshift(serverFor.server);
  if (argv.length === 0) throw new Error(`${container.name}: nothing to run`);
  return argv;
}

/** A program the container names, as found on this machine (node is this process's node). */
export function localExecutable(program: string): string {
  if (program === "node") return process.execPath;
  if (program.startsWith("/") && !program.startsWith("/app/")) return program;
  const found = findBinary(program.split("/").pop()!);
  if (found === undefined) throw new Error(`${program} is not installed on this machine`);
  return found;
}

/** The pod a container runs in, for `fieldRef`s. */
export interface PodFields {
  name: string;
  namespace: string;
}

/** Secrets and ConfigMaps by name, for `secretKeyRef`, `configMapKeyRef` and `envFrom`. */
export interface EnvSources {
  secrets: Map<string, KeyFiles>;
  configMaps: Map<string, KeyFiles>;
}

/**
 * The container's environment as the kubelet makes it: `envFrom` first, then `env` in order
 * (later wins), `$(VAR)` expanded from variables defined before, `$$(` kept literal.
 */
export function containerEnv(container: Container, pod: PodFields, sources: EnvSources): Map<string, string> {
  const env = new Map<string, string>();
  for (const from of container.envFrom ?? []) {
    const ref = from.secretRef ?? from.configMapRef;
    if (!ref) continue;
    const content = (from.secretRef ? sources.secrets : sources.configMaps).get(ref.name);
    if (content === undefined) {
      if (ref.optional === true) continue;
      throw new Error(`${container.name}: envFrom names missing ${ref.name}`);
    }
    for (const [key, value] of content) env.set(`${from.prefix ?? ""}${key}`, value);
  }
  for (const variable of container.env ?? []) {
    const value = valueOf(variable, pod, sources, container.name);
    if (value !== undefined) env.set(variable.name, variable.value !== undefined ? expand(value, env) : value);
  }
  return env;
}

function valueOf(variable: EnvVar, pod: PodFields, sources: EnvSources, container: string): string | undefined {
  if (variable.value !== undefined) return variable.value;
  const from = variable.valueFrom;
  if (from?.fieldRef) {
    const fields: Record<string, string> = {
      "metadata.name": pod.name,
      "metadata.namespace": pod.namespace,
      "status.podIP": "127.0.0.1",
      "status.hostIP": "127.0.0.1",
      "spec.nodeName": "localhost",
    };
    const value = fields[from.fieldRef.fieldPath];
    if (value === undefined) throw new Error(`${container}: fieldRef ${from.fieldRef.fieldPath} is not supported`);
    return value;
  }
  const ref = from?.secretKeyRef ?? from?.configMapKeyRef;
  if (!ref) return "";
  const value = (from?.secretKeyRef ? sources.secrets : sources.configMaps).get(ref.name)?.get(ref.key);
  if (value === undefined && ref.optional !== true)
    throw new Error(`${container}: ${variable.name} names missing key ${ref.key} of ${ref.name}`);
  return value;
}

/** Kubernetes' `$(VAR)` expansion (in env values, command and args). */
export function expand(text: string, env: Map<string, string>): string {
  return text.replace(/\$\$\(|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name?: string) =>
    name === undefined ? "$(" : (env.get(name) ?? whole),
  );
}
