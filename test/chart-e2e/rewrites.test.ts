import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { containerArgv, containerEnv, expand } from "./container-command.js";
import { rewriteConfigPorts, rewriteFlagPorts } from "./local-pod.js";
import { LoopbackNetwork, type PodIdentity } from "./loopback-network.js";
import type { Container, Workload } from "./manifests.js";
import { pathRewrite } from "./pod-volumes.js";

/** The harness's rewrites, on manifests' shapes: the only changes it makes to what the chart renders. */
describe("chart e2e rewrites", () => {
  const container = (fields: Partial<Container>): Container => ({ name: "c", image: "nats:2.10.26-alpine", ...fields });

  it("paths under a mount go to the container's root, longest mount first, once", () => {
    const rewrite = pathRewrite(
      "/tmp/run/fs/c",
      container({
        volumeMounts: [
          { name: "tmp", mountPath: "/tmp" },
          { name: "secrets", mountPath: "/etc/specfleet/secrets" },
          { name: "config", mountPath: "/etc/specfleet" },
        ],
      }),
      [["/app/dist/cli/specfleet.js", "/repo/dist/cli/specfleet.js"]],
    );
    const cases: Array<[string, string]> = [
      ["/etc/specfleet/secrets/nats.creds", "/tmp/run/fs/c/etc/specfleet/secrets/nats.creds"],
      ["/etc/specfleet/other.conf", "/tmp/run/fs/c/etc/specfleet/other.conf"],
      ['dir: "/tmp/x"', 'dir: "/tmp/run/fs/c/tmp/x"'],
      ["$(cat /tmp)", "$(cat /tmp/run/fs/c/tmp)"],
      ["/tmpfoo/bar", "/tmpfoo/bar"],
      ["/var/etc/specfleet", "/var/etc/specfleet"],
      ["node /app/dist/cli/specfleet.js worker drain", "node /repo/dist/cli/specfleet.js worker drain"],
    ];
    for (const [input, expected] of cases) assert.equal(rewrite(input), expected, input);
  });

  it("listen ports in config files and flags go to the pod's loopback ports; other numbers stay", () => {
    const ports = new Map([
      [4222, 40001],
      [8222, 40002],
      [6379, 40003],
    ]);
    const configCases: Array<[string, string]> = [
      ['listen: "0.0.0.0:4222"', 'listen: "0.0.0.0:40001"'],
      ["http_port: 8222", "http_port: 40002"],
      ["port 6379", "port 40003"],
      ["max_payload: 4222", "max_payload: 4222"],
      ["port: 9999", "port: 9999"],
    ];
    for (const [input, expected] of configCases) assert.equal(rewriteConfigPorts(input, ports), expected, input);
    assert.equal(
      rewriteFlagPorts("redis-cli -p 6379 --user admin ping", ports),
      "redis-cli -p 40003 --user admin ping",
    );
    assert.equal(rewriteFlagPorts("--port=6379", ports), "--port=40003");
    assert.equal(rewriteFlagPorts("--timeout-s 6379", ports), "--timeout-s 6379");
  });

  it("argv: the image's entrypoint and docker-entrypoint.sh's rules, or the manifest's command", () => {
    const cases: Array<[Partial<Container>, string[]]> = [
      [
        { image: "ghcr.io/specfleet/specfleet:0.1.0", args: ["serve", "gateway"] },
        ["node", "/app/dist/cli/specfleet.js", "serve", "gateway"],
      ],
      [
        { image: "nats:2.10.26-alpine", args: ["--config", "/etc/nats-config/nats.conf"] },
        ["nats-server", "--config", "/etc/nats-config/nats.conf"],
      ],
      [{ image: "redis:7.2.7-alpine", args: ["/etc/redis.conf"] }, ["redis-server", "/etc/redis.conf"]],
      [
        { image: "redis:7.2.7-alpine", command: ["redis-server"], args: ["--port", "6379"] },
        ["redis-server", "--port", "6379"],
      ],
      [{ image: "nats:2.10.26-alpine" }, ["nats-server", "--config", "/etc/nats/nats-server.conf"]],
    ];
    for (const [fields, expected] of cases) assert.deepEqual(containerArgv(container(fields)), expected);
    assert.throws(() => containerArgv(container({ image: "busybox:1.36" })), /does not know image busybox/);
  });

  it("env: envFrom, then env in order, refs and fields resolved as the kubelet does, $(VAR) expanded", () => {
    const sources = {
      secrets: new Map([["s", new Map([["token", "secret-token"]])]]),
      configMaps: new Map([
        [
          "cm",
          new Map([
            ["NATS_URL", "nats://svc:4222"],
            ["PORT", "1"],
          ]),
        ],
      ]),
    };
    const env = containerEnv(
      container({
        envFrom: [{ configMapRef: { name: "cm" } }],
        env: [
          { name: "PORT", value: "2" },
          { name: "TOKEN", valueFrom: { secretKeyRef: { name: "s", key: "token" } } },
          { name: "WORKER_ID", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
          { name: "WHERE", value: "$(WORKER_ID).$(NOPE)$$(PORT)" },
        ],
      }),
      { name: "pod-abc", namespace: "ns" },
      sources,
    );
    assert.deepEqual(Object.fromEntries(env), {
      NATS_URL: "nats://svc:4222",
      PORT: "2",
      TOKEN: "secret-token",
      WORKER_ID: "pod-abc",
      WHERE: "pod-abc.$(NOPE)$(PORT)",
    });
    assert.throws(
      () =>
        containerEnv(
          container({ env: [{ name: "X", valueFrom: { secretKeyRef: { name: "s", key: "gone" } } }] }),
          { name: "p", namespace: "ns" },
          sources,
        ),
      /names missing key gone of s/,
    );
    assert.equal(expand("$(A)-$(B)", new Map([["A", "1"]])), "1-$(B)");
  });

  describe("Service names", () => {
    let network: LoopbackNetwork;
    const workload: Workload = {
      kind: "StatefulSet",
      name: "fleet-nats",
      replicas: 1,
      labels: { app: "nats" },
      spec: {
        containers: [{ name: "nats", image: "nats:2.10.26-alpine", ports: [{ name: "client", containerPort: 4222 }] }],
      },
      claimTemplates: [],
      serviceName: "fleet-nats-headless",
      helmTest: false,
    };
    const pod: PodIdentity = { name: "fleet-nats-0", workload, ports: new Map([[4222, 41000]]), serving: () => true };

    before(async () => {
      network = await LoopbackNetwork.open(
        "ns",
        [
          { name: "fleet-nats", selector: { app: "nats" }, ports: [{ port: 4222, targetPort: "client" }] },
          { name: "fleet-nats-headless", selector: { app: "nats" }, ports: [{ port: 4222, targetPort: "client" }] },
        ],
        [pod],
      );
    });
    after(() => network.close());

    it("<svc>, <svc>.<ns>, <svc>.<ns>.svc.cluster.local with a port -> the Service's proxy; a pod's own name -> its port", () => {
      const proxy = network.servicePort("fleet-nats", 4222);
      const cases: Array<[string, string]> = [
        ["nats://fleet-nats:4222", `nats://127.0.0.1:${proxy}`],
        ["nats://fleet-nats.ns:4222", `nats://127.0.0.1:${proxy}`],
        ["nats://fleet-nats.ns.svc.cluster.local:4222", `nats://127.0.0.1:${proxy}`],
        ["nats://fleet-nats-0.fleet-nats-headless.ns.svc:4222", "nats://127.0.0.1:41000"],
        ["nats://other-fleet-nats:4222", "nats://other-fleet-nats:4222"],
        ["fleet-nats.other:4222", "fleet-nats.other:4222"],
        ["fleet-nats,fleet-nats.ns", "fleet-nats,fleet-nats.ns"],
      ];
      for (const [input, expected] of cases) assert.equal(network.rewriteHosts(input), expected, input);
    });
  });
});
