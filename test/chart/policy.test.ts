import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isHelmHook, renderChart, type K8sObject } from "../support/helm.js";
import {
  actorOf,
  allRenders,
  containersOf,
  nameOf,
  podTemplates,
  selects,
  workloads,
  type Container,
  type LabelSelector,
  type PodTemplate,
} from "./rendered.js";
import { envOf, findInlinedSecrets } from "./env.js";
import { draftWorkerConfigSchema } from "#config";

/** Image reference parts: `repo[:tag][@digest]` (a registry's port is not a tag). */
function tagOf(image: string): { tag?: string; digest?: string } {
  const [name, digest] = image.split("@");
  const last = name!.slice(name!.lastIndexOf("/") + 1);
  const colon = last.indexOf(":");
  return { tag: colon >= 0 ? last.slice(colon + 1) : undefined, digest };
}

function eachContainer(check: (container: Container, where: string, object: K8sObject, pod: PodTemplate) => void) {
  for (const render of allRenders())
    for (const { object, template } of podTemplates(render.objects))
      for (const container of containersOf(template.spec))
        check(container, `${render.name}: ${nameOf(object)} container ${container.name}`, object, template);
}

/** The ports a pod's probes use. */
function probePorts(template: PodTemplate): Set<number> {
  const ports = new Set<number>();
  for (const container of containersOf(template.spec))
    for (const probe of [container.livenessProbe, container.readinessProbe, container.startupProbe]) {
      const { httpGet, tcpSocket } = (probe ?? {}) as { httpGet?: { port: unknown }; tcpSocket?: { port: unknown } };
      const port = httpGet?.port ?? tcpSocket?.port;
      const named = container.ports?.find((p) => p.name === port)?.containerPort;
      if (typeof port === "number") ports.add(port);
      else if (named !== undefined) ports.add(named);
    }
  return ports;
}

const WORKER_ACTORS = new Set(["verify-worker", "draft-worker"]);

describe("chart policy: containers", () => {
  it("every long-running container has liveness and readiness probes (the helm test pod runs once)", () => {
    eachContainer((container, where, object) => {
      if (isHelmHook(object)) return;
      assert.ok(container.livenessProbe, `${where}: no livenessProbe`);
      assert.ok(container.readinessProbe, `${where}: no readinessProbe`);
    });
  });

  it("every container has cpu and memory requests and limits", () => {
    eachContainer((container, where) => {
      for (const kind of ["requests", "limits"] as const)
        for (const resource of ["cpu", "memory"])
          assert.ok(container.resources?.[kind]?.[resource] !== undefined, `${where}: no ${kind}.${resource}`);
    });
  });

  it("every container runs as non-root, without privilege escalation, with ALL capabilities dropped", () => {
    eachContainer((container, where, _object, pod) => {
      const nonRoot = container.securityContext?.runAsNonRoot ?? pod.spec.securityContext?.runAsNonRoot;
      assert.equal(nonRoot, true, `${where}: runAsNonRoot`);
      assert.equal(container.securityContext?.allowPrivilegeEscalation, false, `${where}: allowPrivilegeEscalation`);
      assert.ok(container.securityContext?.capabilities?.drop?.includes("ALL"), `${where}: capabilities.drop ALL`);
    });
  });

  it("every image is pinned: a tag that is neither empty nor latest, or a digest", () => {
    eachContainer((container, where) => {
      assert.ok(container.image, `${where}: no image`);
      const { tag, digest } = tagOf(container.image);
      assert.ok(digest || (tag && tag !== "latest"), `${where}: image ${container.image} is not pinned`);
    });
  });

  it("the image checks see a bad image (a digest counts, latest and no tag do not)", () => {
    assert.deepEqual(tagOf("registry:5000/specfleet"), { tag: undefined, digest: undefined });
    assert.equal(tagOf("ghcr.io/specfleet/specfleet:latest").tag, "latest");
    assert.equal(tagOf("ghcr.io/specfleet/specfleet@sha256:ab").digest, "sha256:ab");
  });
});

describe("chart policy: workloads", () => {
  it("every workload with more than one replica, and every worker pool, has a PodDisruptionBudget", () => {
    for (const render of allRenders()) {
      const budgets = render.objects.filter((object) => object.kind === "PodDisruptionBudget");
      for (const { object, template } of podTemplates(render.objects)) {
        if (object.kind === "Pod") continue;
        const replicas = (object.spec as { replicas?: number }).replicas ?? 1;
        const pool = template.spec.containers.some((container) => WORKER_ACTORS.has(actorOf(container) ?? ""));
        if (replicas <= 1 && !pool) continue;
        const labels = template.metadata?.labels ?? {};
        const budget = budgets.find((pdb) => selects((pdb.spec as { selector: LabelSelector }).selector, labels));
        assert.ok(budget, `${render.name}: ${nameOf(object)} (${replicas} replicas) has no PodDisruptionBudget`);
      }
    }
  });

  it("a worker drains in preStop and its grace period outlasts DRAIN_TIMEOUT_MS plus 15 s", () => {
    let workers = 0;
    for (const render of allRenders())
      for (const { object, template } of podTemplates(render.objects))
        for (const container of template.spec.containers) {
          if (!WORKER_ACTORS.has(actorOf(container) ?? "")) continue;
          workers++;
          const where = `${render.name}: ${nameOf(object)}`;
          const command = container.lifecycle?.preStop?.exec?.command ?? [];
          assert.deepEqual(
            command.slice(-2),
            ["worker", "drain"],
            `${where}: preStop is not \`specfleet worker drain\``,
          );
          const drainMs = draftWorkerConfigSchema.shape.DRAIN_TIMEOUT_MS.parse(
            envOf(container, render.objects).get("DRAIN_TIMEOUT_MS"),
          );
          const grace = template.spec.terminationGracePeriodSeconds ?? 30;
          assert.ok(grace > drainMs / 1000 + 15, `${where}: grace ${grace} s, DRAIN_TIMEOUT_MS ${drainMs}`);
        }
    assert.ok(workers > 0, "no CI values file renders a worker");
  });
});

