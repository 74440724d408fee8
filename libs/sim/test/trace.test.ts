import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readTrace, simulate } from "#sim";
import { smallFleet } from "./fleets.js";

const dir = mkdtempSync(join(tmpdir(), "sim-trace-"));
const write = (name: string, lines: string[]) => {
  const path = join(dir, name);
  writeFileSync(path, lines.join("\n"));
  return path;
};
const line = (at: number, promptTokens: number, outputTokens: number) =>
  JSON.stringify({ at, promptTokens, outputTokens });

describe("trace replay", () => {
  it("reads JSONL in arrival order, skipping blank lines, up to the limit", () => {
    const path = write("ok.jsonl", [
      line(300, 10, 20),
      "",
      line(100, 11, 21),
      line(200, 12, 22),
      "  ",
      line(400, 13, 23),
    ]);
    assert.deepEqual(readTrace(path, 3), [
      { id: 0, arrivalMs: 100, promptTokens: 11, outputTokens: 21 },
      { id: 1, arrivalMs: 200, promptTokens: 12, outputTokens: 22 },
      { id: 2, arrivalMs: 300, promptTokens: 10, outputTokens: 20 },
    ]);
    assert.equal(readTrace(path, 100).length, 4);
  });

  const bad: Array<{ what: string; lines: string[]; message: RegExp }> = [
    { what: "not JSON", lines: [line(0, 1, 1), line(5, 1, 1), "{at: 3"], message: /bad-1\.jsonl:3: not JSON/ },
    {
      what: "a missing field",
      lines: [line(0, 1, 1), JSON.stringify({ at: 5, promptTokens: 4 })],
      message: /bad-2\.jsonl:2: outputTokens/,
    },
    { what: "a negative time", lines: ["", line(-1, 1, 1)], message: /bad-3\.jsonl:2: at/ },
    {
      what: "a fractional token count",
      lines: [line(0, 1, 1), line(1, 1, 1), line(2, 1, 1), line(3, 2.5, 1)],
      message: /bad-4\.jsonl:4: promptTokens/,
    },
  ];
  bad.forEach((c, i) => {
    it(`rejects ${c.what} with its line number`, () => {
      const path = write(`bad-${i + 1}.jsonl`, c.lines);
      assert.throws(() => readTrace(path, 100), c.message);
    });
  });

  it("rejects an empty trace", () => assert.throws(() => readTrace(write("empty.jsonl", ["", ""]), 10), /no requests/));

  it("drives a simulation, its path relative to the configuration's folder", () => {
    write("run.jsonl", [line(0, 16, 30), line(50, 16, 30), line(5000, 16, 30)]);
    const config = smallFleet({ workload: { arrivals: { kind: "trace", path: "run.jsonl" }, requests: 10 } });
    const summary = simulate(config, { baseDir: dir });
    assert.equal(summary.requests.completed, 3);
    // From the first arrival (0) past the last one (5 s).
    assert.ok(summary.durationMs > 5000 && summary.durationMs < 7000, String(summary.durationMs));
  });

  it("a bad line stops the simulation with its line number", () => {
    write("run-bad.jsonl", [line(0, 16, 30), line(50, 0, 30)]);
    const config = smallFleet({ workload: { arrivals: { kind: "trace", path: "run-bad.jsonl" }, requests: 10 } });
    assert.throws(() => simulate(config, { baseDir: dir }), /run-bad\.jsonl:2: promptTokens/);
  });
});
