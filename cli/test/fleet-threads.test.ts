import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { fleetThreads } from "../fleet-threads.js";

const workers = {
  verifiers: [{ id: "verifier-1", modelPath: "/m/t.gguf" }],
  drafters: [{ id: "drafter-1" }, { id: "drafter-2" }],
};

void describe("fleetThreads", () => {
  void it("gives each worker its planned threads and keeps the rest of it", () => {
    const planned = fleetThreads(workers, { threads: 8, fused: false }, 8);
    assert.deepEqual(planned.verifiers, [{ id: "verifier-1", modelPath: "/m/t.gguf", threads: 6 }]);
    assert.deepEqual(
      planned.drafters.map((d) => [d.id, d.threads]),
      [
        ["drafter-1", 1],
        ["drafter-2", 1],
      ],
    );
    assert.deepEqual(planned.lines, [
      "  threads: verifier-1 6, drafter-1 1, drafter-2 1 (a budget of 8; 8 cores here)",
    ]);
  });

  void it("adds the warning line when per-role counts oversubscribe the machine", () => {
    const planned = fleetThreads(workers, { threads: 2, verifierThreads: 2, drafterThreads: 2, fused: false }, 2);
    assert.equal(planned.lines.length, 2);
    assert.match(planned.lines[1]!, /^warning: the workers' 6 threads exceed this machine's 2 cores/);
  });

  void it("gives a fused verifier the whole budget", () => {
    const planned = fleetThreads({ verifiers: workers.verifiers, drafters: [] }, { threads: 4, fused: true }, 4);
    assert.equal(planned.verifiers[0]!.threads, 4);
  });
});