describe("chart policy: NetworkPolicies", () => {
  const policiesOf = (objects: K8sObject[]) =>
    objects
      .filter((object) => object.kind === "NetworkPolicy")
      .map((object) => ({
        object,
        spec: object.spec as {
          podSelector: LabelSelector;
          policyTypes?: string[];
          ingress?: Array<{ ports?: Array<{ port?: number | string }> }>;
          egress?: Array<{ ports?: Array<{ port?: number | string }> }>;
        },
      }));

  for (const render of allRenders())
    it(`${render.name}: a default deny selects every pod, and every Service's ports but health ports are let in`, () => {
      const policies = policiesOf(render.objects);
      assert.ok(policies.length > 0, "no NetworkPolicy");
      for (const { object, template } of podTemplates(render.objects)) {
        const labels = template.metadata?.labels ?? {};
        const deny = policies.find(
          ({ spec }) =>
            selects(spec.podSelector, labels) &&
            ["Ingress", "Egress"].every((type) => spec.policyTypes?.includes(type)) &&
            !spec.ingress?.length,
        );
        assert.ok(deny, `${nameOf(object)}: no default-deny NetworkPolicy selects its pods`);
      }
      for (const service of render.objects.filter((object) => object.kind === "Service")) {
        const spec = service.spec as {
          selector?: Record<string, string>;
          ports: Array<{ targetPort?: number | string; port: number }>;
        };
        if (!spec.selector) continue;
        const pods = podTemplates(render.objects).filter(({ template }) =>
          selects({ matchLabels: spec.selector }, template.metadata?.labels ?? {}),
        );
        for (const { template } of pods)
          for (const port of spec.ports) {
            const target = port.targetPort ?? port.port;
            const number =
              typeof target === "number"
                ? target
                : containersOf(template.spec)
                    .flatMap((container) => container.ports ?? [])
                    .find((p) => p.name === target)?.containerPort;
            // Health ports are the kubelet's (networkPolicy.probeCidrs; most plugins always let probes in).
            if (probePorts(template).has(number ?? -1)) continue;
            const allowed = policies.some(
              ({ spec: policy }) =>
                selects(policy.podSelector, template.metadata?.labels ?? {}) &&
                (policy.ingress ?? []).some(
                  (rule) => !rule.ports || rule.ports.some((p) => p.port === target || p.port === number),
                ),
            );
            assert.ok(allowed, `Service ${service.metadata.name} port ${port.port}: no NetworkPolicy lets it in`);
          }
      }
    });

  for (const render of allRenders())
    it(`${render.name}: an actor may reach NATS, and Redis only when it has a REDIS_URL (no drafter, no dashboard)`, () => {
      const policies = policiesOf(render.objects);
      for (const { object, template } of podTemplates(render.objects))
        for (const container of template.spec.containers) {
          if (!actorOf(container)) continue;
          const env = envOf(container, render.objects);
          const egressPorts = new Set(
            policies
              .filter(({ spec }) => selects(spec.podSelector, template.metadata?.labels ?? {}))
              .flatMap(({ spec }) => (spec.egress ?? []).flatMap((rule) => (rule.ports ?? []).map((p) => p.port))),
          );
          const natsPort = Number(new URL(env.get("NATS_URL") ?? "nats://x:4222").port || 4222);
          assert.ok(egressPorts.has(natsPort), `${nameOf(object)}: no egress to NATS port ${natsPort}`);
          const redisUrl = env.get("REDIS_URL");
          const redisPort = Number(new URL(redisUrl ?? "redis://x:6379").port || 6379);
          assert.equal(egressPorts.has(redisPort), redisUrl !== undefined, `${nameOf(object)}: egress to Redis`);
        }
    });

  it("with networkPolicy.enabled=false no NetworkPolicy is rendered", () => {
    const off = renderChart({ set: { "networkPolicy.enabled": false } });
    assert.ok(workloads(off).length > 0);
    assert.equal(off.filter((object) => object.kind === "NetworkPolicy").length, 0);
  });
});

describe("chart policy: secrets", () => {
  it("no render inlines a secret (no Secret objects, tokens only from secretKeyRef, no key material)", () => {
    for (const render of allRenders()) assert.deepEqual(findInlinedSecrets(render.objects), [], render.name);
  });

  it("the secret check finds a token put into a ConfigMap and key material in an object", () => {
    // values.schema.json refuses such an env value (test/chart/lint-render.test.ts): put it in by hand.
    const leaky = renderChart({}).map((object) =>
      object.kind === "ConfigMap" && object.metadata?.name?.endsWith("-gateway-env")
        ? {
            ...object,
            data: { ...(object.data as Record<string, string>), GATEWAY_ADMIN_TOKEN: "inlined-admin-token" },
          }
        : object,
    );
    assert.ok(findInlinedSecrets(leaky).some((problem) => problem.includes("GATEWAY_ADMIN_TOKEN")));
    const pem = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "x" },
      data: { k: "-----BEGIN PRIVATE KEY-----" },
    };
    assert.equal(findInlinedSecrets([pem]).length, 1);
  });
});
