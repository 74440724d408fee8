import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { K8sObject } from "../support/helm.js";
import { allRenders, nameOf } from "./rendered.js";

/**
 * Every rendered object against the Kubernetes API's OpenAPI schemas, offline: kubernetes-models (the
 * API's own schemas compiled to validators) for built-in kinds, @kubernetes-models/prometheus-operator
 * and @kubernetes-models/cert-manager (generated from those projects' CRDs) for ServiceMonitor and
 * Certificate. A kind with no model fails the test rather than passing unchecked.
 */
const MODEL_PACKAGES: Record<string, string> = {
  "monitoring.coreos.com": "@kubernetes-models/prometheus-operator",
  "cert-manager.io": "@kubernetes-models/cert-manager",
};

interface Model {
  validate(): void;
}
type ModelClass = new (data: unknown) => Model;

async function modelOf(object: K8sObject): Promise<ModelClass> {
  const [group, version] = object.apiVersion.includes("/") ? object.apiVersion.split("/") : ["", object.apiVersion];
  const pkg =
    group === "" || !group!.includes(".") || group!.endsWith(".k8s.io") ? "kubernetes-models" : MODEL_PACKAGES[group!];
  assert.ok(pkg, `${object.apiVersion} ${object.kind}: no schema package known for this API group`);
  const path = group === "" ? `${pkg}/${version}/${object.kind}` : `${pkg}/${group}/${version}/${object.kind}`;
  const module = (await import(path)) as Record<string, ModelClass | undefined>;
  const model = module[object.kind];
  assert.ok(model, `${path} has no ${object.kind}`);
  return model;
}

/** Kubernetes' name rules (apimachinery validation): RFC 1123 subdomain; a Service's is an RFC 1035 label. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function checkNames(object: K8sObject): void {
  const { name, labels = {} } = object.metadata;
  assert.ok(name.length <= 253 && DNS_SUBDOMAIN.test(name), `${nameOf(object)}: not a valid object name`);
  if (object.kind === "Service" || object.kind === "StatefulSet")
    assert.ok(name.length <= 63 && DNS_LABEL.test(name), `${nameOf(object)}: not a DNS label (≤ 63, a-z0-9-)`);
  for (const [key, value] of Object.entries(labels))
    assert.ok(value.length <= 63 && LABEL_VALUE.test(value), `${nameOf(object)}: label ${key}=${value} is invalid`);
}

describe("rendered objects against the Kubernetes API schemas", () => {
  for (const render of allRenders())
    it(`${render.name}: every object validates`, async () => {
      const problems: string[] = [];
      for (const object of render.objects) {
        const Model = await modelOf(object);
        try {
          new Model(object).validate();
        } catch (error) {
          problems.push(`${nameOf(object)}: ${(error as Error).message}`);
        }
        checkNames(object);
      }
      assert.deepEqual(problems, []);
    });

  it("the validation catches a broken object (a port that is not a number, a container without a name)", async () => {
    const deployment = allRenders()
      .flatMap((render) => render.objects)
      .find((object) => object.kind === "Deployment");
    assert.ok(deployment);
    const Model = await modelOf(deployment);
    const broken = structuredClone(deployment) as unknown as { spec: { template: { spec: { containers: object[] } } } };
    broken.spec.template.spec.containers.push({ image: "x", ports: [{ containerPort: "http" }] });
    assert.throws(() => new Model(broken).validate(), /containerPort|name/);
  });
});
