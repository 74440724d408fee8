import * as vega from "vega";
import * as vl from "vega-lite";
import type { SimSummary } from "#sim";

type Row = Record<string, string | number>;

/** A Vega-Lite chart rendered to SVG (headless: no browser, no canvas). */
export async function renderSvg(spec: vl.TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: "none" });
  return view.toSVG();
}

const base = { $schema: "https://vega.github.io/schema/vega-lite/v6.json", width: 480, height: 240 } as const;

/** One run: TTFT and time per output token at the mean and each percentile. */
export function latencyChart(summary: SimSummary, title: string): vl.TopLevelSpec {
  const values: Row[] = [];
  for (const [metric, d] of [
    ["TTFT", summary.ttftMs],
    ["time per output token", summary.tpotMs],
  ] as const) {
    for (const stat of ["mean", "p50", "p95", "p99"] as const) values.push({ metric, stat, ms: d[stat] });
  }
  return {
    ...base,
    title,
    data: { values },
    facet: { column: { field: "metric", type: "nominal", title: null } },
    spec: {
      width: 220,
      height: 220,
      mark: { type: "bar", tooltip: true },
      encoding: {
        x: { field: "stat", type: "nominal", sort: ["mean", "p50", "p95", "p99"], title: null },
        y: { field: "ms", type: "quantitative", title: "ms" },
        color: { field: "stat", type: "nominal", legend: null },
      },
    },
    resolve: { scale: { y: "independent" } },
  } as unknown as vl.TopLevelSpec;
}

/** One run: each verifier's utilisation, busiest first. */
export function utilisationChart(summary: SimSummary, title: string): vl.TopLevelSpec {
  return {
    ...base,
    title,
    data: { values: summary.verifiers.map((v) => ({ verifier: v.id, utilisation: v.utilisation })) },
    mark: { type: "bar", tooltip: true },
    encoding: {
      x: {
        field: "verifier",
        type: "nominal",
        sort: "-y",
        axis: summary.verifiers.length > 30 ? { labels: false } : {},
      },
      y: { field: "utilisation", type: "quantitative", scale: { domain: [0, 1] }, axis: { format: "%" } },
    },
  } as vl.TopLevelSpec;
}

/** A sweep: one metric against the swept parameter, a line per series (or bars for names). */
export function sweepChart(
  rows: Row[],
  param: string,
  metric: string,
  title: string,
  series?: string,
  metricLabel = metric,
): vl.TopLevelSpec {
  const numeric = rows.every((r) => typeof r[param] === "number");
  return {
    ...base,
    title,
    data: { values: rows },
    mark: numeric ? { type: "line", point: true, tooltip: true } : { type: "bar", tooltip: true },
    encoding: {
      x: { field: param, type: numeric ? "quantitative" : "nominal", sort: null },
      y: { field: metric, type: "quantitative", title: metricLabel },
      ...(series
        ? { color: { field: series, type: "nominal", legend: { labelLimit: 320 } } }
        : numeric
          ? {}
          : { color: { field: param, type: "nominal", legend: null } }),
      ...(series && !numeric ? { xOffset: { field: series } } : {}),
    },
  } as vl.TopLevelSpec;
}
