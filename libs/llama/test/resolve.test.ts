import assert from "node:assert/strict";
import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { defaultModelPath, projectRoot } from "#infra";
import { isModelUri, modelNameFromLocation, resolveModelLocation } from "#llama";

describe("model resolution", () => {
  let cache: string;

  before(async () => {
    cache = await mkdtemp(join(tmpdir(), "specfleet-models-"));
    await copyFile(defaultModelPath(), join(cache, "tiny-q9.gguf"));
  });

  after(async () => {
    await rm(cache, { recursive: true, force: true });
  });

  it("takes an existing path as it is", async () => {
    assert.equal(await resolveModelLocation(defaultModelPath(), cache), defaultModelPath());
  });

  it("finds a model by name in the cache folder, with or without .gguf", async () => {
    assert.equal(await resolveModelLocation("tiny-q9", cache), join(cache, "tiny-q9.gguf"));
    assert.equal(await resolveModelLocation("tiny-q9.gguf", cache), join(cache, "tiny-q9.gguf"));
  });

  it("says what it tried when nothing matches", async () => {
    await assert.rejects(
      resolveModelLocation("no-such-model", cache),
      /no model at no-such-model, nor .*no-such-model\.gguf: give a GGUF path, a name in the cache, or an hf: URI/,
    );
  });

  it("a worker given an unreachable URI stops in bounded time, saying why", async () => {
    // This machine has no route to the hub. The pending request would keep a process alive,
    // so the check runs where users meet it: a verify-worker process, which must exit.
    const child = spawn(process.execPath, [join(projectRoot(), "dist/services/verify-worker/src/main.js")], {
      env: {
        ...process.env,
        WORKER_ID: "v-uri",
        MODEL_PATH: "hf:ggml-org/models/tinyllamas/stories260K.gguf",
        MODEL_CACHE_DIR: cache,
        MODEL_FETCH_TIMEOUT_MS: "2000",
        NATS_URL: "nats://127.0.0.1:1",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const [code] = (await once(child, "exit")) as [number | null];
    assert.equal(code, 1);
    assert.match(output, /"msg":"could not start"/);
    assert.match(
      output,
      /could not fetch the model hf:ggml-org\/models\/tinyllamas\/stories260K\.gguf .*give its local path instead/,
    );
  });

  it("tells URIs from paths and names models after their file", () => {
    assert.equal(isModelUri("hf:owner/repo/file.gguf"), true);
    assert.equal(isModelUri("https://example.org/m.gguf"), true);
    assert.equal(isModelUri("./models/m.gguf"), false);
    assert.equal(modelNameFromLocation("hf:ggml-org/models/tinyllamas/stories260K.gguf"), "stories260K");
    assert.equal(modelNameFromLocation("/x/y/target-w1024.gguf"), "target-w1024");
  });
});
