import { readFileSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "#infra";

/** One query of a Grafana panel, as Grafana would send it to Prometheus. */
export interface PanelQuery {
  panel: string;
  refId: string;
  /** The panel's PromQL with Grafana's interval variables replaced. */
  expr: string;
  /** The datasource uid the target names (`${datasource}` for the dashboard's variable). */
  datasourceUid: string | undefined;
}

interface GrafanaPanel {
  type: string;
  title: string;
  datasource?: { uid?: string };
  targets?: Array<{ expr?: string; refId: string; datasource?: { uid?: string } }>;
  panels?: GrafanaPanel[];
}

export interface GrafanaIntervals {
  /** `$__rate_interval`: Grafana's max($__interval + scrape interval, 4 × scrape interval). */
  rateInterval: string;
  /** `$__interval`: the time range divided by the graph's width. */
  interval: string;
}

/** The shipped dashboard, docs/grafana/specfleet-dashboard.json. */
export function shippedDashboard(): { panels: GrafanaPanel[] } {
  return JSON.parse(readFileSync(join(projectRoot(), "docs", "grafana", "specfleet-dashboard.json"), "utf8")) as {
    panels: GrafanaPanel[];
  };
}

/** Every query of every panel (rows' nested panels included), intervals substituted. */
export function panelQueries(dashboard: { panels: GrafanaPanel[] }, intervals: GrafanaIntervals): PanelQuery[] {
  const flat = (panels: GrafanaPanel[]): GrafanaPanel[] => panels.flatMap((p) => [p, ...flat(p.panels ?? [])]);
  return flat(dashboard.panels).flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({
      panel: panel.title,
      refId: target.refId,
      datasourceUid: target.datasource?.uid ?? panel.datasource?.uid,
      expr: (target.expr ?? "")
        .replaceAll(/\$\{?__rate_interval\}?/g, intervals.rateInterval)
        .replaceAll(/\$\{?__interval\}?/g, intervals.interval),
    })),
  );
}
