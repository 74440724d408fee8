import assert from "node:assert/strict";
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { defaultModelPath } from "#infra";
import { BUILDER_VERSION, deriveModel, ensureDerivedModel, RECIPES, widenModel } from "#models";

describe("model tooling refuses what would hurt", () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "specfleet-safety-"));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("will not derive a model onto itself, and leaves it intact", async () => {
    const model = join(dir, "self.gguf");
    await copyFile(defaultModelPath(), model);
    await assert.rejects(deriveModel(model, model, { quantize: "q8_0" }), /is the input: write to another file/);
    assert.deepEqual(await readFile(model), await readFile(defaultModelPath()));
  });

  it("refuses sizes that are not whole numbers, writing nothing", async () => {
    const out = join(dir, "bad-widen.gguf");
    await assert.rejects(
      widenModel(defaultModelPath(), out, { embd: 128, ff: 256, layers: 6.5 }),
      /--layers must be a whole number above 0, got 6.5/,
    );
    await assert.rejects(
      widenModel(defaultModelPath(), out, { embd: Number.NaN, ff: 256, layers: 6 }),
      /--embd must be a whole number/,
    );
    assert.deepEqual(
      (await readdir(dir)).filter((f) => f.startsWith("bad-widen")),
      [],
    );
  });

  it("keeps two sources of the same name apart in the cache, and records the builder", async () => {
    const cache = join(dir, "cache");
    const a = join(dir, "a");
    const b = join(dir, "b");
    await mkdir(a);
    await mkdir(b);
    await copyFile(defaultModelPath(), join(a, "model.gguf"));
    await copyFile(defaultModelPath(), join(b, "model.gguf"));
    const fromA = await ensureDerivedModel(join(a, "model.gguf"), RECIPES.q4_0, cache);
    const fromB = await ensureDerivedModel(join(b, "model.gguf"), RECIPES.q4_0, cache);
    assert.notEqual(fromA, fromB);
    assert.equal(await ensureDerivedModel(join(a, "model.gguf"), RECIPES.q4_0, cache), fromA, "reused, not rebuilt");
    const record = JSON.parse(await readFile(fromA.replace(/\.gguf$/, ".json"), "utf8")) as {
      builder: number;
      source: string;
    };
    assert.equal(record.builder, BUILDER_VERSION);
    assert.equal(record.source, join(a, "model.gguf"));
    assert.deepEqual(
      (await readdir(cache)).filter((f) => f.includes(".partial")),
      [],
    );
  });
});
