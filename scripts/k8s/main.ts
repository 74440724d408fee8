import { join } from "node:path";
import { projectRoot } from "#infra";
import { writeK8s } from "./generate.js";

// npm run k8s:generate [-- --out DIR]: writes k8s/base and k8s/overlays from helm/specfleet.
const at = process.argv.indexOf("--out");
const outDir = at >= 0 && process.argv[at + 1] ? process.argv[at + 1]! : join(projectRoot(), "k8s");
writeK8s(outDir);
process.stdout.write(`k8s: generated ${outDir}/base and ${outDir}/overlays from helm/specfleet\n`);
