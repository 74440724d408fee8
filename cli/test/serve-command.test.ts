import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { actorEntry, SERVED_ACTOR_NAMES, UnknownActorError } from "../serve/actors.js";

/** dist/ of this compiled test (dist/cli/test/). */
const dist = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const cli = join(dist, "cli", "specfleet.js");

/** The CLI run from a folder that is not the project's, as a container's or a unit's command may be. */
function specfleet(args: string[], env: Record<string, string> = {}) {
  const { PATH, HOME } = process.env;
  return spawnSync(process.execPath, [cli, ...args], {
    cwd: tmpdir(),
    env: { PATH, HOME, ...env },
    encoding: "utf8",
    timeout: 60_000,
  });
}

void describe("specfleet serve", () => {
  void it("finds every actor's compiled main beside the CLI, not from the working directory", () => {
    assert.deepEqual(SERVED_ACTOR_NAMES, [
      "registry",
      "scheduler",
      "gateway",
      "dashboard",
      "verify-worker",
      "draft-worker",
    ]);
    for (const actor of SERVED_ACTOR_NAMES) {
      const entry = actorEntry(actor);
      assert.equal(entry, join(dist, "services", actor, "src", "main.js"));
      assert.ok(existsSync(entry), `${entry} exists`);
    }
    assert.equal(actorEntry("gateway", "/app/dist"), "/app/dist/services/gateway/src/main.js");
  });

  void it("refuses a name that is no actor, including ones that would walk out of dist/", () => {
    for (const name of ["nope", "../cli", "toString", "__proto__", "Gateway"])
      assert.throws(() => actorEntry(name), UnknownActorError);
  });

  void it("lists the actors in its help", () => {
    const run = specfleet(["serve", "--help"]);
    assert.equal(run.status, 0, run.stderr);
    for (const actor of SERVED_ACTOR_NAMES) assert.match(run.stdout, new RegExp(`^ {2}${actor} +\\S`, "m"));
  });

  void it("names the known actors when given an unknown one, and exits non-zero", () => {
    const run = specfleet(["serve", "verifier"]);
    assert.equal(run.status, 1);
    assert.match(
      run.stderr,
      /unknown actor 'verifier': specfleet serve runs one of registry, scheduler, gateway, dashboard, verify-worker, draft-worker/,
    );
    const none = specfleet(["serve"]);
    assert.equal(none.status, 1);
    assert.match(none.stderr, /Not enough non-option arguments/);
  });

  void it("runs the actor's own main, which reads its environment (a bad variable stops it, named)", () => {
    for (const actor of ["registry", "verify-worker"]) {
      const run = specfleet(["serve", actor], { LOG_LEVEL: "loud" });
      assert.equal(run.status, 2, `${actor}: ${run.stderr}`);
      assert.match(run.stderr, /invalid configuration:\s+LOG_LEVEL="loud"/);
      assert.doesNotMatch(run.stderr, /specfleet serve <actor>/, "the actor's failure, not a usage error");
    }
  });
});
