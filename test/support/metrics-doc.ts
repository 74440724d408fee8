import { readFileSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "#infra";

/**
 * The PromQL examples of docs/metrics.md: each ```promql block's expressions, one per line that
 * starts at column 0 (indented lines and lines starting with `)` continue it; `#` lines are comments).
 */
export function docPromQL(): string[] {
  const markdown = readFileSync(join(projectRoot(), "docs", "metrics.md"), "utf8");
  const expressions: string[] = [];
  for (const [, block = ""] of markdown.matchAll(/```promql\n([\s\S]*?)```/g)) {
    for (const line of block.split("\n")) {
      if (line.trim() === "" || line.trimStart().startsWith("#")) continue;
      const continues = /^[\s)]/.test(line) && expressions.length > 0;
      if (continues) expressions[expressions.length - 1] += `\n${line}`;
      else expressions.push(line);
    }
  }
  return expressions;
}
