import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { MODEL_PATH } from "../support/fleet.js";
import { complete } from "../support/openai-client.js";
import { referenceCompletions, type ReferenceCompletions } from "../support/reference.js";
import { imageName } from "./container-command.js";
import { RenderedFleet } from "./rendered-fleet.js";
import { localModelPools, MODEL } from "./test-values.js";

const MAX_TOKENS = 48;
const PROMPTS = ["Once upon a time", "The little dog", "One day, a big bird", "Tom had a red ball."];

/**
 * ci/ha.yaml's wiring run as local processes: a 3-server NATS cluster whose routes (TLS, by the
 * StatefulSet pods' own DNS names) come from the rendered nats.conf, two gateway replicas behind
 * their Service, every actor on TLS with the CA `specfleet secrets init --tls` made; completions
 * through the gateway Service, spread over both replicas, equal the target alone.
 */
describe("ci/ha.yaml's wiring (NATS cluster over TLS, two gateways), run as local processes", () => {
  let fleet: RenderedFleet;
  let reference: ReferenceCompletions;
  const valuesDir = mkdtempSync(join(tmpdir(), "specfleet-chart-e2e-ha-"));

  before(async () => {
    reference = await referenceCompletions(MODEL_PATH, PROMPTS, MAX_TOKENS);
    fleet = await RenderedFleet.start({
      name: "chart-e2e-ha",
      // The pools of ci/ha.yaml download an hf: model; here they serve the tiny model from its folder.
      valuesFiles: ["helm/specfleet/ci/ha.yaml", localModelPools(valuesDir, { verifyReplicas: 2 })],
    });
  });

  after(async () => {
    await fleet?.stop();
    rmSync(valuesDir, { recursive: true, force: true });
  });

  it("the NATS servers form one cluster: each has routes to the two others, and requires TLS", async () => {
    const servers = fleet.pods.filter((pod) => imageName(pod.identity.workload.spec.containers[0]!.image) === "nats");
    assert.equal(servers.length, 3);
    for (const server of servers) {
      const monitor = `http://127.0.0.1:${server.portOf("monitor")}`;
      const routez = (await (await fetch(`${monitor}/routez`)).json()) as { num_routes: number };
      const varz = (await (await fetch(`${monitor}/varz`)).json()) as { tls_required?: boolean };
      assert.equal(routez.num_routes, 2, `${server.name}'s routes`);
      assert.equal(varz.tls_required, true, `${server.name} requires TLS`);
    }
  });

  it("greedy completions through the gateway Service, served by both replicas, equal the target alone", async () => {
    const gatewayUrl = fleet.serviceUrlOf("gateway");
    const results = await Promise.all(
      PROMPTS.map((prompt) => complete(gatewayUrl, { model: MODEL, prompt, max_tokens: MAX_TOKENS })),
    );
    for (const [i, result] of results.entries()) {
      assert.equal(result.status, 200, JSON.stringify(result.body));
      const expected = await reference.for(PROMPTS[i]!, result.tokenIds);
      assert.deepEqual(result.tokenIds, expected.tokens, PROMPTS[i]);
    }
    const gateways = fleet.podsServing("gateway");
    assert.equal(gateways.length, 2);
    for (const gateway of gateways)
      assert.ok(fleet.network.connectionsServedBy(gateway.name) > 0, `${gateway.name} served a connection`);
  });

  it("the rendered `helm test` pod passes", async () => {
    const results = await fleet.runHelmTests();
    assert.ok(results.length > 0, "the render has a helm test pod");
    for (const result of results) assert.equal(result.code, 0, `${result.pod}:\n${result.output}`);
  });
});
