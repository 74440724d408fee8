import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { projectRoot } from "#infra";
import { CHART_DIR, isHelmHook, renderChart } from "../support/helm.js";
import { ACTOR_VARIABLES, envOf } from "./env.js";
import { actorOf, allRenders, containersOf, nameOf, podTemplates } from "./rendered.js";
import { ALL_ACTOR_VARIABLES } from "../../scripts/chart-docs/actor-variables.js";
import {
  documentedValues,
  readmeValuesTable,
  valuesTable,
  withValuesTable,
} from "../../scripts/chart-docs/values-table.js";

const readme = () => readFileSync(join(projectRoot(), CHART_DIR, "README.md"), "utf8");

describe("chart policy: configuration and documents", () => {
  it("every variable a SpecFleet container sets is one of its actor's (the libs/config zod schema's keys)", () => {
    const actors = new Set<string>();
    for (const render of allRenders())
      for (const { object, template } of podTemplates(render.objects))
        for (const container of containersOf(template.spec)) {
          const actor = actorOf(container);
          if (!actor) continue;
          actors.add(actor);
          const variables = ACTOR_VARIABLES[actor];
          assert.ok(variables, `${nameOf(object)}: \`serve ${actor}\` is no actor of libs/config`);
          const unknown = [...envOf(container, render.objects).keys()].filter((name) => !variables.has(name));
          assert.deepEqual(unknown, [], `${render.name}: ${nameOf(object)} (${actor}) sets variables its schema lacks`);
        }
    assert.deepEqual([...actors].sort(), Object.keys(ACTOR_VARIABLES).sort(), "some actor is never rendered");
  });

  it("the check sees a variable no schema has (set through a pool's env)", () => {
    const objects = renderChart({
      valuesFiles: [join(CHART_DIR, "ci", "minimal.yaml")],
      set: { "verifyPools[0].env.NOT_A_VARIABLE": "1" },
    });
    const worker = podTemplates(objects).find(
      ({ template }) => actorOf(template.spec.containers[0]!) === "verify-worker",
    );
    assert.ok(worker);
    const env = envOf(worker.template.spec.containers[0]!, objects);
    assert.ok(env.has("NOT_A_VARIABLE") && !ACTOR_VARIABLES["verify-worker"]!.has("NOT_A_VARIABLE"));
  });

  it("a container that runs no actor (the helm test pod) sets only variables its own script reads", () => {
    for (const render of allRenders())
      for (const { object, template } of podTemplates(render.objects))
        for (const container of containersOf(template.spec)) {
          if (actorOf(container) || !container.image?.includes("specfleet")) continue;
          assert.ok(isHelmHook(object), `${nameOf(object)}: a SpecFleet container that is not an actor nor a test`);
          const script = (container.command ?? []).join("\n");
          for (const variable of container.env ?? [])
            assert.ok(script.includes(`process.env.${variable.name}`), `${nameOf(object)}: ${variable.name} is unread`);
        }
  });

  it("the README's values table lists every leaf of values.yaml, with its default, and nothing else", () => {
    const values = new Map(documentedValues().map((row) => [row.key, row.default]));
    const table = readmeValuesTable(readme());
    assert.ok(values.size > 20, `only ${values.size} values found`);
    const missing = [...values.keys()].filter((key) => !table.has(key));
    const extra = [...table.keys()].filter((key) => !values.has(key));
    assert.deepEqual({ missing, extra }, { missing: [], extra: [] }, "README values table vs values.yaml");
    for (const [key, value] of values) assert.deepEqual(table.get(key), value, `${key}: README's default differs`);
  });

  it("the README's values table is what `npm run chart:docs` writes from values.yaml's comments", () => {
    const expected = withValuesTable(readme(), valuesTable(documentedValues(), ALL_ACTOR_VARIABLES));
    assert.equal(readme(), expected, "run `npm run chart:docs` and commit helm/specfleet/README.md");
  });

  it("every variable the values table says a value sets is an actor's variable", () => {
    const named = readme().match(/^\| `[a-zA-Z.]+` \| `.*?` \| (.*?) \|/gm) ?? [];
    assert.ok(named.length > 20);
    for (const row of named)
      for (const [, variable] of row.split(" | ")[2]!.matchAll(/`([A-Z0-9_]+)`/g))
        assert.ok(ALL_ACTOR_VARIABLES.has(variable!), `${variable} is no variable of libs/config`);
  });

  it("the chart's Grafana dashboard is docs/grafana/specfleet-dashboard.json, and ships when enabled", () => {
    const docs = readFileSync(join(projectRoot(), "docs", "grafana", "specfleet-dashboard.json"), "utf8");
    const copy = readFileSync(join(projectRoot(), CHART_DIR, "dashboards", "specfleet.json"), "utf8");
    assert.equal(
      copy,
      docs,
      "helm/specfleet/dashboards/specfleet.json differs: copy docs/grafana/specfleet-dashboard.json",
    );
    const objects = renderChart({ set: { "metrics.grafanaDashboard.enabled": true } });
    const shipped = objects.find(
      (object) => object.kind === "ConfigMap" && object.metadata.labels?.grafana_dashboard === "1",
    );
    assert.ok(shipped, "no ConfigMap labelled grafana_dashboard=1");
    const [json] = Object.values(shipped.data as Record<string, string>);
    assert.deepEqual(JSON.parse(json!), JSON.parse(docs));
  });
});
