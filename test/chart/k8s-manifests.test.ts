import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { spawnSync } from "node:child_process";
import { after, describe, it } from "node:test";
import { projectRoot } from "#infra";
import { baseTree, identityOf, overlayTree } from "../../scripts/k8s/manifests.js";
import {
  GENERATED_FOLDERS,
  K8S_RELEASE,
  OVERLAYS,
  renderBase,
  renderOverlay,
  writeK8s,
} from "../../scripts/k8s/generate.js";
import { isHelmHook, kubectlBinary, parseManifests, renderChart, type K8sObject } from "../support/helm.js";

function filesUnder(root: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else files.set(relative(root, path), readFileSync(path, "utf8"));
    }
  };
  for (const folder of GENERATED_FOLDERS) walk(join(root, folder));
  return files;
}

/** `kubectl kustomize` (the kubectl shipped beside Helm in the same npm package: no skip, one version). */
function kustomize(dir: string): K8sObject[] {
  const result = spawnSync(kubectlBinary(), ["kustomize", dir], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  assert.equal(result.status, 0, `kubectl kustomize ${dir}: ${result.stderr}`);
  return parseManifests(result.stdout);
}

/** Objects by identity (kustomize orders by kind, Helm by install order: order is not compared). */
function byIdentity(objects: K8sObject[]): Map<string, K8sObject> {
  const map = new Map(objects.map((object) => [identityOf(object), object]));
  assert.equal(map.size, objects.length, "an object appears twice");
  return map;
}

function assertSameObjects(actual: K8sObject[], expected: K8sObject[], what: string): void {
  const got = byIdentity(actual);
  const want = byIdentity(expected.filter((object) => !isHelmHook(object)));
  assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort(), `${what}: the objects differ`);
  for (const [id, object] of want) assert.deepEqual(got.get(id), object, `${what}: ${id} differs`);
}

describe("k8s/: plain manifests generated from the chart", () => {
  const k8s = join(projectRoot(), "k8s");
  const scratch = mkdtempSync(join(tmpdir(), "specfleet-k8s-"));
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it("the committed k8s/ is what `npm run k8s:generate` writes now (no drift from the chart)", () => {
    writeK8s(scratch);
    const fresh = filesUnder(scratch);
    const committed = filesUnder(k8s);
    const hint = "run `npm run k8s:generate` and commit k8s/";
    assert.deepEqual([...committed.keys()].sort(), [...fresh.keys()].sort(), `k8s/ has other files: ${hint}`);
    for (const [file, text] of fresh) assert.equal(committed.get(file), text, `k8s/${file} drifted: ${hint}`);
  });

  it("kubectl kustomize k8s/base equals helm template with the chart's defaults", () => {
    assertSameObjects(kustomize(join(k8s, "base")), renderBase(), "k8s/base");
  });

  for (const overlay of OVERLAYS)
    it(`kubectl kustomize k8s/overlays/${overlay.name} equals helm template -f ${overlay.valuesFile}`, () => {
      const expected = renderOverlay(overlay.valuesFile);
      assertSameObjects(kustomize(join(k8s, "overlays", overlay.name)), expected, `k8s/overlays/${overlay.name}`);
      // Not vacuous: the overlay differs from the base, and the patches carry that difference.
      assert.notDeepEqual(byIdentity(renderBase()), byIdentity(expected.filter((o) => !isHelmHook(o))));
    });

  it("an overlay that removes objects (dashboard off) and changes others builds to its render too", () => {
    const base = renderBase();
    const target = renderChart({ ...K8S_RELEASE, set: { "dashboard.enabled": false, "gateway.replicas": 3 } });
    const dir = join(scratch, "removing");
    const tree = new Map([
      ...[...baseTree(base)].map(([file, text]) => [`base/${file}`, text] as const),
      ...[...overlayTree(base, target, "--set dashboard.enabled=false")].map(
        ([file, text]) => [`overlays/x/${file}`, text] as const,
      ),
    ]);
    writeK8s(dir, tree);
    assert.ok(
      [...tree.keys()].some((file) => file.startsWith("overlays/x/deleted/")),
      "nothing was deleted",
    );
    assert.ok(
      [...tree.keys()].some((file) => file.startsWith("overlays/x/patches/")),
      "nothing was patched",
    );
    assertSameObjects(kustomize(join(dir, "overlays", "x")), target, "removing overlay");
  });

  it("the README names every Secret the base and the overlays reference", () => {
    const readme = readFileSync(join(k8s, "README.md"), "utf8");
    const headers = ["base", ...OVERLAYS.map((overlay) => `overlays/${overlay.name}`)].map((dir) =>
      readFileSync(join(k8s, dir, "kustomization.yaml"), "utf8"),
    );
    const secrets = headers.flatMap((header) => [...header.matchAll(/^# {3}- (\S+)$/gm)].map((match) => match[1]!));
    assert.ok(secrets.length > 0, "no kustomization.yaml lists a Secret");
    for (const name of secrets) assert.ok(readme.includes(name), `k8s/README.md does not name ${name}`);
  });
});
