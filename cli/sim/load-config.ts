import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import YAML from "yaml";
import { simConfigSchema, type SimConfig } from "#sim";

/** A configuration file's contents before validation, and the folder its paths are relative to. */
export interface RawConfig {
  path: string;
  baseDir: string;
  raw: Record<string, unknown>;
}

export function readRawConfig(path: string): RawConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new Error(`cannot read ${path}: ${(error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = YAML.parse(text);
  } catch (error) {
    throw new Error(`${path} is not valid YAML: ${(error as Error).message}`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw new Error(`${path}: expected a mapping (seed, workload, verifiers, drafters, …)`);
  return { path, baseDir: dirname(resolve(path)), raw: raw as Record<string, unknown> };
}

/** Validates a configuration; every problem is reported with the path of the field at fault. */
export function validateConfig(config: RawConfig): SimConfig {
  const result = simConfigSchema.safeParse(config.raw);
  if (result.success) return result.data;
  const problems = result.error.issues
    .flatMap((issue) => explained(issue))
    .map((issue) => `  ${issue.path.join(".") || "(top level)"}: ${issue.message}`);
  throw new Error(
    `${config.path} is not a valid simulation:\n${problems.join("\n")}\nSee docs/simulation.md for the schema, or sim/configs/quick.yaml for an example.`,
  );
}

type Issue = { path: PropertyKey[]; message: string; code?: string; errors?: Issue[][] };

/**
 * A union's "Invalid input" says nothing (a profile is a path or a mapping): when every branch
 * but one failed on the value's type alone, that branch's own problems are the ones to show.
 */
function explained(issue: Issue): Issue[] {
  if (issue.code !== "invalid_union" || !issue.errors) return [issue];
  const typeOnly = (branch: Issue[]) =>
    branch.length === 1 && branch[0]!.code === "invalid_type" && branch[0]!.path.length === 0;
  const meant = issue.errors.filter((branch) => !typeOnly(branch));
  if (meant.length !== 1) return [issue];
  return meant[0]!.flatMap((inner) => explained({ ...inner, path: [...issue.path, ...inner.path] }));
}

/** `set(raw, "drafters.0.count", 40)`: a copy with one field replaced (array indices as numbers). */
export function withField(raw: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(raw);
  const keys = path.split(".");
  let node: Record<string, unknown> = copy;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== "object" || next === null) {
      node[key] = {};
    }
    node = node[key] as Record<string, unknown>;
  }
  node[keys.at(-1)!] = value;
  return copy;
}

/** A value on the command line: JSON if it parses (numbers, [10, 30]), a string otherwise. */
export function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
