import { readFileSync } from "node:fs";
import { join } from "node:path";
import { isMap, isScalar, parseDocument, type Pair, type YAMLMap } from "yaml";
import { projectRoot } from "#infra";
import { CHART_DIR } from "../../test/support/helm.js";

/** One row of the chart README's values table. */
export interface ValueDoc {
  key: string;
  default: unknown;
  /** The `# --` comment's text, lines joined. */
  description: string;
}

export const VALUES_TABLE_HEADING = "### Values and the variables they set";

/** The `# --` part of the comment lines right above `offset`'s line (no blank line between). */
function docCommentAbove(source: string, offset: number): string | undefined {
  const lines = source.slice(0, offset).split("\n");
  lines.pop();
  const block: string[] = [];
  for (let line = lines.pop(); line !== undefined && /^\s*#/.test(line); line = lines.pop()) block.unshift(line);
  const start = block.findIndex((line) => /^\s*# --/.test(line));
  if (start < 0) return undefined;
  return block
    .slice(start)
    .map((line) => line.replace(/^\s*#( --)?\s?/, "").trim())
    .join(" ")
    .trim();
}

/**
 * values.yaml's documented values, by helm-docs' rule: a key with a `# --` comment is one row (its
 * whole value, a map included); a key without one is a row when its value is not a map with keys,
 * else its keys are looked at in turn.
 */
export function documentedValues(): ValueDoc[] {
  const source = readFileSync(join(projectRoot(), CHART_DIR, "values.yaml"), "utf8");
  const doc = parseDocument(source);
  const rows: ValueDoc[] = [];
  const walk = (map: YAMLMap, path: string[]): void => {
    for (const pair of map.items as Array<Pair>) {
      if (!isScalar(pair.key)) continue;
      const key = [...path, String(pair.key.value)];
      const description = docCommentAbove(source, pair.key.range?.[0] ?? 0);
      if (description === undefined && isMap(pair.value) && pair.value.items.length > 0) walk(pair.value, key);
      else
        rows.push({
          key: key.join("."),
          default: (pair.value as { toJSON(): unknown } | null)?.toJSON() ?? null,
          description: description ?? "",
        });
    }
  };
  if (isMap(doc.contents)) walk(doc.contents, []);
  return rows;
}

/** `{"a": 1, "b": [2, 3]}`: JSON with a space after `:` and `,`, as the table shows defaults. */
export function defaultText(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(defaultText).join(", ")}]`;
  if (value !== null && typeof value === "object")
    return `{${Object.entries(value)
      .map(([key, item]) => `${JSON.stringify(key)}: ${defaultText(item)}`)
      .join(", ")}}`;
  return JSON.stringify(value);
}

/** The table's lines: value, default, the actors' variables its meaning names (of `variables`), meaning. */
export function valuesTable(rows: ValueDoc[], variables: ReadonlySet<string>): string[] {
  const lines = ["| value | default | sets | meaning |", "|---|---|---|---|"];
  for (const row of rows) {
    const named = [...new Set(row.description.match(/\b[A-Z][A-Z0-9_]+\b/g) ?? [])].filter((name) =>
      variables.has(name),
    );
    const sets = named.length > 0 ? named.map((name) => `\`${name}\``).join(", ") : "—";
    const meaning = row.description.replaceAll("|", "\\|");
    lines.push(`| \`${row.key}\` | \`${defaultText(row.default)}\` | ${sets} | ${meaning} |`);
  }
  return lines;
}

/** The README with its values table (the table right under VALUES_TABLE_HEADING) replaced by `table`. */
export function withValuesTable(readme: string, table: string[]): string {
  const lines = readme.split("\n");
  const heading = lines.indexOf(VALUES_TABLE_HEADING);
  if (heading < 0) throw new Error(`the chart README has no "${VALUES_TABLE_HEADING}"`);
  let start = heading + 1;
  while (start < lines.length && !lines[start]!.startsWith("|")) start++;
  let end = start;
  while (end < lines.length && lines[end]!.startsWith("|")) end++;
  return [...lines.slice(0, start), ...table, ...lines.slice(end)].join("\n");
}

/** The README's values table as it is: key -> default column (parsed as JSON). */
export function readmeValuesTable(readme: string): Map<string, unknown> {
  const start = readme.indexOf(VALUES_TABLE_HEADING);
  if (start < 0) throw new Error(`the chart README has no "${VALUES_TABLE_HEADING}"`);
  const section = readme.slice(start + VALUES_TABLE_HEADING.length).split(/\n#{1,3} /)[0]!;
  const rows = new Map<string, unknown>();
  for (const match of section.matchAll(/^\| `([^`]+)` \| `(.*?)` \|/gm)) {
    if (rows.has(match[1]!)) throw new Error(`the values table lists ${match[1]} twice`);
    rows.set(match[1]!, JSON.parse(match[2]!) as unknown);
  }
  return rows;
}
