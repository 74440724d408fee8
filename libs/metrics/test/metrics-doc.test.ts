import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { projectRoot } from "#infra";
import { metricCatalog, type CatalogEntry } from "#metrics";

interface DocRow {
  name: string;
  type: string;
  labels: string[];
  actor: string;
}

/** The rows of docs/metrics.md's metric table: `| \`name\` | type | \`a\`, \`b\` (or —) | actor | … |`. */
function docRows(markdown: string): DocRow[] {
  return markdown
    .split("\n")
    .filter((line) => line.startsWith("| `specfleet:"))
    .map((line) => {
      const [name = "", type = "", labels = "", actor = ""] = line
        .split("|")
        .slice(1, 5)
        .map((cell) => cell.trim());
      return {
        name: name.replaceAll("`", ""),
        type,
        labels: labels === "—" ? [] : labels.split(",").map((label) => label.trim().replaceAll("`", "")),
        actor,
      };
    });
}

/** Every `specfleet:` metric named in a text, with a histogram's `_bucket` / `_sum` / `_count` taken off. */
function namesUsed(text: string, catalog: Set<string>): Set<string> {
  const used = new Set<string>();
  for (const [match] of text.matchAll(/specfleet:[a-zA-Z0-9_:]+/g)) {
    const base = match.replace(/_(bucket|sum|count)$/, "");
    used.add(catalog.has(match) ? match : base);
  }
  return used;
}

const markdown = readFileSync(join(projectRoot(), "docs", "metrics.md"), "utf8");
const grafana = readFileSync(join(projectRoot(), "docs", "grafana", "specfleet-dashboard.json"), "utf8");

void describe("docs/metrics.md", () => {
  void it("lists every metric of the catalog, with its type, labels and actor", async () => {
    const rows = new Map(docRows(markdown).map((row) => [row.name, row]));
    const catalog = await metricCatalog();
    assert.ok(catalog.length > 30, "the catalog is read");
    const sorted = (labels: string[]) => [...labels].sort();
    for (const entry of catalog) {
      const row = rows.get(entry.name);
      assert.ok(row, `${entry.name} (${entry.actor}) is missing from docs/metrics.md's table`);
      assert.deepEqual(
        { type: row.type, labels: sorted(row.labels), actor: row.actor },
        { type: entry.type, labels: sorted(entry.labels), actor: entry.actor },
        `${entry.name}: the table's type, labels and actor`,
      );
    }
  });

  void it("lists nothing the catalog does not declare, and nothing twice", async () => {
    const names = new Set((await metricCatalog()).map((entry: CatalogEntry) => entry.name));
    const rows = docRows(markdown);
    assert.equal(new Set(rows.map((row) => row.name)).size, rows.length, "a metric listed twice");
    for (const row of rows) assert.ok(names.has(row.name), `${row.name} is in the table but no factory declares it`);
  });

  void it("names only declared metrics in its prose and PromQL examples", async () => {
    const names = new Set((await metricCatalog()).map((entry) => entry.name));
    for (const name of namesUsed(markdown, names)) assert.ok(names.has(name), `docs/metrics.md mentions ${name}`);
  });
});

interface GrafanaPanel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: Array<{ expr: string; datasource?: { type: string; uid: string } }>;
}

void describe("docs/grafana/specfleet-dashboard.json", () => {
  const dashboard = JSON.parse(grafana) as {
    schemaVersion: number;
    uid: string;
    panels: GrafanaPanel[];
    templating: { list: Array<{ name: string; type: string; query: string }> };
  };

  void it("is a Grafana dashboard on a Prometheus datasource variable, panels on a 24-column grid without overlap", () => {
    assert.ok(dashboard.schemaVersion >= 36, `schemaVersion ${dashboard.schemaVersion}`);
    const variable = dashboard.templating.list.find((v) => v.name === "datasource");
    assert.deepEqual({ type: variable?.type, query: variable?.query }, { type: "datasource", query: "prometheus" });
    const ids = dashboard.panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, "panel ids are unique");
    const cells = new Set<string>();
    for (const { title, gridPos: g } of dashboard.panels) {
      assert.ok(g.x >= 0 && g.w > 0 && g.x + g.w <= 24, `${title} fits the 24 columns`);
      for (let x = g.x; x < g.x + g.w; x++)
        for (let y = g.y; y < g.y + g.h; y++) {
          assert.ok(!cells.has(`${x},${y}`), `${title} overlaps another panel at ${x},${y}`);
          cells.add(`${x},${y}`);
        }
    }
    for (const panel of dashboard.panels.filter((p) => p.type !== "row")) {
      assert.ok((panel.targets ?? []).length > 0, `${panel.title} has queries`);
      for (const target of [panel.datasource, ...(panel.targets ?? []).map((t) => t.datasource)])
        assert.deepEqual(target, { type: "prometheus", uid: "${datasource}" }, `${panel.title} uses $datasource`);
    }
  });

  void it("queries only declared metrics", async () => {
    const names = new Set((await metricCatalog()).map((entry) => entry.name));
    const used = namesUsed(grafana, names);
    assert.ok(used.size >= 10, "the dashboard's panels query SpecFleet metrics");
    for (const name of used) assert.ok(names.has(name), `a panel queries ${name}, which no factory declares`);
  });
});
