import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "#infra";
import { CHART_DIR } from "../../test/support/helm.js";
import { ALL_ACTOR_VARIABLES } from "./actor-variables.js";
import { documentedValues, valuesTable, withValuesTable } from "./values-table.js";

// npm run chart:docs: rewrites helm/specfleet/README.md's values table from values.yaml's `# --` comments.
const path = join(projectRoot(), CHART_DIR, "README.md");
const readme = readFileSync(path, "utf8");
const updated = withValuesTable(readme, valuesTable(documentedValues(), ALL_ACTOR_VARIABLES));
writeFileSync(path, updated);
process.stdout.write(`chart:docs: ${updated === readme ? "unchanged" : "rewrote"} the values table of ${path}\n`);
