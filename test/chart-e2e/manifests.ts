import type { K8sObject } from "../support/helm.js";

/*
 * The parts of rendered Kubernetes objects the harness acts on, typed as the API spells them.
 * Anything else in a manifest is ignored (the chart tests validate the whole objects).
 */

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string; optional?: boolean };
    configMapKeyRef?: { name: string; key: string; optional?: boolean };
    fieldRef?: { fieldPath: string };
  };
}

export interface EnvFrom {
  prefix?: string;
  secretRef?: { name: string; optional?: boolean };
  configMapRef?: { name: string; optional?: boolean };
}

export interface Probe {
  httpGet?: { path?: string; port: number | string; scheme?: string };
  tcpSocket?: { port: number | string };
  exec?: { command: string[] };
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  failureThreshold?: number;
}

export interface VolumeMount {
  name: string;
  mountPath: string;
  subPath?: string;
  readOnly?: boolean;
}

export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  envFrom?: EnvFrom[];
  ports?: Array<{ name?: string; containerPort: number }>;
  volumeMounts?: VolumeMount[];
  readinessProbe?: Probe;
  startupProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
  workingDir?: string;
}

interface KeyToPath {
  key: string;
  path: string;
  mode?: number;
}

export interface Volume {
  name: string;
  secret?: { secretName: string; items?: KeyToPath[]; defaultMode?: number; optional?: boolean };
  configMap?: { name: string; items?: KeyToPath[]; defaultMode?: number; optional?: boolean };
  emptyDir?: object;
  persistentVolumeClaim?: { claimName: string };
  hostPath?: { path: string };
  projected?: {
    sources: Array<{
      secret?: { name: string; items?: KeyToPath[] };
      configMap?: { name: string; items?: KeyToPath[] };
    }>;
  };
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
  terminationGracePeriodSeconds?: number;
}

export interface PodTemplate {
  metadata?: { labels?: Record<string, string> };
  spec: PodSpec;
}

/** A Deployment, a StatefulSet, or a bare Pod (the `helm test` hook): what makes pods. */
export interface Workload {
  kind: "Deployment" | "StatefulSet" | "Pod";
  name: string;
  replicas: number;
  labels: Record<string, string>;
  spec: PodSpec;
  /** StatefulSet only: its PVC templates (a folder per pod here) and its governing Service. */
  claimTemplates: string[];
  serviceName?: string;
  /** A `helm test` pod (annotation helm.sh/hook: test). */
  helmTest: boolean;
}

export interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
}

export interface Service {
  name: string;
  selector: Record<string, string>;
  ports: ServicePort[];
}

/** A Secret or ConfigMap's keys as text (a Secret's `data` decoded from base64). */
export type KeyFiles = Map<string, string>;

export interface RenderedRelease {
  namespace: string;
  workloads: Workload[];
  services: Service[];
  configMaps: Map<string, KeyFiles>;
}

const field = <T>(object: K8sObject, name: string): T => object[name] as T;

function workloadOf(object: K8sObject): Workload | null {
  const annotations = object.metadata.annotations ?? {};
  if (object.kind === "Pod") {
    return {
      kind: "Pod",
      name: object.metadata.name,
      replicas: 1,
      labels: object.metadata.labels ?? {},
      spec: field<PodSpec>(object, "spec"),
      claimTemplates: [],
      helmTest: (annotations["helm.sh/hook"] ?? "").split(",").includes("test"),
    };
  }
  if (object.kind !== "Deployment" && object.kind !== "StatefulSet") return null;
  const spec = field<{
    replicas?: number;
    template: PodTemplate;
    serviceName?: string;
    volumeClaimTemplates?: Array<{ metadata: { name: string } }>;
  }>(object, "spec");
  return {
    kind: object.kind,
    name: object.metadata.name,
    replicas: spec.replicas ?? 1,
    labels: spec.template.metadata?.labels ?? {},
    spec: spec.template.spec,
    claimTemplates: (spec.volumeClaimTemplates ?? []).map((claim) => claim.metadata.name),
    serviceName: spec.serviceName,
    helmTest: false,
  };
}

/** A Secret's or ConfigMap's content as files: `data` (base64 for Secrets) and `stringData`. */
export function keyFilesOf(object: K8sObject): KeyFiles {
  const files: KeyFiles = new Map();
  const decode = object.kind === "Secret";
  for (const [key, value] of Object.entries(field<Record<string, string> | undefined>(object, "data") ?? {}))
    files.set(key, decode ? Buffer.from(value, "base64").toString("utf8") : value);
  for (const [key, value] of Object.entries(field<Record<string, string> | undefined>(object, "stringData") ?? {}))
    files.set(key, value);
  return files;
}

/** What the harness needs from a render: workloads, Services, ConfigMaps. */
export function readRelease(objects: K8sObject[], namespace: string): RenderedRelease {
  const services = objects
    .filter((object) => object.kind === "Service")
    .map((object) => {
      const spec = field<{ selector?: Record<string, string>; ports?: ServicePort[] }>(object, "spec");
      return { name: object.metadata.name, selector: spec.selector ?? {}, ports: spec.ports ?? [] };
    });
  const configMaps = new Map(
    objects.filter((object) => object.kind === "ConfigMap").map((object) => [object.metadata.name, keyFilesOf(object)]),
  );
  const workloads = objects.map(workloadOf).filter((workload): workload is Workload => workload !== null);
  return { namespace, workloads, services, configMaps };
}

/** Whether a Service selects pods with these labels. */
export function selects(service: Service, labels: Record<string, string>): boolean {
  const selector = Object.entries(service.selector);
  return selector.length > 0 && selector.every(([key, value]) => labels[key] === value);
}
