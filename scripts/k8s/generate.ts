import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { renderChart, type K8sObject, type RenderOptions } from "../../test/support/helm.js";
import { baseTree, overlayTree, type FileTree } from "./manifests.js";

/** k8s/ is the chart rendered with these: change them here and in k8s/README.md together. */
export const K8S_RELEASE: RenderOptions = { releaseName: "specfleet", namespace: "specfleet" };

/** Each overlay is the chart rendered with one of the chart's CI values files. */
export const OVERLAYS = [
  { name: "cpu-demo", valuesFile: "helm/specfleet/ci/minimal.yaml" },
  { name: "gpu-cluster", valuesFile: "helm/specfleet/ci/gpu.yaml" },
] as const;

/** The folders of k8s/ the generator owns (README.md beside them is written by hand). */
export const GENERATED_FOLDERS = ["base", "overlays"];

export function renderBase(): K8sObject[] {
  return renderChart(K8S_RELEASE);
}

export function renderOverlay(valuesFile: string): K8sObject[] {
  return renderChart({ ...K8S_RELEASE, valuesFiles: [valuesFile] });
}

/** Every generated file of k8s/, by its path under k8s/. */
export function k8sTree(): FileTree {
  const base = renderBase();
  const tree: FileTree = new Map();
  for (const [file, text] of baseTree(base)) tree.set(`base/${file}`, text);
  for (const overlay of OVERLAYS)
    for (const [file, text] of overlayTree(base, renderOverlay(overlay.valuesFile), overlay.valuesFile))
      tree.set(`overlays/${overlay.name}/${file}`, text);
  return tree;
}

/** Writes the generated folders under `outDir`, removing what a previous run left there. */
export function writeK8s(outDir: string, tree: FileTree = k8sTree()): void {
  for (const folder of GENERATED_FOLDERS) rmSync(join(outDir, folder), { recursive: true, force: true });
  for (const [file, text] of tree) {
    const path = join(outDir, file);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  }
}
