import { readdirSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "#infra";
import { CHART_DIR, renderChart, type K8sObject } from "../support/helm.js";

/** The chart's CI values files (helm/specfleet/ci/*.yaml), each rendered and linted by the tests. */
export function ciValuesFiles(): string[] {
  const dir = join(CHART_DIR, "ci");
  return readdirSync(join(projectRoot(), dir))
    .filter((file) => file.endsWith(".yaml"))
    .sort()
    .map((file) => join(dir, file));
}

export interface Render {
  /** `defaults` or the values file's path. */
  name: string;
  objects: K8sObject[];
}

let cached: Render[] | undefined;

/** The chart with its default values and with each CI values file (rendered once per test process). */
export function allRenders(): Render[] {
  const dir = join(CHART_DIR, "ci");
  cached ??= [
    { name: "defaults", objects: renderChart() },
    ...ciValuesFiles().map((file) => ({ name: file, objects: renderChart({ valuesFiles: [file] }) })),
    // What no CI values file turns on: the Grafana dashboard's ConfigMap, the edge's leaf-node listener.
    {
      name: "ci/edge.yaml with the Grafana dashboard and the leaf-node listener",
      objects: renderChart({
        valuesFiles: [join(dir, "edge.yaml")],
        set: { "metrics.grafanaDashboard.enabled": true, "nats.edge.leafnodes.enabled": true },
      }),
    },
  ];
  return cached;
}

export interface Container {
  name: string;
  image?: string;
  args?: string[];
  command?: string[];
  env?: Array<{ name: string; value?: string; valueFrom?: Record<string, unknown> }>;
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  livenessProbe?: unknown;
  readinessProbe?: unknown;
  startupProbe?: unknown;
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
  securityContext?: {
    runAsNonRoot?: boolean;
    allowPrivilegeEscalation?: boolean;
    capabilities?: { drop?: string[] };
  };
  lifecycle?: { preStop?: { exec?: { command?: string[] }; httpGet?: unknown } };
  ports?: Array<{ containerPort: number; name?: string }>;
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  securityContext?: { runAsNonRoot?: boolean };
  terminationGracePeriodSeconds?: number;
}

export interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: PodSpec;
}

const WORKLOAD_KINDS = new Set(["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"]);

/** The workloads of a render (objects that run pods from a template), Helm hooks included. */
export function workloads(objects: K8sObject[]): K8sObject[] {
  return objects.filter((object) => WORKLOAD_KINDS.has(object.kind));
}

/** A workload's pod template, or a bare Pod as its own template. */
export function podTemplateOf(object: K8sObject): PodTemplate | undefined {
  if (object.kind === "Pod") return { metadata: object.metadata, spec: object.spec as PodSpec };
  if (!WORKLOAD_KINDS.has(object.kind)) return undefined;
  return (object.spec as { template: PodTemplate }).template;
}

/** Every object that runs pods, with its template. */
export function podTemplates(objects: K8sObject[]): Array<{ object: K8sObject; template: PodTemplate }> {
  return objects.flatMap((object) => {
    const template = podTemplateOf(object);
    return template ? [{ object, template }] : [];
  });
}

export function containersOf(spec: PodSpec): Container[] {
  return [...(spec.initContainers ?? []), ...spec.containers];
}

export function nameOf(object: K8sObject): string {
  return `${object.kind}/${object.metadata.name}`;
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: "In" | "NotIn" | "Exists" | "DoesNotExist"; values?: string[] }>;
}

/** Kubernetes' label selector semantics (an empty selector selects everything). */
export function selects(selector: LabelSelector, labels: Record<string, string>): boolean {
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
  return (
    byLabels &&
    (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
      const value = labels[key];
      if (operator === "Exists") return value !== undefined;
      if (operator === "DoesNotExist") return value === undefined;
      if (operator === "In") return value !== undefined && values.includes(value);
      return value === undefined || !values.includes(value);
    })
  );
}

/** The SpecFleet actor a container runs (`serve <actor>`), if it runs one. */
export function actorOf(container: Container): string | undefined {
  const [verb, actor] = container.args ?? [];
  return verb === "serve" ? actor : undefined;
}
