import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { projectRoot } from "#infra";
import { CHART_DIR, HelmError, helmLint, renderChartText, type K8sObject } from "../support/helm.js";
import { allRenders, ciValuesFiles } from "./rendered.js";

/** Dotted paths of values.yaml's leaves whose default is a whole number, and a test of `predicate` on the key. */
function numericLeaves(predicate: (key: string) => boolean): string[] {
  const values = parse(readFileSync(join(projectRoot(), CHART_DIR, "values.yaml"), "utf8")) as Record<string, unknown>;
  const found: string[] = [];
  const walk = (node: unknown, path: string[]): void => {
    if (node === null || typeof node !== "object" || Array.isArray(node)) {
      if (Number.isInteger(node) && predicate(path[path.length - 1] ?? "")) found.push(path.join("."));
      return;
    }
    for (const [key, value] of Object.entries(node)) walk(value, [...path, key]);
  };
  walk(values, []);
  return found;
}

/** How Helm's schema errors name a value: `'/gateway/replicas'`. */
const schemaPath = (dotted: string) => `'/${dotted.replaceAll(".", "/")}'`;

/** `--set` pairs of one verify pool with `replicas` replicas (everything else a pool needs given). */
const pool = (replicas: number) => ({
  "verifyPools[0].name": "cpu",
  "verifyPools[0].replicas": replicas,
  "verifyPools[0].model.uri": "hf:owner/repo/model.gguf",
  "verifyPools[0].resources.requests.cpu": "1",
  "verifyPools[0].resources.requests.memory": "1Gi",
  "verifyPools[0].resources.limits.cpu": "1",
  "verifyPools[0].resources.limits.memory": "1Gi",
});

/** Renders with `set` and returns Helm's complaint (the schema's), failing if the render passes. */
function refusal(set: Record<string, string | number | boolean>): string {
  try {
    renderChartText({ set });
  } catch (error) {
    assert.ok(error instanceof HelmError, String(error));
    return error.result.stderr;
  }
  assert.fail(`helm template accepted ${JSON.stringify(set)}`);
}

describe("helm/specfleet: lint and render", () => {
  it("has CI values files for the shapes the issue names", () => {
    const names = ciValuesFiles().map((file) => file.replace(/^.*\//, ""));
    for (const shape of ["minimal.yaml", "ha.yaml", "external.yaml", "gpu.yaml", "edge.yaml"])
      assert.ok(names.includes(shape), `helm/specfleet/ci/${shape} is missing (have ${names.join(", ")})`);
  });

  it("passes helm lint --strict with its defaults", () => {
    const lint = helmLint();
    assert.ok(lint.ok, `${lint.stdout}\n${lint.stderr}`);
  });

  for (const file of ciValuesFiles())
    it(`passes helm lint --strict with ${file}`, () => {
      const lint = helmLint({ valuesFiles: [file] });
      assert.ok(lint.ok, `${lint.stdout}\n${lint.stderr}`);
    });

  it("helm lint reports a broken chart (the lint helper does not pass everything)", () => {
    const broken = mkdtempSync(join(tmpdir(), "specfleet-broken-chart-"));
    try {
      cpSync(join(projectRoot(), CHART_DIR), broken, { recursive: true });
      writeFileSync(
        join(broken, "templates", "broken.yaml"),
        "kind: ConfigMap\nmetadata:\n  name: {{ .Values.nope.deeper }}\n",
      );
      const lint = helmLint({ chartDir: broken });
      assert.equal(lint.ok, false, lint.stdout);
      assert.match(lint.stdout + lint.stderr, /broken\.yaml/);
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });

  it("renders with its defaults and with each CI values file, each object named and typed", () => {
    for (const render of allRenders()) {
      assert.ok(render.objects.length > 0, `${render.name}: rendered nothing`);
      const seen = new Set<string>();
      for (const object of render.objects as Array<Partial<K8sObject>>) {
        assert.ok(
          object.apiVersion && object.kind && object.metadata?.name,
          `${render.name}: ${JSON.stringify(object)}`,
        );
        const id = `${object.apiVersion}/${object.kind}/${object.metadata.name}`;
        assert.ok(!seen.has(id), `${render.name}: ${id} rendered twice`);
        seen.add(id);
      }
    }
  });

  it("each CI values file changes the render (none is a copy of the defaults)", () => {
    const [defaults, ...others] = allRenders();
    for (const render of others) assert.notDeepEqual(render.objects, defaults!.objects, render.name);
  });

  describe("values.schema.json refuses bad values, naming the value", () => {
    it("a wrong type (a word where a number goes)", () => {
      const [replicas] = numericLeaves((key) => key === "replicas");
      assert.ok(replicas, "values.yaml has no numeric `replicas`");
      assert.ok(refusal({ [replicas]: "many" }).includes(schemaPath(replicas)));
    });

    it("a wrong type (a number where a boolean goes)", () => {
      assert.ok(refusal({ "networkPolicy.enabled": 3 }).includes(schemaPath("networkPolicy.enabled")));
    });

    it("an unknown key at the top level", () => {
      assert.match(refusal({ notAValueOfThisChart: "x" }), /notAValueOfThisChart/);
    });

    it("a negative replica count, wherever replicas are set", () => {
      const all = numericLeaves((key) => key === "replicas");
      assert.ok(all.length > 0);
      for (const path of all) assert.ok(refusal({ [path]: -1 }).includes(schemaPath(path)), path);
    });

    it("a negative replica count in a verify pool (a pool otherwise accepted)", () => {
      assert.match(renderChartText({ set: pool(1) }), /kind: Deployment/);
      assert.ok(refusal(pool(-2)).includes("'/verifyPools/0/replicas'"));
    });
  });

  it("refuses a secret in an actor's env map (it would land in a ConfigMap), and takes other variables", () => {
    assert.match(renderChartText({ set: { "gateway.env.GATEWAY_MAX_TOKENS": "2048" } }), /GATEWAY_MAX_TOKENS: "2048"/);
    for (const name of ["JOBS_WEBHOOK_SECRET", "GATEWAY_ADMIN_TOKEN", "MY_PASSWORD"])
      assert.ok(refusal({ [`gateway.env.${name}`]: "x".repeat(20) }).includes(`invalid propertyName '${name}'`), name);
  });

  it("gives a verify pool's selfDraft to its verifiers (SELF_DRAFT_*) and refuses one on a draft pool", () => {
    const rendered = renderChartText({
      set: {
        ...pool(1),
        "verifyPools[0].selfDraft.uri": "hf:owner/repo/draft.gguf",
        "verifyPools[0].selfDraft.window": 0,
      },
    });
    assert.match(rendered, /SELF_DRAFT_MODEL: "hf:owner\/repo\/draft.gguf"/);
    assert.match(rendered, /SELF_DRAFT_WINDOW: "0"/);
    assert.doesNotMatch(rendered, /SELF_DRAFT_THREADS/);
    assert.match(rendered, /UV_THREADPOOL_SIZE: "1"/);
    assert.doesNotMatch(renderChartText({ set: pool(1) }), /SELF_DRAFT_MODEL/);
    const draftPool = Object.fromEntries(
      Object.entries(pool(1)).map(([key, value]) => [key.replace("verifyPools", "draftPools"), value]),
    );
    assert.ok(
      refusal({ ...draftPool, "draftPools[0].selfDraft.uri": "hf:owner/repo/draft.gguf" }).includes(
        "only a verify pool drafts for itself",
      ),
    );
  });

  it("refuses an image tagged latest", () => {
    assert.ok(refusal({ "image.tag": "latest" }).includes(schemaPath("image.tag")));
  });
});
