import { readFileSync } from "node:fs";
import { join } from "node:path";
import { isMap, isScalar, parseDocument, type Pair, type YAMLMap } from "yaml";
import { projectRoot } from "#infra";
import { CHART_DIR } from "../support/helm.js";

/**
 * The rows values.yaml's table must have, by helm-docs' rule: a key with a `# --` comment is one row
 * (its whole value, a map included); a key without one is a row when its value is not a map with
 * keys, else its keys are looked at in turn.
 */
export function documentedValues(): Map<string, unknown> {
  const source = readFileSync(join(projectRoot(), CHART_DIR, "values.yaml"), "utf8");
  const doc = parseDocument(source);
  const rows = new Map<string, unknown>();
  const hasDocComment = (offset: number): boolean => {
    // The comment lines right above the key's line (no blank line between).
    const lines = source.slice(0, offset).split("\n");
    lines.pop();
    const block: string[] = [];
    for (let line = lines.pop(); line !== undefined && /^\s*#/.test(line); line = lines.pop()) block.unshift(line);
    return block.some((line) => /^\s*# --/.test(line));
  };
  const walk = (map: YAMLMap, path: string[]): void => {
    for (const pair of map.items as Array<Pair>) {
      if (!isScalar(pair.key)) continue;
      const key = [...path, String(pair.key.value)];
      const offset = pair.key.range?.[0] ?? 0;
      if (!hasDocComment(offset) && isMap(pair.value) && pair.value.items.length > 0) walk(pair.value, key);
      else rows.set(key.join("."), (pair.value as { toJSON(): unknown } | null)?.toJSON() ?? null);
    }
  };
  if (isMap(doc.contents)) walk(doc.contents, []);
  return rows;
}

/** The README's values table: key -> its Default column, parsed as JSON. */
export function readmeValuesTable(heading = "### Values and the variables they set"): Map<string, unknown> {
  const readme = readFileSync(join(projectRoot(), CHART_DIR, "README.md"), "utf8");
  const start = readme.indexOf(heading);
  if (start < 0) throw new Error(`helm/specfleet/README.md has no "${heading}"`);
  const section = readme.slice(start + heading.length).split(/\n#{1,3} /)[0]!;
  const rows = new Map<string, unknown>();
  for (const match of section.matchAll(/^\| `([^`]+)` \| `(.*?)` \|/gm)) {
    if (rows.has(match[1]!)) throw new Error(`the values table lists ${match[1]} twice`);
    rows.set(match[1]!, JSON.parse(match[2]!) as unknown);
  }
  return rows;
}
