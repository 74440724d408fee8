import type { K8sObject } from "../support/helm.js";
import { containersOf, nameOf, podTemplates, type Container } from "./rendered.js";

export { ACTOR_VARIABLES } from "../../scripts/chart-docs/actor-variables.js";

/**
 * The environment a container gets: its `env` (a `valueFrom` as undefined) over the ConfigMaps its
 * `envFrom` names. A Secret in `envFrom` would bring keys nobody can read here: it is refused.
 */
export function envOf(container: Container, objects: K8sObject[]): Map<string, string | undefined> {
  const env = new Map<string, string | undefined>();
  for (const source of container.envFrom ?? []) {
    if (source.secretRef)
      throw new Error(`${container.name}: envFrom a Secret (${source.secretRef.name}): name each variable`);
    const name = source.configMapRef?.name;
    const map = objects.find((object) => object.kind === "ConfigMap" && object.metadata.name === name);
    if (!map) throw new Error(`${container.name}: envFrom ConfigMap ${name} is not rendered`);
    for (const [key, value] of Object.entries((map.data ?? {}) as Record<string, string>)) env.set(key, value);
  }
  for (const variable of container.env ?? []) env.set(variable.name, variable.value);
  return env;
}

/** Variables that hold a secret themselves (not a path to one): they may only come from a Secret. */
const SECRET_VARIABLE = /(TOKEN|PASSWORD|SECRET|SEED)$/;

/** Text that is key material whatever field it sits in: PEM keys, NATS nkey seeds, JWTs. */
const SECRET_TEXT = [
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /\bS[UOAN][A-Z2-7]{54,}\b/,
  /\beyJ[\w-]{10,}\.eyJ[\w-]{10,}\.[\w-]+/,
];

/** What inlines a secret in rendered objects (empty: nothing). */
export function findInlinedSecrets(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  for (const object of objects) {
    if (object.kind === "Secret")
      problems.push(`${nameOf(object)}: the chart makes a Secret (it consumes them by name)`);
    const text = JSON.stringify(object);
    for (const pattern of SECRET_TEXT)
      if (pattern.test(text)) problems.push(`${nameOf(object)}: key material (${pattern})`);
    if (object.kind === "ConfigMap")
      for (const key of Object.keys((object.data ?? {}) as object))
        if (SECRET_VARIABLE.test(key)) problems.push(`${nameOf(object)}: ${key} in a ConfigMap`);
  }
  for (const { object, template } of podTemplates(objects))
    for (const container of containersOf(template.spec))
      for (const variable of container.env ?? [])
        if (SECRET_VARIABLE.test(variable.name) && !variable.valueFrom?.secretKeyRef)
          problems.push(`${nameOf(object)} ${container.name}: ${variable.name} not from a secretKeyRef`);
  return problems;
}
