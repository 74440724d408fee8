import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import pino from "pino";
import { defaultModelPath } from "#infra";
import { createLlama } from "#llama";
import { loadNativeOrWarn } from "#worker";

/** A logger whose lines are kept, parsed. */
function recordingLogger() {
  const lines: Array<{ level: number; msg: string }> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as { level: number; msg: string });
      done();
    },
  });
  return { log: pino({ level: "info" }, stream), lines };
}

const OPTIONS = { contextSize: 256, sequences: 2, threads: 1, use: "verify" } as const;

void describe("loadNativeOrWarn", () => {
  void it("leaves a GPU worker on node-llama-cpp: the native runner is CPU-only", async () => {
    const { log, lines } = recordingLogger();
    assert.equal(loadNativeOrWarn(defaultModelPath(), OPTIONS, "verifying greedy sessions", "cuda", log), null);
    await new Promise((resolve) => setImmediate(resolve));
    assert.match(lines[0]!.msg, /CPU-only: verifying greedy sessions through node-llama-cpp/);
  });

  void it("loads the model on a CPU worker, and warns and goes on without it when it will not load", async () => {
    const llama = await createLlama(1); // loads the compute backends the runner uses
    try {
      const { log, lines } = recordingLogger();
      const native = loadNativeOrWarn(defaultModelPath(), OPTIONS, "verifying greedy sessions", "off", log);
      assert.ok(native, "bash scripts/setup.sh builds the native runner");
      native.close();
      assert.equal(loadNativeOrWarn("/nonexistent/model.gguf", OPTIONS, "drafting for itself", "off", log), null);
      await new Promise((resolve) => setImmediate(resolve));
      const warning = lines.find((line) => line.level === 40);
      assert.match(warning?.msg ?? "", /failed to load: drafting for itself through node-llama-cpp/);
    } finally {
      await llama.dispose();
    }
  });
});
