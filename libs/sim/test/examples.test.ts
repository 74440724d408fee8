import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import YAML from "yaml";
import { simConfigSchema, simulate } from "#sim";

/** Every example in sim/configs parses and runs (on fewer requests): the examples cannot rot. */
describe("sim/configs examples", () => {
  const dir = resolve("sim/configs");
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".yaml"))) {
    it(file, () => {
      const raw = YAML.parse(readFileSync(join(dir, file), "utf8")) as { workload: { requests?: number } };
      raw.workload.requests = 60;
      const summary = simulate(simConfigSchema.parse(raw), { baseDir: dir });
      assert.equal(summary.requests.completed + summary.requests.failed, 60);
      assert.ok(summary.throughput.tokensPerSecond > 0);
    });
  }
});
